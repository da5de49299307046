"""Model input images: decode once (draft mode, orientation, RAW preview, HEIC), downscale, JPEG."""

from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.thumbnails import (
    MAX_DECODED_BYTES,
    MAX_IMAGE_PIXELS,
    RAW_SUFFIXES,
    RawPreview,
    decode_bytes_estimate,
    exiftool_raw_preview,
)

with contextlib.suppress(ImportError):  # HEIC support is optional at run time
    import pillow_heif

    pillow_heif.register_heif_opener()

# Deliberate: Pillow refuses images above twice this size; prepare_image refuses anything above
# it with a clear message before decoding a single pixel.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

DEFAULT_LONG_EDGE = 1024
"""Long edge of the JPEG sent to models when neither the entry nor the settings say otherwise."""


class ImagePreparationError(Exception):
    """An image could not be turned into model input; the message names the file and the fix."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class PreparedImage:
    """The JPEG bytes every stage sends for one image, with size information."""

    jpeg: bytes
    width: int
    height: int
    source_width: int
    source_height: int
    source_format: str
    from_preview: bool
    cpu_ms: float

    @property
    def nbytes(self) -> int:
        return len(self.jpeg)


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return img.point(lambda v: v / 256).convert("L").convert("RGB")
    return img.convert("RGB")


def _check_decode_budget(path: Path, img: Image.Image) -> None:
    need = decode_bytes_estimate(img.mode, img.size)
    if need > MAX_DECODED_BYTES:
        raise ImagePreparationError(
            path, f"{img.width}x{img.height} ({img.mode}) would take about {need / 2**30:.1f} "
                  f"GB of memory to decode, above the {MAX_DECODED_BYTES / 2**30:.0f} GB safety "
                  f"limit (decompression bomb protection); save a smaller copy to tag it")


def _open(path: Path, raw_preview: RawPreview) -> tuple[Image.Image, bool]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImagePreparationError(path, "the file no longer exists (moved or deleted?)") from None
    except PermissionError:
        raise ImagePreparationError(path, "permission denied: fix the file's permissions") from None
    if size == 0:
        raise ImagePreparationError(path, "the file is empty (0 bytes): an interrupted copy or "
                                          "download? Copy it again")
    if path.suffix.lower() in RAW_SUFFIXES:
        preview = raw_preview(path)
        if preview is not None:
            return Image.open(io.BytesIO(preview)), True
        # Some TIFF-based RAWs (e.g. linear DNG) are readable by Pillow itself.
        try:
            img = Image.open(path)
            if max(img.size) >= 256:
                return img, False
            img.close()
        except (OSError, ValueError, SyntaxError):
            pass
        raise ImagePreparationError(
            path, "no embedded preview could be extracted from this RAW file (is ExifTool "
                  "installed? Debian: libimage-exiftool-perl); export a JPEG to tag it")
    if not os.access(path, os.R_OK):
        raise ImagePreparationError(path, "permission denied: fix the file's permissions")
    return Image.open(path), False


def _use_large_preview(img: Image.Image, long_edge: int) -> bool:
    """Switch a camera JPEG to its MPF preview frame when that is still big enough.

    Many cameras store a ~1600-2000 px preview after the main image (Multi-Picture Format);
    decoding it costs a fraction of the full photo. Only previews with the photo's aspect ratio
    and a long edge of at least ``long_edge`` are used.
    """
    if img.format != "MPO" or getattr(img, "n_frames", 1) < 2:
        return False
    main_w, main_h = img.size
    for frame in range(1, img.n_frames):
        try:
            img.seek(frame)
        except (EOFError, OSError, ValueError):
            break
        w, h = img.size
        if long_edge <= max(w, h) < max(main_w, main_h) and abs(w / h - main_w / main_h) < 0.02:
            return True
    img.seek(0)
    return False


def prepare_image(path: Path, long_edge: int = DEFAULT_LONG_EDGE, quality: int = 90,
                  raw_preview: RawPreview = exiftool_raw_preview) -> PreparedImage:
    """Decode ``path`` once and return a JPEG whose long edge is at most ``long_edge``.

    JPEGs decode in draft mode (1/2, 1/4, 1/8 scale) or from their large MPF preview when
    that is big enough, EXIF orientation is applied, RAW files use their embedded preview,
    HEIC goes through pillow-heif. Blocking: call it through
    ``prepare_image_async`` from the event loop. Raises ``ImagePreparationError``.
    """
    cpu_start = time.thread_time()
    path = Path(path)
    try:
        img, from_preview = _open(path, raw_preview)
    except ImagePreparationError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImagePreparationError(path, f"refused as a decompression bomb ({exc}); the "
                                          f"limit is {MAX_IMAGE_PIXELS // 1_000_000} MP") from exc
    except UnidentifiedImageError:
        raise ImagePreparationError(
            path, "not an image this app can read (corrupt, or an unsupported format)") from None
    except OSError as exc:
        raise ImagePreparationError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    with img:
        source_w, source_h = img.size
        fmt = img.format or "unknown"
        if source_w * source_h > MAX_IMAGE_PIXELS:
            raise ImagePreparationError(
                path, f"{source_w}x{source_h} is {source_w * source_h / 1e6:.0f} MP, above the "
                      f"{MAX_IMAGE_PIXELS // 1_000_000} MP safety limit (decompression bomb "
                      f"protection); downscale the file to tag it")
        exif = img.info.get("exif", b"")
        try:
            from_preview = _use_large_preview(img, long_edge) or from_preview
        except (OSError, ValueError, SyntaxError):
            img.seek(0)
        scale = min(1.0, long_edge / max(img.size))
        target = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        try:
            if img.format in ("JPEG", "MPO"):
                img.draft("RGB", target)
            _check_decode_budget(path, img)  # after draft: JPEGs decode reduced
            img.load()
            out = _flatten(img)
            if max(out.size) > long_edge:
                # Bilinear in Pillow is area-aware when shrinking; reducing_gap makes big
                # reductions cheap by box-reducing first. Cheaper than bicubic, same for models.
                out = out.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
            # Orientation last: rotating the small image is cheaper than the decoded one.
            out.info["exif"] = exif
            out = ImageOps.exif_transpose(out) or out
            buf = io.BytesIO()
            out.save(buf, "JPEG", quality=quality)
        except OSError as exc:
            text = str(exc)
            reason = ("the image data is truncated (an incomplete copy or download?)"
                      if "truncated" in text else f"the image data is corrupt ({text})")
            raise ImagePreparationError(path, reason) from exc
        except (ValueError, SyntaxError) as exc:  # Pillow raises these for broken headers
            raise ImagePreparationError(path, f"the image data is corrupt ({exc})") from exc
    return PreparedImage(
        jpeg=buf.getvalue(), width=out.width, height=out.height, source_width=source_w,
        source_height=source_h, source_format=fmt, from_preview=from_preview,
        cpu_ms=(time.thread_time() - cpu_start) * 1000)


async def prepare_image_async(path: Path, long_edge: int = DEFAULT_LONG_EDGE, quality: int = 90,
                              raw_preview: RawPreview = exiftool_raw_preview) -> PreparedImage:
    """``prepare_image`` in the shared executor (never blocks the event loop)."""
    return await run_blocking(prepare_image, path, long_edge, quality, raw_preview)
