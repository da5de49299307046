"""Editing the registry table as users expect: one click opens a choice list, a click on empty
space closes it, custom roles are offered, Ctrl+Z in the filter undoes the registry edit, and
Re-lock names the changed files."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX
from imageworks_gui.gui.models.delegates import CheckListEditor
from tests.gui.conftest import wait_for


def _cell(win: MainWindow, name: str, key: str):
    ws = win.models
    return ws.proxy.mapFromSource(ws.model.index(ws.doc.row_of(name), COLUMN_INDEX[key]))


def _click(qtbot, win: MainWindow, index) -> None:
    view = win.models.table
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.visualRect(index).center())


def test_one_click_on_an_unselected_rows_roles_opens_the_checklist(window: MainWindow,
                                                                  qtbot) -> None:
    view = window.models.table
    view.clearSelection()
    _click(qtbot, window, _cell(window, "text-b", "roles"))
    editor = view.findChild(CheckListEditor, "rolesEditor")
    assert editor is not None and editor.isVisible()
    assert window.models.selected_names() == ["text-b"]
    # A text cell still only selects on the first click (a second click edits it).
    view.clearSelection()
    _click(qtbot, window, _cell(window, "old-c", "name"))
    assert window.models.selected_names() == ["old-c"]
    assert view.state() != view.State.EditingState or view.findChild(
        CheckListEditor, "rolesEditor") is None


def test_a_click_on_empty_table_space_closes_the_roles_popup(window: MainWindow, qtbot,
                                                             run) -> None:
    view = window.models.table
    window.resize(1280, 800)
    _click(qtbot, window, _cell(window, "text-b", "roles"))
    editor = view.findChild(CheckListEditor, "rolesEditor")
    assert editor is not None and editor.isVisible()
    editor.set_item_checked("title", True)
    empty = QPoint(10, view.viewport().height() - 5)
    assert not view.indexAt(empty).isValid()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=empty)
    run(wait_for(lambda: view.findChild(CheckListEditor, "rolesEditor") is None
                 or not view.findChild(CheckListEditor, "rolesEditor").isVisible()))
    assert window.context.registry.entry("text-b").roles == ["title"]  # the tick was kept


def test_the_roles_checklist_offers_custom_roles_already_in_the_registry(window: MainWindow,
                                                                        qtbot) -> None:
    ws = window.models
    ws.model.setData(ws.model.index(ws.doc.row_of("old-c"), COLUMN_INDEX["roles"]),
                     ["caption", "sky-détecteur [x]"])
    ws.search.setText("text-b")  # the entry using the role is filtered out: still offered
    view = ws.table
    view.edit(_cell(window, "text-b", "roles"))
    editor = view.findChild(CheckListEditor, "rolesEditor")
    assert editor is not None
    assert "sky-détecteur [x]" in editor.checked()
    assert editor.checked()["sky-détecteur [x]"] is False


def test_ctrl_z_in_the_filter_box_undoes_the_registry_edit(window: MainWindow, qtbot, run) -> None:
    ws = window.models
    window.tabs.setCurrentWidget(ws)
    ws.model.setData(ws.model.index(ws.doc.row_of("text-b"), COLUMN_INDEX["display_name"]),
                     "Renamed")
    ws.search.setFocus()
    run(wait_for(ws.search.hasFocus))
    qtbot.keyClicks(ws.search, "tex")
    qtbot.keyClick(ws.search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyRelease(ws.search, Qt.Key.Key_Control)  # leave no modifier held for later tests
    assert ws.doc.entry("text-b").display_name is None
    assert ws.search.text() == "tex"  # the filter text stays as typed


def test_relock_dialog_lists_the_changed_files(window: MainWindow, snapshot, run) -> None:
    ws = window.models
    run(ws.controller.verify(["vision-a"], lock=True))
    (snapshot / "tokenizer.json").write_bytes(b"changed")
    (snapshot / "<b>added é.bin").write_bytes(b"new")
    run(ws.controller.verify(["vision-a"]))
    run(wait_for(lambda: ws.doc.entry("vision-a").drifted))
    ws.select_name("vision-a")
    ws.relock_action.trigger()
    box = ws.pending_dialog
    assert isinstance(box, QMessageBox)
    assert "changed: tokenizer.json" in box.text()
    assert "added: <b>added é.bin" in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    box.button(QMessageBox.StandardButton.Cancel).click()
