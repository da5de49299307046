"""Manifest import (dry-run preview then Apply), backend discovery and probes."""

from __future__ import annotations

import json
from pathlib import Path

from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX, ENTRY_ROLE
from imageworks_gui.gui.models.discover_dialog import DiscoverDialog, parse_ports
from imageworks_gui.gui.models.import_dialog import ManifestImportDialog
from imageworks_gui.services.backends.endpoints import start_command
from tests.gui.conftest import make_snapshot, wait_for
from tests.support.fake_backend import FakeModel


def _manifest(tmp_path: Path, snapshot: Path) -> Path:
    other = make_snapshot(tmp_path / "snapshots" / "InternVL3-8B",
                          {"config.json": b'{"vision_config": {}}', "model.safetensors": b"x"})
    path = tmp_path / "models.json"
    path.write_text(json.dumps({
        "opengvlab_internvl3-8b_safetensors_linux": {
            "model_name": "OpenGVLab/InternVL3-8B", "path": str(other),
            "format_type": "safetensors"},
        "broken": {"model_name": "x/y"},
    }), encoding="utf-8")
    return path


def test_manifest_import_previews_then_applies(window: MainWindow, tmp_path, snapshot,
                                               registry_file, run) -> None:
    ws = window.models
    manifest = _manifest(tmp_path, snapshot)
    before = registry_file.read_text(encoding="utf-8")
    ws.import_action.trigger()
    dialog = ws.pending_dialog
    assert isinstance(dialog, ManifestImportDialog)
    assert not dialog.apply_button.isEnabled()
    dialog.path_edit.setText(str(manifest))
    dialog.preview_button.click()
    run(wait_for(lambda: dialog.plan is not None))
    rows = [(dialog.plan_model.index(r, 0).data(), dialog.plan_model.index(r, 1).data())
            for r in range(dialog.plan_model.rowCount())]
    assert rows == [("create", "internvl3-8b"), ("error", "")]
    assert "missing path" in dialog.plan_model.index(1, 3).data()
    assert "1 to create" in dialog.summary.text()
    # The preview changed nothing.
    assert ws.doc.names() == ["vision-a", "text-b", "old-c"]
    assert not ws.doc.is_dirty
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()
    assert ws.doc.names() == ["vision-a", "text-b", "old-c", "internvl3-8b"]
    assert ws.doc.entry("internvl3-8b").capabilities.vision is True
    assert registry_file.read_text(encoding="utf-8") == before  # not saved until Save
    window.undo_action.trigger()
    assert ws.doc.names() == ["vision-a", "text-b", "old-c"]


def test_manifest_that_is_not_json_is_reported_in_the_dialog(window: MainWindow, tmp_path,
                                                             run) -> None:
    bad = tmp_path / "models.json"
    bad.write_text("{not json", encoding="utf-8")
    dialog = ManifestImportDialog(window.models.controller, window, bad)
    run(dialog.run_preview(bad))
    assert "Cannot import" in dialog.summary.text()
    assert "models.json:1" in dialog.summary.text()
    assert not dialog.apply_button.isEnabled()
    run(dialog.run_preview(tmp_path / "missing.json"))
    assert "not found" in dialog.summary.text()


def test_discover_local_backends_and_add_chosen_models(window: MainWindow, fake_backend,
                                                       run) -> None:
    server = fake_backend("ollama", [FakeModel("llava:13b"), FakeModel("qwen2.5:7b",
                                                                       sees=False,
                                                                       vision=False)])
    ws = window.models
    dialog = DiscoverDialog(ws.controller, window)
    dialog.ports_edit.setText(str(server.port))
    dialog.start()
    run(wait_for(lambda: dialog.tree.topLevelItemCount() == 2))
    assert dialog.tree.topLevelItem(0).text(0) == "llava:13b"
    assert dialog.tree.topLevelItem(0).text(3) == "yes"
    assert dialog.tree.topLevelItem(1).text(3) == "no"
    from PySide6.QtCore import Qt

    dialog.tree.topLevelItem(1).setCheckState(0, Qt.CheckState.Unchecked)
    dialog.add_button.click()
    run(wait_for(lambda: dialog.added))
    new = ws.doc.entries[-1]
    assert new.served_model_id == "llava:13b"
    assert new.backend_config.port == server.port
    assert new.capabilities.vision is True
    # The server said "vision"; the roles come only because the vision probe passed.
    assert new.roles == ["caption", "keywords", "description"]
    assert new.probes.vision.vision_ok is True
    assert "passed the vision probe" in dialog.status.text()
    assert dialog.tree.topLevelItem(0).text(4) == "(already in the registry)"
    assert len(ws.doc) == 4


def test_discovery_with_nothing_running_explains_how_to_start_one(window: MainWindow,
                                                                  run) -> None:
    dialog = DiscoverDialog(window.models.controller, window)
    dialog.ports_edit.setText("1")
    dialog.start()
    run(wait_for(lambda: dialog.scan_button.isEnabled() and "Scanning" not in
                 dialog.status.text()))
    assert "No model server answered" in dialog.status.text()
    assert parse_ports("8000, 11434") == [8000, 11434]
    dialog.ports_edit.setText("80a")
    dialog.start()
    assert "not a port number" in dialog.status.text()


def test_probe_shows_online_vision_and_offline_with_start_command(window: MainWindow,
                                                                  fake_backend, run) -> None:
    server = fake_backend("vllm", [FakeModel("vision-a")])
    ws = window.models
    model = ws.model
    port_cell = model.index(ws.doc.row_of("vision-a"), COLUMN_INDEX["name"])
    entry = ws.doc.entry("vision-a")
    from imageworks_gui.core.registry import replace_entry

    model.setData(port_cell, replace_entry(entry, served_model_id="vision-a", backend_config={
        "port": server.port, "model_path": entry.backend_config.model_path}), ENTRY_ROLE)
    ws.table.selectAll()
    ws.probe_action.trigger()
    run(wait_for(lambda: "Probed" in ws.messages.label.text(), timeout=20))
    status = model.index(ws.doc.row_of("vision-a"), COLUMN_INDEX["probe"])
    assert status.data() == "online (vision-a), vision ok"
    offline = model.index(ws.doc.row_of("text-b"), COLUMN_INDEX["probe"])
    assert offline.data() == "not running"
    tip = offline.data(3)  # ToolTipRole
    assert "ollama serve" in tip
    assert ws.doc.entry("vision-a").probes.vision.vision_ok is True
    assert "1 passed" in ws.messages.label.text()
    old = ws.doc.entry("old-c")
    assert start_command(old) == (f"llama-server -m /nonexistent/model.gguf --port "
                                  f"{old.backend_config.port} --alias old-c")


def test_startup_check_marks_offline_entries_with_the_start_command(window: MainWindow,
                                                                    fake_backend,
                                                                    run) -> None:
    server = fake_backend("vllm", [FakeModel("some-other")])
    ws = window.models
    entry = ws.doc.entry("vision-a")
    from imageworks_gui.core.registry import replace_entry

    ws.model.setData(ws.model.index(0, 0), replace_entry(entry, backend_config={
        "port": server.port, "model_path": entry.backend_config.model_path}), ENTRY_ROLE)
    results = run(ws.controller.check_online())
    # It answers, but serves neither the entry's name nor a served_model_id or alias.
    assert results["vision-a"].state == "serves other models"
    assert "names no served model" in ws.model.index(0, COLUMN_INDEX["probe"]).data(3)
    ws.model.setData(ws.model.index(0, COLUMN_INDEX["served_model_id"]), "some-other")
    results = run(ws.controller.check_online())
    assert results["vision-a"].online
    status = ws.model.index(ws.doc.row_of("old-c"), COLUMN_INDEX["probe"])
    assert status.data() == "not running"
    port = ws.doc.entry("old-c").backend_config.port
    assert f"llama-server -m /nonexistent/model.gguf --port {port}" in status.data(3)


def test_plan_preview_model_passes_qtmodeltester(window: MainWindow, tmp_path, snapshot,
                                                 run, qtmodeltester) -> None:
    manifest = _manifest(tmp_path, snapshot)
    dialog = ManifestImportDialog(window.models.controller, window, manifest)
    run(dialog.run_preview(manifest))
    qtmodeltester.check(dialog.plan_model)
