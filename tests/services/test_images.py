"""Model input preparation: real files of every kind, and every kind of bad file."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from PIL import Image

from imageworks_gui.services.images import (
    ImagePreparationError,
    prepare_image,
    prepare_image_async,
)


def _jpeg(path, size=(4000, 3000), colour=(200, 40, 40), exif=None):
    img = Image.new("RGB", size, colour)
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(path, "JPEG", quality=85, **kwargs)
    return path


def _decoded(prepared):
    return Image.open(io.BytesIO(prepared.jpeg))


def test_large_jpeg_is_downscaled_to_the_long_edge(tmp_path):
    prepared = prepare_image(_jpeg(tmp_path / "a.jpg"), long_edge=1024)
    img = _decoded(prepared)
    assert img.format == "JPEG" and img.size == (1024, 768)
    assert (prepared.source_width, prepared.source_height) == (4000, 3000)
    assert prepared.source_format == "JPEG" and not prepared.from_preview
    assert prepared.nbytes < 200_000


def test_camera_jpeg_uses_its_large_mpf_preview_with_the_photo_orientation(tmp_path):
    path = tmp_path / "DSC_0001.JPG"
    exif = Image.Exif()
    exif[0x0112] = 6
    main = Image.new("RGB", (6000, 4000), (200, 30, 30))
    preview = Image.new("RGB", (1620, 1080), (30, 30, 200))  # told apart by colour
    main.save(path, "MPO", save_all=True, append_images=[preview], exif=exif.tobytes())
    prepared = prepare_image(path, long_edge=1024)
    img = _decoded(prepared)
    assert prepared.from_preview and (prepared.source_width, prepared.source_height) == (6000, 4000)
    assert img.size == (683, 1024)  # rotated like the photo
    assert img.getpixel((10, 10))[2] > 150
    # A preview smaller than the model input is not used.
    prepared = prepare_image(path, long_edge=2048)
    assert not prepared.from_preview and _decoded(prepared).getpixel((10, 10))[0] > 150


def test_small_images_are_not_upscaled(tmp_path):
    img = _decoded(prepare_image(_jpeg(tmp_path / "s.jpg", (300, 200)), long_edge=1024))
    assert img.size == (300, 200)


def test_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = _jpeg(tmp_path / "rot.jpg", (400, 200), exif=exif)
    assert _decoded(prepare_image(path)).size == (200, 400)


def test_png_with_alpha_becomes_an_rgb_jpeg_on_white(tmp_path):
    path = tmp_path / "t.png"
    Image.new("RGBA", (64, 64), (255, 0, 0, 0)).save(path)
    img = _decoded(prepare_image(path))
    assert img.mode == "RGB" and img.getpixel((10, 10))[0] > 240 and img.getpixel((10, 10))[1] > 240


def test_png_named_jpg_is_read_by_content(tmp_path):
    path = tmp_path / "really_a_png.jpg"
    Image.new("RGB", (50, 40), (0, 0, 255)).save(path, "PNG")
    prepared = prepare_image(path)
    assert prepared.source_format == "PNG" and _decoded(prepared).format == "JPEG"


@pytest.mark.parametrize(("fmt", "suffix", "mode"), [
    ("TIFF", ".tif", "RGB"), ("WEBP", ".webp", "RGB"), ("PNG", ".png", "I;16"),
    ("PNG", ".png", "P"), ("TIFF", ".tiff", "CMYK"),
])
def test_other_formats(tmp_path, fmt, suffix, mode):
    path = tmp_path / f"x{suffix}"
    Image.new(mode, (80, 60)).save(path, fmt)
    assert _decoded(prepare_image(path)).size == (80, 60)


def test_heic_through_pillow_heif(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "p.heic"
    pillow_heif.from_pillow(Image.new("RGB", (2048, 1536), (20, 160, 40))).save(path)
    prepared = prepare_image(path, long_edge=512)
    assert prepared.source_format == "HEIF" and _decoded(prepared).size == (512, 384)


def test_raw_uses_the_embedded_preview(tmp_path):
    raw = tmp_path / "IMG_1.NEF"
    raw.write_bytes(b"not really raw data")
    preview = io.BytesIO()
    Image.new("RGB", (1620, 1080), (1, 2, 3)).save(preview, "JPEG")
    prepared = prepare_image(raw, raw_preview=lambda p: preview.getvalue())
    assert prepared.from_preview and _decoded(prepared).size == (1024, 683)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_raw_without_a_preview_is_a_clear_error(tmp_path):
    raw = tmp_path / "IMG_2.CR2"
    raw.write_bytes(b"II*\x00garbage")
    with pytest.raises(ImagePreparationError, match=r"IMG_2.CR2: no embedded preview.*ExifTool"):
        prepare_image(raw)  # real ExifTool finds nothing to extract


def test_tiff_based_raw_without_preview_is_read_by_pillow(tmp_path):
    path = tmp_path / "linear.dng"
    Image.new("RGB", (2000, 1000), (9, 9, 9)).save(path, "TIFF")
    prepared = prepare_image(path, raw_preview=lambda p: None)
    assert not prepared.from_preview and _decoded(prepared).size == (1024, 512)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImagePreparationError, match=r"empty.jpg: the file is empty \(0 bytes\)"):
        prepare_image(path)


def test_corrupt_file(tmp_path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(ImagePreparationError, match=r"not an image this app can read"):
        prepare_image(path)


def test_truncated_jpeg(tmp_path):
    full = _jpeg(tmp_path / "full.jpg", (800, 600)).read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(full[: len(full) // 3])
    with pytest.raises(ImagePreparationError, match=r"cut.jpg: the image data is truncated"):
        prepare_image(path)


def _png_bomb(path, width=100_000, height=100_000):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = _png_bomb(tmp_path / "bomb.png")
    assert path.stat().st_size < 200
    with pytest.raises(ImagePreparationError, match=r"decompression bomb"):
        prepare_image(path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_just_over_the_limit_is_refused_too(tmp_path):
    path = _png_bomb(tmp_path / "big.png", 20_000, 13_000)  # 260 MP: above 250, below 2x
    with pytest.raises(ImagePreparationError, match=r"260 MP, above the 250 MP safety limit"):
        prepare_image(path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can read files without read permission")
def test_file_without_read_permission(tmp_path):
    path = _jpeg(tmp_path / "private.jpg", (64, 64))
    path.chmod(0)
    try:
        with pytest.raises(ImagePreparationError, match=r"private.jpg: permission denied"):
            prepare_image(path)
    finally:
        path.chmod(0o644)


def test_unreadable_path(tmp_path):
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    with pytest.raises(ImagePreparationError, match=r"folder.jpg: cannot read the file"):
        prepare_image(folder)


def test_vanished_file(tmp_path):
    with pytest.raises(ImagePreparationError, match=r"no longer exists"):
        prepare_image(tmp_path / "gone.jpg")


async def test_async_preparation_runs_off_the_loop(tmp_path):
    prepared = await prepare_image_async(_jpeg(tmp_path / "a.jpg", (2000, 1000)), 512)
    assert _decoded(prepared).size == (512, 256)


def test_a_tiny_file_claiming_a_huge_canvas_is_refused_by_decoded_size(tmp_path):
    # 240 MP is under the pixel limit, but one-bit pixels take a byte each in memory and four
    # more as RGB: over a gigabyte from a file of a few dozen kilobytes.
    bomb = tmp_path / "bilevel.png"
    Image.new("1", (20000, 12000), 0).save(bomb, "PNG")
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ImagePreparationError, match=r"GB of memory to decode.*safety limit"):
        prepare_image(bomb, 512)
    from imageworks_gui.services.thumbnails import ThumbnailError, render_thumbnail

    with pytest.raises(ThumbnailError, match="GB of memory"):
        render_thumbnail(bomb, 192, None)
    small = tmp_path / "small.png"
    Image.new("1", (2000, 1200), 1).save(small, "PNG")
    assert prepare_image(small, 512).width == 512


def test_decode_estimates_follow_the_mode():
    from imageworks_gui.services.thumbnails import MAX_DECODED_BYTES, decode_bytes_estimate

    assert decode_bytes_estimate("RGB", (10_000, 10_000)) < MAX_DECODED_BYTES  # 100 MP photo
    assert decode_bytes_estimate("1", (20_000, 12_000)) > MAX_DECODED_BYTES
    assert decode_bytes_estimate("RGBA", (10, 10)) > decode_bytes_estimate("RGB", (10, 10))
