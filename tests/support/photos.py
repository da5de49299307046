"""Fixture photos with pre-existing metadata written by real ExifTool (as other apps leave it)."""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path

from PIL import Image

from imageworks_gui.services.metadata.exiftool import ExifToolPool, file_arg

PIL_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".png": "PNG",
               ".webp": "WEBP"}

DARKTABLE_SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:darktable="http://darktable.sf.net/"
   xmp:Rating="3"
   darktable:xmp_version="5"
   darktable:raw_params="0"
   darktable:history_end="2">
   <dc:subject>
    <rdf:Bag>
     <rdf:li>Zürich</rdf:li>
     <rdf:li>darktable|format|nef</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>Places|Zürich</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1"
      darktable:params="0000000000000000"/>
     <rdf:li darktable:num="1" darktable:operation="colorin" darktable:enabled="1"
      darktable:params="gz48eJxjZBgFo2AU0AsAAAQQAAE="/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


_helper: ExifToolPool | None = None


def _helper_pool() -> ExifToolPool:
    """A stay-open ExifTool for fixtures and checks, separate from the pools under test."""
    global _helper
    if _helper is None:
        _helper = ExifToolPool(size=1, timeout=60)
        atexit.register(_helper.close)
    return _helper


def exiftool(*args: str | os.PathLike[str]) -> str:
    """Run ExifTool (with our config) and return stdout; raise on errors.

    ``Path`` arguments are file names (passed safely), ``str`` ones are options and values.
    """
    argv = [file_arg(a) if isinstance(a, os.PathLike) else a for a in args]
    result = _helper_pool().execute(argv)
    if result.errors:
        raise RuntimeError(f"exiftool {args}: {result.stderr}")
    return result.stdout


def dump(path: str | os.PathLike[str]) -> dict[str, object]:
    """Every metadata tag of a file (except file-system ones), for before/after comparisons."""
    out = exiftool("-json", "-G1", "-a", "-struct", "-XMP:all", "-IPTC:all", "-EXIF:all",
                   "--XMP-x:XMPToolkit", path)
    record = json.loads(out, parse_int=str, parse_float=str)[0]
    record.pop("SourceFile", None)
    return record


def tags(path: str | os.PathLike[str], *names: str) -> dict[str, object]:
    """Selected tags (``-G1`` names) as ExifTool reports them (lists stay lists)."""
    out = exiftool("-json", "-G1", "-struct", *[f"-{n}" for n in names], path)
    record = json.loads(out, parse_int=str, parse_float=str)[0]
    record.pop("SourceFile", None)
    return record


def make_image(path: Path, size: tuple[int, int] = (64, 48), color: str = "teal") -> Path:
    """A real image file in the format its extension names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, PIL_FORMATS[path.suffix.lower()])
    return path


def lightroom_jpeg(folder: Path, name: str = "lightroom.jpg") -> Path:
    """JPEG as Lightroom Classic leaves it: XMP + IPTC (UTF-8) + EXIF, hierarchy, non-ASCII."""
    path = make_image(folder / name)
    exiftool(
        "-overwrite_original", "-IFD0:Make=Canon", "-IFD0:ImageDescription=Café in Zürich",
        "-XMP-dc:Title=Zürich at night", "-XMP-dc:Description=Café in Zürich, 東京 next",
        "-XMP-dc:Subject=Places", "-XMP-dc:Subject=Europe", "-XMP-dc:Subject=Switzerland",
        "-XMP-dc:Subject=Café", "-XMP-dc:Subject=東京",
        "-XMP-lr:HierarchicalSubject=Places|Europe|Switzerland",
        "-IPTC:CodedCharacterSet=UTF8", "-IPTC:ObjectName=Zürich at night",
        "-IPTC:Caption-Abstract=Café in Zürich, 東京 next",
        "-IPTC:Keywords=Places", "-IPTC:Keywords=Europe", "-IPTC:Keywords=Switzerland",
        "-IPTC:Keywords=Café", "-IPTC:Keywords=東京", path,
    )
    return path


def iptc_only_jpeg(folder: Path, name: str = "legacy.jpg") -> Path:
    """An old file with IPTC-IIM keywords and caption only (no XMP)."""
    path = make_image(folder / name)
    exiftool("-overwrite_original", "-IPTC:CodedCharacterSet=UTF8", "-IPTC:Keywords=Legacy",
             "-IPTC:Keywords=Zürich", "-IPTC:Caption-Abstract=Old caption",
             "-IPTC:ObjectName=Old title", path)
    return path


def xmp_only(folder: Path, name: str) -> Path:
    """A JPEG/PNG/WebP/TIFF with XMP keywords and nothing else."""
    path = make_image(folder / name)
    exiftool("-overwrite_original", "-XMP-dc:Subject=東京", "-XMP-dc:Subject=Tree", path)
    return path


def plain(folder: Path, name: str) -> Path:
    """An image without any metadata."""
    return make_image(folder / name)


def raw_with_adobe_sidecar(folder: Path, name: str = "IMG_0001.CR2") -> tuple[Path, Path]:
    """Fake RAW bytes plus an Adobe-style sidecar holding Camera Raw (crs:) settings."""
    raw = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + os.urandom(4096))
    sidecar = raw.with_suffix(".xmp")
    exiftool("-XMP-crs:Exposure2012=+0.50", "-XMP-crs:ProcessVersion=11.0",
             "-XMP-crs:WhiteBalance=As Shot", "-XMP-dc:Subject=Existing",
             "-XMP-dc:Title=Sidecar title", sidecar)
    return raw, sidecar


def raw_with_darktable_sidecar(folder: Path, name: str = "IMG_0002.NEF") -> tuple[Path, Path]:
    """Fake RAW bytes plus a darktable-style sidecar (``IMG.NEF.xmp``) with its history."""
    raw = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(os.urandom(4096))
    sidecar = raw.with_name(raw.name + ".xmp")
    sidecar.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    return raw, sidecar


def large_tiff(path: Path, megapixels: float = 8.0) -> Path:
    """An uncompressed TIFF of about 3 bytes per pixel (8 MP ~ 24 MB)."""
    side = int((megapixels * 1_000_000) ** 0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.effect_noise((side, side), 64).convert("RGB").save(path, "TIFF")
    return path


def large_jpeg(path: Path, megapixels: float = 8.0) -> Path:
    side = int((megapixels * 1_000_000) ** 0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.effect_noise((side, side), 64).convert("RGB").save(path, "JPEG", quality=95)
    return path


def exiv2_read(path: str | os.PathLike[str]) -> dict[str, object]:
    """XMP and IPTC as the independent exiv2 library reads them (lists for bags, repeats)."""
    import exiv2

    image = exiv2.ImageFactory.open(os.fspath(path))
    image.readMetadata()
    out: dict[str, object] = {}
    for datum in image.xmpData():
        value = datum.value()
        kind = datum.typeName()
        if kind in ("XmpBag", "XmpSeq"):
            out[datum.key()] = [value.toString(i) for i in range(value.count())]
        elif kind == "LangAlt":
            out[datum.key()] = value.toString("x-default")
        else:
            out[datum.key()] = datum.toString()
    for datum in image.iptcData():
        key = datum.key()
        if key == "Iptc.Application2.Keywords":
            out.setdefault(key, []).append(datum.toString())  # type: ignore[union-attr]
        else:
            out[key] = datum.toString()
    return out


def latin1_iptc_jpeg(folder: Path, name: str = "latin1.jpg") -> Path:
    """Legacy IPTC stored as Latin-1 without a coded character set (old scanners, Photoshop 7)."""
    path = make_image(folder / name)
    exiftool("-overwrite_original", "-charset", "iptc=latin", "-IPTC:Keywords=Zürich",
             "-IPTC:Keywords=Café", "-IPTC:City=Köln", "-IPTC:Caption-Abstract=Grüße", path)
    return path


def raw_with_preview(path: Path) -> Path:
    """A file with a RAW name whose embedded JPEG (blue, 300x200) differs from its main image."""
    path.parent.mkdir(parents=True, exist_ok=True)
    preview = path.with_name("preview.jpg")
    Image.new("RGB", (300, 200), (30, 60, 220)).save(preview, quality=90)
    staged = path.with_name("staged.jpg")
    Image.new("RGB", (600, 400), (220, 30, 30)).save(staged, "JPEG", quality=90)
    exiftool("-overwrite_original", f"-ThumbnailImage<={preview}", staged)
    preview.unlink()
    return staged.rename(path)
