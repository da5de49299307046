"""Saving the registry: exact file content, external changes, keep-mine, conflicts."""

from __future__ import annotations

import json

from PySide6.QtCore import QModelIndex, Qt

from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX
from tests.gui.conftest import wait_for


def _edit(win: MainWindow, row: int, key: str, value) -> None:
    model = win.models.model
    assert model.setData(model.index(row, COLUMN_INDEX[key]), value)


def test_save_writes_exact_content_and_keeps_unknown_keys(window: MainWindow,
                                                         registry_file) -> None:
    original = json.loads(registry_file.read_text(encoding="utf-8"))
    _edit(window, 1, "served_model_id", "llava:13b")
    _edit(window, 1, "roles", ["keywords"])
    window.save_action.trigger()
    text = registry_file.read_text(encoding="utf-8")
    expected = original
    # Keys are saved in schema order: the new served name lands before the roles.
    expected[1] = {"name": "text-b", "backend": "ollama",
                   "backend_config": original[1]["backend_config"],
                   "capabilities": {"text": True}, "served_model_id": "llava:13b",
                   "roles": ["keywords"]}
    assert text == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(text)[0]["served_model_id"] is None  # null stays null
    assert json.loads(text)[0]["custom_key"] == {"kept": True}
    assert not window.isWindowModified()
    assert window.save_state_label.text() == "Saved"
    assert "Saved model_registry.json" in window.models.messages.label.text()


def test_saved_priority_order_follows_the_table(window: MainWindow, registry_file) -> None:
    ws = window.models
    ws.model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    assert ws.save()
    names = [e["name"] for e in json.loads(registry_file.read_text(encoding="utf-8"))]
    assert names == ["old-c", "vision-a", "text-b"]


def test_external_change_offers_reload(window: MainWindow, registry_file, run) -> None:
    ws = window.models
    data = json.loads(registry_file.read_text(encoding="utf-8"))
    data[1]["display_name"] = "Changed elsewhere"
    registry_file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    run(wait_for(lambda: "changed on disk" in ws.messages.label.text()
                 and not ws.messages.isHidden(), timeout=5))
    ws.messages.button("Reload").click()
    assert ws.doc.entry("text-b").display_name == "Changed elsewhere"
    assert ws.messages.isHidden()


def test_save_after_external_change_is_refused_until_the_user_decides(
        window: MainWindow, registry_file) -> None:
    ws = window.models
    _edit(window, 0, "display_name", "Mine")
    data = json.loads(registry_file.read_text(encoding="utf-8"))
    data[1]["display_name"] = "Theirs"
    theirs = json.dumps(data, indent=2) + "\n"
    registry_file.write_text(theirs, encoding="utf-8")
    assert not ws.save()
    assert registry_file.read_text(encoding="utf-8") == theirs  # nothing silently overwritten
    assert "changed on disk" in ws.messages.label.text()
    assert "unsaved changes would be lost" in ws.messages.label.text()
    ws.messages.button("Keep mine").click()
    assert ws.save()
    saved = json.loads(registry_file.read_text(encoding="utf-8"))
    assert saved[0]["display_name"] == "Mine"
    assert "display_name" not in saved[1]


def test_reload_with_unsaved_changes_asks_first(window: MainWindow, registry_file) -> None:
    from PySide6.QtWidgets import QMessageBox

    ws = window.models
    _edit(window, 0, "display_name", "Unsaved")
    window.reload_action.trigger()
    box = ws.pending_dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert ws.doc.entry("vision-a").display_name == "Unsaved"
    window.reload_action.trigger()
    ws.pending_dialog.button(QMessageBox.StandardButton.Discard).click()
    assert ws.doc.entry("vision-a").display_name == "Vision A"
    assert not window.isWindowModified()


def test_save_to_read_only_folder_reports_what_to_do(window: MainWindow, registry_file,
                                                     monkeypatch) -> None:
    ws = window.models
    _edit(window, 0, "display_name", "x")

    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(registry_file))

    monkeypatch.setattr("imageworks_gui.services.registry_store.atomic_write_text", denied)
    assert not ws.save()
    assert "Could not save" in ws.messages.label.text()
    assert "writable" in ws.messages.label.text()
    assert window.isWindowModified()


def test_undo_back_to_saved_state_clears_the_marker(window: MainWindow) -> None:
    _edit(window, 0, "display_name", "A")
    window.models.save()
    _edit(window, 0, "display_name", "B")
    assert window.isWindowModified()
    window.undo_action.trigger()
    assert not window.isWindowModified()
    window.undo_action.trigger()
    assert window.isWindowModified()
    assert window.models.proxy.index(0, COLUMN_INDEX["display_name"]).data(
        Qt.ItemDataRole.DisplayRole) == "Vision A"


def test_a_read_only_registry_is_not_replaced_by_the_app(window: MainWindow,
                                                         registry_file) -> None:
    ws = window.models
    before = registry_file.read_bytes()
    registry_file.chmod(0o444)
    try:
        _edit(window, 0, "display_name", "changed in the app")
        assert not ws.save()
        assert registry_file.read_bytes() == before
        assert "read-only" in ws.messages.label.text()
        assert window.isWindowModified()  # the edit is still there to save elsewhere
    finally:
        registry_file.chmod(0o644)


def test_messages_show_server_and_file_text_as_plain_text(window: MainWindow, qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    html = "<h1>502 Bad Gateway</h1><img src='file:///etc/passwd'>"
    bar = window.models.messages
    bar.show_message(f"Probe failed: {html}", "error")
    assert bar.label.text() == f"Probe failed: {html}"
    assert bar.label.textFormat() == Qt.TextFormat.PlainText  # tags shown, not rendered
    window.errors.dialogs_enabled = True
    try:
        window.errors.report("Unexpected error", html)
        box = next(w for w in window.findChildren(QMessageBox) if html in w.text())
        assert box.textFormat() == Qt.TextFormat.PlainText
        box.close()
    finally:
        window.errors.dialogs_enabled = False
