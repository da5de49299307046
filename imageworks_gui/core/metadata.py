"""Photo metadata records and the pure planner that merges an approved proposal into a photo."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
    is_raw_path,
    normalise_tag_value,
    truncate_utf8,
)
from imageworks_gui.core.metadata_tags import fold as _fold
from imageworks_gui.core.raw_embedded import RATING, RawEmbedded, respell
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.sidecars import SIDECAR_FOR, adobe_name

__all__ = [
    "ALL_TAGS", "IPTC_CAPTION_MAX_BYTES", "IPTC_KEYWORD_MAX_BYTES", "IPTC_TITLE_MAX_BYTES",
    "LIST_TAGS", "RAW_EXTENSIONS", "ChangePlan", "PhotoMetadata", "Proposal", "Provenance",
    "Tag", "TagEdit", "TagValue", "as_list", "clean_block", "clean_line", "is_raw_path",
    "normalise_tag_value", "plan_changes", "truncate_utf8",
]

class Provenance(BaseModel):
    """Which models, versions and prompt produced the proposal (our own XMP namespace)."""

    model_config = ConfigDict(extra="allow")

    tool: str | None = None
    tagged_at: str | None = None
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
        ``aggregate_sha256``), plus the other fields (tool, tagged_at, prompt profile...)."""
        models: dict[str, str] = {}
        hashes: dict[str, str] = {}
        for stage, record in stage_models.items():
            get = record.get if isinstance(record, Mapping) else (
                lambda key, _r=record: getattr(_r, key, None))
            if get("name"):
                models[stage] = str(get("name"))
                if get("aggregate_sha256"):
                    hashes[stage] = str(get("aggregate_sha256"))
        return cls(models=models, model_hashes=hashes, **fields)

    def to_tags(self) -> dict[str, TagValue]:
        """The provenance as tag values (absent fields as None)."""
        return {
            Tag.PROV_TOOL: self.tool or None,
            Tag.PROV_TAGGED_AT: self.tagged_at or None,
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
    embedded: RawEmbedded | None = None
    """What the RAW file itself holds when its metadata goes to a sidecar (counts as existing)."""
    rating: str | None = None
    notes: list[str] = Field(default_factory=list)
    """Things the user should know about where this photo's metadata goes."""

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
                if isinstance(value, str) and value.strip():
                    return value
            return None

        subject = as_list(known.get(Tag.SUBJECT))
        iptc = as_list(known.get(Tag.IPTC_KEYWORDS))
        raw = fields.get("embedded")
        raw = raw if isinstance(raw, RawEmbedded) else RawEmbedded()
        rating = normalise_tag_value(RATING, values.get(RATING))
        return cls(
            path=path,
            target=target,
            values=known,
            title=text(Tag.TITLE, Tag.IPTC_TITLE) or raw.title,
            description=text(Tag.DESCRIPTION, Tag.IPTC_CAPTION, Tag.EXIF_DESCRIPTION)
            or raw.description,
            alt_text=text(Tag.ALT_TEXT),
            keywords=_union(_union(subject, iptc), raw.keywords),
            rating=(rating if isinstance(rating, str) else None) or raw.rating,
            hierarchical=as_list(known.get(Tag.HIERARCHICAL)),
            iptc_keywords=iptc,
            tags_list=as_list(known.get(Tag.TAGS_LIST)),
            provenance=Provenance.from_tags(known),
            **fields,  # type: ignore[arg-type]
        )


class Proposal(BaseModel):
    """Approved new metadata for one photo, with per-field permission to overwrite."""

    path: str
    title: str | None = None
    """The caption (short title) proposed by the caption stage."""
    description: str | None = None
    alt_text: str | None = None
    keywords: list[str] = Field(default_factory=list)
    """Keywords to add; ``A|B|C`` is a hierarchical keyword."""
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


def _missing(existing: Iterable[str], new: Iterable[str]) -> list[str]:
    """Items of ``new`` not in ``existing`` (NFC, case-insensitive), in order, deduplicated."""
    seen = {_fold(item) for item in existing}
    out: list[str] = []
    for item in new:
        if item and _fold(item) not in seen:
            seen.add(_fold(item))
            out.append(item)
    return out


def _add(tag: str, before: TagValue, items: list[str]) -> TagEdit | None:
    if not items:
        return None
    return TagEdit(tag=tag, mode="add", before=before, after=[*as_list(before), *items],
                   items=items)


def _set(tag: str, before: TagValue, after: TagValue) -> TagEdit | None:
    return None if before == after else TagEdit(tag=tag, mode="set", before=before, after=after)


def _split_keywords(keywords: Iterable[str]) -> tuple[list[str], list[str]]:
    """Proposed keywords -> (flat keywords, explicit ``A|B`` paths); path components are flat."""
    flat: list[str] = []
    paths: list[str] = []
    for raw in keywords:
        parts = [clean_line(part) for part in raw.split("|")]
        parts = [part for part in parts if part]
        flat.extend(parts)
        if len(parts) > 1:
            paths.append("|".join(parts))
    return flat, paths


def _text_edits(
    original: PhotoMetadata, notes: list[str], xmp_tag: str, iptc_tag: str | None,
    exif_tag: str | None, value: str, limit: int, label: str,
) -> list[TagEdit | None]:
    values = original.values
    edits = [_set(xmp_tag, values.get(xmp_tag), value)]
    if iptc_tag and original.has_iptc:
        short = truncate_utf8(value, limit)
        if short != value:
            notes.append(f"{label} shortened to {limit} bytes in IPTC (IPTC's limit); "
                         "XMP holds the full text")
        edits.append(_set(iptc_tag, values.get(iptc_tag), short))
    if exif_tag and original.has_exif:
        edits.append(_set(exif_tag, values.get(exif_tag), value))
    return edits


def _raw_sidecar_edits(
    original: PhotoMetadata, proposal: Proposal, raw: RawEmbedded,
    carried: dict[str, TagValue], content: list[TagEdit], notes: list[str],
) -> list[TagEdit]:
    """A RAW's own values go into the sidecar being created for it (before the proposal's), so
    programs that read only the sidecar still see them; a new Adobe-style sidecar records which
    photo it belongs to, so a later same-name photo never shares it."""
    edited = {edit.tag: edit for edit in content}
    out = list(content)
    for tag, value in carried.items():
        edit = edited.get(tag)
        if isinstance(value, list):
            items = _union(value, edit.items if edit is not None else [])
            merged = TagEdit(tag=tag, mode="add", before=None, after=items, items=items)
            out = [merged if e is edit else e for e in out] if edit else [*out, merged]
        elif edit is None:
            out.append(TagEdit(tag=tag, mode="set", before=None, after=value))
    if carried:
        notes.append(f"the RAW's own {raw.summary() or 'metadata'} copied into the new sidecar "
                     f"(the RAW itself is never changed)")
    for label, own, proposed, written in (
            ("title", raw.title, proposal.title, Tag.TITLE in edited),
            ("description", raw.description, proposal.description, Tag.DESCRIPTION in edited)):
        if own and proposed and not written and not original.values.get(
                Tag.TITLE if label == "title" else Tag.DESCRIPTION):
            notes.append(f"the RAW itself already has a {label}; the proposed one was not "
                         "written (approve an overwrite to replace it in the sidecar)")
    target, photo = PurePath(original.target), PurePath(original.path)
    if not original.target_exists and target.name.casefold() == adobe_name(photo.name).casefold():
        out.append(TagEdit(tag=SIDECAR_FOR, mode="set", before=None,
                           after=photo.suffix.lstrip(".")))
    return out


def plan_changes(
    original: PhotoMetadata, proposal: Proposal, settings: MetadataSettings
) -> ChangePlan:
    """Merge an approved proposal into what the photo holds, by MWG rules, never clobbering.

    Title and description are set only when empty unless an overwrite was approved; keywords
    are added by NFC case-insensitive union keeping the user's spelling; IPTC and EXIF are
    updated only where the file already has them; provenance is recorded when anything else
    changes. A plan with no edits means the file is left alone.
    """
    values = original.values
    notes: list[str] = list(original.notes)
    edits: list[TagEdit | None] = []
    raw = original.embedded or RawEmbedded()

    title = clean_line(proposal.title or "")
    if title and (not original.title or proposal.overwrite_title or settings.overwrite_title):
        edits += _text_edits(original, notes, Tag.TITLE, Tag.IPTC_TITLE, None, title,
                             IPTC_TITLE_MAX_BYTES, "title")
    description = clean_block(proposal.description or "")
    overwrite_description = proposal.overwrite_description or settings.overwrite_description
    if description and (not original.description or overwrite_description):
        edits += _text_edits(original, notes, Tag.DESCRIPTION, Tag.IPTC_CAPTION,
                             Tag.EXIF_DESCRIPTION, description, IPTC_CAPTION_MAX_BYTES,
                             "description")
    alt_text = clean_line(proposal.alt_text or "")
    if alt_text and not original.alt_text:
        edits.append(_set(Tag.ALT_TEXT, values.get(Tag.ALT_TEXT), alt_text))

    subject = as_list(values.get(Tag.SUBJECT))
    iptc = as_list(values.get(Tag.IPTC_KEYWORDS))
    hierarchical = as_list(values.get(Tag.HIERARCHICAL))
    tags_list = as_list(values.get(Tag.TAGS_LIST))
    flat, paths = _split_keywords(proposal.keywords)
    flat = respell(flat, raw.keywords)
    known_leaves = [*subject, *iptc, *raw.keywords, *(p.rsplit("|", 1)[-1] for p in
                                                      [*hierarchical, *raw.hierarchical]),
                    *(t.rsplit("/", 1)[-1] for t in tags_list)]
    new_flat = _missing(known_leaves, flat)
    prefix = clean_line(settings.hierarchy_prefix or "").strip("|")
    if prefix and new_flat:
        # Only new keywords go under the prefix (e.g. AI|tree); the prefix is a keyword too.
        in_paths = {_fold(part) for p in paths for part in p.split("|")}
        paths += [f"{prefix}|{k}" for k in new_flat if _fold(k) not in in_paths]
        flat.insert(0, prefix)
    # IPTC-only legacy keywords are copied into XMP so XMP-first readers still see them.
    edits.append(_add(Tag.SUBJECT, values.get(Tag.SUBJECT), _missing(subject, [*iptc, *flat])))
    if original.has_iptc:
        iptc_new = _missing(iptc, flat)
        too_long = [k for k in iptc_new if len(k.encode("utf-8")) > IPTC_KEYWORD_MAX_BYTES]
        for keyword in too_long:
            notes.append(f"keyword {keyword!r} is longer than IPTC's {IPTC_KEYWORD_MAX_BYTES} "
                         "bytes: written to XMP only, left out of IPTC Keywords")
        edits.append(_add(Tag.IPTC_KEYWORDS, values.get(Tag.IPTC_KEYWORDS),
                          [k for k in iptc_new if k not in too_long]))
    edits.append(_add(Tag.HIERARCHICAL, values.get(Tag.HIERARCHICAL),
                      _missing(hierarchical, paths)))
    carried = raw.carried_values() if original.is_raw and not original.target_exists else {}
    if tags_list or carried.get(Tag.TAGS_LIST):
        # digiKam keeps full paths ("AI/tree"); plain keywords go in as they are.
        in_paths = {_fold(part) for p in paths for part in p.split("|")}
        wanted = [p.replace("|", "/") for p in paths]
        wanted += [k for k in new_flat if _fold(k) not in in_paths]
        edits.append(_add(Tag.TAGS_LIST, values.get(Tag.TAGS_LIST),
                          _missing([*tags_list, *as_list(carried.get(Tag.TAGS_LIST))], wanted)))

    content = [edit for edit in edits if edit is not None]
    if content and original.is_raw:
        content = _raw_sidecar_edits(original, proposal, raw, carried, content, notes)
    if content and original.has_iptc and any(e.tag.startswith("IPTC:") for e in content):
        # Without the UTF-8 coded character set, readers garble non-ASCII IPTC text.
        charset = _set(Tag.IPTC_CHARSET, values.get(Tag.IPTC_CHARSET), "UTF8")
        if charset is not None:
            content.append(charset)
            # The character set lives in IPTC's envelope record, which ExifTool then creates;
            # recording it lets undo remove it again.
            if values.get(Tag.IPTC_ENVELOPE) is None:
                content.append(TagEdit(tag=Tag.IPTC_ENVELOPE, mode="set", after="4"))
    if content and settings.write_provenance and proposal.provenance is not None:
        previous = original.provenance.added_keywords if original.provenance else []
        provenance = Provenance.model_validate(
            {**proposal.provenance.model_dump(), "added_keywords": _union(previous, new_flat)}
        )
        for tag, value in provenance.to_tags().items():
            edit = _set(tag, values.get(tag), value) if value is not None else None
            if edit is not None:
                content.append(edit)

    return ChangePlan(
        path=original.path,
        target=original.target,
        target_exists=original.target_exists,
        is_raw=original.is_raw,
        expected_size=original.size,
        expected_mtime_ns=original.mtime_ns,
        had_xmp=original.has_xmp,
        edits=content,
        added_keywords=new_flat if content else [],
        notes=notes if content else [],
    )
