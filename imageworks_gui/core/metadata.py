"""Photo metadata records and the pure planner that merges an approved proposal into a photo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imageworks_gui import __version__
from imageworks_gui.core.metadata_tags import (
    ALL_TAGS,
    IPTC_CAPTION_MAX_BYTES,
    IPTC_KEYWORD_MAX_BYTES,
    IPTC_TITLE_MAX_BYTES,
    LIST_TAGS,
    RAW_EXTENSIONS,
    Tag,
    TagValue,
    as_list,
    clean_block,
    clean_line,
    is_placeholder,
    is_raw_path,
    normalise_tag_value,
    truncate_utf8,
)
from imageworks_gui.core.metadata_tags import fold as _fold
from imageworks_gui.core.raw_embedded import RATING, RawEmbedded
from imageworks_gui.core.write_risks import WriteRisk

__all__ = [
    "ALL_TAGS", "IPTC_CAPTION_MAX_BYTES", "IPTC_KEYWORD_MAX_BYTES", "IPTC_TITLE_MAX_BYTES",
    "LIST_TAGS", "RAW_EXTENSIONS", "TOOL", "ChangePlan", "PhotoMetadata", "Proposal",
    "Provenance", "Tag", "TagEdit", "TagValue", "as_list", "clean_block", "clean_line",
    "is_raw_path", "normalise_tag_value", "plan_changes", "truncate_utf8",
]

TOOL = f"imageworks {__version__}"
"""The tool name recorded in provenance, by the GUI and the CLI alike."""


class Provenance(BaseModel):
    """Which models, versions and prompt produced the proposal (our own XMP namespace)."""

    model_config = ConfigDict(extra="allow")

    tool: str | None = None
    tagged_at: str | None = None
    """When the models proposed the metadata (the tagging run)."""
    written_at: str | None = None
    """When the approved metadata was written into the file."""
    prompt_profile: str | None = None
    prompt_sha256: str | None = None
    models: dict[str, str] = Field(default_factory=dict)
    """Stage -> model name, e.g. ``{"caption": "qwen2.5-vl-7b"}``."""
    model_hashes: dict[str, str] = Field(default_factory=dict)
    """Stage -> aggregate SHA-256 of the model's files."""
    added_keywords: list[str] = Field(default_factory=list)

    @classmethod
    def from_stage_models(cls, stage_models: Mapping[str, Any], **fields: Any) -> Provenance:
        """Provenance for per-stage model records (mappings or objects with ``name`` and
        ``aggregate_sha256``), plus the other fields (tagged_at, written_at, prompt profile...);
        the tool is this product with its version unless given."""
        models: dict[str, str] = {}
        hashes: dict[str, str] = {}
        for stage, record in stage_models.items():
            get = record.get if isinstance(record, Mapping) else (
                lambda key, _r=record: getattr(_r, key, None))
            if get("name"):
                models[stage] = str(get("name"))
                if get("aggregate_sha256"):
                    hashes[stage] = str(get("aggregate_sha256"))
        fields.setdefault("tool", TOOL)
        return cls(models=models, model_hashes=hashes, **fields)

    def to_tags(self) -> dict[str, TagValue]:
        """The provenance as tag values (absent fields as None)."""
        return {
            Tag.PROV_TOOL: self.tool or None,
            Tag.PROV_TAGGED_AT: self.tagged_at or None,
            Tag.PROV_WRITTEN_AT: self.written_at or None,
            Tag.PROV_PROMPT_PROFILE: self.prompt_profile or None,
            Tag.PROV_PROMPT_SHA256: self.prompt_sha256 or None,
            Tag.PROV_MODELS: [f"{k}={v}" for k, v in sorted(self.models.items())] or None,
            Tag.PROV_MODEL_HASHES: [f"{k}={v}" for k, v in sorted(self.model_hashes.items())]
            or None,
            Tag.PROV_ADDED_KEYWORDS: list(self.added_keywords) or None,
        }

    @classmethod
    def from_tags(cls, values: dict[str, TagValue]) -> Provenance | None:
        """Provenance read from a photo, or None when the photo carries none."""
        if not any(values.get(tag) for tag in ALL_TAGS if tag.startswith("XMP-imageworks:")):
            return None

        def pairs(tag: str) -> dict[str, str]:
            out: dict[str, str] = {}
            for item in as_list(values.get(tag)):
                key, _, val = item.partition("=")
                out[key] = val
            return out

        def text(tag: str) -> str | None:
            value = values.get(tag)
            return value if isinstance(value, str) else None

        return cls(
            tool=text(Tag.PROV_TOOL),
            tagged_at=text(Tag.PROV_TAGGED_AT),
            written_at=text(Tag.PROV_WRITTEN_AT),
            prompt_profile=text(Tag.PROV_PROMPT_PROFILE),
            prompt_sha256=text(Tag.PROV_PROMPT_SHA256),
            models=pairs(Tag.PROV_MODELS),
            model_hashes=pairs(Tag.PROV_MODEL_HASHES),
            added_keywords=as_list(values.get(Tag.PROV_ADDED_KEYWORDS)),
        )


class PhotoMetadata(BaseModel):
    """What a photo (or, for RAW, its sidecar) says now, merged by MWG rules (XMP first)."""

    path: str
    """The photo the user chose."""
    target: str
    """The file that holds the metadata: the photo itself, or its XMP sidecar for RAW."""
    target_exists: bool = True
    is_raw: bool = False
    sidecars: list[str] = Field(default_factory=list)
    size: int | None = None
    """Size of ``target`` when read (None when the sidecar does not exist yet)."""
    mtime_ns: int | None = None
    has_xmp: bool = False
    has_iptc: bool = False
    has_exif: bool = False
    values: dict[str, TagValue] = Field(default_factory=dict)
    """Every known tag's exact value as read (see ``Tag``)."""
    title: str | None = None
    description: str | None = None
    alt_text: str | None = None
    keywords: list[str] = Field(default_factory=list)
    """Flat keywords: XMP dc:subject plus IPTC keywords missing from it."""
    hierarchical: list[str] = Field(default_factory=list)
    iptc_keywords: list[str] = Field(default_factory=list)
    tags_list: list[str] = Field(default_factory=list)
    provenance: Provenance | None = None
    risks: list[WriteRisk] = Field(default_factory=list)
    """What a write into this file would risk, and what the writer does about it."""
    embedded: RawEmbedded | None = None
    """What the RAW file itself holds when its metadata goes to a sidecar (counts as existing)."""
    rating: str | None = None
    notes: list[str] = Field(default_factory=list)
    """Things the user should know about where this photo's metadata goes."""

    @property
    def merges_iptc_keywords(self) -> bool:
        """MWG: IPTC-only keywords count only when XMP has none and no IPTC digest says XMP
        is authoritative (a matching digest) or that IPTC is stale (a differing one)."""
        digest = {"iptc_digest_matches", "iptc_digest_stale"}
        return not self.values.get(Tag.SUBJECT) and not any(r.code in digest
                                                               for r in self.risks)

    @classmethod
    def from_tags(
        cls, path: str, target: str, values: dict[str, object], **fields: object
    ) -> PhotoMetadata:
        """Build the merged record from raw ExifTool values (family-1 tag names)."""
        clean = {tag: normalise_tag_value(tag, values.get(tag)) for tag in ALL_TAGS}
        known = {tag: value for tag, value in clean.items() if value is not None}

        def text(*tags: str) -> str | None:
            for tag in tags:
                value = known.get(tag)
                if isinstance(value, str) and value.strip() and not is_placeholder(value):
                    return value
            return None

        subject = as_list(known.get(Tag.SUBJECT))
        iptc = as_list(known.get(Tag.IPTC_KEYWORDS))
        raw = fields.get("embedded")
        raw = raw if isinstance(raw, RawEmbedded) else RawEmbedded()
        rating = normalise_tag_value(RATING, values.get(RATING))
        record = cls(
            path=path,
            target=target,
            values=known,
            title=text(Tag.TITLE, Tag.IPTC_TITLE) or raw.title,
            description=text(Tag.DESCRIPTION, Tag.IPTC_CAPTION, Tag.EXIF_DESCRIPTION)
            or raw.description,
            alt_text=text(Tag.ALT_TEXT),
            rating=(rating if isinstance(rating, str) else None) or raw.rating,
            hierarchical=as_list(known.get(Tag.HIERARCHICAL)),
            iptc_keywords=iptc,
            tags_list=as_list(known.get(Tag.TAGS_LIST)),
            provenance=Provenance.from_tags(known),
            **fields,  # type: ignore[arg-type]
        )
        own = _union(subject, iptc) if record.merges_iptc_keywords else subject
        record.keywords = _union(own, raw.keywords)
        return record


class Proposal(BaseModel):
    """Approved new metadata for one photo, with per-field permission to overwrite."""

    path: str
    title: str | None = None
    """The caption (short title) proposed by the caption stage."""
    description: str | None = None
    alt_text: str | None = None
    keywords: list[str] = Field(default_factory=list)
    """Keywords to add; ``A|B|C`` is a hierarchical keyword."""
    containers: list[str] = Field(default_factory=list)
    """Ancestor paths of those keywords (``People``, ``People|Family``) that are containers:
    written in the hierarchy fields, never as flat keywords."""
    overwrite_title: bool = False
    overwrite_description: bool = False
    provenance: Provenance | None = None


class TagEdit(BaseModel):
    """One tag change: ``set`` a value (None deletes), ``add`` or ``remove`` list items."""

    tag: str
    mode: Literal["set", "add", "remove"]
    before: TagValue = None
    after: TagValue = None
    items: list[str] = Field(default_factory=list)
    """The items added or removed (``add``/``remove``)."""


class ChangePlan(BaseModel):
    """Exactly what will change in one file; an empty plan means nothing is written."""

    path: str
    target: str
    target_exists: bool = True
    is_raw: bool = False
    expected_size: int | None = None
    expected_mtime_ns: int | None = None
    had_xmp: bool = True
    edits: list[TagEdit] = Field(default_factory=list)
    delete_target: bool = False
    """Remove the target instead (undoing the creation of a sidecar)."""
    added_keywords: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Things the user should know (e.g. a keyword kept in XMP only)."""
    update_iptc_digest: bool = False
    """Recompute ``Photoshop:IPTCDigest`` after the IPTC edits (it matched before: MWG)."""
    keep_original: bool = False
    """Keep a copy of the file as it was: undo needs its bytes (see ``extended_xmp``)."""
    restore_from: str | None = None
    """Undo: put this kept copy back instead of editing tags (the file is as written)."""

    @property
    def is_empty(self) -> bool:
        return not self.edits and not self.delete_target

    def expected_values(self) -> dict[str, TagValue]:
        """Tag -> value the file must hold after the write (for read-back verification)."""
        return {edit.tag: edit.after for edit in self.edits}


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for item in [*first, *second]:
        if _fold(item) not in seen:
            seen.add(_fold(item))
            out.append(item)
    return out


from imageworks_gui.core.metadata_plan import plan_changes  # noqa: E402  (uses the models above)
