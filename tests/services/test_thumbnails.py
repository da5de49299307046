"""Thumbnails: embedded previews first, orientation, disk cache keyed by size+mtime, bad input."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from imageworks_gui.services import thumbnails as th
from imageworks_gui.services.thumbnails import ThumbnailCache, ThumbnailError, ThumbnailService


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEWORKS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGEWORKS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IMAGEWORKS_CONFIG_DIR", str(tmp_path / "config"))


def _jpeg(path: Path, size=(1200, 800), color=(200, 30, 30), orientation: int | None = None,
          exif_thumb: Image.Image | None = None) -> Path:
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    img.save(path, "JPEG", exif=exif.tobytes() if orientation else b"")
    if exif_thumb is not None:
        # Let ExifTool embed a real IFD1 thumbnail, as cameras do.
        buf = io.BytesIO()
        exif_thumb.save(buf, "JPEG")
        thumb_file = path.with_suffix(".thumb.jpg")
        thumb_file.write_bytes(buf.getvalue())
        subprocess.run(["exiftool", "-q", "-overwrite_original", f"-ThumbnailImage<={thumb_file}",
                        str(path)], check=True)
    return path


def test_decodes_large_jpeg_to_small_rgb(tmp_path):
    thumb = ThumbnailCache(size=160).load(_jpeg(tmp_path / "a.jpg"))
    assert max(thumb.width, thumb.height) <= 160
    assert (thumb.width, thumb.height) == (160, 107)
    assert len(thumb.rgb) == thumb.width * thumb.height * 3
    assert thumb.source == "decoded"
    r, g, _b = thumb.rgb[:3]
    assert r > 150 and g < 80


def test_orientation_is_applied(tmp_path):
    thumb = ThumbnailCache(size=160).load(_jpeg(tmp_path / "o.jpg", orientation=6))
    assert thumb.height > thumb.width  # a landscape sensor image rotated to portrait


def test_embedded_exif_thumbnail_is_used_first(tmp_path):
    # The full image is red, the embedded thumbnail green: a green result proves it was used.
    path = _jpeg(tmp_path / "e.jpg", exif_thumb=Image.new("RGB", (160, 120), (0, 200, 0)))
    thumb = ThumbnailCache(size=160).load(path)
    assert thumb.source == "embedded"
    r, g, _ = thumb.rgb[:3]
    assert g > 150 and r < 80


def test_small_embedded_thumbnail_is_ignored_for_big_grid(tmp_path):
    path = _jpeg(tmp_path / "s.jpg", exif_thumb=Image.new("RGB", (40, 30), (0, 200, 0)))
    assert ThumbnailCache(size=160).load(path).source == "decoded"


def test_second_load_comes_from_disk_cache_and_mtime_invalidates(tmp_path):
    path = _jpeg(tmp_path / "c.jpg")
    cache = ThumbnailCache(size=128)
    assert cache.load(path).source == "decoded"
    assert cache.load(path).source == "cache"
    assert any((Path(os.environ["IMAGEWORKS_CACHE_DIR"]) / "thumbnails").rglob("*.jpg"))
    _jpeg(path, color=(0, 0, 220))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    fresh = cache.load(path)
    assert fresh.source == "decoded"
    assert fresh.rgb[2] > 150  # the new blue content, not the cached red one


def test_damaged_cache_entry_is_rebuilt(tmp_path):
    path = _jpeg(tmp_path / "d.jpg")
    cache = ThumbnailCache(size=128)
    cache.load(path)
    for f in cache.root.rglob("*.jpg"):
        f.write_bytes(b"garbage")
    assert cache.load(path).source == "decoded"


def test_png_and_heic_like_formats_decode(tmp_path):
    png = tmp_path / "p.png"
    Image.new("RGBA", (300, 300), (0, 0, 255, 128)).save(png)
    assert ThumbnailCache(size=64).load(png).width == 64


@pytest.mark.parametrize("content, match", [
    (b"", "not an image"),
    (b"not an image at all", "not an image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "(damaged|could not read|not an image)"),
])
def test_bad_files_raise_actionable_errors(tmp_path, content, match):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(content)
    with pytest.raises(ThumbnailError, match=match):
        ThumbnailCache().load(bad)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ThumbnailError, match="no longer exists"):
        ThumbnailCache().load(tmp_path / "gone.jpg")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    path = _jpeg(tmp_path / "big.png", size=(400, 400))
    monkeypatch.setattr(th, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ThumbnailError, match="too large"):
        ThumbnailCache().load(path)


def test_raw_without_preview_is_reported(tmp_path):
    raw = tmp_path / "IMG_1.CR2"
    raw.write_bytes(b"II*\x00" + b"\x00" * 100)
    with pytest.raises(ThumbnailError, match="no embedded preview"):
        ThumbnailCache(raw_preview=lambda p: None).load(raw)


def test_raw_uses_embedded_preview(tmp_path):
    raw = tmp_path / "IMG_2.NEF"
    raw.write_bytes(b"II*\x00")
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (0, 180, 0)).save(buf, "JPEG")
    thumb = ThumbnailCache(size=100, raw_preview=lambda p: buf.getvalue()).load(raw)
    assert thumb.source == "embedded" and thumb.width == 100


async def test_service_runs_in_executor(tmp_path):
    paths = [_jpeg(tmp_path / f"{i}.jpg", size=(300, 200)) for i in range(4)]
    service = ThumbnailService(ThumbnailCache(size=64), concurrency=2)
    results = [await service.thumbnail(p) for p in paths]
    assert all(r.width == 64 for r in results)
    preview = await th.load_preview(paths[0], 256)
    assert preview.width == 256 or preview.width == 300


def test_raw_preview_is_extracted_by_real_exiftool(tmp_path):
    # A file named like a RAW whose embedded preview ExifTool can extract.
    source = _jpeg(tmp_path / "src.jpg", exif_thumb=Image.new("RGB", (160, 120), (0, 0, 200)))
    raw = tmp_path / "DSC_0001.NEF"
    raw.write_bytes(source.read_bytes())
    data = th.exiftool_raw_preview(raw)
    assert data is not None and data[:2] == b"\xff\xd8"
    thumb = ThumbnailCache(size=120).load(raw)
    assert thumb.source == "embedded" and thumb.rgb[2] > 150


def test_a_name_that_is_not_utf8_is_cached_too(tmp_path):
    path = _jpeg(tmp_path / os.fsdecode(b"caf\xe9 IMG[1].jpg"), size=(300, 200))
    cache = ThumbnailCache(size=64)
    assert cache.load(path).source == "decoded"
    assert cache.load(path).source == "cache"
