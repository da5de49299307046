"""Burst fixtures: photo-like scenes, slight variants of them, capture times written by ExifTool."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from tests.support.photos import exiftool

T0 = datetime(2024, 5, 1, 10, 0, 0)


def scene(seed: int, size: tuple[int, int] = (960, 640)) -> Image.Image:
    """A photo-like picture (gradient, shapes, grain); different seeds are different scenes."""
    rnd = random.Random(seed)
    w, h = size
    base = Image.new("RGB", size, tuple(rnd.randrange(40, 220) for _ in range(3)))
    gradient = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize(size).convert("RGB")
    img = Image.blend(base, gradient, 0.4)
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y, s = rnd.randrange(w), rnd.randrange(h), rnd.randrange(30, w // 3)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        if rnd.random() < 0.5:
            draw.ellipse((x, y, x + s, y + s), fill=colour)
        else:
            draw.rectangle((x, y, x + s, y + s // 2), fill=colour)
    return img


def variant(img: Image.Image, step: int, blur: float = 0.0) -> Image.Image:
    """Frame ``step`` of a burst: shifted by a few pixels, a touch brighter, optionally soft."""
    w, h = img.size
    dx, dy = 3 * step, 2 * step
    frame = img.crop((dx, dy, w - 30 + dx, h - 20 + dy)).resize((w, h))
    frame = ImageEnhance.Brightness(frame).enhance(1 + 0.01 * step)
    return frame.filter(ImageFilter.GaussianBlur(blur)) if blur else frame


def save(img: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=90)
    return path


def set_time(path: Path, when: datetime | None, subsec: str | None = None,
             offset: str | None = None) -> Path:
    """Write DateTimeOriginal (and SubSecTimeOriginal / OffsetTimeOriginal) with ExifTool."""
    if when is None:
        return path
    args = [f"-DateTimeOriginal={when:%Y:%m:%d %H:%M:%S}"]
    if subsec is not None:
        args.append(f"-SubSecTimeOriginal={subsec}")
    if offset is not None:
        args.append(f"-OffsetTimeOriginal={offset}")
    exiftool("-overwrite_original", *args, path)
    return path


def burst(folder: Path, prefix: str, seed: int, count: int, start: datetime = T0,
          every_s: float = 1.0, blur: dict[int, float] | None = None,
          size: tuple[int, int] = (960, 640)) -> list[Path]:
    """``count`` frames of one scene, ``every_s`` apart from ``start``, with real EXIF times."""
    img = scene(seed, size)
    paths = []
    for i in range(count):
        when = start + timedelta(seconds=every_s * i)
        path = save(variant(img, i, (blur or {}).get(i, 0.0)), folder / f"{prefix}{i:02d}.jpg")
        paths.append(set_time(path, when.replace(microsecond=0),
                              subsec=f"{when.microsecond // 10000:02d}"))
    return paths
