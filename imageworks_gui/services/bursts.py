"""Burst facts of photos off the event loop: capture times, perceptual hash, sharpness, cached.

Capture times come from one ExifTool call for the whole folder; only photos with a neighbour
close enough in time are decoded (small, through ``prepare_image``'s safe decode) to get a
perceptual hash (``imagehash.phash``) and a sharpness score (variance of a Laplacian filter
on the grey image). Those two are cached beside the thumbnails, in small JSON files keyed by
the file's path, size, modification time and inode, so reopening a folder decodes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import imagehash
from PIL import Image, ImageFilter, ImageStat

from imageworks_gui.core.bursts import BurstGroup, FrameFacts, group_bursts, needs_hash
from imageworks_gui.core.settings import GroupingSettings
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.images import ImagePreparationError, prepare_image
from imageworks_gui.services.metadata.capture import read_capture_times
from imageworks_gui.services.metadata.exiftool import ExifToolPool
from imageworks_gui.services.paths import cache_dir
from imageworks_gui.services.thumbnails import RawPreview, cache_key, exiftool_raw_preview

SIGNATURE_EDGE = 512
"""Long edge of the grey image that is hashed and scored (JPEGs decode in draft mode)."""
_VERSION = "burst-1"
_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)


@dataclass(frozen=True)
class Signature:
    """The perceptual hash (hex) and sharpness score of one photo."""

    phash: str
    sharpness: float


def compute_signature(path: Path, raw_preview: RawPreview = exiftool_raw_preview) -> Signature:
    """Decode ``path`` small and measure it (blocking). Raises ``ImagePreparationError``."""
    prepared = prepare_image(path, SIGNATURE_EDGE, 95, raw_preview)
    with Image.open(io.BytesIO(prepared.jpeg)) as img:
        grey = img.convert("L")
    phash = str(imagehash.phash(grey))
    sharpness = ImageStat.Stat(grey.filter(_LAPLACIAN)).var[0]
    return Signature(phash=phash, sharpness=round(float(sharpness), 3))


class SignatureCache:
    """Signatures on disk under the thumbnail cache folder (blocking methods)."""

    def __init__(self, root: Path | None = None,
                 raw_preview: RawPreview = exiftool_raw_preview) -> None:
        self.root = root if root is not None else cache_dir() / "thumbnails" / "bursts"
        self.raw_preview = raw_preview

    def _file_for(self, path: Path) -> Path:
        st = path.stat()
        text = f"{_VERSION}|{cache_key(path, SIGNATURE_EDGE)}|{st.st_ino}"
        key = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def load(self, path: Path) -> Signature:
        """The cached signature of ``path`` when current, else computed and cached."""
        try:
            cached = self._file_for(path)
        except OSError as exc:
            raise ImagePreparationError(path, f"cannot read it ({exc.strerror or exc})") from exc
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(cached.read_text(encoding="utf-8"))
            return Signature(phash=str(data["phash"]), sharpness=float(data["sharpness"]))
        signature = compute_signature(path, self.raw_preview)
        self._store(cached, signature)
        return signature

    def _store(self, target: Path, signature: Signature) -> None:
        tmp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"phash": signature.phash, "sharpness": signature.sharpness}, fh)
            os.replace(tmp, target)
        except OSError:  # an optimisation only: a read-only cache must not stop grouping
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


class BurstService:
    """Groups photos into bursts; every blocking step runs in the shared executor."""

    def __init__(self, pool: ExifToolPool | None, cache: SignatureCache | None = None,
                 concurrency: int = 2) -> None:
        self.pool = pool
        self.cache = cache if cache is not None else SignatureCache()
        self.concurrency = max(1, concurrency)

    async def facts(self, paths: Sequence[str | Path], max_gap_s: float) -> list[FrameFacts]:
        """Capture time of every photo; hash and sharpness of those that may be in a burst.

        Per-photo bookkeeping runs in the executor too: for 100,000 photos it is a second of
        work the event loop must not do.
        """
        def read() -> tuple[list[FrameFacts], set[str]]:
            names = [os.fspath(p) for p in paths]
            times = read_capture_times(self.pool, names)
            frames = [FrameFacts(path=n, captured=times[n].captured, error=times[n].error)
                      for n in names]
            return frames, needs_hash(frames, max_gap_s)

        frames, wanted = await run_blocking(read)
        limit = asyncio.Semaphore(self.concurrency)

        async def measure(frame: FrameFacts) -> FrameFacts:
            async with limit:
                try:
                    sig = await run_blocking(self.cache.load, Path(frame.path))
                except ImagePreparationError as exc:
                    return FrameFacts(path=frame.path, captured=frame.captured,
                                      error=f"cannot be compared with its neighbours: "
                                            f"{exc.reason}")
            return FrameFacts(path=frame.path, captured=frame.captured, phash=sig.phash,
                              sharpness=sig.sharpness)

        hashed = iter(await asyncio.gather(*(measure(f) for f in frames if f.path in wanted)))
        return [next(hashed) if f.path in wanted else f for f in frames]

    async def group(self, paths: Sequence[str | Path],
                    settings: GroupingSettings | None = None) -> list[BurstGroup]:
        """Every photo in one group (bursts and single photos), by ``core.bursts`` rules."""
        settings = settings or GroupingSettings()
        frames = await self.facts(paths, settings.max_gap_s)
        return await run_blocking(group_bursts, frames, settings.max_gap_s,
                                  settings.max_hash_distance)
