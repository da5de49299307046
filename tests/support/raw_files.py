"""RAW files with camera metadata inside (TIFF-structured, as NEF and DNG are)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.support.photos import exiftool

CAMERA_PADDING = " " * 31
"""Nikon and Sony cameras fill IFD0:ImageDescription with spaces."""


def _tiff(path: Path, *tags: str) -> Path:
    """A TIFF written by Pillow, given camera tags by ExifTool, saved under ``path``'s name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f"staged-{path.stem}.tif")
    Image.new("RGB", (64, 48), (40, 90, 160)).save(staged, "TIFF")
    exiftool("-overwrite_original", *tags, staged)
    return staged.rename(path)


def nef_with_iptc(folder: Path, name: str = "DSC_0001.NEF") -> Path:
    """A Nikon RAW whose own IPTC holds a caption and keywords (set in camera or by a tool)."""
    return _tiff(folder / name, "-Make=NIKON CORPORATION", "-Model=NIKON D700",
                 f"-IFD0:ImageDescription={CAMERA_PADDING}",
                 "-IPTC:Caption-Abstract=Harbour at dawn, Île de Ré", "-IPTC:Keywords=Boat",
                 "-IPTC:Keywords=Harbour", "-IPTC:CodedCharacterSet=UTF8")


def dng_with_xmp(folder: Path, name: str = "IMG_0001.DNG") -> Path:
    """A DNG carrying XMP inside: a description, a title, a keyword and a rating."""
    return _tiff(folder / name, "-DNGVersion=1.4.0.0", "-Make=Canon",
                 "-XMP-dc:Description=Lighthouse in fog", "-XMP-dc:Title=Phare",
                 "-XMP-dc:Subject=Lighthouse", "-XMP-xmp:Rating=4")


def cr2(folder: Path, name: str = "IMG_0001.CR2") -> Path:
    """A Canon RAW without metadata of its own."""
    return _tiff(folder / name, "-Make=Canon", "-Model=Canon EOS 5D Mark II")


def lightroom_sidecar(path: Path, extension: str | None, title: str,
                      *more: str) -> Path:
    """An Adobe-style sidecar as Lightroom writes it (``SidecarForExtension`` when given)."""
    args = [f"-XMP-dc:Title={title}", "-XMP-crs:ProcessVersion=11.0",
            "-XMP-crs:Exposure2012=+0.30", *more]
    if extension:
        args.append(f"-XMP-photoshop:SidecarForExtension={extension}")
    exiftool(*args, path)
    return path
