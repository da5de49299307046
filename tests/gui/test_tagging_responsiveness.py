"""Cheap refresh paths of the Tagging workspace give the same answers as the plain ones."""

from __future__ import annotations

import gc
import sys
import weakref

from PySide6.QtCore import QPersistentModelIndex

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview, ReviewSession
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.gui.tagging.grid_model import PhotoGridModel
from imageworks_gui.gui.tagging.heap import (
    LAZY_HTTP_MODULES,
    preload_http_backend,
    settle_long_lived_objects,
)
from imageworks_gui.gui.tagging.keyword_library import KeywordLibrary
from imageworks_gui.gui.tagging.thumb_loader import ThumbnailLoader


def _proposed(path: str, keywords: list[str], existing: list[str]) -> PhotoReview:
    review = rv.apply_result(rv.queue(PhotoReview(path=path)), TagResult(
        path=path, status="ok", caption="c", description="d", keywords=keywords))
    return rv.set_existing(review, None, None, existing)


def test_keyword_library_matches_the_session_and_follows_edits():
    session = ReviewSession([
        _proposed("/p/a.jpg", ["Tree", " sky. ", "“Cloud”"], ["garden"]),
        _proposed("/p/b.jpg", ["tree", "Barn"], ["Garden", ""]),
        PhotoReview(path="/p/c.jpg"),
    ])
    library = KeywordLibrary()
    assert library.keywords(session) == session.library_keywords()
    assert library.keywords(session) == ["Barn", "Cloud", "garden", "sky", "Tree"]

    # A rejected keyword leaves the vocabulary; a typed one joins it; the first spelling wins.
    a = session.get("/p/a.jpg")
    session.put(rv.add_keyword(rv.reject_keyword(a, "sky"), "Meadow"))
    b = session.get("/p/b.jpg")
    session.put(rv.reject_keyword(b, "Barn"))
    assert library.keywords(session) == session.library_keywords()
    assert "sky" not in library.keywords(session)
    assert "Meadow" in library.keywords(session)
    assert "Barn" not in library.keywords(session)


def test_keyword_library_forgets_photos_of_a_closed_folder():
    library = KeywordLibrary()
    old = ReviewSession([_proposed(f"/old/{i}.jpg", [f"kw{i}"], []) for i in range(50)])
    assert len(library.keywords(old)) == 50
    new = ReviewSession([_proposed("/new/x.jpg", ["fresh"], [])])
    assert library.keywords(new) == ["fresh"]
    library.clear()
    assert library.keywords(ReviewSession()) == []


def test_sorting_a_sorted_grid_changes_no_layout_and_unsorted_rows_are_ordered(qtbot):
    session = ReviewSession()
    model = PhotoGridModel(session, ThumbnailLoader())
    layouts: list[int] = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    model.append_photos([(f"/p/IMG_{i}.jpg", 100 - i) for i in (1, 2, 10)])
    model.apply_sort()
    assert layouts == []  # discovery order was already natural name order
    model.append_photos([("/p/IMG_3.jpg", 5), ("/p/a.jpg", 1)])
    persistent = QPersistentModelIndex(model.index(model.row_of("/p/IMG_3.jpg") or 0))
    model.apply_sort()
    assert layouts == [1]
    assert [p.rsplit("/", 1)[-1] for p in model.paths()] == [
        "a.jpg", "IMG_1.jpg", "IMG_2.jpg", "IMG_3.jpg", "IMG_10.jpg"]
    assert model.path_at(persistent.row()) == "/p/IMG_3.jpg"  # selections follow their photo
    model.set_sort("date")
    assert [p.rsplit("/", 1)[-1] for p in model.paths()] == [
        "a.jpg", "IMG_3.jpg", "IMG_10.jpg", "IMG_2.jpg", "IMG_1.jpg"]
    model.reset_photos([("/q/b.jpg", 2), ("/q/a.jpg", 2)])
    model.apply_sort()  # equal dates fall back to the name
    assert model.paths() == ["/q/a.jpg", "/q/b.jpg"]


def test_settled_objects_leave_full_collections_but_are_still_freed_when_dropped():
    class Row:
        pass

    row = Row()
    freed: list[bool] = []
    ref = weakref.ref(row, lambda _r: freed.append(True))
    before = gc.get_freeze_count()
    settle_long_lived_objects()
    assert gc.get_freeze_count() > before
    del row  # a replaced review or a closed folder's row: freed at once, no collection needed
    assert freed == [True] and ref() is None


def test_http_backend_modules_are_loaded_before_the_first_request():
    preload_http_backend()
    assert all(name in sys.modules for name in LAZY_HTTP_MODULES)
