"""The large-folder shortcuts give the same answers as the plain paths."""

from __future__ import annotations

import gc

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview, ReviewSession
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.gui.tagging.grid_model import PhotoGridModel
from imageworks_gui.gui.tagging.heap import paused_collection
from imageworks_gui.gui.tagging.keyword_library import KeywordLibrary
from imageworks_gui.gui.tagging.opening import as_reopened
from imageworks_gui.gui.tagging.thumb_loader import ThumbnailLoader


def _proposed(path: str, keywords: list[str]) -> PhotoReview:
    return rv.apply_result(rv.queue(PhotoReview(path=path)), TagResult(
        path=path, status="ok", caption="c", description="d", keywords=keywords))


def test_keyword_library_told_what_changed_matches_a_full_check():
    session = ReviewSession([_proposed("/p/a.jpg", ["Tree", "sky"]),
                             _proposed("/p/b.jpg", ["tree", "Barn"])])
    library = KeywordLibrary(budget=1)  # one review per refresh: the rest stays pending
    assert library.keywords(session, set()) == ["sky", "Tree"]
    assert library.pending
    assert library.keywords(session, set()) == ["Barn", "sky", "Tree"]
    session.put(rv.reject_keyword(session.get("/p/a.jpg"), "Tree"))  # b's spelling is left
    session.put(PhotoReview(path="/p/c.jpg"))
    library.keywords(session, {"/p/a.jpg"})
    while library.pending:  # the budget spreads the work over refreshes
        library.keywords(session, set())
    assert library.keywords(session, set()) == session.library_keywords() == ["Barn", "sky", "tree"]


def test_collection_paused_while_opening_resumes_afterwards():
    assert gc.isenabled()
    with paused_collection():
        assert not gc.isenabled()
        with paused_collection():  # an overlapping open
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_collection():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_rows_arriving_in_order_need_no_sort_and_out_of_order_ones_are_sorted(qtbot):
    model = PhotoGridModel(ReviewSession(), ThumbnailLoader())
    model.append_photos([("/p/IMG_1.jpg", 3), ("/p/IMG_2.jpg", 2)])
    model.append_photos([("/p/IMG_10.jpg", 1)])
    moves = []
    model.layoutChanged.connect(lambda *_: moves.append(1))
    model.apply_sort()
    assert model.paths() == ["/p/IMG_1.jpg", "/p/IMG_2.jpg", "/p/IMG_10.jpg"] and not moves
    model.append_photos([("/p/IMG_3.jpg", 0)])  # natural order: before IMG_10
    model.apply_sort()
    assert model.paths() == ["/p/IMG_1.jpg", "/p/IMG_2.jpg", "/p/IMG_3.jpg", "/p/IMG_10.jpg"]
    model.set_sort("date")
    assert model.paths() == ["/p/IMG_3.jpg", "/p/IMG_10.jpg", "/p/IMG_2.jpg", "/p/IMG_1.jpg"]


def test_saved_reviews_reopen_unqueued_and_unread():
    queued = rv.queue(PhotoReview(path="/p/q.jpg"))
    read = rv.set_existing(_proposed("/p/r.jpg", ["wall"]), "t", None, ["old"])
    assert as_reopened(queued).state == "untagged"
    again = as_reopened(read)
    assert again.state == "proposed" and not again.existing_loaded
    assert again.proposed_keywords == read.proposed_keywords
