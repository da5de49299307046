"""ExifTool tag names this product reads and writes, and text helpers for their values."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import PurePath

TagValue = str | list[str] | None

RAW_EXTENSIONS = frozenset(
    {".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".raf", ".rw2",
     ".rwl", ".pef", ".srw", ".3fr", ".iiq", ".erf", ".kdc", ".mrw", ".x3f", ".raw", ".dng"}
)
"""Camera RAW files: never modified, metadata goes to an XMP sidecar (DNG only by setting)."""

IPTC_KEYWORD_MAX_BYTES = 64
IPTC_TITLE_MAX_BYTES = 64
IPTC_CAPTION_MAX_BYTES = 2000


class Tag:
    """ExifTool names (family-1 group qualified) of every tag this product reads or writes."""

    TITLE = "XMP-dc:Title"
    DESCRIPTION = "XMP-dc:Description"
    SUBJECT = "XMP-dc:Subject"
    HIERARCHICAL = "XMP-lr:HierarchicalSubject"
    TAGS_LIST = "XMP-digiKam:TagsList"
    ALT_TEXT = "XMP-iptcCore:AltTextAccessibility"
    IPTC_KEYWORDS = "IPTC:Keywords"
    IPTC_TITLE = "IPTC:ObjectName"
    IPTC_CAPTION = "IPTC:Caption-Abstract"
    IPTC_CHARSET = "IPTC:CodedCharacterSet"
    IPTC_ENVELOPE = "IPTC:EnvelopeRecordVersion"
    IPTC_APP_VERSION = "IPTC:ApplicationRecordVersion"
    XMP_TOOLKIT = "XMP-x:XMPToolkit"
    EXIF_DESCRIPTION = "IFD0:ImageDescription"
    PROV_TOOL = "XMP-imageworks:Tool"
    PROV_TAGGED_AT = "XMP-imageworks:TaggedAt"
    PROV_WRITTEN_AT = "XMP-imageworks:WrittenAt"
    PROV_PROMPT_PROFILE = "XMP-imageworks:PromptProfile"
    PROV_PROMPT_SHA256 = "XMP-imageworks:PromptSHA256"
    PROV_MODELS = "XMP-imageworks:Models"
    PROV_MODEL_HASHES = "XMP-imageworks:ModelHashes"
    PROV_ADDED_KEYWORDS = "XMP-imageworks:AddedKeywords"


LIST_TAGS = frozenset(
    {Tag.SUBJECT, Tag.HIERARCHICAL, Tag.TAGS_LIST, Tag.IPTC_KEYWORDS, Tag.PROV_MODELS,
     Tag.PROV_MODEL_HASHES, Tag.PROV_ADDED_KEYWORDS}
)
ALL_TAGS: tuple[str, ...] = tuple(
    value for key, value in vars(Tag).items() if key.isupper() and isinstance(value, str)
)


CAMERA_PLACEHOLDERS = frozenset({
    "OLYMPUS DIGITAL CAMERA", "SONY DSC", "KODAK Digital Still Camera", "DIGITAL CAMERA",
    "MINOLTA DIGITAL CAMERA", "KONICA MINOLTA DIGITAL CAMERA", "SAMSUNG DIGITAL CAMERA",
    "Samsung Digital Camera", "SAMSUNG", "Exif_JPEG_PICTURE", "EXIF_JPEG_PICTURE",
    "LEICA DIGITAL CAMERA", "Digital Camera", "PENTAX DIGITAL CAMERA", "CASIO DIGITAL CAMERA",
    "Default", "default", "Untitled", "untitled", "Image", "image", "Picture", "picture",
    "DCIM", "Screenshot", "Created with GIMP", "AGFA DIGITAL CAMERA", "SANYO DIGITAL CAMERA",
    "Polaroid", "HTC", "Huawei", "MicrosoftOffice", "Unknown", "unknown",
})
"""Descriptions cameras and programs write by default: they count as "no description"."""

_PLACEHOLDER_PATTERNS = (
    re.compile(r"([A-Z]:)?[\\/]?DCIM[\\/].*", re.IGNORECASE),  # DCIM\100GOPRO\GOPR0482.JPG
    re.compile(r"(IMG|DSC|DSCN|DSCF|P|PICT|GOPR|GH|DJI|MVI|SAM|IMAG)[_-]?\d+(\.\w{3,4})?",
               re.IGNORECASE),  # a bare file name as the description
    re.compile(r"[\s\x00]*"),  # spaces or NULs padding a fixed-size camera field
)


def is_placeholder(text: str) -> bool:
    """True for camera-default descriptions ("OLYMPUS DIGITAL CAMERA", all spaces, DCIM paths)."""
    stripped = text.strip(" \x00")
    return (stripped in CAMERA_PLACEHOLDERS
            or any(pattern.fullmatch(text.strip()) for pattern in _PLACEHOLDER_PATTERNS))


def normalise_tag_value(tag: str, value: object) -> TagValue:
    """A value as read (scalar, list, number text) in the shape its tag has: list or string."""
    if value is None or value == "" or value == []:
        return None
    if tag in LIST_TAGS:
        items = value if isinstance(value, list) else [value]
        return [str(item) for item in items]
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def as_list(value: TagValue) -> list[str]:
    """A tag value as a list of items (empty when absent)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


_ANSI_ESCAPE_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Characters no metadata field may hold: C0/C1 controls except tab and line breaks, DEL,
and lone surrogates (unencodable); models sometimes emit them."""


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences; other control characters become spaces."""
    return _CONTROL_RE.sub(" ", _ANSI_ESCAPE_RE.sub("", text))


def clean_line(text: str) -> str:
    """NFC, controls removed, white space (line breaks too) collapsed to single spaces, trimmed."""
    return re.sub(r"\s+", " ", strip_controls(unicodedata.normalize("NFC", text))).strip()


def clean_block(text: str) -> str:
    """NFC, controls removed, line breaks normalised to ``\\n``, trailing spaces and outer blank
    lines trimmed."""
    text = strip_controls(unicodedata.normalize("NFC", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits ``max_bytes`` (no split chars)."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def fold(text: str) -> str:
    """The comparison key of a keyword: NFC, case-folded."""
    return unicodedata.normalize("NFC", text).casefold()


def missing_keywords(existing: Iterable[str], new: Iterable[str]) -> list[str]:
    """Items of ``new`` not in ``existing`` (NFC, case-insensitive), in order, deduplicated."""
    seen = {fold(item) for item in existing}
    out: list[str] = []
    for item in new:
        if item and fold(item) not in seen:
            seen.add(fold(item))
            out.append(item)
    return out


def is_raw_path(path: str) -> bool:
    """True for camera RAW file names (by extension, case-insensitive)."""
    return PurePath(path).suffix.lower() in RAW_EXTENSIONS
