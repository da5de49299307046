"""Read a photo's (or its XMP sidecar's) metadata through ExifTool into a PhotoMetadata record."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

from imageworks_gui.core.metadata import PhotoMetadata, is_raw_path
from imageworks_gui.core.raw_embedded import EXTRA_READ_ARGS, RawEmbedded
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.sidecars import assess_sidecar
from imageworks_gui.core.write_risks import (
    DUMP_TAGS,
    IPTC_UTF8_KEY,
    PNG_EXIF_KEY,
    assess_in_file,
    iptc_encoding,
    recover_bytes,
)
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool, file_arg
from imageworks_gui.services.metadata.sidecars import name_too_long, resolve_sidecar

EMBEDDED_TYPES = frozenset({"JPG", "TIF", "PNG", "WEBP", "HEIC", "HEIF", "AVIF", "JXL", "DNG",
                            "MPO", "BTF"})
"""ExifTool file types whose metadata we write into the file itself (BigTIFF is then refused
with its reason by the write risks; MPO gets XMP in its first image)."""

READ_ARGS: tuple[str, ...] = (
    "-G1", "-a", "-XMP:all", "-IPTC:all", "-IFD0:ImageDescription", "-ExifByteOrder",
    "-FileTypeExtension", *DUMP_TAGS,
)
"""One ExifTool read gives the MWG fields and everything ``assess_in_file`` needs."""

VERIFY_ARGS: tuple[str, ...] = (
    "-G1", "-XMP:all", "-IPTC:all", "-IFD0:ImageDescription", "-FileTypeExtension",
)
"""What the read-back check of a written temp file needs (the fields a plan sets)."""


class MetadataError(Exception):
    """A per-file problem with a message that says what failed, why, and what to do."""


def uses_sidecar(photo: str | os.PathLike[str], settings: MetadataSettings) -> bool:
    """RAW files are never modified (DNG is written inside only when the setting allows it)."""
    if Path(photo).suffix.lower() == ".dng":
        return not settings.write_dng_embedded
    return is_raw_path(os.fspath(photo))


def check_photo(path: str | os.PathLike[str]) -> os.stat_result:
    """Stat the photo, raising MetadataError for missing, non-regular and empty files."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        kind = "a broken symbolic link" if os.path.islink(name) else "missing"
        raise MetadataError(f"{name}: file is {kind}; check the path or re-scan the folder") \
            from None
    except OSError as exc:
        raise MetadataError(f"{name}: cannot access the file ({exc.strerror}); check its "
                            "permissions") from exc
    if not stat.S_ISREG(st.st_mode):
        raise MetadataError(f"{name}: not a regular file; choose a photo file")
    if st.st_size == 0:
        raise MetadataError(f"{name}: the file is empty (0 bytes), not a photo; restore it "
                            "from a backup or remove it from the selection")
    return st


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_exif_chunks(path: str) -> list[str]:
    """Where a PNG keeps EXIF: ``eXIf`` chunks and/or ``raw profile`` text chunks (ImageMagick).

    Reads only the chunk headers (and the keyword of text chunks), never the image data.
    """
    found: list[str] = []
    with open(path, "rb") as handle:
        if handle.read(8) != PNG_SIGNATURE:
            return found
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return found
            length, kind = int.from_bytes(header[:4], "big"), header[4:]
            if kind == b"eXIf":
                found.append("eXIf")
            elif kind in (b"tEXt", b"zTXt", b"iTXt"):
                keyword = handle.read(min(length, 80)).split(b"\0", 1)[0].lower()
                handle.seek(-min(length, 80), os.SEEK_CUR)
                if keyword in (b"raw profile type exif", b"raw profile type app1"):
                    found.append("raw profile")
            elif kind == b"IEND":
                return found
            handle.seek(length + 4, os.SEEK_CUR)


def _decode_undeclared_utf8(record: dict[str, Any]) -> None:
    """IPTC that is UTF-8 without a declared character set, as the text it holds.

    ExifTool decodes undeclared IPTC as Latin; valid UTF-8 (digiKam, phones) is read back
    as UTF-8 so it is compared, kept and shown as written, never double-encoded.
    """
    if iptc_encoding(record) != "utf8":
        return
    for key, value in record.items():
        if key.startswith("IPTC:"):
            items = value if isinstance(value, list) else [value]
            fixed = [(recover_bytes(str(v)) or b"").decode("utf-8") for v in items]
            record[key] = fixed if isinstance(value, list) else fixed[0]
    record[IPTC_UTF8_KEY] = True


def _run_read(pool: ExifToolPool, target: str,
              args: tuple[str, ...] = READ_ARGS) -> dict[str, Any]:
    try:
        records, result = pool.execute_json([*args, file_arg(target)])
    except ValueError as exc:
        raise MetadataError(str(exc)) from exc
    except ExifToolError as exc:
        raise MetadataError(f"{target}: {exc}") from exc
    if result.errors or not records:
        reason = "; ".join(e.removeprefix("Error: ") for e in result.errors) or "no output"
        raise MetadataError(f"{target}: ExifTool cannot read it ({reason}); the file may be "
                            "damaged or not a photo")
    record = records[0]
    if str(record.get("File:FileType", "")).upper() == "PNG":
        with contextlib.suppress(OSError):
            record[PNG_EXIF_KEY] = png_exif_chunks(target)
    _decode_undeclared_utf8(record)
    return record


def read_metadata(
    pool: ExifToolPool,
    path: str | os.PathLike[str],
    settings: MetadataSettings | None = None,
) -> PhotoMetadata:
    """Read what a photo holds now (for RAW: its sidecar), merged by MWG rules.

    Raises MetadataError with a user-actionable message for missing, empty, unreadable and
    non-image files.
    """
    settings = settings or MetadataSettings()
    photo = os.path.abspath(os.fspath(path))
    check_photo(photo)
    sidecar_names: list[str] = []
    raw_fields: dict[str, Any] = {}
    if uses_sidecar(photo, settings):
        choice, chosen, existing = resolve_sidecar(pool, photo, settings)
        if choice.refused:
            raise MetadataError(choice.refused)
        # A shared Adobe-style name is this photo's sidecar only when it says so.
        sidecar_names = [str(p) for style, p in existing.items() if style == "darktable"
                         or not choice.shared_with or choice.owner_of_adobe == Path(photo).name]
        notes = [choice.note] if choice.note else []
        raw_fields = {"embedded": read_embedded(pool, photo, notes), "notes": notes}
        risks = assess_sidecar(choice)
        if not choice.exists:
            problem = name_too_long(chosen)
            if problem:
                raise MetadataError(problem)
            return PhotoMetadata.from_tags(photo, str(chosen), {}, target_exists=False,
                                           is_raw=True, sidecars=sidecar_names, risks=risks,
                                           **raw_fields)
        target = os.path.realpath(chosen)
        st = check_photo(target)
        record = _run_read(pool, target)
        kind = str(record.get("File:FileTypeExtension", "")).upper()
        if kind != "XMP":
            raise MetadataError(f"{target}: this sidecar is not an XMP file ({kind or 'unknown'}"
                                " data); move it away so a fresh sidecar can be written")
    else:
        target = os.path.realpath(photo)
        st = os.stat(target)
        record = _run_read(pool, target)
        file_type = str(record.get("File:FileTypeExtension", "")).upper()
        if file_type not in EMBEDDED_TYPES:
            raise MetadataError(
                f"{photo}: not a supported photo (ExifTool sees {file_type or 'unknown data'}); "
                "only JPEG, TIFF, PNG, WebP, HEIC/AVIF and MPO are written, RAW through "
                "sidecars"
            )
        risks = assess_in_file(record, Path(target).suffix)
    return PhotoMetadata.from_tags(
        photo,
        target,
        record,
        target_exists=True,
        is_raw=uses_sidecar(photo, settings),
        sidecars=sidecar_names,
        **raw_fields,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        has_xmp=any(key.startswith("XMP-") for key in record),
        has_iptc=any(key.startswith("IPTC:") for key in record),
        has_exif="File:ExifByteOrder" in record,
        risks=risks,
    )


def read_embedded(pool: ExifToolPool, photo: str, notes: list[str]) -> RawEmbedded:
    """What the RAW file itself holds; a RAW ExifTool cannot read adds a note, not an error."""
    try:
        records, result = pool.execute_json([*READ_ARGS, *EXTRA_READ_ARGS, file_arg(photo)])
    except (ExifToolError, ValueError) as exc:
        records, reason = [], str(exc)
    else:
        reason = "; ".join([*(e.removeprefix("Error: ") for e in result.errors),
                            *(str(r.get("ExifTool:Error")) for r in records[:1]
                              if r.get("ExifTool:Error"))])
    if not records or reason:
        notes.append(f"the RAW's own metadata could not be read ({reason or 'no output'}); "
                     "only its sidecar was taken into account")
        return RawEmbedded()
    _decode_undeclared_utf8(records[0])
    return RawEmbedded.from_record(records[0])


def read_tag_values(pool: ExifToolPool, target: str, verify: bool = False) -> dict[str, Any]:
    """Every value ``READ_ARGS`` yields for any file (no type checks): the dump
    ``assess_in_file`` takes. ``verify``: only what a read-back check compares (faster)."""
    return _run_read(pool, target, VERIFY_ARGS if verify else READ_ARGS)
