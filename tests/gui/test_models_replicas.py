"""Replicas in the details panel: add, edit, move and remove are each one undoable edit; bad
input is refused with its reason and changes nothing; untouched items keep their saved form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem

from imageworks_gui.gui.main_window import MainWindow


def _panel(win: MainWindow):
    ws = win.models
    ws.details.show_entry("vision-a")
    return ws.details.replicas, ws.doc


def _endpoints(doc) -> object:
    return doc.entry("vision-a").to_json_dict()["backend_config"].get("endpoints")


def test_add_edit_move_remove_each_one_undo_step(window: MainWindow) -> None:
    editor, doc = _panel(window)
    editor.new_address.setText("http://10.0.0.5:8000/v1")
    editor.add_clicked()
    assert _endpoints(doc) == ["http://10.0.0.5:8000/v1"]
    editor.new_address.setText("gpu2:8001")
    editor.add_clicked()
    assert _endpoints(doc) == ["http://10.0.0.5:8000/v1", {"host": "gpu2", "port": 8001}]
    editor.table.item(1, 1).setText("4")
    assert _endpoints(doc)[1] == {"host": "gpu2", "port": 8001, "max_concurrency": 4}
    editor.table.selectRow(1)
    editor.move_selected(-1)
    assert _endpoints(doc)[0]["host"] == "gpu2"
    doc.undo_stack.undo()
    assert _endpoints(doc)[0] == "http://10.0.0.5:8000/v1"
    doc.undo_stack.redo()
    editor.table.selectRow(0)
    editor.remove_selected()
    editor.table.selectRow(0)
    editor.remove_selected()
    assert "endpoints" not in doc.entry("vision-a").to_json_dict()["backend_config"]
    doc.undo_stack.undo()
    assert _endpoints(doc) == ["http://10.0.0.5:8000/v1"]
    assert editor.table.rowCount() == 1


def test_bad_input_is_refused_and_nothing_changes(window: MainWindow) -> None:
    editor, doc = _panel(window)
    editor.new_address.setText("http://a:1/v1")
    editor.add_clicked()
    steps = doc.undo_stack.count()
    for text, reason in (("", "needs a URL"), ("host:0", "from 1 to 65535"),
                         ("host:abc", "from 1 to 65535"), ("http://a:1/v1/", "listed twice")):
        editor.new_address.setText(text)
        editor.add_clicked()
        assert reason in editor.error_text
        assert _endpoints(doc) == ["http://a:1/v1"]
    editor.table.item(0, 1).setText("many")
    assert "whole number" in editor.error_text
    assert editor.table.item(0, 1).text() == ""
    assert doc.undo_stack.count() == steps


def test_untouched_bare_url_and_unknown_keys_survive_edits_of_others(
        window: MainWindow) -> None:
    editor, doc = _panel(window)
    entry = doc.entry("vision-a").to_json_dict()
    entry["backend_config"]["endpoints"] = ["http://a:1/v1",
                                            {"host": "b", "port": 2, "zone": "rack 3"}]
    from imageworks_gui.core.registry import RegistryEntry
    from imageworks_gui.gui.models.commands import ReplaceEntryCommand
    doc.undo_stack.push(ReplaceEntryCommand(doc, doc.entry("vision-a"),
                                            RegistryEntry.model_validate(entry), "seed"))
    editor.table.item(1, 2).setText("KEY_B")
    assert _endpoints(doc) == ["http://a:1/v1",
                               {"host": "b", "port": 2, "zone": "rack 3", "api_key_env": "KEY_B"}]
    editor.table.item(0, 0).setText("http://a:1/v1")  # no change: nothing recorded
    assert _endpoints(doc)[0] == "http://a:1/v1"
    assert isinstance(editor.table.item(0, 0), QTableWidgetItem)


def test_table_shows_each_replicas_state(window: MainWindow, fake_backend, run) -> None:
    from imageworks_gui.core.registry import RegistryEntry
    from imageworks_gui.gui.models.columns import COLUMN_INDEX
    from imageworks_gui.gui.models.commands import ReplaceEntryCommand
    from tests.gui.conftest import free_port
    from tests.support.fake_backend import FakeModel

    doc = window.models.doc
    one = fake_backend("vllm", [FakeModel("vision-a")])
    two = fake_backend("vllm", [FakeModel("vision-a")])
    closed = free_port()
    entry = doc.entry("vision-a").to_json_dict()
    entry["backend_config"]["endpoints"] = [f"http://127.0.0.1:{one.port}/v1",
                                            {"port": two.port},
                                            f"http://127.0.0.1:{closed}/v1"]
    doc.undo_stack.push(ReplaceEntryCommand(doc, doc.entry("vision-a"),
                                            RegistryEntry.model_validate(entry), "seed"))
    model = window.models.model
    index = model.index(doc.row_of("vision-a"), COLUMN_INDEX["endpoint"])
    assert model.data(index) == "3 replicas"
    run(window.models.controller.check_online(["vision-a"]))
    assert model.data(index) == "3 replicas: 2 online, 1 offline"
    tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert f"127.0.0.1:{one.port}: online" in tip
    assert f"127.0.0.1:{closed}: offline" in tip
    # A single-endpoint entry still shows its URL.
    assert model.data(model.index(doc.row_of("text-b"), COLUMN_INDEX["endpoint"])).startswith(
        "http://127.0.0.1:")
