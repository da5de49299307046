"""The open folder's keyword vocabulary for autocompletion, kept cheap to refresh."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from imageworks_gui.core.keywords import normalise_keyword
from imageworks_gui.core.review import PhotoReview, ReviewSession

PREPARE_BUDGET = 1500
"""Reviews normalised per refresh at most (about 6 ms on the GUI thread)."""


class KeywordLibrary:
    """Same result as ``ReviewSession.library_keywords()``, without re-normalising every keyword.

    Each review's keywords are normalised once (reviews are immutable, so a review object seen
    before needs no work) and counted per keyword; a refresh only visits the session to spot
    replaced reviews, and sorts again only when the vocabulary changed, so it stays a few
    milliseconds for 100,000 photos mid-run. Each keyword is shown in the spelling of the
    first photo (in session order) that had it when first counted; that spelling stays while
    any photo still has it. At most ``budget`` new reviews are normalised per refresh, so
    restoring 100,000 reviews never holds the GUI thread for long; ``pending`` then asks for
    another refresh.
    """

    def __init__(self, budget: int = PREPARE_BUDGET) -> None:
        self._prepared: dict[str, tuple[PhotoReview, tuple[tuple[str, str], ...]]] = {}
        self._spellings: dict[str, dict[str, int]] = {}
        """casefold key -> {spelling: photos with it}, first-counted spelling first."""
        self._result: list[str] | None = []
        self._scanned = 0
        """Reviews of the session (in its order) looked at since the last full check."""
        self._dirty: set[str] = set()
        """Photos reported changed and not looked at yet."""
        self._budget = budget
        self.budget = budget
        self.pending = False
        """True when the last refresh left reviews unprepared: refresh again soon."""

    def clear(self) -> None:
        """Forget everything (another folder was opened)."""
        self._prepared.clear()
        self._spellings.clear()
        self._result = []
        self._scanned = 0
        self._dirty.clear()

    def _count(self, pairs: tuple[tuple[str, str], ...], step: int) -> None:
        spellings = self._spellings
        for key, spelling in pairs:
            counts = spellings.setdefault(key, {})
            left = counts.get(spelling, 0) + step
            if left > 0:
                counts[spelling] = left
            else:
                counts.pop(spelling, None)
                if not counts:
                    del spellings[key]
        if pairs:
            self._result = None

    def keywords(self, session: ReviewSession,
                 changed: Iterable[str] | None = None) -> list[str]:
        """Every keyword already in the photos or accepted so far, sorted case-insensitively.

        ``changed`` names the photos whose review was replaced since the last call (the
        workspace collects them from ``reviews_changed``); then only those, and photos not
        seen yet, are looked at. Without it every review of the session is checked.
        """
        self.pending = False
        self._budget = self.budget
        if changed is None or len(self._prepared) > len(session):
            self._scanned = 0  # unknown changes, or photos of an earlier folder: look at all
            self._dirty.clear()
            if len(self._prepared) > len(session):
                for path in [p for p in self._prepared if p not in session]:
                    self._count(self._prepared.pop(path)[1], -1)
        else:
            self._dirty.update(changed)
        # Photos not seen yet, in session order (the first spellings follow that order).
        for review in itertools.islice(session, self._scanned, None):
            if not self._look_at(review):
                break
            self._scanned += 1
        for path in list(self._dirty):
            if self.pending:
                break
            self._dirty.discard(path)
            if path in session and path in self._prepared and not self._look_at(
                    session.get(path)):
                self._dirty.add(path)
        if self._result is None:
            self._result = sorted((next(iter(c)) for c in self._spellings.values()),
                                  key=str.casefold)
        return list(self._result)

    def _look_at(self, review: PhotoReview) -> bool:
        """Count ``review`` if it is new or replaced; False when the budget is spent."""
        cached = self._prepared.get(review.path)
        if cached is not None and cached[0] is review:
            return True
        if self._budget <= 0:  # a freshly opened big folder: the rest on the next refresh
            self.pending = True
            return False
        self._budget -= 1
        pairs = _prepare(review)
        if cached is not None:
            self._count(cached[1], -1)
        self._count(pairs, +1)
        self._prepared[review.path] = (review, pairs)
        return True


def _prepare(review: PhotoReview) -> tuple[tuple[str, str], ...]:
    """The review's existing and accepted keywords, normalised, as (casefold, spelling) pairs."""
    out = []
    if not review.existing_keywords and not review.proposed_keywords \
            and not review.added_keywords:
        return ()
    for raw in (*review.existing_keywords, *review.accepted_keywords):
        keyword = normalise_keyword(raw)
        if keyword:
            out.append((keyword.casefold(), keyword))
    return tuple(out)
