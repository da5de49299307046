"""Scorecard figures from a known set of decisions, checked by hand."""

from __future__ import annotations

from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.scorecard import events_for, figures


def _review(path: str, state: str, **extra: object) -> PhotoReview:
    data: dict[str, object] = {
        "path": path, "state": state, "tagged_at": "2026-01-01T00:00:00Z",
        "models": {"keywords": {"name": "vl", "aggregate_sha256": "h1"},
                   "caption": {"name": "vl", "aggregate_sha256": "h1"}},
        "proposed_title": "A red fox", "model_title": "A red fox",
        "timings_ms": {"keywords": 100.0, "caption": 300.0}}
    data.update(extra)
    return PhotoReview.model_validate(data)


def test_ten_proposed_eight_kept_is_eighty_percent() -> None:
    a = _review("/p/a.jpg", "approved", proposed_keywords=list("abcdef"),
                rejected_keywords=["a"], added_keywords=["z", "y"])
    b = _review("/p/b.jpg", "approved", proposed_keywords=list("ghij"), rejected_keywords=["g"],
                proposed_title="A red cat", title_edited=True)
    events = events_for(a, "t1") + events_for(b, "t2")
    rows = {r.role: r for r in figures(events)}
    kw = rows["keywords"]
    assert (kw.keywords_proposed, kw.keywords_kept, kw.photos) == (10, 8, 2)
    assert kw.keyword_precision == 0.8
    assert kw.added_per_photo == 1.0  # 2 added over 2 photos
    assert kw.summary() == "keywords 80% kept, 2 photos"
    cap = rows["caption"]
    assert (cap.prose_as_proposed, cap.prose_edited, cap.acceptance_rate) == (1, 1, 0.5)
    assert cap.mean_edit_distance == 3.0  # "fox" -> "cat"
    assert cap.mean_latency_ms == 300.0


def test_latest_event_wins_and_undo_retracts() -> None:
    approved = _review("/p/a.jpg", "approved", proposed_keywords=["a", "b"])
    undone = _review("/p/a.jpg", "proposed", proposed_keywords=["a", "b"])
    assert figures(events_for(approved, "t1") + events_for(undone, "t2")) == []
    rejected = _review("/p/a.jpg", "rejected", proposed_keywords=["a", "b"])
    rows = figures(events_for(approved, "t1") + events_for(rejected, "t2"), role="keywords")
    assert rows[0].keyword_precision == 0.0 and rows[0].photos_rejected == 1


def test_upgrade_is_a_new_row() -> None:
    old = _review("/p/a.jpg", "approved", proposed_keywords=["a"])
    new = _review("/p/b.jpg", "approved", proposed_keywords=["a"],
                  models={"keywords": {"name": "vl", "aggregate_sha256": "h2"}})
    rows = figures(events_for(old, "t1") + events_for(new, "t2"), role="keywords")
    assert [r.model_hash for r in rows] == ["h1", "h2"]

