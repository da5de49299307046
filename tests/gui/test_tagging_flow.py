"""Whole Tagging flows against the fake backend and real ExifTool: drop, review, write, undo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from shiboken6 import isValid

from imageworks_gui.app import build_context
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from tests.gui.tagging_support import (
    exiftool_read,
    exiftool_set,
    make_photos,
    shut_down,
    wait_until,
    write_registry,
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def setup(tmp_path, qtbot, run, fake_backend):
    backend = fake_backend("vllm")
    registry = write_registry(tmp_path / "model_registry.json", backend)
    made = []

    def make() -> TaggingWorkspace:
        ctx = build_context(registry)
        window = MainWindow(ctx)
        window.errors.dialogs_enabled = False
        qtbot.addWidget(window, before_close_func=shut_down(run))
        ctx.registry.load()
        window.resize(1440, 900)
        window.show()
        made.append(window)
        assert isinstance(window.tagging, TaggingWorkspace)
        return window.tagging

    yield make, backend
    for window in made:
        run(window.context.shutdown())
        run(window.context.http.aclose())
        if isValid(window):
            window._closing_confirmed = True
            window.close()


def _drop(window: MainWindow, paths: list[Path]) -> None:
    """Drop files on the main window, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_drop_review_write_reads_back_exactly_the_approved_edits(tmp_path, setup, run):
    make, _backend = setup
    folder = tmp_path / "photos"
    red, green, blue, yellow = make_photos(folder)
    exiftool_set(green, "-XMP-dc:Subject=holiday", "-XMP-dc:Title=Old title")
    ws = make()
    ctrl = ws.controller

    async def flow() -> None:
        window = ws.window()
        window.tabs.setCurrentWidget(window.models)
        _drop(window, [folder])
        assert window.tabs.currentWidget() is ws
        await wait_until(lambda: ws.proxy.rowCount() == 4)          # placeholders at once
        await wait_until(lambda: ws.loader.loaded >= 4)             # thumbnails decoded
        assert not ws.empty_label.isVisible()
        ws.actions_.run_all.trigger()
        await wait_until(lambda: ctrl.session.counts()["proposed"] == 4)
        await wait_until(lambda: ctrl.run_state == "idle")
        assert "4 proposed" in ws.notices[-1][1]
        await wait_until(lambda: all(r.existing_loaded for r in ctrl.session))

        # red: reject one proposed keyword, add one, edit the title, approve with "A".
        ws.select_path(str(red))
        pane = ws.review_pane
        chip = pane.chips.chip("test pattern")
        assert chip is not None and chip.kind == "new"
        chip.click()
        assert pane.chips.chip("test pattern").kind == "removed"
        pane.keyword_edit.setText("barn door")
        pane.keyword_edit.returnPressed.emit()
        assert pane.chips.chip("barn door").kind == "added"
        pane.title_edit.setText("My red wall")
        pane.title_edit.editingFinished.emit()
        ws.actions_.approve.trigger()
        assert ctrl.session.get(str(red)).state == "approved"
        assert ws.current_path() == str(green)          # moved on to the next photo
        # green already holds a title and a keyword: both sides are shown, existing kept.
        assert pane.existing_title.text() == "Old title"
        assert pane.chips.chip("holiday").kind == "existing"
        ws.actions_.approve.trigger()
        ws.actions_.reject.trigger()                    # blue rejected
        assert ctrl.session.get(str(blue)).state == "rejected"
        ws.actions_.reject.trigger()                    # yellow rejected
        before = {p: _digest(p) for p in (blue, yellow)}

        ws.actions_.write.trigger()
        await wait_until(lambda: ctrl.session.get(str(green)).state == "written")
        await wait_until(lambda: ws.summary_dialog is not None)
        summary = ws.summary_dialog.summary
        assert (summary.kind, summary.written, summary.failures) == ("write", 2, [])
        assert "2</b> photo(s) written" in ws.summary_dialog.headline.text()

        got = exiftool_read(red)
        assert got["title"] == "My red wall"
        assert got["keywords"] == ["red", "red tones", "barn door"]
        assert "A photograph filled mostly with red" in got["description"]
        got = exiftool_read(green)
        assert got["title"] == "Old title"              # never clobbered without an edit
        assert got["keywords"] == ["holiday", "green", "green tones", "test pattern"]
        assert {p: _digest(p) for p in (blue, yellow)} == before  # rejected: untouched

        # Undo last write: previous values back.
        ws.summary_dialog.close()
        await wait_until(lambda: ws.actions_.undo_write.isEnabled())
        ws.actions_.undo_write.trigger()
        # It says what it will restore and acts only when confirmed.
        dialog = ws.undo_dialog
        assert dialog is not None and dialog.isVisible()
        assert "2 photo(s)" in dialog.text() and red.name in dialog.text()
        assert green.name in dialog.text()
        assert ctrl.session.get(str(red)).state == "written"
        next(b for b in dialog.buttons() if b.text() == "Restore previous values").click()
        await wait_until(lambda: ctrl.session.get(str(red)).state == "approved")
        await wait_until(lambda: ctrl.writer.busy is False)
        assert exiftool_read(red) == {"title": None, "description": None, "keywords": []}
        assert exiftool_read(green)["keywords"] == ["holiday"]
        assert exiftool_read(green)["title"] == "Old title"
        assert ws.summary_dialog.summary.kind == "undo"

    run(flow())


def test_restart_restores_review_state(tmp_path, setup, run):
    make, _ = setup
    folder = tmp_path / "photos"
    red, green, blue, _yellow = make_photos(folder)
    ws = make()
    ctrl = ws.controller

    async def first_session() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("all")
        assert ctrl.reject_keyword(str(red), "test pattern")
        assert ctrl.add_keyword(str(red), "wall")
        assert ctrl.edit_title(str(red), "Edited")
        assert ctrl.approve(str(red))
        assert ctrl.reject(str(green))
        assert ctrl.approve(str(blue))
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.written == 2
        await ws.context.shutdown()                      # closing the app saves

    run(first_session())
    ws2 = make()

    async def second_session() -> None:
        # Before any folder is opened, the last session's write can be undone.
        await wait_until(lambda: ws2.actions_.undo_write.isEnabled())
        assert "2 photo(s) written" in ws2.actions_.undo_write.toolTip()
        ws2.open_paths([folder])
        await wait_until(lambda: ws2.proxy.rowCount() == 4)
        await wait_until(lambda: ws2.controller.discovery_errors is not None and
                         len(ws2.controller.session) == 4)
        s = ws2.controller.session
        r = s.get(str(red))
        assert r.state == "written"
        assert r.rejected_keywords == ["test pattern"] and r.added_keywords == ["wall"]
        assert r.proposed_title == "Edited"
        assert s.get(str(green)).state == "rejected"
        assert s.get(str(blue)).state == "written"
        assert s.get(str(_yellow)).state == "proposed"
        assert any("Restored the review of 4" in text for _, text in ws2.notices)
        ws2.status_row.filter.setCurrentIndex(ws2.status_row.filter.findData("written"))
        assert ws2.proxy.rowCount() == 2
        assert "Written (2)" in ws2.status_row.filter.itemText(
            ws2.status_row.filter.findData("written"))
        # The write of the last session can still be undone after the restart.
        assert exiftool_read(red)["title"] == "Edited"
        summary = await ws2.controller.writer.undo_last_write()
        assert summary is not None and summary.written == 2
        assert s.get(str(red)).state == "approved" and s.get(str(blue)).state == "approved"
        assert exiftool_read(red) == {"title": None, "description": None, "keywords": []}

    run(second_session())


def test_dry_run_makes_writing_impossible(tmp_path, setup, run):
    make, _ = setup
    folder = tmp_path / "photos"
    photos = make_photos(folder, ("red", "blue"))
    before = {p: _digest(p) for p in photos}
    ws = make()
    ctrl = ws.controller

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("all")
        assert ctrl.approve_all_remaining() == 2
        ws.actions_.dry_run.setChecked(True)
        assert ws.actions_.write.text() == "Preview write (dry run)"
        assert not ws.actions_.undo_write.isEnabled()
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.kind == "dry-run"
        assert summary.written == 2 and summary.keywords_added == 6
        assert {p: _digest(p) for p in photos} == before
        assert all(r.state == "approved" for r in ctrl.session)
        assert await ctrl.writer.undo_last_write() is None
        assert "Dry run is on" in ws.notices[-1][1]
        assert not list((Path(ws.context.registry_path).parent).glob("**/*.xmp"))

    run(flow())


def test_write_failure_keeps_photo_approved_with_reason_and_others_are_written(
        tmp_path, setup, run):
    make, _ = setup
    folder = tmp_path / "photos"
    red, green = make_photos(folder, ("red", "green"))
    ws = make()
    ctrl = ws.controller

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("all")
        assert ctrl.approve_all_remaining() == 2
        green.unlink()                                   # gone before the write
        summary = await ctrl.writer.write_approved()
        assert summary is not None
        assert summary.written == 1 and len(summary.failures) == 1
        name, reason = summary.failures[0]
        assert name == green.name and reason
        failed = ctrl.session.get(str(green))
        assert failed.state == "approved" and failed.error.startswith("write failed:")
        assert ctrl.session.get(str(red)).state == "written"
        assert exiftool_read(red)["keywords"] == ["red", "red tones", "test pattern"]
        index = ws.model.index(ws.model.row_of(str(green)))
        assert "write failed" in index.data(Qt.ItemDataRole.ToolTipRole)
        await wait_until(lambda: ws.summary_dialog is not None)
        assert ws.summary_dialog.details.topLevelItemCount() >= 1
        # The message bar keeps the outcome, its colour taken from the failure count.
        assert ws.notices[-1] == ("warning", "Write finished: 1 of 2 photo(s) written, 1 failed "
                                             "(they stay approved; see the summary).")
        assert ws.notice_bar.kind == "warning"

    run(flow())
