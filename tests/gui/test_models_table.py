"""Editing the registry table by clicking: delegates, checkboxes, lock cell, filters, reorder."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemDelegate, QApplication

from imageworks_gui.core.registry import replace_entry
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX, ENTRY_ROLE
from imageworks_gui.gui.models.delegates import CheckListEditor
from imageworks_gui.gui.models.details import set_field_text


def _cell(win: MainWindow, name: str, key: str) -> QModelIndex:
    ws = win.models
    source = ws.model.index(ws.doc.row_of(name), COLUMN_INDEX[key])
    return ws.proxy.mapFromSource(source)


def _click(qtbot, win: MainWindow, index: QModelIndex) -> None:
    view = win.models.table
    view.scrollTo(index)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_every_model_passes_qtmodeltester(window: MainWindow, qtmodeltester) -> None:
    qtmodeltester.check(window.models.model)
    qtmodeltester.check(window.models.proxy)


def test_models_stay_consistent_through_edits(window: MainWindow, qtmodeltester) -> None:
    ws = window.models
    qtmodeltester.check(ws.model, force_py=True)
    ws.table.selectRow(0)
    ws.duplicate_selected()
    ws.doc.move("text-b", 0)
    ws.delete_selected()
    ws.undo_stack.undo()
    ws.undo_stack.undo()
    ws.doc.load()
    assert ws.doc.names() == ["vision-a", "text-b", "old-c"]


def test_edit_roles_through_the_delegate(window: MainWindow, qtbot) -> None:
    view = window.models.table
    index = _cell(window, "text-b", "roles")
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.findChild(CheckListEditor, "rolesEditor")
    assert editor is not None
    assert editor.checked() == {"caption": False, "keywords": False, "description": False,
                                "title": False, "alt_text": False}
    editor.set_item_checked("keywords", True)
    editor.custom.setText("sky-detector")
    editor.add_custom()
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    entry = window.context.registry.entry("text-b")
    assert entry.roles == ["keywords", "sky-detector"]
    assert index.data() == "keywords, sky-detector"
    window.undo_action.trigger()
    assert window.context.registry.entry("text-b").roles == []


def test_toggle_capabilities_keeps_absent_flags_absent(window: MainWindow) -> None:
    view = window.models.table
    index = _cell(window, "text-b", "capabilities")
    view.edit(index)
    editor = view.findChild(CheckListEditor, "capabilitiesEditor")
    editor.set_item_checked("vision", True)
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    entry = window.context.registry.entry("text-b")
    assert entry.to_json_dict()["capabilities"] == {"text": True, "vision": True}


def test_capability_checkbox_in_details_panel(window: MainWindow) -> None:
    ws = window.models
    ws.select_name("vision-a")
    ws.details._caps["tools"].setChecked(True)
    assert ws.doc.entry("vision-a").capabilities.tools is True
    ws.details._caps["vision"].setChecked(False)
    assert ws.doc.entry("vision-a").capabilities.vision is False
    assert ws.undo_stack.count() == 2


def test_deprecate_toggle_by_clicking_the_checkbox(window: MainWindow, qtbot) -> None:
    index = _cell(window, "text-b", "deprecated")
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    window.models.model.setData(window.models.proxy.mapToSource(index),
                                Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert window.context.registry.entry("text-b").deprecated is True
    assert window.undo_action.text().startswith("&Undo Deprecate text-b") or \
        "Deprecate text-b" in window.undo_action.text()


def test_lock_by_clicking_the_lock_cell(window: MainWindow, qtbot, run) -> None:
    ws = window.models
    doc = ws.doc
    # vision-a has no hash yet: clicking verifies the files and locks them.
    _click(qtbot, window, _cell(window, "vision-a", "lock"))

    async def locked() -> None:
        from tests.gui.conftest import wait_for

        await wait_for(lambda: doc.entry("vision-a").is_locked)

    run(locked())
    entry = doc.entry("vision-a")
    assert entry.version_lock.expected_aggregate_sha256 == entry.artifacts.aggregate_sha256
    assert _cell(window, "vision-a", "lock").data() == "Locked"
    # Clicking again unlocks, and clicking once more locks to the recorded hash directly.
    _click(qtbot, window, _cell(window, "vision-a", "lock"))
    assert not doc.entry("vision-a").is_locked
    _click(qtbot, window, _cell(window, "vision-a", "lock"))
    assert doc.entry("vision-a").is_locked
    window.undo_action.trigger()
    assert not doc.entry("vision-a").is_locked


def test_invalid_cell_edit_is_refused_with_the_reason(window: MainWindow) -> None:
    ws = window.models
    ok = ws.model.setData(ws.model.index(0, COLUMN_INDEX["name"]), "text-b")
    assert not ok
    assert "already called 'text-b'" in ws.messages.label.text()
    ok = ws.model.setData(ws.model.index(0, COLUMN_INDEX["name"]), "   ")
    assert not ok
    assert "name" in ws.messages.label.text()
    assert ws.doc.names()[0] == "vision-a"
    assert not ws.doc.is_dirty


def test_details_panel_refuses_invalid_input_inline(window: MainWindow) -> None:
    ws = window.models
    ws.select_name("vision-a")
    panel = ws.details
    set_field_text(panel, ("backend_config", "port"), "80800")
    assert panel.error_text("backend_config", "port") == "must be at most 65535"
    set_field_text(panel, ("generation_defaults", "top_p"), "1.5")
    assert "less than or equal to 1" in panel.error_text("generation_defaults", "top_p")
    set_field_text(panel, ("backend_config", "base_url"), "localhost:8000")
    assert "http://" in panel.error_text("backend_config", "base_url")
    set_field_text(panel, ("metadata",), "[1, 2]", lambda: panel._commit_field(
        next(f for f in panel._fields if f.path == ("metadata",))))
    assert "JSON object" in panel.error_text("metadata")
    assert not ws.doc.is_dirty
    set_field_text(panel, ("backend_config", "port"), "8001")
    assert panel.error_text("backend_config", "port") == ""
    set_field_text(panel, ("backend_config", "extra_args"), '--limit-mm "image=2"')
    set_field_text(panel, ("model_aliases",), "a, b, a")
    entry = ws.doc.entry("vision-a")
    assert entry.backend_config.port == 8001
    assert entry.backend_config.extra_args == ["--limit-mm", "image=2"]
    assert entry.model_aliases == ["a", "b"]
    assert entry.to_json_dict()["custom_key"] == {"kept": True}
    assert ws.undo_stack.count() == 3


def test_details_rename_follows_the_entry(window: MainWindow) -> None:
    ws = window.models
    ws.select_name("text-b")
    set_field_text(ws.details, ("name",), "text-renamed")
    assert ws.doc.names() == ["vision-a", "text-renamed", "old-c"]
    assert ws.details.entry_name == "text-renamed"
    ws.undo_stack.undo()
    assert ws.details.entry_name == "text-b"
    assert ws.details.field("name").text() == "text-b"


def test_read_only_views_show_artifacts_and_probes(window: MainWindow) -> None:
    ws = window.models
    entry = ws.doc.entry("vision-a")
    new = replace_entry(entry, probes={"vision": {"vision_ok": True, "latency_ms": 412.0}})
    ws.model.setData(ws.model.index(0, 0), new, ENTRY_ROLE)
    ws.select_name("vision-a")
    assert "412.0" in ws.details.readonly["probes"].toPlainText()
    assert ws.details.readonly["probes"].isReadOnly()


def test_filter_as_you_type_and_by_role_capability_backend(window: MainWindow, qtbot) -> None:
    ws = window.models
    qtbot.keyClicks(ws.search, "VISION")
    assert ws.proxy.rowCount() == 1
    ws.search.clear()
    assert ws.proxy.rowCount() == 3
    ws.role_filter.setCurrentIndex(ws.role_filter.findData("caption"))
    assert ws.proxy.rowCount() == 2
    ws.capability_filter.setCurrentIndex(ws.capability_filter.findData("vision"))
    assert ws.proxy.rowCount() == 2
    ws.backend_filter.setCurrentIndex(ws.backend_filter.findData("gguf"))
    assert [ws.proxy.index(r, 0).data() for r in range(ws.proxy.rowCount())] == ["old-c"]
    ws.backend_filter.setCurrentIndex(0)
    ws.role_filter.setCurrentIndex(0)
    ws.capability_filter.setCurrentIndex(0)
    ws.drifted_only.setChecked(True)
    assert ws.proxy.rowCount() == 0


def test_sort_by_column_and_back_to_priority(window: MainWindow) -> None:
    ws = window.models
    ws.table.sortByColumn(COLUMN_INDEX["name"], Qt.SortOrder.AscendingOrder)
    assert [ws.proxy.index(r, 0).data() for r in range(3)] == ["old-c", "text-b", "vision-a"]
    assert not ws.table.reorder_allowed()
    ws.table.sortByColumn(COLUMN_INDEX["priority"], Qt.SortOrder.AscendingOrder)
    assert [ws.proxy.index(r, 0).data() for r in range(3)] == ["vision-a", "text-b", "old-c"]
    assert ws.table.reorder_allowed()


def test_drag_rows_to_change_priority(window: MainWindow) -> None:
    ws = window.models
    mime = ws.model.mimeData([ws.model.index(2, 0)])
    assert ws.model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert ws.doc.names() == ["old-c", "vision-a", "text-b"]
    assert ws.proxy.index(0, COLUMN_INDEX["priority"]).data() == "1"
    assert ws.model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)
    assert ws.doc.names() == ["vision-a", "text-b", "old-c"]
    ws.undo_stack.undo()
    assert ws.doc.names() == ["old-c", "vision-a", "text-b"]
    ws.select_name("text-b")
    ws.up_action.trigger()
    assert ws.doc.names() == ["old-c", "text-b", "vision-a"]


def test_add_duplicate_delete_and_undo(window: MainWindow) -> None:
    ws = window.models
    ws.add_action.trigger()
    assert ws.doc.names()[-1] == "new-model"
    assert ws.details.entry_name == "new-model"
    ws.select_name("vision-a")
    ws.duplicate_action.trigger()
    assert ws.doc.names()[1] == "vision-a-copy"
    assert ws.doc.entry("vision-a-copy").roles == ["caption", "keywords"]
    ws.select_name("text-b")
    ws.delete_action.trigger()
    assert "text-b" not in ws.doc.names()
    assert "Deleted text-b" in ws.messages.label.text()
    ws.messages.button("Undo").click()
    assert ws.doc.names() == ["vision-a", "vision-a-copy", "text-b", "old-c", "new-model"]
    for _ in range(2):
        window.undo_action.trigger()
    assert ws.doc.names() == ["vision-a", "text-b", "old-c"]
    assert not ws.doc.is_dirty
    QApplication.processEvents()


def test_bulk_role_edit_on_several_selected_rows_is_one_undo_step(window: MainWindow) -> None:
    ws = window.models
    view = ws.table
    view.selectAll()
    index = _cell(window, "text-b", "roles")
    view.edit(index)
    editor = view.findChild(CheckListEditor, "rolesEditor")
    editor.set_checked({"title": True})
    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
    assert [e.roles for e in ws.doc.entries] == [["title"], ["title"], ["title"]]
    assert ws.undo_stack.count() == 1
    assert "3 entries" in ws.undo_stack.undoText()
    ws.undo_stack.undo()
    assert [e.roles for e in ws.doc.entries] == [["caption", "keywords"], [], ["caption"]]
