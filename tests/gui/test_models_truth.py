"""The Models workspace only shows what is true: measurements survive undo, probe failures and
server states are named, undo restores priority order, probes never hold an undo macro."""

from __future__ import annotations

import asyncio
import json

from PySide6.QtCore import Qt

from imageworks_gui.core.registry import replace_entry
from imageworks_gui.core.resolution import RoleResolutionError, select_model
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX, ENTRY_ROLE
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from tests.gui.conftest import wait_for
from tests.support.fake_backend import FakeModel


def _cell(win: MainWindow, name: str, key: str):
    ws = win.models
    return ws.model.index(ws.doc.row_of(name), COLUMN_INDEX[key])


def _point_at(win: MainWindow, name: str, port: int, served: str | None) -> None:
    ws = win.models
    entry = ws.doc.entry(name)
    ws.model.setData(_cell(win, name, "name"), replace_entry(
        entry, served_model_id=served, backend="vllm",
        backend_config={"port": port, "model_path": entry.backend_config.model_path}),
        ENTRY_ROLE)


def test_undo_never_erases_a_drift_finding(window: MainWindow, snapshot, run) -> None:
    ws = window.models
    doc = ws.doc
    run(ws.controller.verify(["vision-a"], lock=True))
    assert _cell(window, "vision-a", "verification").data() == "Locked, verified"
    ws.model.setData(_cell(window, "vision-a", "display_name"), "Vision Edited")
    (snapshot / "tokenizer.json").write_bytes(b"tampered")
    run(ws.controller.verify(["vision-a"]))
    assert doc.entry("vision-a").drifted
    assert ws.messages.kind == "warning" and "Drifted: vision-a" in ws.messages.label.text()
    # A verification is a measurement: there is no "Undo Verify" step.
    assert "Verify" not in doc.undo_stack.undoText()
    assert doc.undo_stack.undoText() == "Set display name of vision-a"
    window.undo_action.trigger()  # undoes the display-name edit, not the finding
    entry = doc.entry("vision-a")
    assert entry.display_name == "Vision A"
    assert entry.drifted
    assert _cell(window, "vision-a", "verification").data() == "Locked, DRIFTED"
    try:
        select_model(doc.entries, "caption", preferred="vision-a")
    except RoleResolutionError as exc:
        assert "changed files" in str(exc)
    else:
        raise AssertionError("a drifted entry was selected")
    # The finding is unsaved data: the window says so, and saving stores the drift.
    assert doc.is_dirty and window.isWindowModified()
    assert ws.save()
    saved = json.loads(doc.path.read_text())[0]
    assert saved["version_lock"]["last_verification"]["status"] == "drifted"
    assert not doc.is_dirty


def test_undoing_a_lock_keeps_the_measurement(window: MainWindow, snapshot, run) -> None:
    ws = window.models
    doc = ws.doc
    run(ws.controller.verify(["vision-a"], lock=True))
    measured = doc.entry("vision-a").version_lock.last_verification.actual_aggregate_sha256
    assert doc.undo_stack.undoText() == "Lock vision-a"
    window.undo_action.trigger()
    entry = doc.entry("vision-a")
    assert not entry.is_locked
    assert entry.version_lock.last_verification.actual_aggregate_sha256 == measured
    assert _cell(window, "vision-a", "verification").data() == "Unlocked (hashed)"
    # Re-locking after a drift and undoing it brings the drift back, files still changed.
    window.redo_action.trigger()
    (snapshot / "extra.bin").write_bytes(b"new")
    run(ws.controller.verify(["vision-a"]))
    ws.controller.relock("vision-a")
    assert not doc.entry("vision-a").drifted
    window.undo_action.trigger()
    assert doc.entry("vision-a").drifted
    assert "extra.bin" in doc.entry("vision-a").version_lock.last_verification.added


def test_a_failed_probe_is_reported_as_failed_with_the_reason(window: MainWindow,
                                                              fake_backend, run) -> None:
    server = fake_backend("vllm", [FakeModel("vision-a")])
    _point_at(window, "vision-a", server.port, "vision-a")
    server.fail(*["500"] * 10)  # the text check fails; the server still lists the model
    ws = window.models
    run(ws.controller.probe(["vision-a"]))
    banner = ws.messages.label.text()
    assert "0 passed, 1 failed" in banner and "online" not in banner
    assert "vision-a:" in banner and "CUDA error" in banner
    assert ws.messages.kind == "warning"
    cell = _cell(window, "vision-a", "probe")
    assert cell.data() == "online (vision-a), probe FAILED"
    assert "Probe failed" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert cell.data(Qt.ItemDataRole.DecorationRole).cacheKey() != \
        _icon_key("online")


def _icon_key(name: str) -> int:
    from imageworks_gui.gui.resources import icon

    return icon(name).cacheKey()


def test_online_means_serving_this_model_in_both_workspaces(window: MainWindow, fake_backend,
                                                           run) -> None:
    server = fake_backend("vllm", [FakeModel("other/model")])
    _point_at(window, "vision-a", server.port, "llava-hf/llava")
    ws = window.models
    run(ws.controller.check_online(["vision-a", "text-b"]))
    cell = _cell(window, "vision-a", "probe")
    assert cell.data() == "serves other models"
    tip = cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "does not serve 'llava-hf/llava'" in tip and "other/model" in tip
    assert _cell(window, "text-b", "probe").data() == "not running"
    tagging = window.tagging
    assert isinstance(tagging, TaggingWorkspace)
    tagging.backend_states.refresh()
    combo = tagging.roles.combos["caption"]
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert any("Vision A (serves other models" in t for t in texts), texts
    assert not any("online" in t for t in texts), texts
    # The same check the pickers run finds the same state.
    run(tagging.backend_states.check())
    assert tagging.backend_states.online["vision-a"].state == "serves other models"
    # Serving the model: online, with the served name shown.
    _point_at(window, "vision-a", server.port, "other/model")
    run(ws.controller.check_online(["vision-a"]))
    assert _cell(window, "vision-a", "probe").data() == "online (other/model)"


def test_deleting_several_rows_and_undoing_keeps_the_priority_order(window: MainWindow) -> None:
    ws = window.models
    doc = ws.doc
    before = doc.names()
    doc.remove([before[0], before[2]])
    assert doc.names() == [before[1]]
    window.undo_action.trigger()
    assert doc.names() == before
    doc.remove([before[2], before[0], before[1]])
    window.undo_action.trigger()
    assert doc.names() == before


def test_edits_made_while_a_probe_runs_are_their_own_undo_steps(window: MainWindow,
                                                               fake_backend, run) -> None:
    server = fake_backend("vllm", [FakeModel("vision-a")], latency_s=0.4)
    _point_at(window, "vision-a", server.port, "vision-a")
    ws = window.models
    doc = ws.doc
    assert ws.save()
    doc.undo_stack.clear()

    async def probe_and_edit() -> None:
        task = asyncio.ensure_future(ws.controller.probe(["vision-a"]))
        await wait_for(lambda: server.records)
        ws.model.setData(_cell(window, "text-b", "display_name"), "Typed meanwhile")
        # The edit is a finished undo step at once, not folded into an open probe macro.
        assert doc.undo_stack.count() == 1
        assert doc.undo_stack.undoText() == "Set display name of text-b"
        await task

    run(probe_and_edit())
    assert doc.undo_stack.count() == 1
    window.undo_action.trigger()
    assert doc.entry("text-b").display_name is None
    assert doc.undo_stack.isClean()
    # The probe's findings are recorded (not undone) and saved with the next save.
    assert doc.entry("vision-a").probes.vision.vision_ok is True
    assert doc.is_dirty
    assert ws.save()
    assert json.loads(doc.path.read_text())[0]["probes"]["vision"]["vision_ok"] is True


def _right_edge(win: MainWindow, key: str) -> int:
    table = win.models.table
    logical = COLUMN_INDEX[key]
    return table.columnViewportPosition(logical) + table.columnWidth(logical)


def test_columns_fit_a_small_window_and_stretch_in_a_large_one(window: MainWindow,
                                                               qtbot, run) -> None:
    table = window.models.table
    window.tabs.setCurrentWidget(window.models)
    window.resize(1024, 700)
    run(asyncio.sleep(0.05))
    width = table.viewport().width()
    for key in ("probe", "lock", "verification", "deprecated"):
        assert _right_edge(window, key) <= width, key
    window.resize(1920, 1080)
    run(asyncio.sleep(0.05))
    shown = [i for i in range(table.model().columnCount()) if not table.isColumnHidden(i)]
    used = sum(table.columnWidth(i) for i in shown)
    assert table.viewport().width() - 4 <= used <= table.viewport().width()  # no empty band
    # Wide enough: every flexible cell shows its whole text.
    for key in ("name", "endpoint", "roles", "capabilities", "verification"):
        logical = COLUMN_INDEX[key]
        for row in range(table.model().rowCount()):
            text = table.model().index(row, logical).data() or ""
            assert table.fontMetrics().horizontalAdvance(text) < table.columnWidth(logical), key


def test_a_cut_off_cell_shows_its_whole_text_in_the_tooltip(window: MainWindow, qtbot, run) -> None:
    from PySide6.QtWidgets import QStyleOptionViewItem

    from imageworks_gui.gui.models.delegates import elided_text_tip

    ws = window.models
    long_roles = [f"custom-role-{i}" for i in range(12)]
    ws.model.setData(_cell(window, "vision-a", "roles"), long_roles)
    window.resize(1024, 700)
    run(asyncio.sleep(0.05))
    table = ws.table
    index = ws.proxy.mapFromSource(_cell(window, "vision-a", "roles"))
    option = QStyleOptionViewItem()
    option.initFrom(table)
    option.rect = table.visualRect(index)
    delegate = table.itemDelegateForIndex(index)
    assert elided_text_tip(delegate, option, index).startswith(", ".join(long_roles))
    header = ws.model.headerData(COLUMN_INDEX["deprecated"], Qt.Orientation.Horizontal,
                                 Qt.ItemDataRole.ToolTipRole)
    assert header.startswith("Deprecated")  # a narrow header names itself in its tooltip
    short = ws.proxy.mapFromSource(_cell(window, "text-b", "backend"))
    option.rect = table.visualRect(short)
    assert elided_text_tip(table.itemDelegateForIndex(short), option, short) is None


def test_the_tab_bar_does_not_move_between_workspaces(window: MainWindow, qtbot, run) -> None:
    from PySide6.QtCore import QPoint

    bar = window.tabs.tabBar()
    assert isinstance(window.tagging, TaggingWorkspace)
    window.tagging.backend_states.automatic = False  # no server check: only the layout counts
    window.tabs.setCurrentWidget(window.models)
    run(asyncio.sleep(0.02))
    models_y = bar.mapTo(window, QPoint(0, 0)).y()
    below = window.models.command_bar.mapTo(window, QPoint(0, 0)).y()
    window.tabs.setCurrentWidget(window.tagging)
    run(asyncio.sleep(0.02))
    assert bar.mapTo(window, QPoint(0, 0)).y() == models_y
    tagging = window.tagging
    assert isinstance(tagging, TaggingWorkspace)
    # Both tool rows sit below the tab bar, at the same height.
    assert tagging.command_bar.mapTo(window, QPoint(0, 0)).y() == below > models_y
    assert window.save_action in window.models.command_bar.actions()
