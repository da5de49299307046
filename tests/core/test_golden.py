"""Golden-set figures and verdict, with values worked out by hand."""

from __future__ import annotations

from imageworks_gui.core.golden import (
    GoldenPhoto,
    Proposal,
    baseline_figures,
    figures,
    golden_photo,
    verdict,
)
from imageworks_gui.core.review import PhotoReview

PHOTOS = [
    GoldenPhoto(path="a.jpg", truth_keywords=["fox", "snow"], truth_title="Red fox",
                baseline_keywords=["Fox", "snow", "tree", "sky"], baseline_title="Red fox"),
    GoldenPhoto(path="b.jpg", truth_keywords=["boat"], truth_title="Boat",
                baseline_keywords=["boat", "sea"], baseline_title="Boats"),
]


def test_baseline_figures_by_hand() -> None:
    got = baseline_figures(PHOTOS)
    # a: 2 of 4 proposed kept -> 0.5; b: 1 of 2 -> 0.5; recall 1 and 1.
    assert got.photos == 2 and got.failed == 0
    assert got.precision == 0.5 and got.recall == 1.0
    assert got.title_edit == 0.5  # 0 edits and 1 edit ("Boats" -> "Boat")


def test_new_run_figures_count_failed_photos() -> None:
    new = figures(PHOTOS, [Proposal(path="a.jpg", keywords=["fox", "snow"], title="Red fox"),
                           Proposal(path="b.jpg", error="server down")])
    assert new.photos == 1 and new.failed == 1
    assert new.precision == 1.0 and new.recall == 1.0 and new.title_edit == 0.0


def test_verdict_fails_only_beyond_the_margin() -> None:
    old = baseline_figures(PHOTOS)  # precision 0.5
    same_drop = figures(PHOTOS, [Proposal(path="a.jpg", keywords=["fox", "snow", "x", "y"]),
                                 Proposal(path="b.jpg", keywords=["boat", "q", "r", "s", "t"])])
    # a: 0.5, b: 0.2 -> 0.35: a drop of 0.15.
    assert abs(same_drop.precision - 0.35) < 1e-9
    assert verdict(old, same_drop, 0.05).status == "fail"
    assert verdict(old, same_drop, 0.15).status == "pass"  # exactly the margin passes
    assert "0.150" in verdict(old, same_drop, 0.05).reason


def test_nothing_measured_fails() -> None:
    new = figures(PHOTOS, [])
    assert new.photos == 0 and new.failed == 2
    assert verdict(baseline_figures(PHOTOS), new).status == "fail"


def test_only_finished_reviews_become_golden() -> None:
    review = PhotoReview(path="c.jpg", state="approved", proposed_keywords=["a", "b"],
                         rejected_keywords=["b"], added_keywords=["c"])
    photo = golden_photo(review)
    assert photo is not None
    assert photo.truth_keywords == ["a", "c"] and photo.baseline_keywords == ["a", "b"]
    assert golden_photo(PhotoReview(path="d.jpg", state="proposed")) is None
