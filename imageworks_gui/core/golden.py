"""Golden sets: the user's ground truth per photo, figures of a run against it, and the verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imageworks_gui.core.quality_metrics import (
    edit_distance,
    keyword_precision,
    keyword_recall,
    mean,
)
from imageworks_gui.core.review import PhotoReview

DEFAULT_MARGIN = 0.05
"""How far (absolute) keyword precision may drop before a re-run fails."""
GOLDEN_STATES = ("approved", "written")
"""Only photos whose review the user finished carry ground truth."""


class GoldenPhoto(BaseModel):
    """One photo of a golden set: what the user kept and what the reviewed model proposed."""

    model_config = ConfigDict(frozen=True)

    path: str
    truth_keywords: list[str] = Field(default_factory=list)
    truth_title: str | None = None
    truth_description: str | None = None
    baseline_keywords: list[str] = Field(default_factory=list)
    baseline_title: str | None = None
    baseline_description: str | None = None
    models: dict[str, Any] = Field(default_factory=dict)
    """Stage -> the model record of the reviewed proposal (which model made the baseline)."""


class Proposal(BaseModel):
    """What a model proposed for one photo in a re-run."""

    model_config = ConfigDict(frozen=True)

    path: str
    keywords: list[str] = Field(default_factory=list)
    title: str | None = None
    description: str | None = None
    error: str | None = None


class RunFigures(BaseModel):
    """Agreement of one model's proposals with a golden set's ground truth."""

    model_config = ConfigDict(frozen=True)

    photos: int = 0
    """Photos with a usable proposal (failed photos are counted in ``failed``)."""
    failed: int = 0
    precision: float | None = None
    recall: float | None = None
    title_edit: float | None = None
    """Mean characters changed per title."""
    description_edit: float | None = None


class Verdict(BaseModel):
    """Old against new figures and whether the new model passes."""

    model_config = ConfigDict(frozen=True)

    old: RunFigures
    new: RunFigures
    margin: float
    precision_drop: float | None
    """Old precision minus new (positive: worse); None when either is unknown."""
    status: Literal["pass", "fail"]
    reason: str


def golden_photo(review: PhotoReview) -> GoldenPhoto | None:
    """The golden-set record of a finished review (None: not approved or written)."""
    if review.state not in GOLDEN_STATES:
        return None
    return GoldenPhoto(path=review.path, truth_keywords=review.accepted_keywords,
                       truth_title=review.final_title,
                       truth_description=review.final_description,
                       baseline_keywords=list(review.proposed_keywords),
                       baseline_title=review.proposed_title,
                       baseline_description=review.proposed_description,
                       models=dict(review.models))


def golden_photos(reviews: Iterable[PhotoReview]) -> tuple[list[GoldenPhoto], int]:
    """The golden-set records of the finished reviews, and how many reviews were not finished."""
    photos: list[GoldenPhoto] = []
    skipped = 0
    for review in reviews:
        photo = golden_photo(review)
        if photo is None:
            skipped += 1
        else:
            photos.append(photo)
    return photos, skipped


def baseline_models(photos: Iterable[GoldenPhoto]) -> dict[str, object]:
    """Which models made the reviewed proposals: per stage, each (name, hash) with its photos.

    A set can mix versions (photos tagged before and after an upgrade); every one is named, the
    most used first, so the baseline is not attributed to whichever photo came first.
    """
    counts: dict[str, Counter[tuple[str, str | None]]] = {}
    for photo in photos:
        for stage, record in photo.models.items():
            if isinstance(record, dict) and record.get("name"):
                sha = record.get("aggregate_sha256")
                counts.setdefault(stage, Counter())[
                    (str(record["name"]), str(sha) if sha else None)] += 1
    return {"models": {stage: [{"name": name, "aggregate_sha256": sha, "photos": n}
                               for (name, sha), n in sorted(
                                   counter.items(), key=lambda kv: (-kv[1], kv[0][0]))]
                       for stage, counter in sorted(counts.items())}}


def figures(photos: Sequence[GoldenPhoto], proposals: Iterable[Proposal]) -> RunFigures:
    """Mean precision, recall and edit distances of ``proposals`` against the set's truth."""
    by_path = {p.path: p for p in proposals}
    precision: list[float | None] = []
    recall: list[float | None] = []
    titles: list[float | None] = []
    descriptions: list[float | None] = []
    used = failed = 0
    for photo in photos:
        proposal = by_path.get(photo.path)
        if proposal is None or proposal.error is not None:
            failed += 1
            continue
        used += 1
        precision.append(keyword_precision(proposal.keywords, photo.truth_keywords))
        recall.append(keyword_recall(proposal.keywords, photo.truth_keywords))
        if photo.truth_title is not None:
            titles.append(edit_distance(proposal.title, photo.truth_title))
        if photo.truth_description is not None:
            descriptions.append(edit_distance(proposal.description, photo.truth_description))
    return RunFigures(photos=used, failed=failed, precision=mean(precision),
                      recall=mean(recall), title_edit=mean(titles),
                      description_edit=mean(descriptions))


def baseline_figures(photos: Sequence[GoldenPhoto]) -> RunFigures:
    """Figures of the proposals the user reviewed (no old model needed to recompute them)."""
    return figures(photos, [Proposal(path=p.path, keywords=p.baseline_keywords,
                                     title=p.baseline_title,
                                     description=p.baseline_description) for p in photos])


def verdict(old: RunFigures, new: RunFigures, margin: float = DEFAULT_MARGIN) -> Verdict:
    """Fail when keyword precision drops by more than ``margin`` or nothing could be measured."""
    if new.photos == 0:
        return Verdict(old=old, new=new, margin=margin, precision_drop=None, status="fail",
                       reason="no photo of the golden set got a proposal from the new model")
    if old.precision is None or new.precision is None:
        return Verdict(old=old, new=new, margin=margin, precision_drop=None, status="pass",
                       reason="keyword precision is unknown (no keywords proposed)")
    drop = old.precision - new.precision
    # Rounded so that a drop of exactly the margin (0.75 -> 0.70 at 0.05) passes.
    if round(drop, 9) > margin:
        return Verdict(old=old, new=new, margin=margin, precision_drop=drop, status="fail",
                       reason=f"keyword precision dropped by {drop:.3f} "
                              f"({old.precision:.3f} -> {new.precision:.3f}), more than the "
                              f"margin {margin:.3f}")
    return Verdict(old=old, new=new, margin=margin, precision_drop=drop, status="pass",
                   reason=f"keyword precision {old.precision:.3f} -> {new.precision:.3f} "
                          f"(margin {margin:.3f})")
