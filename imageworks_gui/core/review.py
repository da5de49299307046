"""Review state machine: what the user decided about each photo's proposal before any write.

Per-photo states: ``untagged`` -> ``queued`` -> ``proposed`` | ``failed``; a proposal is
``approved`` or ``rejected`` by the user; an approved photo becomes ``written`` (or ``failed``
with the writer's reason). Every operation returns a new validated ``PhotoReview``; a
``ReviewSession`` holds the current one per path so an undo command can put an old one back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imageworks_gui.core.keyword_paths import proposal_keywords
from imageworks_gui.core.keywords import normalise_keyword
from imageworks_gui.core.metadata import Proposal, Provenance
from imageworks_gui.core.prose import decode_escapes
from imageworks_gui.core.review_terms import lane_keys
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.vocabulary import KeywordMapping

ReviewState = Literal["untagged", "queued", "proposed", "approved", "rejected", "written", "failed"]

REVIEW_STATES: tuple[ReviewState, ...] = (
    "untagged", "queued", "proposed", "approved", "rejected", "written", "failed")

REVIEWABLE: frozenset[str] = frozenset({"proposed", "approved", "rejected"})
"""States in which the user may approve, reject or edit a proposal."""

REOPENABLE: frozenset[str] = frozenset({"written", "rejected"})
"""States from which "Review again" brings a proposal back for a decision."""


class ReviewError(ValueError):
    """An operation does not fit the photo's state; the message says what to do instead."""


def _key(keyword: str) -> str:
    return normalise_keyword(keyword).casefold()


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        kw = normalise_keyword(item)
        if kw and kw.casefold() not in seen:
            seen.add(kw.casefold())
            out.append(kw)
    return out


class PhotoReview(BaseModel):
    """Everything known about one photo's review; immutable, replaced on every change."""

    model_config = ConfigDict(extra="allow", frozen=True)

    path: str
    state: ReviewState = "untagged"
    size: int | None = None
    mtime_ns: int | None = None
    existing_title: str | None = None
    existing_description: str | None = None
    existing_keywords: list[str] = Field(default_factory=list)
    existing_loaded: bool = False
    proposed_title: str | None = None
    proposed_description: str | None = None
    proposed_keywords: list[str] = Field(default_factory=list)
    """Keywords exactly as the model proposed them (never edited)."""
    rejected_keywords: list[str] = Field(default_factory=list)
    """Proposed keywords the user clicked away."""
    added_keywords: list[str] = Field(default_factory=list)
    """Keywords the user typed in."""
    title_edited: bool = False
    description_edited: bool = False
    error: str | None = None
    models: dict[str, Any] = Field(default_factory=dict)
    """Provenance: stage -> model record from the tagging result."""
    prompt_profile: str | None = None
    prompt_sha256: str | None = None
    tagged_at: str | None = None
    """When the models proposed this (recorded in the photo's provenance on write)."""
    batch_id: str | None = None
    """Write batch that wrote this photo (for undo)."""
    written_keywords: list[str] = Field(default_factory=list)
    """Keywords the last write added to the photo."""
    keyword_mapping: list[KeywordMapping] = Field(default_factory=list)
    """With a vocabulary: how each proposed keyword was mapped (empty in older saved reviews)."""

    # -- derived views --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def has_proposal(self) -> bool:
        """True when approving would give the photo something (text or a kept keyword)."""
        return bool(self.final_title or self.final_description or self.accepted_keywords)

    def is_rejected_keyword(self, keyword: str) -> bool:
        return _key(keyword) in {_key(k) for k in self.rejected_keywords}

    @property
    def accepted_keywords(self) -> list[str]:
        """Proposed keywords not rejected, then the user's additions (deduplicated)."""
        rejected = {_key(k) for k in self.rejected_keywords}
        return _dedupe([k for k in self.proposed_keywords if _key(k) not in rejected]
                       + list(self.added_keywords))

    @property
    def new_keywords(self) -> list[str]:
        """Accepted keywords the photo does not have yet: what an approval adds."""
        existing = {_key(k) for k in self.existing_keywords}
        return [k for k in self.accepted_keywords if _key(k) not in existing]

    def chips(self) -> list[tuple[str, str]]:
        """Keyword chips in display order as ``(keyword, kind)``.

        ``kind`` is ``existing`` (already in the photo), ``new`` (will be added), ``added`` (typed
        by the user, will be added) or ``removed`` (proposed, rejected by the user). Keywords
        outside the vocabulary are in their own lane (``review_terms.lane_chips``).
        """
        out: list[tuple[str, str]] = [(k, "existing") for k in _dedupe(self.existing_keywords)]
        existing = {_key(k) for k in self.existing_keywords}
        added = {_key(k) for k in self.added_keywords}
        shown = existing | lane_keys(self.keyword_mapping, self.existing_keywords)
        for kw in _dedupe([*self.proposed_keywords, *self.added_keywords]):
            key = _key(kw)
            if key in shown:
                continue
            shown.add(key)
            if self.is_rejected_keyword(kw):
                out.append((kw, "removed"))
            else:
                out.append((kw, "added" if key in added else "new"))
        return out

    @property
    def final_title(self) -> str | None:
        return (self.proposed_title or "").strip() or None

    @property
    def final_description(self) -> str | None:
        return (self.proposed_description or "").strip() or None


def _evolve(review: PhotoReview, **changes: Any) -> PhotoReview:
    data = review.model_dump()
    data.update(changes)
    return PhotoReview.model_validate(data)


def _require_reviewable(review: PhotoReview, action: str) -> None:
    if review.state not in REVIEWABLE:
        hint = {
            "untagged": "run tagging on it first",
            "queued": "wait for its proposal to arrive",
            "failed": "run tagging on it again",
            "written": "use Undo last write first, or run tagging on it again",
        }.get(review.state, "")
        raise ReviewError(f"cannot {action} {review.name}: it is {review.state}; {hint}")


# -- transitions ---------------------------------------------------------------------------------
def queue(review: PhotoReview) -> PhotoReview:
    """The photo was sent to tagging (its earlier decision is kept until the new result lands)."""
    return _evolve(review, state="queued", error=None)


def unqueue(review: PhotoReview, previous: ReviewState) -> PhotoReview:
    """A cancelled run: the photo goes back to the state it had before it was queued."""
    return _evolve(review, state=previous) if review.state == "queued" else review


def apply_result(review: PhotoReview, result: TagResult) -> PhotoReview:
    """Attach a tagging result: a fresh proposal (earlier edits are dropped) or a failure."""
    common: dict[str, Any] = {
        "size": result.size, "mtime_ns": result.mtime_ns,
        "models": {k: v.model_dump(mode="json") for k, v in result.models.items()},
        "prompt_profile": result.prompt_profile, "prompt_sha256": result.prompt_sha256,
        "tagged_at": result.finished_at, "batch_id": None,
    }
    if result.status == "cancelled":
        return _evolve(review, state="untagged" if review.state == "queued" else review.state)
    if result.status == "skipped":
        return _evolve(review, state="untagged" if review.state == "queued" else review.state)
    has_any = bool(result.caption or result.description or result.keywords)
    if result.status == "failed" and not has_any:
        return _evolve(review, state="failed",
                       error=result.error_message or "tagging failed", **common)
    return _evolve(
        review,
        state="proposed",
        proposed_title=(result.caption or "").strip() or None,
        proposed_description=(result.description or "").strip() or None,
        proposed_keywords=_dedupe(result.keywords),
        model_title=(result.caption or "").strip() or None,
        model_description=(result.description or "").strip() or None,
        timings_ms=dict(result.timings_ms),
        keyword_mapping=list(result.keyword_mapping or []),
        rejected_keywords=[], added_keywords=[],
        title_edited=False, description_edited=False,
        error=result.error_message or None,
        **common,
    )


def set_existing(review: PhotoReview, title: str | None, description: str | None,
                 keywords: Iterable[str]) -> PhotoReview:
    """Record the metadata the photo already holds (read from the file)."""
    return _evolve(review, existing_title=title, existing_description=description,
                   existing_keywords=_dedupe(keywords), existing_loaded=True)


def approve(review: PhotoReview) -> PhotoReview:
    _require_reviewable(review, "approve")
    if not review.has_proposal:
        raise ReviewError(f"cannot approve {review.name}: the proposal is empty; add a keyword "
                          f"or text, or reject it")
    return _evolve(review, state="approved")


def reject(review: PhotoReview) -> PhotoReview:
    _require_reviewable(review, "reject")
    return _evolve(review, state="rejected")


def reject_keyword(review: PhotoReview, keyword: str) -> PhotoReview:
    """Drop one keyword: a proposed one is marked removed, a user-added one disappears."""
    _require_reviewable(review, "edit the keywords of")
    key = _key(keyword)
    if key in {_key(k) for k in review.added_keywords}:
        return _evolve(review, added_keywords=[k for k in review.added_keywords
                                               if _key(k) != key])
    if key not in {_key(k) for k in review.proposed_keywords}:
        raise ReviewError(f"{keyword!r} is not a proposed keyword of {review.name}")
    if review.is_rejected_keyword(keyword):
        return review
    return _evolve(review, rejected_keywords=[*review.rejected_keywords, keyword])


def restore_keyword(review: PhotoReview, keyword: str) -> PhotoReview:
    """Undo the rejection of one proposed keyword."""
    _require_reviewable(review, "edit the keywords of")
    key = _key(keyword)
    return _evolve(review, rejected_keywords=[k for k in review.rejected_keywords
                                              if _key(k) != key])


def add_keyword(review: PhotoReview, keyword: str) -> PhotoReview:
    """Add a keyword typed by the user (a rejected proposed one is simply restored)."""
    _require_reviewable(review, "add a keyword to")
    kw = normalise_keyword(keyword)
    if not kw:
        raise ReviewError("a keyword cannot be empty")
    if len(kw) > 64:
        raise ReviewError(f"keyword is too long ({len(kw)} characters; IPTC allows 64): "
                          f"shorten it")
    if "|" in kw:
        raise ReviewError(f"{kw!r}: '|' separates hierarchy levels and cannot be part of a "
                          f"keyword")
    if review.is_rejected_keyword(kw):
        return restore_keyword(review, kw)
    key = kw.casefold()
    if key in {_key(k) for k in review.accepted_keywords}:
        return review
    return _evolve(review, added_keywords=[*review.added_keywords, kw])


def keyword_present(review: PhotoReview, keyword: str) -> tuple[str, str] | None:
    """``(spelling, where)`` when ``keyword`` (ignoring case) is already in the photo or kept
    among the proposed keywords; None when adding it would change something."""
    key = _key(keyword)
    for existing in review.existing_keywords:
        if _key(existing) == key:
            return existing, "in the photo"
    for kept in review.accepted_keywords:
        if _key(kept) == key:
            where = ("added" if key in {_key(k) for k in review.added_keywords}
                     else "proposed")
            return kept, where
    return None


def reopen(review: PhotoReview) -> PhotoReview:
    """Bring a written or rejected photo back for review, keeping its proposal and edits.

    The photo's current values are read again (``existing_loaded`` is cleared): after a write
    they are what the file holds, not what was proposed.
    """
    if review.state not in REOPENABLE:
        raise ReviewError(f"{review.name} is {review.state}: only written or rejected photos "
                          f"can be reviewed again")
    return _evolve(review, state="proposed", batch_id=None, error=None,
                   existing_loaded=review.existing_loaded and review.state != "written")


def edit_title(review: PhotoReview, text: str) -> PhotoReview:
    _require_reviewable(review, "edit the title of")
    return _evolve(review, proposed_title=text.strip() or None, title_edited=True)


def edit_description(review: PhotoReview, text: str) -> PhotoReview:
    _require_reviewable(review, "edit the description of")
    if len(text.encode("utf-8")) > 2000:
        raise ReviewError("the description is longer than 2000 bytes, the IPTC limit: shorten it")
    return _evolve(review, proposed_description=text.strip() or None, description_edited=True)


def mark_written(review: PhotoReview, batch_id: str | None, size: int | None = None,
                 mtime_ns: int | None = None) -> PhotoReview:
    """The writer applied the approved proposal in batch ``batch_id`` (None: the file needed
    no change, so there is nothing to undo).

    The photo's values become what the writer put there: an untouched proposal only fills an
    empty field, an edited one replaces it. They are marked unread so the file is read back.
    """
    if review.state != "approved":
        raise ReviewError(f"{review.name} was not approved; nothing may be written to it")

    def merged(final: str | None, existing: str | None, edited: bool) -> str | None:
        return final if final and (edited or not existing) else existing

    return _evolve(
        review, state="written", batch_id=batch_id, error=None,
        existing_title=merged(review.final_title, review.existing_title, review.title_edited),
        existing_description=merged(review.final_description, review.existing_description,
                                    review.description_edited),
        existing_keywords=_dedupe([*review.existing_keywords, *review.new_keywords]),
        written_keywords=review.new_keywords, existing_loaded=False,
        size=size if size is not None else review.size,
        mtime_ns=mtime_ns if mtime_ns is not None else review.mtime_ns,
    )


def mark_write_failed(review: PhotoReview, reason: str) -> PhotoReview:
    """The writer could not write this photo: it stays approved, with the reason shown."""
    return _evolve(review, state="approved", error=f"write failed: {reason}")


def mark_unwritten(review: PhotoReview, existing_title: str | None,
                   existing_description: str | None, existing_keywords: Iterable[str]
                   ) -> PhotoReview:
    """The write was undone: the photo is approved again and holds its previous values."""
    return _evolve(review, state="approved", batch_id=None, written_keywords=[],
                   existing_title=existing_title, existing_description=existing_description,
                   existing_keywords=_dedupe(existing_keywords), existing_loaded=True)


def to_proposal(review: PhotoReview, written_at: str | None = None) -> Proposal:
    """What approving ``review`` asks the metadata writer to do.

    Only approved photos yield a proposal. Texts the user edited in place replace the photo's
    existing text (the user saw both side by side); untouched ones only fill empty fields.
    """
    if review.state != "approved":
        raise ReviewError(f"{review.name} is {review.state}, not approved: nothing may be written "
                          f"to it")
    provenance = Provenance.from_stage_models(
        review.models, tagged_at=review.tagged_at, written_at=written_at,
        prompt_profile=review.prompt_profile, prompt_sha256=review.prompt_sha256)
    keywords, containers = proposal_keywords(review.accepted_keywords, review.keyword_mapping)
    # A literal "\u00e9" (from a proposal saved before answers were checked) is never written.
    return Proposal(
        path=review.path,
        title=decode_escapes(review.final_title) if review.final_title else None,
        description=decode_escapes(review.final_description) if review.final_description
        else None,
        keywords=keywords,
        containers=containers,
        overwrite_title=review.title_edited,
        overwrite_description=review.description_edited,
        provenance=provenance,
    )


class ReviewSession:
    """The current ``PhotoReview`` of every photo of an opened folder, in discovery order."""

    def __init__(self, reviews: Iterable[PhotoReview] = ()) -> None:
        self._items: dict[str, PhotoReview] = {}
        self._keyword_cache: dict[str, tuple[PhotoReview, list[str]]] = {}
        self._counts: dict[str, int] = dict.fromkeys(REVIEW_STATES, 0)
        """Photos per state, kept up to date by ``put`` so ``counts()`` costs nothing."""
        for review in reviews:
            self.put(review)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, path: object) -> bool:
        return path in self._items

    def __iter__(self) -> Iterator[PhotoReview]:
        return iter(self._items.values())

    def get(self, path: str) -> PhotoReview:
        try:
            return self._items[path]
        except KeyError:
            raise KeyError(f"{path} is not part of the open folder") from None

    def put(self, review: PhotoReview) -> None:
        old = self._items.get(review.path)
        if old is not None:
            self._counts[old.state] -= 1
        self._items[review.path] = review
        self._counts[review.state] += 1

    def add_paths(self, paths: Iterable[str]) -> list[str]:
        """Add untagged photos; returns the paths that were new."""
        added = []
        for path in paths:
            if path not in self._items:
                self.put(PhotoReview(path=path))
                added.append(path)
        return added

    def paths(self) -> list[str]:
        return list(self._items)

    def in_state(self, *states: str) -> list[PhotoReview]:
        return [r for r in self._items.values() if r.state in states]

    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def library_keywords(self) -> list[str]:
        """Every keyword already in the opened photos or accepted so far (for autocomplete)."""
        items: list[str] = []
        for path, review in self._items.items():
            cached = self._keyword_cache.get(path)
            if cached is None or cached[0] is not review:  # reviews are immutable
                cached = (review, [*review.existing_keywords, *review.accepted_keywords])
                self._keyword_cache[path] = cached
            items.extend(cached[1])
        return sorted(_dedupe(items), key=str.casefold)
