"""Review state machine: transitions, keyword decisions, text edits and what approval yields."""

from __future__ import annotations

import pytest

from imageworks_gui import __version__
from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview, ReviewError, ReviewSession
from imageworks_gui.core.tagging import TagResult


def _proposed(**extra) -> PhotoReview:
    base = PhotoReview(path="/photos/a.jpg", state="queued")
    result = TagResult(path="/photos/a.jpg", status="ok", caption="A red barn",
                       description="A red barn in a snowy field.",
                       keywords=["barn", "snow", "Field", "field"],
                       models={"caption": {"name": "m1"}}, size=10, mtime_ns=5, **extra)
    return rv.apply_result(base, result)


def test_result_becomes_proposal_with_deduplicated_keywords():
    r = _proposed()
    assert r.state == "proposed"
    assert r.proposed_title == "A red barn"
    assert r.proposed_keywords == ["barn", "snow", "Field"]
    assert r.models["caption"]["name"] == "m1"


def test_failed_result_without_output_is_failed_with_reason():
    r = rv.apply_result(PhotoReview(path="/p/x.jpg", state="queued"),
                        TagResult(path="/p/x.jpg", status="failed",
                                  errors={"caption": "backend on port 9 is not running"}))
    assert r.state == "failed"
    assert "port 9" in (r.error or "")
    with pytest.raises(ReviewError, match="run tagging on it again"):
        rv.approve(r)


def test_partial_failure_keeps_what_arrived_as_proposal():
    r = rv.apply_result(PhotoReview(path="/p/x.jpg", state="queued"),
                        TagResult(path="/p/x.jpg", status="failed", keywords=["tree"],
                                  errors={"description": "timeout"}))
    assert r.state == "proposed"
    assert r.proposed_keywords == ["tree"]
    assert "timeout" in (r.error or "")


def test_cancelled_result_returns_to_untagged():
    r = rv.apply_result(PhotoReview(path="/p/x.jpg", state="queued"),
                        TagResult(path="/p/x.jpg", status="cancelled"))
    assert r.state == "untagged"


def test_chips_show_existing_new_added_and_removed():
    r = rv.set_existing(_proposed(), "Old", None, ["snow", "winter"])
    r = rv.reject_keyword(r, "barn")
    r = rv.add_keyword(r, "farm")
    assert r.chips() == [("snow", "existing"), ("winter", "existing"), ("barn", "removed"),
                         ("Field", "new"), ("farm", "added")]
    assert r.new_keywords == ["Field", "farm"]


def test_reject_and_restore_keyword_case_insensitively():
    r = rv.reject_keyword(_proposed(), "SNOW")
    assert "snow" not in r.accepted_keywords
    r = rv.add_keyword(r, "snow")  # typing a rejected keyword restores it
    assert "snow" in r.accepted_keywords
    assert r.added_keywords == []


def test_add_keyword_dedupes_and_rejects_bad_input():
    r = rv.add_keyword(_proposed(), "  barn ")
    assert r.added_keywords == []
    with pytest.raises(ReviewError, match="empty"):
        rv.add_keyword(r, "   ")
    with pytest.raises(ReviewError, match="64"):
        rv.add_keyword(r, "x" * 65)
    with pytest.raises(ReviewError, match="hierarchy"):
        rv.add_keyword(r, "a|b")
    with pytest.raises(ReviewError, match="not a proposed keyword"):
        rv.reject_keyword(r, "nonexistent")


def test_removing_an_added_keyword_drops_it():
    r = rv.add_keyword(_proposed(), "farm")
    r = rv.reject_keyword(r, "farm")
    assert r.added_keywords == []
    assert ("farm", "removed") not in r.chips()


def test_text_edits_and_limits():
    r = rv.edit_title(_proposed(), "  Barn at dawn ")
    assert r.final_title == "Barn at dawn" and r.title_edited
    r = rv.edit_description(r, "")
    assert r.final_description is None
    with pytest.raises(ReviewError, match="2000 bytes"):
        rv.edit_description(r, "é" * 1001)


def test_approve_reject_and_write_transitions():
    r = rv.approve(_proposed())
    assert r.state == "approved"
    r2 = rv.reject(r)
    assert r2.state == "rejected"
    with pytest.raises(ReviewError, match="not approved"):
        rv.mark_written(r2, "b1")
    w = rv.mark_written(r, "b1", size=11, mtime_ns=6)
    assert w.state == "written" and w.batch_id == "b1"
    assert "barn" in w.existing_keywords and w.mtime_ns == 6
    with pytest.raises(ReviewError, match="Undo last write"):
        rv.edit_title(w, "x")
    back = rv.mark_unwritten(w, None, None, [])
    assert back.state == "approved" and back.existing_keywords == [] and back.batch_id is None


def test_empty_proposal_cannot_be_approved():
    r = rv.reject_keyword(rv.apply_result(PhotoReview(path="/p/x.jpg", state="queued"),
                          TagResult(path="/p/x.jpg", status="ok", keywords=["a"])), "a")
    assert r.new_keywords == []
    with pytest.raises(ReviewError, match="proposal is empty"):
        rv.approve(r)
    assert rv.reject(r).state == "rejected"


def test_unapproved_photo_states_refuse_edits():
    with pytest.raises(ReviewError, match="run tagging on it first"):
        rv.add_keyword(PhotoReview(path="/p/u.jpg"), "x")
    with pytest.raises(ReviewError, match="wait for its proposal"):
        rv.approve(PhotoReview(path="/p/u.jpg", state="queued"))


def test_write_failure_keeps_photo_approved_with_reason():
    r = rv.mark_write_failed(rv.approve(_proposed()), "file is read-only")
    assert r.state == "approved" and "read-only" in (r.error or "")


def test_session_counts_and_library_keywords():
    s = ReviewSession()
    assert s.add_paths(["/p/a.jpg", "/p/b.jpg", "/p/a.jpg"]) == ["/p/a.jpg", "/p/b.jpg"]
    s.put(rv.set_existing(_proposed(), None, None, ["Winter"]))
    assert s.counts()["proposed"] == 1 and s.counts()["untagged"] == 2
    assert s.library_keywords() == ["barn", "Field", "snow", "Winter"]
    with pytest.raises(KeyError, match="not part of the open folder"):
        s.get("/elsewhere.jpg")


def test_reviews_are_immutable():
    r = _proposed()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen set
        r.state = "approved"  # type: ignore[misc]


def test_only_approved_photo_yields_a_proposal_with_edits_and_provenance():
    r = rv.reject_keyword(_proposed(prompt_sha256="abc"), "snow")
    with pytest.raises(ReviewError, match="not approved"):
        rv.to_proposal(r)
    r = rv.approve(rv.edit_title(rv.add_keyword(r, "farm"), "Barn"))
    p = rv.to_proposal(r, written_at="2026-01-02T00:00:00+00:00")
    assert p.title == "Barn" and p.overwrite_title is True
    assert p.description == "A red barn in a snowy field." and p.overwrite_description is False
    assert p.keywords == ["barn", "Field", "farm"]
    assert p.provenance is not None and p.provenance.models == {"caption": "m1"}
    assert p.provenance.prompt_sha256 == "abc"


def test_provenance_keeps_tagging_time_and_write_time_apart_with_the_tool_version():
    r = rv.approve(_proposed(finished_at="2026-01-01T10:00:00+00:00"))
    p = rv.to_proposal(r, written_at="2026-01-03T09:30:00+00:00")
    assert p.provenance is not None
    assert p.provenance.tool == f"imageworks {__version__}"
    assert p.provenance.tagged_at == "2026-01-01T10:00:00+00:00"
    assert p.provenance.written_at == "2026-01-03T09:30:00+00:00"


def test_a_literal_escape_in_a_proposal_is_never_written():
    base = PhotoReview(path="/photos/a.jpg", state="queued")
    r = rv.approve(rv.apply_result(base, TagResult(
        path="/photos/a.jpg", status="ok", caption="Caf\\u00e9 terrace",
        description="Un caf\\u00e9 \\ud83d\\ude00", keywords=["x"])))
    p = rv.to_proposal(r)
    assert (p.title, p.description) == ("Café terrace", "Un café 😀")
