"""The vocabulary side of a review: the "not in your vocabulary" lane and how keywords mapped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from imageworks_gui.core.keywords import normalise_keyword
from imageworks_gui.core.vocabulary import LR_SEPARATOR, KeywordMapping

if TYPE_CHECKING:
    from imageworks_gui.core.review import PhotoReview

LANE_KINDS = ("new", "added", "removed", "available")
"""Chip kinds of the lane: proposed (suggest mode), accepted by the user, rejected, and
``available`` (strict mode: not proposed, one click accepts it)."""


def _key(keyword: str) -> str:
    return normalise_keyword(keyword).casefold()


def lane_keys(mappings: Iterable[KeywordMapping], existing: Iterable[str]) -> set[str]:
    """Keys of the keywords that belong in the lane: mapped ``new``, not in the photo yet."""
    held = {_key(k) for k in existing}
    return {_key(m.keyword) for m in mappings
            if m.method == "new" and m.keyword and _key(m.keyword) not in held}


def lane_chips(review: PhotoReview) -> list[tuple[str, str]]:
    """``(keyword, kind)`` of every keyword outside the vocabulary, in the model's order."""
    keys = lane_keys(review.keyword_mapping, review.existing_keywords)
    proposed = {_key(k) for k in review.proposed_keywords}
    added = {_key(k) for k in review.added_keywords}
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for mapping in review.keyword_mapping:
        key = _key(mapping.keyword)
        if key not in keys or key in seen:
            continue
        seen.add(key)
        if key in added:
            kind = "added"
        elif key in proposed:
            kind = "removed" if review.is_rejected_keyword(mapping.keyword) else "new"
        else:
            kind = "available"
        out.append((mapping.keyword, kind))
    return out


def mapping_of(review: PhotoReview, keyword: str) -> KeywordMapping | None:
    """How ``keyword`` (as shown on a chip) came about, when the run used a vocabulary."""
    key = _key(keyword)
    found = [m for m in review.keyword_mapping if _key(m.keyword) == key]
    return next((m for m in found if m.in_vocabulary), found[0] if found else None)


def how_mapped(mapping: KeywordMapping) -> str:
    """The step that mapped a keyword: ``exact``, ``synonym on 'heron'``, ``fuzzy 91 on ...``."""
    how = mapping.method if mapping.method != "fuzzy" else f"fuzzy {mapping.score:g}"
    if mapping.method in ("synonym", "fuzzy", "normalized") and mapping.matched:
        how += f" on {mapping.matched!r}"
    return how


def mapping_tooltip(mapping: KeywordMapping) -> str:
    """Plain-text lines for a chip: the full path, how it was mapped, what the model said."""
    if not mapping.in_vocabulary:
        return f"Not in your vocabulary (the model said {mapping.proposed!r})"
    lines = [f"In your vocabulary {mapping.vocabulary!r}: {LR_SEPARATOR.join(mapping.path)}",
             f"Mapped by {how_mapped(mapping)}; the model said {mapping.proposed!r}"]
    if mapping.alternatives:
        lines.append(f"Also: {', '.join(mapping.alternatives)}")
    return "\n".join(lines)
