"""The hierarchy fields of a plan: lr:hierarchicalSubject (``|``), digiKam:TagsList (``/``).

darktable reads only ``lr:hierarchicalSubject`` when a photo has it, digiKam and Immich only
``digiKam:TagsList`` (else ``lr:hierarchicalSubject``): a hierarchy field must therefore hold
every keyword, flat ones as one level. So a field the photo has gets every new keyword; a field
is created when a new keyword has a path, and then also gets the keywords the photo has already
(its other hierarchy field converted, and its flat keywords not already a level of a path), so
no program shows less than before. Entries are only ever added (case-insensitively new).
"""

from __future__ import annotations

from imageworks_gui.core.keyword_paths import (
    DIGIKAM_SEPARATOR,
    LR_SEPARATOR,
    KeywordPath,
    covered,
    digikam_note,
    render,
    split_levels,
)
from imageworks_gui.core.metadata import TagEdit
from imageworks_gui.core.metadata_tags import Tag, TagValue, as_list
from imageworks_gui.core.metadata_tags import fold as _fold
from imageworks_gui.core.metadata_tags import missing_keywords as _missing


def _entries(have: list[str], separator: str, backfill: list[tuple[str, ...]],
             new: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Entries to add to a field holding ``have``: multi-level ones, and one-level ones no
    path of the field (old or new) already holds as a level."""
    candidates = [*backfill, *new]
    levels = covered([*(split_levels(h, separator) for h in have), *candidates])
    return [e for e in candidates if len(e) > 1 or _fold(e[0]) not in levels]


def hierarchy_edits(
    values: dict[str, TagValue], carried: dict[str, TagValue], existing_keywords: list[str],
    paths: list[KeywordPath], singles: list[str], notes: list[str],
) -> list[TagEdit]:
    """Edits of both hierarchy fields for the new ``paths`` and the new flat ``singles``.

    ``carried`` holds what a RAW's own metadata brings into a sidecar being created;
    ``existing_keywords`` are the photo's flat keywords (MWG-merged).
    """
    multi = [p.levels for p in paths if p.is_path]
    new = [*multi, *((k,) for k in singles)]
    lr_have = [*as_list(values.get(Tag.HIERARCHICAL)), *as_list(carried.get(Tag.HIERARCHICAL))]
    dk_have = [*as_list(values.get(Tag.TAGS_LIST)), *as_list(carried.get(Tag.TAGS_LIST))]
    # Flat keywords holding "|" (darktable's own "darktable|format|nef") are not paths of ours.
    flat_have = [(k,) for k in existing_keywords if LR_SEPARATOR not in k]
    out: list[TagEdit] = []

    if lr_have or multi:
        backfill = [] if lr_have else [
            *(split_levels(e, DIGIKAM_SEPARATOR) for e in dk_have if LR_SEPARATOR not in e),
            *flat_have]
        items = [render(e, LR_SEPARATOR) or "" for e in _entries(lr_have, LR_SEPARATOR,
                                                                 backfill, new)]
        edit = _add(Tag.HIERARCHICAL, values.get(Tag.HIERARCHICAL), _missing(lr_have, items))
        if edit is not None:
            out.append(edit)

    if dk_have or multi:
        creating = not dk_have
        backfill = [split_levels(e) for e in lr_have] + flat_have if creating else []
        entries = _entries(dk_have, DIGIKAM_SEPARATOR, backfill, new)
        blocked = [e for e in entries if render(e, DIGIKAM_SEPARATOR) is None]
        if creating and blocked:
            # A new TagsList would hide these from Immich, which reads lr:hierarchicalSubject
            # (keeping a '/' inside a level) only while the photo has no TagsList.
            notes.append(digikam_note(LR_SEPARATOR.join(blocked[0]), created=True))
            return out
        notes.extend(digikam_note(LR_SEPARATOR.join(e), created=False) for e in blocked
                     if e in new)
        items = [r for e in entries if (r := render(e, DIGIKAM_SEPARATOR)) is not None]
        edit = _add(Tag.TAGS_LIST, values.get(Tag.TAGS_LIST), _missing(dk_have, items))
        if edit is not None:
            out.append(edit)
    return out


def _add(tag: str, before: TagValue, items: list[str]) -> TagEdit | None:
    if not items:
        return None
    return TagEdit(tag=tag, mode="add", before=before, after=[*as_list(before), *items],
                   items=items)
