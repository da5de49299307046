"""Per-workspace menus and tool bars, metadata read on selection, automatic backend checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QScrollArea

from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX
from imageworks_gui.gui.tagging.delegate import CELL
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from tests.gui.conftest import wait_for
from tests.gui.tagging_support import exiftool_set, make_photos, wait_until


def _menu_titles(window: MainWindow) -> list[str]:
    return [a.text().replace("&", "") for a in window.menuBar().actions() if a.isVisible()]


def test_each_workspace_shows_only_its_own_menu_and_tool_bar(window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.models)
    assert "Models" in _menu_titles(window) and "Tagging" not in _menu_titles(window)
    assert window.toolbar.isVisible()
    assert window.models.verify_action in window.toolbar.actions()

    window.tabs.setCurrentWidget(window.tagging)
    assert "Tagging" in _menu_titles(window) and "Models" not in _menu_titles(window)
    assert not window.toolbar.isVisible()  # no Verify/Probe/Import on the Tagging tab
    tagging = window.tagging
    assert isinstance(tagging, TaggingWorkspace)
    menu_actions = window.tagging_menu.actions()
    assert tagging.actions_.run_all in menu_actions
    assert tagging.actions_.approve in menu_actions
    assert tagging.command_bar.isVisible()  # its own tool row, inside the workspace


def test_file_open_folder_is_ctrl_o_and_opens_the_tagging_chooser(window: MainWindow,
                                                                   qtbot) -> None:
    window.tabs.setCurrentWidget(window.models)
    action = window.open_folder_action
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    # Only one action owns Ctrl+O, or the shortcut would be ambiguous and do nothing.
    owners = [a for a in window.findChildren(type(action))
              if a.shortcut() == QKeySequence("Ctrl+O")]
    assert owners == [action]
    action.trigger()
    assert window.tabs.currentWidget() is window.tagging
    dialog = window.tagging.file_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    assert dialog.fileMode() == QFileDialog.FileMode.Directory
    dialog.reject()


def test_undo_follows_the_active_workspace_after_switching_menus(window: MainWindow) -> None:
    model = window.models.model
    model.setData(model.index(0, COLUMN_INDEX["display_name"]), "Renamed")
    window.tabs.setCurrentWidget(window.tagging)
    assert not window.undo_action.isEnabled()  # the Tagging stack has nothing to undo
    window.tabs.setCurrentWidget(window.models)
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert window.context.registry.entry("vision-a").display_name == "Vision A"


def test_delete_key_on_the_tagging_tab_never_deletes_a_model(window: MainWindow,
                                                              qtbot) -> None:
    ws = window.models
    ws.select_name("text-b")
    window.tabs.setCurrentWidget(window.tagging)
    window.tagging.grid.setFocus()
    qtbot.keyClick(window.tagging.grid, Qt.Key.Key_Delete)
    assert window.context.registry.entry("text-b") is not None
    window.tabs.setCurrentWidget(window.models)
    ws.table.setFocus()
    qtbot.keyClick(ws.table, Qt.Key.Key_Delete)
    assert window.context.registry.entry("text-b") is None


def test_selecting_an_untagged_photo_shows_what_the_file_already_holds(
        window: MainWindow, tmp_path: Path, run) -> None:
    photos = make_photos(tmp_path / "shoot", ("red", "green"))
    exiftool_set(photos[1], "-XMP-dc:Title=Harbour at dawn", "-XMP-dc:Subject=boats",
                 "-XMP-dc:Subject=Brittany")
    ws = window.tagging
    assert isinstance(ws, TaggingWorkspace)

    async def flow() -> None:
        await ws.controller.open_paths([tmp_path / "shoot"])
        ws.select_path(str(photos[1]))
        assert ws.controller.session.get(str(photos[1])).state == "untagged"
        await wait_until(lambda: ws.controller.session.get(str(photos[1])).existing_loaded)

    run(flow())
    pane = ws.review_pane
    assert pane.existing_title.text() == "Harbour at dawn"
    assert [(c.keyword, c.kind) for c in pane.chips.chips] == [("boats", "existing"),
                                                                ("Brittany", "existing")]


def test_unreadable_photo_says_why_instead_of_not_read_yet(window: MainWindow, tmp_path: Path,
                                                            run) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    broken = folder / "IMG_0001.jpg"
    broken.write_bytes(b"this is not a JPEG at all")
    ws = window.tagging
    assert isinstance(ws, TaggingWorkspace)

    async def flow() -> None:
        await ws.controller.open_paths([folder])
        ws.select_path(str(broken))
        await wait_until(lambda: str(broken) in ws.controller.writer.reads.errors
                         or ws.controller.session.get(str(broken)).existing_loaded)

    run(flow())
    text = ws.review_pane.existing_title.text()
    assert text != "(not read yet)" and text != "Reading…"


def test_role_pickers_check_backends_when_first_shown_and_after_registry_edits(
        window: MainWindow, run) -> None:
    ws = window.tagging
    assert isinstance(ws, TaggingWorkspace)
    combo = ws.roles.combos["caption"]
    assert "not checked" in combo.itemText(0)
    window.tabs.setCurrentWidget(ws)

    async def first() -> None:
        await wait_until(lambda: "not running" in combo.itemText(0))

    run(first())
    assert ws.backend_states.online["vision-a"].state == "not running"
    # A registry edit makes the pickers re-check by themselves.
    ws.backend_states.online = {}
    model = window.models.model
    model.setData(model.index(0, COLUMN_INDEX["display_name"]), "Vision Renamed")

    async def again() -> None:
        await wait_until(lambda: "vision-a" in ws.backend_states.online
                         and "Vision Renamed" in combo.itemText(0))

    run(again())
    assert "not running" in combo.itemText(0)


def test_first_run_without_a_model_server_says_which_server_and_how_to_start_it(
        tmp_path: Path, qtbot, qloop, run) -> None:
    from imageworks_gui.gui.context import build_context
    from tests.gui.conftest import free_port

    port = free_port()
    registry = tmp_path / "model_registry.json"
    registry.write_text(json.dumps([{
        "name": "qwen-vl", "display_name": "Qwen VL", "backend": "vllm",
        "backend_config": {"port": port, "model_path": "/models/qwen-vl"},
        "capabilities": {"text": True, "vision": True},
        "served_model_id": "Qwen/Qwen-VL", "roles": ["caption", "keywords", "description"],
    }]) + "\n", encoding="utf-8")
    context = build_context(registry)
    context.settings.backend.max_retries = 0
    win = MainWindow(context)
    win.errors.dialogs_enabled = False
    qtbot.addWidget(win)
    context.registry.load()
    photos = make_photos(tmp_path / "photos", ("red",))
    ws = win.tagging
    assert isinstance(ws, TaggingWorkspace)

    async def flow() -> None:
        await ws.controller.open_paths([photos[0].parent])
        ws.actions_.run_all.trigger()
        await wait_until(lambda: any(level == "error" for level, _ in ws.notices), 30)

    try:
        run(flow())
        text = next(t for level, t in ws.notices if level == "error")
        command = f"vllm serve /models/qwen-vl --port {port} --served-model-name Qwen/Qwen-VL"
        assert "Qwen VL is not running" in text and f"127.0.0.1:{port}" in text
        assert command in text
        assert not ws.notice_bar.isHidden() and command in ws.notice_bar.label.text()
        # The Models tab shows the entry offline with the same command in its status tooltip.
        runtime = context.registry.runtime("qwen-vl")
        assert runtime.online is False and command in runtime.probe_text
        status = win.models.model.index(0, COLUMN_INDEX["probe"])
        assert command in status.data(Qt.ItemDataRole.ToolTipRole)
        assert "not running" in status.data()
        assert ws.controller.session.counts()["untagged"] == 1
        assert not ws.review_pane.approve_all_button.isEnabled()  # nothing to approve
    finally:
        win._closing_confirmed = True
        win.close()
        run(context.shutdown())
        run(context.http.aclose())


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800)])
def test_review_pane_and_details_panel_fit_small_windows(window: MainWindow, qtbot, run,
                                                         size: tuple[int, int]) -> None:
    window.resize(*size)
    window.tabs.setCurrentWidget(window.tagging)
    ws = window.tagging
    assert isinstance(ws, TaggingWorkspace)
    pane = ws.review_pane
    long_words = "harbour boats dusk sea reflection lighthouse fishermen nets evening " * 3
    pane.show_review(PhotoReview(
        path="/photos/DSC_4101.jpg", state="proposed", existing_loaded=True,
        existing_title="Old title", proposed_title="Fishing boats in the harbour at dusk",
        proposed_description=long_words, proposed_keywords=long_words.split()[:12]))
    scroll = pane.findChild(QScrollArea)
    # Layout settles over a few event-loop turns; on a busy machine 50 ms is not always enough.
    run(wait_for(lambda: scroll.widget().width() <= scroll.viewport().width(), timeout=3.0))
    assert window.width() == size[0]
    assert scroll.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    # The "Proposed" column is entirely inside the pane (not clipped at its right edge).
    for widget in (pane.title_edit, pane.description_edit):
        right = widget.mapTo(pane, QPoint(widget.width(), 0)).x()
        assert right <= pane.width() and widget.width() >= 120
    assert ws.roles.geometry().right() <= ws.width()
    # The grid holds whole thumbnail columns (no wide empty strip beside them).
    spare = ws.grid.viewport().width() % CELL.width()
    assert ws.grid.viewport().width() >= CELL.width() and spare < 24

    window.tabs.setCurrentWidget(window.models)
    details = window.models.details
    run(wait_for(lambda: details.isVisible() and details.width() >= details.minimumWidth(),
                 timeout=3.0))
    assert details.mapTo(window, QPoint(details.width(), 0)).x() <= window.width()


def test_start_command_does_not_name_the_gguf_model_twice() -> None:
    from imageworks_gui.core.registry import RegistryEntry
    from imageworks_gui.services.backends.endpoints import start_command

    entry = RegistryEntry.model_validate({
        "name": "gemma", "backend": "gguf",
        "backend_config": {"port": 8080, "model_path": "/m/gemma",
                           "extra_args": ["--model", "/m/gemma/gemma.gguf", "--ctx-size", "8192"]},
        "capabilities": {"text": True, "vision": True}})
    assert start_command(entry) == ("llama-server --port 8080 --alias gemma --model "
                                    "/m/gemma/gemma.gguf --ctx-size 8192")
