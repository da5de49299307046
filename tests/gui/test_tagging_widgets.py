"""Tagging widgets without a model server: grid model, filters, review pane, undo, shortcuts."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.gui.tagging.grid_model import STATE_ROLE, THUMB_ERROR_ROLE
from imageworks_gui.gui.tagging.state import RunState
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from tests.gui.tagging_support import make_photos, wait_until


@pytest.fixture
def ws(context, qtbot) -> TaggingWorkspace:
    context.registry.load()
    widget = TaggingWorkspace(context)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    return widget


def _propose(ws: TaggingWorkspace, path: str, keywords=("tree", "sky", "cloud")) -> None:
    ctrl = ws.controller
    review = rv.apply_result(rv.queue(ctrl.session.get(path)), TagResult(
        path=path, status="ok", caption="A tree", description="A tree under clouds.",
        keywords=list(keywords), models={"keywords": {"name": "vision-a"}}))
    ctrl.put([rv.set_existing(review, None, None, ["garden"])])


def test_grid_fills_with_placeholders_then_thumbnails(tmp_path, ws, run, qtmodeltester):
    photos = make_photos(tmp_path / "p", ("red", "green", "blue"))
    (tmp_path / "p" / "broken.jpg").write_bytes(b"not a jpeg")

    async def flow() -> None:
        assert await ws.controller.open_paths([tmp_path / "p"]) == 4
        index = ws.model.index(0)
        assert index.data(STATE_ROLE) == "untagged"
        await wait_until(lambda: ws.loader.loaded >= 3)
        await wait_until(lambda: ws.loader.error(str(tmp_path / "p" / "broken.jpg")))

    run(flow())
    qtmodeltester.check(ws.model)
    qtmodeltester.check(ws.proxy)
    row = ws.model.row_of(str(photos[0]))
    assert isinstance(ws.model.index(row).data(Qt.ItemDataRole.DecorationRole), QImage)
    broken = ws.model.index(ws.model.row_of(str(tmp_path / "p" / "broken.jpg")))
    assert "not an image" in broken.data(THUMB_ERROR_ROLE)
    assert "Preview:" in broken.data(Qt.ItemDataRole.ToolTipRole)
    assert not ws.grid.grab().isNull()       # the delegate paints every state


def test_filters_and_natural_name_or_date_sort(tmp_path, ws, run):
    folder = tmp_path / "p"
    folder.mkdir()
    names = ["IMG_10.jpg", "img_2.jpg", "IMG_1.jpg"]
    for i, name in enumerate(names):
        make_photos(folder, ("red",), prefix="tmp")[0].rename(folder / name)
        os.utime(folder / name, ns=(10**18, 10**18 + (i + 1) * 10**9))

    async def flow() -> None:
        await ws.controller.open_paths([folder])

    run(flow())
    shown = [ws.proxy.index(r, 0).data() for r in range(ws.proxy.rowCount())]
    assert shown == ["IMG_1.jpg", "img_2.jpg", "IMG_10.jpg"]
    ws.status_row.sort.setCurrentIndex(ws.status_row.sort.findData("date"))
    shown = [ws.proxy.index(r, 0).data() for r in range(ws.proxy.rowCount())]
    assert shown == ["IMG_1.jpg", "img_2.jpg", "IMG_10.jpg"][::-1]
    _propose(ws, str(folder / "img_2.jpg"))
    ws.status_row.filter.setCurrentIndex(ws.status_row.filter.findData("proposed"))
    assert [ws.proxy.index(r, 0).data() for r in range(ws.proxy.rowCount())] == ["img_2.jpg"]
    ws.status_row.filter.setCurrentIndex(ws.status_row.filter.findData("untagged"))
    assert ws.proxy.rowCount() == 2
    with pytest.raises(ValueError, match="unknown filter"):
        ws.proxy.set_filter("bogus")


def test_review_pane_edits_are_undoable_and_autocomplete_offers_library_keywords(
        tmp_path, ws, run, qtbot):
    photos = make_photos(tmp_path / "p", ("red", "green"))
    run(ws.controller.open_paths([tmp_path / "p"]))
    a, b = (str(p) for p in photos)
    _propose(ws, a)
    _propose(ws, b, ("tree", "meadow"))
    ws.select_path(a)
    ws._refresh_summary()
    pane = ws.review_pane
    assert pane.completer_model.stringList() == ["cloud", "garden", "meadow", "sky", "tree"]
    pane.chips.chip("sky").click()
    assert ws.controller.session.get(a).rejected_keywords == ["sky"]
    pane.chips.chip("sky").click()                        # a removed chip restores
    assert ws.controller.session.get(a).rejected_keywords == []
    pane.description_edit.setPlainText("Edited description")
    pane.description_edit.editing_finished.emit()
    assert ws.controller.session.get(a).proposed_description == "Edited description"
    assert ws.undo_stack.undoText() == "Edit description (IMG_0001.jpg)"
    ws.undo_stack.undo()
    assert ws.controller.session.get(a).proposed_description == "A tree under clouds."
    assert pane.description_edit.toPlainText() == "A tree under clouds."
    assert ws.controller.approve_all_remaining() == 2
    assert ws.controller.session.counts()["approved"] == 2
    ws.undo_stack.undo()                                   # one step for the whole batch
    assert ws.controller.session.counts()["proposed"] == 2
    ws.undo_stack.redo()
    assert ws.controller.session.counts()["approved"] == 2


def test_keyboard_shortcuts_approve_reject_and_move(tmp_path, ws, run, qtbot):
    photos = make_photos(tmp_path / "p", ("red", "green", "blue"))
    run(ws.controller.open_paths([tmp_path / "p"]))
    for p in photos:
        _propose(ws, str(p))
    ws.select_path(str(photos[0]))
    ws.grid.setFocus()
    qtbot.keyClick(ws.grid, Qt.Key.Key_A)
    assert ws.controller.session.get(str(photos[0])).state == "approved"
    assert ws.current_path() == str(photos[1])
    qtbot.keyClick(ws.grid, Qt.Key.Key_R)
    assert ws.controller.session.get(str(photos[1])).state == "rejected"
    assert ws.current_path() == str(photos[2])
    qtbot.keyClick(ws.grid, Qt.Key.Key_Left)
    assert ws.current_path() == str(photos[1])
    qtbot.keyClick(ws.grid, Qt.Key.Key_Right)
    assert ws.current_path() == str(photos[2])
    # Typing "a" into the keyword box adds text; it does not approve.
    ws.review_pane.keyword_edit.setFocus()
    qtbot.keyClicks(ws.review_pane.keyword_edit, "ar")
    assert ws.review_pane.keyword_edit.text() == "ar"
    assert ws.controller.session.get(str(photos[2])).state == "proposed"


def test_bad_input_gives_actionable_notices(tmp_path, ws, run):
    ctrl = ws.controller
    empty = tmp_path / "empty"
    empty.mkdir()

    async def flow() -> None:
        assert await ctrl.open_paths([tmp_path / "missing"]) == 0
        assert "does not exist: check the path" in ws.notices[-1][1]
        assert await ctrl.open_paths([empty]) == 0
        assert "No photos found" in ws.notices[-1][1]
        photos = make_photos(tmp_path / "p", ("red",))
        await ctrl.open_paths([tmp_path / "p"])
        path = str(photos[0])
        assert not ctrl.add_keyword(path, "tree")           # untagged: nothing to edit
        assert "run tagging on it first" in ws.notices[-1][1]
        _propose(ws, path)
        assert not ctrl.add_keyword(path, "   ")
        assert "cannot be empty" in ws.notices[-1][1]
        assert not ctrl.edit_description(path, "x" * 2001)
        assert "2000 bytes" in ws.notices[-1][1]
        assert await ctrl.writer.write_approved() is None
        assert "No approved photos" in ws.notices[-1][1]
        assert not await ctrl.run("selection", [])
        assert "No photos are selected" in ws.notices[-1][1]
        ctrl.runner.state = RunState.RUNNING
        assert await ctrl.open_paths([tmp_path / "p"]) == 1
        assert "in progress" in ws.notices[-1][1]
        ctrl.runner.state = RunState.IDLE

    run(flow())


def test_export_jsonl_and_markdown(tmp_path, ws, run):
    photos = make_photos(tmp_path / "p", ("red", "green"))
    run(ws.controller.open_paths([tmp_path / "p"]))
    _propose(ws, str(photos[0]))
    ws.controller.reject_keyword(str(photos[0]), "sky")
    ws.controller.approve(str(photos[0]))
    run(ws.export_to(tmp_path / "out" / "batch.jsonl"))
    lines = (tmp_path / "out" / "batch.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["state"] for r in records] == ["approved", "untagged"]
    assert records[0]["final"]["keywords"] == ["tree", "cloud"]
    assert records[0]["rejected_keywords"] == ["sky"]
    md = (tmp_path / "out" / "batch.md").read_text(encoding="utf-8")
    assert "| approved | 1 |" in md and "IMG_0001.jpg" in md and "tree, cloud" in md
    assert "Exported batch.jsonl and batch.md" in ws.notices[-1][1]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run(ws.export_to(blocker / "batch.jsonl"))
    assert ws.notices[-1][0] == "error" and "choose a folder" in ws.notices[-1][1]


def test_review_of_written_photo_is_read_only(tmp_path, ws, run):
    photos = make_photos(tmp_path / "p", ("red",))
    run(ws.controller.open_paths([tmp_path / "p"]))
    path = str(photos[0])
    _propose(ws, path)
    review = rv.mark_written(rv.approve(ws.controller.session.get(path)), "b1")
    ws.controller.put([review])
    ws.select_path(path)
    pane = ws.review_pane
    assert not pane.title_edit.isEnabled() and not pane.approve_button.isEnabled()
    assert isinstance(ws.controller.session.get(path), PhotoReview)


def test_photo_tooltips_show_html_like_names_and_errors_literally(tmp_path, ws, run):
    from PySide6.QtGui import Qt, QTextDocument

    folder = tmp_path / "<b>shoot"
    photos = make_photos(folder, ("red",))
    odd = photos[0].rename(folder / "<img src=x>.jpg")

    async def flow() -> None:
        assert await ws.controller.open_paths([folder]) == 1

    run(flow())
    tip = ws.model.index(ws.model.row_of(str(odd))).data(Qt.ItemDataRole.ToolTipRole)
    shown = QTextDocument()  # what Qt's tool tip shows: HTML when the text looks like it
    if Qt.mightBeRichText(tip):
        shown.setHtml(tip)
    else:
        shown.setPlainText(tip)
    assert str(odd) in shown.toPlainText()


def test_write_summary_tooltips_show_html_like_reasons_literally(qtbot):
    from PySide6.QtGui import Qt, QTextDocument

    from imageworks_gui.gui.tagging.summary_dialog import WriteSummaryDialog
    from imageworks_gui.gui.tagging.writing import WriteSummary

    reason = "/p/<b>x.jpg: write failed: <h1>disk</h1> full"
    dialog = WriteSummaryDialog(WriteSummary("write", photos=1, failures=[("<b>x.jpg", reason)],
                                             notes=["<i>y.jpg: <img src=z> kept"]))
    qtbot.addWidget(dialog)
    tips = [dialog.details.topLevelItem(i).toolTip(1) for i in range(2)]
    shown = []
    for tip in tips:  # what Qt's tool tip shows: HTML when the text looks like it
        doc = QTextDocument()
        doc.setHtml(tip) if Qt.mightBeRichText(tip) else doc.setPlainText(tip)
        shown.append(doc.toPlainText())
    assert shown == [reason, "<img src=z> kept"]
