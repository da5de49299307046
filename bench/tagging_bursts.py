"""Burst-heavy folder for bench/tagging.py: model requests per photo, grouped vs every photo.

The folder holds groups of five frames of one scene shot a second apart (EXIF
DateTimeOriginal written by Pillow), the groups a minute apart. Every run tags the same folder
against the same test server: grouped with combined requests (the default), grouped with one
request per stage, and photo by photo; the figure is requests per photo and its ratios.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from PIL import Image, ImageDraw, ImageEnhance

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.bursts import BurstService, SignatureCache
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
from imageworks_gui.services.pipeline import TaggingPipeline
from imageworks_gui.services.pipeline.groups import BurstGrouper

PER_GROUP = 5
EXIF_IFD, DATE_TIME_ORIGINAL, SUBSEC_ORIGINAL = 0x8769, 0x9003, 0x9291


def generate_bursts(folder: Path, groups: int, size: tuple[int, int] = (2400, 1600)) -> list[Path]:
    """``groups`` bursts of ``PER_GROUP`` slightly different frames, with capture times."""
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 5, 1, 10, 0, 0)
    paths = []
    for g in range(groups):
        rnd = random.Random(g)
        w, h = size
        img = Image.new("RGB", size, tuple(rnd.randrange(40, 220) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(60):
            x, y, s = rnd.randrange(w), rnd.randrange(h), rnd.randrange(40, w // 3)
            draw.ellipse((x, y, x + s, y + s), fill=tuple(rnd.randrange(256) for _ in range(3)))
        for i in range(PER_GROUP):
            frame = img.crop((4 * i, 3 * i, w - 40 + 4 * i, h - 30 + 3 * i)).resize(size)
            frame = ImageEnhance.Brightness(frame).enhance(1 + 0.01 * i)
            when = start + timedelta(minutes=g, seconds=i)
            exif = Image.Exif()
            exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = f"{when:%Y:%m:%d %H:%M:%S}"
            exif.get_ifd(EXIF_IFD)[SUBSEC_ORIGINAL] = "00"
            path = folder / f"BURST_{g:03d}_{i}.jpg"
            frame.save(path, "JPEG", quality=90, exif=exif)
            paths.append(path)
    return paths


async def _tag(url: str, entries: list[RegistryEntry], photos: list[Path],
               grouper: BurstGrouper | None, fused: bool = True) -> dict[str, float]:
    async with httpx.AsyncClient() as http:
        await http.post(f"{url}/_reset")
        pipeline = TaggingPipeline(http, entries, Settings(), grouper=grouper, fused=fused)
        start = time.perf_counter()
        outcome = await pipeline.run(iter(photos))
        elapsed = time.perf_counter() - start
        stats = (await http.get(f"{url}/_stats")).json()
    return {"photos": outcome.total, "ok": outcome.ok, "seconds": elapsed,
            "requests": stats["requests"], "per_photo": stats["requests"] / outcome.total,
            "rate": outcome.total / elapsed}


async def measure(url: str, entries: list[RegistryEntry], folder: Path,
                  groups: int) -> dict[str, dict[str, float]]:
    """Grouped and ungrouped runs over one burst-heavy folder."""
    photos = generate_bursts(folder, groups)
    try:
        pool: ExifToolPool | None = ExifToolPool(size=1)
    except ExifToolError:
        pool = None  # without ExifTool no capture times are read: nothing groups
    try:
        service = BurstService(pool, SignatureCache(folder / "cache"))
        grouped = await _tag(url, entries, photos, BurstGrouper(service))
        separate = await _tag(url, entries, photos, BurstGrouper(service), fused=False)
        every = await _tag(url, entries, photos, None)
    finally:
        if pool is not None:
            pool.close()
    return {"grouped": grouped, "separate": separate, "every": every}


def report(result: dict[str, dict[str, float]]) -> None:
    grouped, separate, every = result["grouped"], result["separate"], result["every"]
    print(f"burst folder                 {grouped['photos']:.0f} photos in groups of "
          f"{PER_GROUP}")
    print(f"  grouped, fused             {grouped['requests']:.0f} model requests = "
          f"{grouped['per_photo']:.2f} per photo, {grouped['rate']:.2f} images/s   "
          f"(target <= 0.3 per photo; 1 / {PER_GROUP} = {1 / PER_GROUP:.2f})")
    print(f"  grouped, separate          {separate['requests']:.0f} model requests = "
          f"{separate['per_photo']:.2f} per photo, {separate['rate']:.2f} images/s")
    print(f"  every photo, fused         {every['requests']:.0f} model requests = "
          f"{every['per_photo']:.2f} per photo, {every['rate']:.2f} images/s")
    print(f"  requests ratio             {grouped['per_photo'] / every['per_photo']:.2f}x of "
          f"the ungrouped run; throughput {grouped['rate'] / every['rate']:.1f}x")
