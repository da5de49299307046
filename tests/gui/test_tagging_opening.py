"""Saved reviews that land after the photos are listed: restored, but never over a new edit."""

from __future__ import annotations

import asyncio

from imageworks_gui.core.review import PhotoReview, ReviewSession
from imageworks_gui.gui.tagging.opening import Restore, flush_size, restore_listed


class _Host:
    def __init__(self) -> None:
        self.session = ReviewSession()
        self.changed: list[list[str]] = []
        self.reviews_changed = self

    def emit(self, paths: list[str]) -> None:
        self.changed.append(paths)


def test_late_saved_states_fill_placeholders_but_keep_edits_made_meanwhile() -> None:
    host, restore = _Host(), Restore()
    names = ["/p/a b.jpg", "/p/ünï\u202e.jpg", "/p/edited.jpg", "/p/new.jpg"]
    for name in names:
        restore.placeholders[name] = placeholder = PhotoReview(path=name)
        host.session.put(placeholder)
    edited = PhotoReview(path="/p/edited.jpg", state="proposed", proposed_title="new run")
    host.session.put(edited)  # tagged again before the saved states arrived
    saved = {
        "/p/a b.jpg": PhotoReview(path="/p/a b.jpg", state="approved", proposed_title="t"),
        "/p/ünï\u202e.jpg": PhotoReview(path="/p/ünï\u202e.jpg", state="queued"),
        "/p/edited.jpg": PhotoReview(path="/p/edited.jpg", state="approved"),
    }
    asyncio.run(restore_listed(host, restore, saved))
    s = host.session
    assert s.get("/p/a b.jpg").state == "approved"
    assert s.get("/p/ünï\u202e.jpg").state == "untagged"  # an interrupted run is unqueued
    assert s.get("/p/edited.jpg") is edited
    assert s.get("/p/new.jpg").state == "untagged"
    assert host.changed == [["/p/a b.jpg", "/p/ünï\u202e.jpg"]]
    assert restore.count == 1
    assert not restore.placeholders
    # Photos listed after the load take their saved state directly.
    assert restore.saved_review("/p/edited.jpg").state == "approved"
    assert restore.saved_review("/p/unknown.jpg") is None


def test_listing_starts_small_then_grows() -> None:
    assert flush_size(0) == 32
    assert flush_size(32) == 256
    assert flush_size(8000) == 2000
    assert flush_size(100_000) == 4096


def test_session_counts_follow_every_change() -> None:
    s = ReviewSession([PhotoReview(path="/a"), PhotoReview(path="/b", state="approved")])
    s.add_paths(["/a", "/c"])
    s.put(PhotoReview(path="/a", state="rejected"))
    s.put(PhotoReview(path="/b", state="approved"))  # the same state again
    counts = s.counts()
    assert (counts["untagged"], counts["approved"], counts["rejected"]) == (1, 1, 1)
    assert sum(counts.values()) == len(s) == 3
    counts["approved"] = 99  # a copy: the caller cannot change the session's figures
    assert s.counts()["approved"] == 1
