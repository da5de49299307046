"""What an in-file metadata write would lose or damage, judged from an ExifTool dump (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

RiskAction = Literal["refuse", "xmp_only", "skip_field", "warn"]

IPTC = "IPTC"
"""``field`` of a risk that concerns every IPTC-IIM value we would write."""
EXIF = "EXIF"
"""``field`` of a risk that concerns every EXIF value we would write."""

PNG_EXIF_KEY = "Imageworks:PNGExifChunks"
"""Added to a PNG's dump by the reader: where its EXIF lives (``eXIf``, ``raw profile``)."""

IPTC_UTF8_KEY = "Imageworks:IPTCDecodedAsUTF8"
"""Set by the reader when it re-decoded undeclared UTF-8 IPTC text (ExifTool reads it as Latin)."""

DUMP_TAGS: tuple[str, ...] = (
    "-ExifTool:Warning", "-ExifTool:Error", "-File:FileType", "-File:CurrentIPTCDigest",
    "-Photoshop:IPTCDigest", "-IPTC:all", "-File:ExifByteOrder",
)
"""ExifTool tags (with ``-a -G1``) that ``assess_in_file`` needs besides the MWG fields."""

HEIF_TYPES = frozenset({"HEIC", "HEIF", "AVIF"})

UNSAFE_WARNINGS: tuple[tuple[str, str], ...] = (
    ("corrupt", "ExifTool reports the file as corrupted"),
    ("offsets may be incorrect", "the maker notes' offsets look wrong, so rewriting the EXIF "
     "block could break the camera's maker notes"),
    ("bad ifd", "an EXIF directory is damaged"),
    ("bad offset", "an EXIF directory points outside the file"),
    ("malformed", "a metadata segment is malformed"),
    ("format error", "the file's structure is not valid"),
)
"""Read warnings after which rewriting the file could damage what it holds (lower case)."""

REFUSED_TYPES: Mapping[str, str] = {
    "BTF": "BigTIFF files cannot be written by ExifTool",
}

IPTC_LIMITS: Mapping[str, int] = {
    "ObjectName": 64, "EditStatus": 64, "Category": 3, "SupplementalCategories": 32,
    "Keywords": 64, "SpecialInstructions": 256, "By-line": 32, "By-lineTitle": 32, "City": 32,
    "Sub-location": 32, "Province-State": 32, "Country-PrimaryLocationCode": 3,
    "Country-PrimaryLocationName": 64, "OriginalTransmissionReference": 32, "Headline": 256,
    "Credit": 32, "Source": 32, "CopyrightNotice": 128, "Contact": 128,
    "Caption-Abstract": 2000, "Writer-Editor": 32,
}
"""IPTC-IIM's byte limits: ExifTool truncates a longer value whenever it rewrites it."""


@dataclass(frozen=True)
class WriteRisk:
    """One reason a write must be refused, limited, or reported.

    ``field`` is a tag name (``IFD0:ImageDescription``), ``IPTC``/``EXIF`` for a whole block,
    or None for the file. ``action``: ``refuse`` (the file is not written), ``xmp_only`` (only
    XMP is written), ``skip_field`` (``field`` is not written), ``warn`` (written, reported).
    """

    code: str
    field: str | None
    action: RiskAction
    message: str


def _texts(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def warnings_of(dump: Mapping[str, object]) -> list[str]:
    """ExifTool's warnings in a dump (a ``-a`` dump may hold several)."""
    return _texts(dump.get("ExifTool:Warning"))


def iptc_groups(dump: Mapping[str, object]) -> list[str]:
    """The IPTC-IIM blocks a ``-a -G1`` dump shows (``IPTC``, ``IPTC2``...)."""
    groups = {key.split(":", 1)[0] for key in dump if re.match(r"IPTC\d*:", key)}
    return sorted(groups, key=lambda g: int(g[4:] or 1))


def iptc_digest_state(dump: Mapping[str, object]) -> Literal["none", "matches", "stale"]:
    """``matches``: IPTC and XMP were saved together (MWG); ``stale``: IPTC changed since."""
    stored = dump.get("Photoshop:IPTCDigest")
    if stored in (None, ""):
        return "none"
    current = dump.get("File:CurrentIPTCDigest")
    return "matches" if current is not None and str(current) == str(stored) else "stale"


def recover_bytes(text: str) -> bytes | None:
    """The bytes ExifTool decoded as Latin (cp1252) into ``text``; None if it cannot be so."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return None
            out.append(ord(char))  # cp1252's undefined bytes come through as U+0080..U+009F
    return bytes(out)


def iptc_encoding(dump: Mapping[str, object]) -> Literal["declared", "ascii", "utf8", "legacy"]:
    """How the IPTC text of a dump (read with ExifTool's default Latin charset) is encoded.

    ``declared``: UTF-8 is declared (ExifTool decoded it right); ``ascii``: no
    character set and nothing but ASCII; ``utf8``: no character set but every value is valid
    UTF-8 (digiKam, some phones); ``legacy``: 8-bit text in an undeclared legacy set.
    """
    declared = dump.get("IPTC:CodedCharacterSet")
    if declared not in (None, ""):
        # Only UTF-8 is declared in practice; ExifTool writes any other set as Latin.
        return "declared" if str(declared).upper() in ("UTF8", "UTF-8") else "legacy"
    if dump.get(IPTC_UTF8_KEY):
        return "utf8"
    texts = [text for key, value in dump.items() if key.startswith("IPTC:")
             for text in _texts(value)]
    if all(text.isascii() for text in texts):
        return "ascii"
    for text in texts:
        raw = recover_bytes(text)
        if raw is None:
            return "legacy"
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return "legacy"
    return "utf8"


def _over_limit(dump: Mapping[str, object]) -> Iterable[WriteRisk]:
    for key, value in dump.items():
        group, _, name = key.partition(":")
        limit = IPTC_LIMITS.get(name)
        if not re.fullmatch(r"IPTC\d*", group) or limit is None:
            continue
        for text in _texts(value):
            if len(text.encode("utf-8")) > limit:
                yield WriteRisk("iptc_over_limit", key, "warn",
                                f"{key} holds {text[:40]!r}, longer than IPTC's {limit} bytes: "
                                "it is left as it is (rewriting it would cut it short)")
                break


def assess_in_file(dump: Mapping[str, object], path_suffix: str) -> list[WriteRisk]:
    """The risks of writing our fields into the file a ``-j -G1 -a -s`` dump describes.

    ``path_suffix`` is the file's extension (``.jpg``); the dump must hold ``DUMP_TAGS``
    (a full dump does). The writer acts on every risk; the ``check`` command reports them.
    """
    risks: list[WriteRisk] = []
    file_type = str(dump.get("File:FileType") or path_suffix.lstrip(".")).upper()
    for error in _texts(dump.get("ExifTool:Error")):
        risks.append(WriteRisk("exiftool_error", None, "refuse",
                               f"ExifTool cannot process the file ({error})"))
    for warning in warnings_of(dump):
        lowered = warning.lower()
        for pattern, why in UNSAFE_WARNINGS:
            if pattern in lowered:
                risks.append(WriteRisk("unsafe_file", None, "refuse",
                                       f"{why} (ExifTool: {warning}); writing could damage it"))
                break
    if file_type in REFUSED_TYPES:
        risks.append(WriteRisk("unsupported_format", None, "refuse", REFUSED_TYPES[file_type]))

    blocks = iptc_groups(dump)
    if len(blocks) > 1:
        risks.append(WriteRisk(
            "iptc_multiple_blocks", IPTC, "skip_field",
            f"the file holds {len(blocks)} IPTC blocks with different values; ExifTool would "
            "merge them into one, so IPTC is left as it is and XMP gets the new metadata"))
    has_exif = dump.get("File:ExifByteOrder") is not None or any(
        key.startswith(("IFD0:", "ExifIFD:")) for key in dump)
    if file_type in HEIF_TYPES and has_exif:
        risks.append(WriteRisk(
            "heif_exif_item", EXIF, "skip_field",
            "ExifTool rewrites the whole Exif item of HEIF/AVIF files and drops what it does not "
            "know (such as a camera's embedded preview): EXIF is left as it is, XMP gets the "
            "description"))
    if file_type == "PNG" and has_exif and "eXIf" not in _texts(dump.get(PNG_EXIF_KEY)):
        risks.append(WriteRisk(
            "png_raw_profile_exif", EXIF, "skip_field",
            "the PNG keeps its EXIF in a text chunk (ImageMagick's \"Raw profile type exif\"); "
            "a new eXIf chunk would hide it from readers, so EXIF is left as it is"))

    encoding = iptc_encoding(dump) if blocks else "ascii"
    if encoding == "legacy":
        risks.append(WriteRisk(
            "iptc_legacy_charset", IPTC, "warn",
            "IPTC text is in an undeclared 8-bit character set: it is left as it is, and new "
            "IPTC values that set cannot hold go to XMP only"))
    elif encoding == "utf8":
        risks.append(WriteRisk(
            "iptc_undeclared_utf8", IPTC, "warn",
            "IPTC text is UTF-8 without a declared character set: the declaration is added, "
            "no value is re-encoded"))
    digest = iptc_digest_state(dump)
    if digest == "matches":
        risks.append(WriteRisk(
            "iptc_digest_matches", "Photoshop:IPTCDigest", "warn",
            "XMP and IPTC were saved together (MWG digest): XMP is authoritative, IPTC-only "
            "keywords are not copied into XMP, and the digest is updated after an IPTC write"))
    elif digest == "stale" and blocks:
        risks.append(WriteRisk(
            "iptc_digest_stale", "Photoshop:IPTCDigest", "warn",
            "IPTC was changed by another program after XMP was saved (MWG digest differs): "
            "IPTC-only keywords are not copied into XMP"))
    if dump.get("XMP-xmpNote:HasExtendedXMP") not in (None, ""):
        risks.append(WriteRisk(
            "extended_xmp", "XMP-xmpNote:HasExtendedXMP", "warn",
            "the file splits its XMP into a main and an extended part (Pixel, Ultra HDR): "
            "ExifTool joins them when it rewrites XMP, so a copy of the original is kept and "
            "undo puts it back byte for byte"))
    risks.extend(_over_limit(dump))
    return risks


def refusal(risks: Iterable[WriteRisk]) -> str | None:
    """The combined reason to refuse the file, or None when it may be written."""
    reasons = [risk.message for risk in risks if risk.action == "refuse"]
    return "; ".join(reasons) if reasons else None


def skips(risks: Iterable[WriteRisk], block: str) -> bool:
    """True when ``block`` (``IPTC`` or ``EXIF``) must not be written."""
    return any(risk.action == "xmp_only" or (risk.action == "skip_field" and risk.field == block)
               for risk in risks)
