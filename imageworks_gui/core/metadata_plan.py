"""The pure planner: merge an approved proposal into what a photo holds, by MWG rules."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from imageworks_gui.core.keyword_paths import (
    DIGIKAM_SEPARATOR,
    KeywordPath,
    parse_keywords,
    respell,
    split_levels,
)
from imageworks_gui.core.metadata import (
    ChangePlan,
    PhotoMetadata,
    Proposal,
    Provenance,
    TagEdit,
    _union,
)
from imageworks_gui.core.metadata_hierarchy import hierarchy_edits
from imageworks_gui.core.metadata_tags import (
    IPTC_CAPTION_MAX_BYTES,
    IPTC_KEYWORD_MAX_BYTES,
    IPTC_TITLE_MAX_BYTES,
    Tag,
    TagValue,
    as_list,
    clean_block,
    clean_line,
    truncate_utf8,
)
from imageworks_gui.core.metadata_tags import fold as _fold
from imageworks_gui.core.metadata_tags import missing_keywords as _missing
from imageworks_gui.core.raw_embedded import RawEmbedded
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.sidecars import SIDECAR_FOR, adobe_name
from imageworks_gui.core.write_risks import EXIF, IPTC, skips


def _add(tag: str, before: TagValue, items: list[str]) -> TagEdit | None:
    if not items:
        return None
    return TagEdit(tag=tag, mode="add", before=before, after=[*as_list(before), *items],
                   items=items)


def _set(tag: str, before: TagValue, after: TagValue) -> TagEdit | None:
    return None if before == after else TagEdit(tag=tag, mode="set", before=before, after=after)


def latin_safe(text: str) -> bool:
    """True when ``text`` fits the Latin (cp1252) set ExifTool uses for undeclared IPTC."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


class _Blocks:
    """Which blocks of the file a plan may write, and the notes explaining what it may not."""

    def __init__(self, original: PhotoMetadata, notes: list[str]) -> None:
        self.notes = notes
        self.iptc = original.has_iptc and not skips(original.risks, IPTC)
        self.exif = original.has_exif and not skips(original.risks, EXIF)
        self.legacy_iptc = any(r.code == "iptc_legacy_charset" for r in original.risks)
        for risk in original.risks:
            if risk.action in ("skip_field", "xmp_only") and (
                    (risk.field == IPTC and original.has_iptc)
                    or (risk.field == EXIF and original.has_exif)):
                notes.append(risk.message)

    def iptc_value(self, value: str, label: str) -> bool:
        """May ``value`` go into IPTC (legacy 8-bit IPTC cannot hold every character)?"""
        if not self.legacy_iptc or latin_safe(value):
            return True
        self.notes.append(f"{label} {value[:40]!r} has characters the file's legacy IPTC "
                          "character set cannot hold: written to XMP only")
        return False


def _text_edits(
    original: PhotoMetadata, blocks: _Blocks, xmp_tag: str, iptc_tag: str | None,
    exif_tag: str | None, value: str, limit: int, label: str,
) -> list[TagEdit | None]:
    values = original.values
    edits = [_set(xmp_tag, values.get(xmp_tag), value)]
    if iptc_tag and blocks.iptc and blocks.iptc_value(value, label):
        short = truncate_utf8(value, limit)
        if short != value:
            blocks.notes.append(f"{label} shortened to {limit} bytes in IPTC (IPTC's limit); "
                                "XMP holds the full text")
        edits.append(_set(iptc_tag, values.get(iptc_tag), short))
    if exif_tag and blocks.exif:
        edits.append(_set(exif_tag, values.get(exif_tag), value))
    return edits


def _spelling(known: Iterable[str], items: Iterable[str]) -> list[str]:
    """``items`` in the spelling the photo already uses for them (one spelling per keyword)."""
    first: dict[str, str] = {}
    for item in known:
        first.setdefault(_fold(item), item)
    return [first.get(_fold(item), item) for item in items]


def _iptc_bookkeeping(original: PhotoMetadata, content: list[TagEdit]) -> list[TagEdit]:
    """Character set and record versions that ExifTool adds with IPTC edits (journaled for undo)."""
    values = original.values
    out: list[TagEdit] = []
    legacy = any(r.code == "iptc_legacy_charset" for r in original.risks)
    if not legacy and values.get(Tag.IPTC_CHARSET) is None:
        # Without the UTF-8 coded character set, readers garble non-ASCII IPTC text. Nothing
        # already there is re-encoded: it is ASCII or UTF-8 already.
        out.append(TagEdit(tag=Tag.IPTC_CHARSET, mode="set", after="UTF8"))
    # ExifTool adds the mandatory record versions where they lack (Photoshop omits the
    # envelope's): recording them lets undo take them out again.
    if values.get(Tag.IPTC_ENVELOPE) is None and (out or values.get(Tag.IPTC_CHARSET)):
        out.append(TagEdit(tag=Tag.IPTC_ENVELOPE, mode="set", after="4"))
    if values.get(Tag.IPTC_APP_VERSION) is None:
        out.append(TagEdit(tag=Tag.IPTC_APP_VERSION, mode="set", after="4"))
    return out


def keep_bookkeeping(edits: list[TagEdit], values: dict[str, TagValue], has_xmp: bool,
                     iptc_versions: bool = False) -> list[TagEdit]:
    """``edits`` plus edits that keep what ExifTool would change by itself: the XMP toolkit
    name (when XMP already existed) and, with ``iptc_versions`` (undo, which removes IPTC
    values), IPTC's record versions, as ExifTool drops an application record left with
    nothing but its version. Undo then has nothing to restore there."""
    edited = {e.tag for e in edits}
    keep: list[str] = []
    if has_xmp and any(tag.startswith("XMP-") for tag in edited):
        keep.append(Tag.XMP_TOOLKIT)
    if iptc_versions and any(tag.startswith("IPTC:") for tag in edited):
        keep += [tag for tag in (Tag.IPTC_ENVELOPE, Tag.IPTC_APP_VERSION)
                 if values.get(tag) is not None and tag not in edited]
    return [*edits, *(TagEdit(tag=tag, mode="set", before=values.get(tag),
                              after=values.get(tag)) for tag in keep)]


def _raw_sidecar_edits(
    original: PhotoMetadata, raw: RawEmbedded, carried: dict[str, TagValue],
    content: list[TagEdit], notes: list[str],
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
                     "(the RAW itself is never changed)")
    target, photo = PurePath(original.target), PurePath(original.path)
    if not original.target_exists and target.name.casefold() == adobe_name(photo.name).casefold():
        out.append(TagEdit(tag=SIDECAR_FOR, mode="set", before=None,
                           after=photo.suffix.lstrip(".")))
    return out


def plan_changes(
    original: PhotoMetadata, proposal: Proposal, settings: MetadataSettings
) -> ChangePlan:
    """Merge an approved proposal into what the photo holds, by MWG rules, never clobbering.

    Title and description are set only when empty (camera placeholders count as empty)
    unless an overwrite was approved; keywords are added by NFC case-insensitive union,
    spelled as the photo already spells them; IPTC and EXIF are updated only where the file
    already has them and its write risks allow it; provenance is recorded when anything else
    changes. A plan with no edits means the file is left alone.
    """
    values = original.values
    notes: list[str] = list(original.notes)
    blocks = _Blocks(original, notes)
    raw = original.embedded or RawEmbedded()
    edits: list[TagEdit | None] = []

    kept: list[str] = []
    title = clean_line(proposal.title or "")
    if title and (not original.title or proposal.overwrite_title or settings.overwrite_title):
        edits += _text_edits(original, blocks, Tag.TITLE, Tag.IPTC_TITLE, None, title,
                             IPTC_TITLE_MAX_BYTES, "title")
    elif title and title != original.title:
        kept.append("title: the photo has one already, kept (approve an overwrite to "
                    "replace it)")
    description = clean_block(proposal.description or "")
    overwrite_description = proposal.overwrite_description or settings.overwrite_description
    if description and (not original.description or overwrite_description):
        edits += _text_edits(original, blocks, Tag.DESCRIPTION, Tag.IPTC_CAPTION,
                             Tag.EXIF_DESCRIPTION, description, IPTC_CAPTION_MAX_BYTES,
                             "description")
    elif description and description != original.description:
        kept.append("description: the photo has one already, kept (approve an overwrite "
                    "to replace it)")
    alt_text = clean_line(proposal.alt_text or "")
    if alt_text and not original.alt_text:
        edits.append(_set(Tag.ALT_TEXT, values.get(Tag.ALT_TEXT), alt_text))

    subject = as_list(values.get(Tag.SUBJECT))
    iptc = as_list(values.get(Tag.IPTC_KEYWORDS))
    carried = raw.carried_values() if original.is_raw and not original.target_exists else {}
    lr_have = [*as_list(values.get(Tag.HIERARCHICAL)), *raw.hierarchical]
    dk_have = [*as_list(values.get(Tag.TAGS_LIST)), *raw.tags_list]
    paths = respell(parse_keywords(proposal.keywords, proposal.containers),
                    [*map(split_levels, lr_have),
                     *(split_levels(t, DIGIKAM_SEPARATOR) for t in dk_have)])
    ancestors = settings.write_ancestor_keywords
    flat = [keyword for path in paths for keyword in path.flat(ancestors)]
    known_leaves = [*subject, *iptc, *raw.keywords,
                    *(p.rsplit("|", 1)[-1] for p in lr_have),
                    *(t.rsplit("/", 1)[-1] for t in dk_have)]
    flat = _spelling(known_leaves, flat)
    new_flat = _missing(known_leaves, flat)
    in_paths = {_fold(level) for path in paths if path.is_path for level in path.levels}
    prefix = clean_line(settings.hierarchy_prefix or "").strip("|")
    if prefix and new_flat:
        # Only new keywords go under the prefix (e.g. AI|tree); the prefix is a keyword too.
        paths += [KeywordPath((prefix, k)) for k in new_flat if _fold(k) not in in_paths]
        if ancestors:
            flat.insert(0, prefix)
        in_paths.add(_fold(prefix))
        in_paths.update(_fold(k) for k in new_flat)
    # IPTC-only legacy keywords are copied into XMP so XMP-first readers still see them, but
    # only where MWG says IPTC is current (no digest, and XMP holds no keywords yet).
    legacy = iptc if original.merges_iptc_keywords else []
    edits.append(_add(Tag.SUBJECT, values.get(Tag.SUBJECT), _missing(subject, [*legacy, *flat])))
    if blocks.iptc:
        iptc_new = _missing(iptc, flat)
        too_long = [k for k in iptc_new if len(k.encode("utf-8")) > IPTC_KEYWORD_MAX_BYTES]
        for keyword in too_long:
            notes.append(f"keyword {keyword!r} is longer than IPTC's {IPTC_KEYWORD_MAX_BYTES} "
                         "bytes: written to XMP only, left out of IPTC Keywords")
        fits = [k for k in iptc_new if k not in too_long and blocks.iptc_value(k, "keyword")]
        edits.append(_add(Tag.IPTC_KEYWORDS, values.get(Tag.IPTC_KEYWORDS), fits))
    singles = [k for k in new_flat if _fold(k) not in in_paths]
    edits += hierarchy_edits(values, carried, original.keywords, paths, singles, notes)

    content = [edit for edit in edits if edit is not None]
    if content and original.is_raw:
        content = _raw_sidecar_edits(original, raw, carried, content, notes)
    writes_iptc = any(e.tag.startswith("IPTC:") for e in content)
    if writes_iptc:
        content += _iptc_bookkeeping(original, content)
    if content and settings.write_provenance and proposal.provenance is not None:
        previous = original.provenance.added_keywords if original.provenance else []
        provenance = Provenance.model_validate(
            {**proposal.provenance.model_dump(), "added_keywords": _union(previous, new_flat)}
        )
        for tag, value in provenance.to_tags().items():
            edit = _set(tag, values.get(tag), value) if value is not None else None
            if edit is not None:
                content.append(edit)
    if content:
        content = keep_bookkeeping(content, values, original.has_xmp)

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
        notes=[*kept, *notes] if content else kept,
        update_iptc_digest=writes_iptc and any(r.code == "iptc_digest_matches"
                                               for r in original.risks),
        keep_original=bool(content) and original.target_exists
        and any(r.code == "extended_xmp" for r in original.risks),
    )
