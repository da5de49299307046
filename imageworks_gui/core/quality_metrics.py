"""Agreement measures between proposals and what the user kept: one definition for every report.

The scorecard, model comparison and golden-set re-runs all judge keywords and prose with these
functions, so a figure means the same thing wherever it is shown. Keywords are compared by their
normalised, case-folded form ("Red  Fox" and "red fox" are one keyword).
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

from imageworks_gui.core.keywords import normalise_keyword


def keyword_key(keyword: str) -> str:
    """The form two keywords are compared in."""
    return normalise_keyword(keyword).casefold()


def keyword_set(keywords: Iterable[str]) -> set[str]:
    """Distinct comparison forms of ``keywords`` (blank ones dropped)."""
    return {k for k in (keyword_key(kw) for kw in keywords) if k}


def keyword_precision(proposed: Iterable[str], kept: Iterable[str]) -> float | None:
    """Share of the proposed keywords that are among the kept ones (None: nothing proposed)."""
    prop = keyword_set(proposed)
    if not prop:
        return None
    return len(prop & keyword_set(kept)) / len(prop)


def keyword_recall(proposed: Iterable[str], kept: Iterable[str]) -> float | None:
    """Share of the kept keywords that were proposed (None: nothing kept)."""
    final = keyword_set(kept)
    if not final:
        return None
    return len(final & keyword_set(proposed)) / len(final)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float | None:
    """Keyword Jaccard index |A & B| / |A | B| (None when both are empty)."""
    sa, sb = keyword_set(a), keyword_set(b)
    union = sa | sb
    if not union:
        return None
    return len(sa & sb) / len(union)


def edit_distance(proposed: str | None, final: str | None) -> int:
    """Characters inserted, deleted or replaced to turn ``proposed`` into ``final``."""
    return int(Levenshtein.distance(proposed or "", final or ""))


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the known values (None when there are none)."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None
