"""Thumbnails decoded off the GUI thread: embedded previews first, disk cache by path+size+mtime.

Workers return plain bytes (``Thumbnail.rgb``, packed RGB888 rows); the GUI turns them into a
``QImage`` without decoding anything. The disk cache holds small JPEGs under
``cache_dir()/thumbnails`` and is safe to delete.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, UnidentifiedImageError

from imageworks_gui.core.metadata_tags import RAW_EXTENSIONS
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.paths import cache_dir

with contextlib.suppress(ImportError):  # HEIC support is optional at run time
    import pillow_heif

    pillow_heif.register_heif_opener()

DEFAULT_SIZE = 192
"""Long edge of a grid thumbnail in pixels."""

MAX_IMAGE_PIXELS = 250_000_000
"""Largest image we decode (250 MP); bigger ones are refused as decompression bombs."""

MAX_DECODED_BYTES = 1 << 30
"""Most memory one image may take to decode and convert: a tiny file can claim a huge canvas
(a 49 KB one-bit PNG of 240 MP would need over a gigabyte as RGB), so the pixel limit alone is
not enough."""


def decode_bytes_estimate(mode: str, size: tuple[int, int]) -> int:
    """Memory Pillow needs to decode an image of ``mode``/``size`` and flatten it to RGB."""
    stored = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    extra = 0 if mode == "RGB" else 8 if mode in ("RGBA", "LA", "PA", "P") else (
        9 if mode.startswith("I") else 4)
    return size[0] * size[1] * (stored + extra)


RAW_SUFFIXES = RAW_EXTENSIONS
"""RAW formats: only their embedded JPEG preview is used."""

_CACHE_VERSION = "1"


class ThumbnailError(Exception):
    """A thumbnail could not be made; the message says which file and why."""


@dataclass(frozen=True)
class Thumbnail:
    """A decoded thumbnail as plain bytes: ``width * height * 3`` bytes of RGB888."""

    width: int
    height: int
    rgb: bytes
    source: str
    """Where it came from: ``cache``, ``embedded`` (EXIF/RAW preview) or ``decoded``."""


RawPreview = Callable[[Path], bytes | None]
"""Blocking function returning the embedded JPEG preview of a RAW file (or None)."""


def exiftool_raw_preview(path: Path) -> bytes | None:
    """The largest embedded JPEG of a RAW file, extracted by ExifTool (None when there is none)."""
    exe = shutil.which("exiftool")
    if exe is None:
        return None
    for tag in ("-PreviewImage", "-JpgFromRaw", "-ThumbnailImage"):
        try:
            done = subprocess.run([exe, "-b", tag, "--", str(path)], capture_output=True,
                                  timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode == 0 and done.stdout[:2] == b"\xff\xd8":
            return done.stdout
    return None


def cache_key(path: Path, size: int) -> str:
    """Cache key of ``path`` at ``size``: changes when the file's size or mtime changes."""
    st = path.stat()
    text = f"{_CACHE_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{size}"
    # A name that is not valid UTF-8 (as read from disk on POSIX) must still make a key.
    data = text.encode("utf-8", "surrogateescape")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def _exif_thumbnail(img: Image.Image) -> bytes | None:
    """The JPEG thumbnail stored in EXIF IFD1 of an opened JPEG, if any."""
    raw = img.info.get("exif")
    if not raw:
        return None
    try:
        exif = img.getexif()
        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
    except Exception:  # malformed EXIF: fall back to decoding the image
        return None
    offset = ifd1.get(0x0201)  # JPEGInterchangeFormat
    length = ifd1.get(0x0202)  # JPEGInterchangeFormatLength
    if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
        return None
    base = 6 if raw.startswith(b"Exif\x00\x00") else 0
    data = raw[base + offset: base + offset + length]
    return data if data[:2] == b"\xff\xd8" and len(data) == length else None


def _orientation(img: Image.Image) -> int:
    try:
        return int(img.getexif().get(0x0112, 1))
    except Exception:
        return 1


def _apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}.get(orientation)
    return img.transpose(method) if method is not None else img


def _fit(img: Image.Image, size: int) -> Image.Image:
    img = img.convert("RGB")
    img.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return img


def _from_jpeg_bytes(data: bytes, size: int, orientation: int) -> Image.Image:
    with Image.open(io.BytesIO(data)) as small:
        small.draft("RGB", (size, size))
        own = _orientation(small)
        img = _fit(small, size)
    return _apply_orientation(img, orientation if own == 1 else own)


def render_thumbnail(
    path: Path, size: int = DEFAULT_SIZE, raw_preview: RawPreview | None = exiftool_raw_preview
) -> tuple[Image.Image, str]:
    """Decode ``path`` into an oriented RGB image whose long edge is at most ``size`` (blocking).

    Tries the embedded preview first (EXIF thumbnail of a JPEG when it is big enough, the RAW
    preview of a RAW file), then decodes the image itself (JPEGs at reduced scale).
    """
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    if path.suffix.lower() in RAW_SUFFIXES:
        preview = raw_preview(path) if raw_preview else None
        if preview is None:
            raise ThumbnailError(f"{path.name}: this RAW file has no embedded preview that could "
                                 f"be read; install ExifTool or open the file in a RAW editor")
        return _from_jpeg_bytes(preview, size, 1), "embedded"
    try:
        with Image.open(path) as img:
            if img.format == "JPEG":
                embedded = _exif_thumbnail(img)
                if embedded is not None:
                    with contextlib.suppress(Exception):
                        thumb = _from_jpeg_bytes(embedded, size, _orientation(img))
                        if max(thumb.size) >= min(size, 160) * 0.95:
                            return thumb, "embedded"
                img.draft("RGB", (size, size))
            need = decode_bytes_estimate(img.mode, img.size)
            if need > MAX_DECODED_BYTES:
                raise ThumbnailError(f"{path.name}: {img.width}x{img.height} ({img.mode}) would "
                                     f"take about {need / 2**30:.1f} GB of memory to decode; "
                                     "too large to preview safely")
            orientation = _orientation(img)
            out = _fit(img, size)
        return _apply_orientation(out, orientation), "decoded"
    except Image.DecompressionBombError as exc:
        raise ThumbnailError(f"{path.name}: image is too large to preview safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ThumbnailError(f"{path.name}: not an image this app can read (unknown or damaged "
                             f"format)") from exc
    except OSError as exc:
        raise ThumbnailError(f"{path.name}: could not read the image ({exc}); check that the "
                             f"file is complete and readable") from exc
    except (ValueError, SyntaxError) as exc:  # Pillow raises these for some broken headers
        raise ThumbnailError(f"{path.name}: the image is damaged ({exc})") from exc


class ThumbnailCache:
    """Small JPEG thumbnails on disk, keyed by path, size and mtime (blocking methods)."""

    def __init__(self, root: Path | None = None, size: int = DEFAULT_SIZE,
                 raw_preview: RawPreview | None = exiftool_raw_preview) -> None:
        self.root = root if root is not None else cache_dir() / "thumbnails"
        self.size = size
        self.raw_preview = raw_preview

    def _file_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.jpg"

    def load(self, path: Path) -> Thumbnail:
        """The thumbnail of ``path``: from the cache when current, else decoded and cached."""
        try:
            key = cache_key(path, self.size)
        except FileNotFoundError as exc:
            raise ThumbnailError(f"{path.name}: the file no longer exists") from exc
        except OSError as exc:
            raise ThumbnailError(f"{path.name}: cannot read file information ({exc})") from exc
        cached = self._file_for(key)
        if cached.is_file():
            try:
                with Image.open(cached) as img:
                    img.load()
                    rgb = img.convert("RGB")
                return Thumbnail(rgb.width, rgb.height, rgb.tobytes(), "cache")
            except (OSError, ValueError):
                cached.unlink(missing_ok=True)  # damaged cache entry: rebuild it
        img, source = render_thumbnail(path, self.size, self.raw_preview)
        self._store(cached, img)
        return Thumbnail(img.width, img.height, img.tobytes(), source)

    def _store(self, target: Path, img: Image.Image) -> None:
        tmp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                img.save(fh, "JPEG", quality=85)
            os.replace(tmp, target)
        except OSError:
            # The cache is an optimisation: a full or read-only disk must not break previews.
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def clear(self) -> None:
        """Delete every cached thumbnail."""
        shutil.rmtree(self.root, ignore_errors=True)


class ThumbnailService:
    """Async front of ``ThumbnailCache`` with a bounded number of decodes in flight."""

    def __init__(self, cache: ThumbnailCache | None = None, concurrency: int = 2) -> None:
        self.cache = cache if cache is not None else ThumbnailCache()
        self._limit = asyncio.Semaphore(max(1, concurrency))

    async def thumbnail(self, path: Path) -> Thumbnail:
        """Decode (or fetch from the cache) the thumbnail of ``path`` in the shared executor."""
        async with self._limit:
            return await run_blocking(self.cache.load, path)


async def load_preview(path: Path, size: int,
                       raw_preview: RawPreview | None = exiftool_raw_preview) -> Thumbnail:
    """A larger, uncached preview (review pane) decoded in the executor."""

    def work() -> Thumbnail:
        img, source = render_thumbnail(path, size, raw_preview)
        return Thumbnail(img.width, img.height, img.tobytes(), source)

    return await run_blocking(work)
