"""Review decisions as events and the scorecard figures per model version and role (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from imageworks_gui.core.quality_metrics import edit_distance, keyword_set, mean
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.review import PhotoReview

Decision = Literal["pending", "approved", "rejected"]
"""``pending`` retracts an earlier decision (an undo back to the proposal, "Review again")."""
ProseOutcome = Literal["as_proposed", "edited", "rejected"]

PROSE_STAGES: dict[str, str] = {"caption": "title", "description": "description"}
"""Stages whose proposal is prose, and the review field each fills."""


class DecisionEvent(BaseModel):
    """One photo's decision state for one stage's proposal, recorded when it changed."""

    model_config = ConfigDict(frozen=True)

    at: str
    path: str
    folder: str | None = None
    role: str
    model: str
    model_hash: str | None = None
    served_id: str | None = None
    profile: str | None = None
    profile_hash: str | None = None
    tagged_at: str | None = None
    """When the proposal was made: with path and role, it identifies the proposal."""
    decision: Decision
    proposed: int = 0
    kept: int = 0
    rejected: int = 0
    added: int = 0
    prose_outcome: ProseOutcome | None = None
    distance: int | None = None
    latency_ms: float | None = None

    @property
    def identity(self) -> tuple[str, str | None, str]:
        return (self.path, self.tagged_at, self.role)

    def same_decision(self, other: DecisionEvent) -> bool:
        """True when ``other`` records the same decision (only the time differs)."""
        return self.model_dump(exclude={"at"}) == other.model_dump(exclude={"at"})


def _decision(review: PhotoReview) -> Decision:
    if review.state in ("approved", "written"):
        return "approved"
    if review.state == "rejected":
        return "rejected"
    return "pending"


def _prose(review: PhotoReview, field: str, decision: Decision
           ) -> tuple[ProseOutcome | None, int | None]:
    extra = review.model_extra or {}
    original = extra.get(f"model_{field}")
    final = review.final_title if field == "title" else review.final_description
    edited = review.title_edited if field == "title" else review.description_edited
    if original is None and not edited:
        original = final
    if original is None and final is None:
        return None, None
    if decision == "rejected" or final is None:
        return "rejected", None
    if decision == "pending":
        return None, None
    if original is None or (final or "") == original:
        return ("as_proposed", None) if original is not None else ("edited", len(final or ""))
    return "edited", edit_distance(original, final)


def events_for(review: PhotoReview, at: str, folder: str | None = None) -> list[DecisionEvent]:
    """The decision events of one photo's current state, one per stage that proposed."""
    if review.state not in ("proposed", "approved", "rejected", "written"):
        return []
    decision = _decision(review)
    extra = review.model_extra or {}
    timings = extra.get("timings_ms") or {}
    out: list[DecisionEvent] = []
    for stage, record in sorted(review.models.items()):
        record = record if isinstance(record, dict) else {}
        fields: dict[str, object] = {
            "at": at, "path": review.path, "folder": folder, "role": stage,
            "model": str(record.get("name") or "?"), "model_hash": record.get("aggregate_sha256"),
            "served_id": record.get("served_id"), "profile": review.prompt_profile,
            "profile_hash": review.prompt_sha256, "tagged_at": review.tagged_at,
            "decision": decision, "latency_ms": timings.get(stage)}
        if stage == "keywords":
            proposed = keyword_set(review.proposed_keywords)
            rejected = proposed & keyword_set(review.rejected_keywords)
            kept = 0 if decision == "rejected" else len(proposed - rejected)
            fields.update(proposed=len(proposed), kept=kept, rejected=len(proposed) - kept,
                          added=len(keyword_set(review.added_keywords) - proposed))
        elif stage in PROSE_STAGES:
            outcome, distance = _prose(review, PROSE_STAGES[stage], decision)
            fields.update(prose_outcome=outcome, distance=distance)
        out.append(DecisionEvent.model_validate(fields))
    return out


class ScoreRow(BaseModel):
    """Figures for one model version (name + aggregate hash) in one role."""

    model_config = ConfigDict(frozen=True)

    role: str
    model: str
    model_hash: str | None
    photos: int
    photos_rejected: int
    keywords_proposed: int
    keywords_kept: int
    keyword_precision: float | None
    added_per_photo: float | None
    prose_decided: int
    prose_as_proposed: int
    prose_edited: int
    acceptance_rate: float | None
    mean_edit_distance: float | None
    mean_latency_ms: float | None
    first_at: str
    last_at: str

    def summary(self) -> str:
        """One line for a table cell, e.g. "keywords 82% kept, 214 photos"."""
        photos = f"{self.photos} photo{'s' if self.photos != 1 else ''}"
        if self.keyword_precision is not None:
            return f"keywords {self.keyword_precision:.0%} kept, {photos}"
        if self.acceptance_rate is not None:
            noun = PROSE_STAGES.get(self.role, self.role)
            return f"{noun}s {self.acceptance_rate:.0%} accepted, {photos}"
        return photos


def latest(events: Iterable[DecisionEvent]) -> list[DecisionEvent]:
    """The last event of every proposal (events in recording order), pending ones dropped."""
    last: dict[tuple[str, str | None, str], DecisionEvent] = {}
    for event in events:
        last[event.identity] = event
    return [e for e in last.values() if e.decision != "pending"]


def _row(key: tuple[str, str, str | None], group: Sequence[DecisionEvent]) -> ScoreRow:
    role, model, model_hash = key
    proposed = sum(e.proposed for e in group)
    kept = sum(e.kept for e in group)
    kw = [e for e in group if e.proposed or e.added]
    prose = [e for e in group if e.prose_outcome is not None]
    as_proposed = sum(1 for e in prose if e.prose_outcome == "as_proposed")
    edited = [e for e in prose if e.prose_outcome == "edited"]
    stamps = sorted(e.at for e in group)
    return ScoreRow(
        role=role, model=model, model_hash=model_hash, photos=len({e.path for e in group}),
        photos_rejected=len({e.path for e in group if e.decision == "rejected"}),
        keywords_proposed=proposed, keywords_kept=kept,
        keyword_precision=kept / proposed if proposed else None,
        added_per_photo=sum(e.added for e in kw) / len(kw) if kw else None,
        prose_decided=len(prose), prose_as_proposed=as_proposed, prose_edited=len(edited),
        acceptance_rate=as_proposed / len(prose) if prose else None,
        mean_edit_distance=mean(float(e.distance or 0) for e in edited),
        mean_latency_ms=mean(e.latency_ms for e in group),
        first_at=stamps[0], last_at=stamps[-1])


def figures(events: Iterable[DecisionEvent], role: str | None = None) -> list[ScoreRow]:
    """Scorecard rows per (role, model, hash) from the latest decision of every proposal.

    A photo rejected whole counts as every proposed keyword rejected and its prose rejected.
    Rows are ordered by role, then model, then first use (an upgrade follows its predecessor).
    """
    groups: dict[tuple[str, str, str | None], list[DecisionEvent]] = {}
    for event in latest(events):
        if role is None or event.role == role:
            groups.setdefault((event.role, event.model, event.model_hash), []).append(event)
    rows = [_row(key, group) for key, group in groups.items()]
    return sorted(rows, key=lambda r: (r.role, r.model.casefold(), r.first_at))


def quality_snapshot(rows: Sequence[ScoreRow], name: str, updated_at: str
                     ) -> dict[str, dict[str, object]]:
    """The ``performance.quality`` summary of entry ``name``: per role, its newest version."""
    out: dict[str, dict[str, object]] = {}
    for row in rows:
        if row.model != name:
            continue
        current = out.get(row.role)
        if current is None or str(current["last_at"]) <= row.last_at:
            out[row.role] = {
                "hash": row.model_hash, "photos": row.photos,
                "keyword_precision": row.keyword_precision,
                "acceptance_rate": row.acceptance_rate, "summary": row.summary(),
                "last_at": row.last_at, "updated_at": updated_at}
    return out


def with_quality(entry: RegistryEntry, rows: Sequence[ScoreRow], updated_at: str
                 ) -> RegistryEntry | None:
    """``entry`` with the scorecard summary in ``performance.quality`` (other keys kept).

    None when the scorecard has no figures for the entry, or the stored summary already says
    the same (apart from when it was taken), so nothing needs to change.
    """
    snap = quality_snapshot(rows, entry.name, updated_at)
    if not snap:
        return None
    data = entry.model_dump(mode="json", exclude_none=True)
    performance = dict(data.get("performance") or {})
    old = performance.get("quality")

    def timeless(value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {role: {k: v for k, v in fig.items() if k != "updated_at"}
                if isinstance(fig, dict) else fig for role, fig in value.items()}

    if timeless(old) == timeless(snap):
        return None
    performance["quality"] = snap
    data["performance"] = performance
    return RegistryEntry.model_validate(data)
