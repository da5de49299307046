"""The open folder's keyword vocabulary for autocompletion, kept cheap to refresh."""

from __future__ import annotations

from imageworks_gui.core.keywords import normalise_keyword
from imageworks_gui.core.review import PhotoReview, ReviewSession

PREPARE_BUDGET = 1500
"""Reviews normalised per refresh at most (about 25 ms on the GUI thread)."""


class KeywordLibrary:
    """Same result as ``ReviewSession.library_keywords()``, without re-normalising every keyword.

    Each review's keywords are normalised once (reviews are immutable, so a review object seen
    before needs no work); a refresh then only merges the prepared ``(casefold, spelling)`` pairs
    in session order, which stays a few milliseconds for 10,000 photos mid-run. At most
    ``budget`` new reviews are normalised per refresh, so restoring 100,000 reviews never holds
    the GUI thread for seconds; ``pending`` then asks for another refresh.
    """

    def __init__(self, budget: int = PREPARE_BUDGET) -> None:
        self._prepared: dict[str, tuple[PhotoReview, tuple[tuple[str, str], ...]]] = {}
        self.budget = budget
        self.pending = False
        """True when the last refresh left reviews unprepared: refresh again soon."""

    def clear(self) -> None:
        """Forget everything (another folder was opened)."""
        self._prepared.clear()

    def keywords(self, session: ReviewSession) -> list[str]:
        """Every keyword already in the photos or accepted so far, sorted case-insensitively."""
        prepared = self._prepared
        first: dict[str, str] = {}
        budget = self.budget
        self.pending = False
        for review in session:
            cached = prepared.get(review.path)
            if cached is None or cached[0] is not review:
                if budget <= 0:  # a freshly opened big folder: the rest on the next refresh
                    self.pending = True
                    continue
                budget -= 1
                cached = (review, _prepare(review))
                prepared[review.path] = cached
            for key, spelling in cached[1]:
                if key not in first:
                    first[key] = spelling
        if len(prepared) > 2 * max(len(session), 1):  # photos of earlier folders
            live = {r.path for r in session}
            self._prepared = {p: v for p, v in prepared.items() if p in live}
        return sorted(first.values(), key=str.casefold)


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
