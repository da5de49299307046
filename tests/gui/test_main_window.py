"""The main window shell: title and unsaved marker, undo routing, close prompt, state, drops."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from imageworks_gui.app import parse_args
from imageworks_gui.gui.context import build_context
from imageworks_gui.gui.main_window import CloseDecision, MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX


def test_title_shows_file_name_and_unsaved_marker(window: MainWindow) -> None:
    assert window.windowTitle() == "Imageworks — model_registry.json[*]"
    assert not window.isWindowModified()
    assert window.save_state_label.text() == "Saved"
    model = window.models.model
    model.setData(model.index(0, COLUMN_INDEX["display_name"]), "Renamed")
    assert window.isWindowModified()
    assert window.save_state_label.text() == "Unsaved changes"
    window.undo_action.trigger()
    assert not window.isWindowModified()
    assert str(window.context.registry.path) in window.path_label.text()


def test_edit_undo_redo_follow_the_active_workspace(window: MainWindow) -> None:
    model = window.models.model
    model.setData(model.index(1, COLUMN_INDEX["served_model_id"]), "llava:13b")
    assert window.undo_action.isEnabled()
    assert "served name" in window.undo_action.text()
    window.tabs.setCurrentWidget(window.tagging)
    assert window.undo_group.activeStack() is window.tagging.undo_stack
    window.tabs.setCurrentWidget(window.models)
    window.undo_action.trigger()
    assert window.context.registry.entry("text-b").served_model_id is None
    window.redo_action.trigger()
    assert window.context.registry.entry("text-b").served_model_id == "llava:13b"


def test_close_with_unsaved_changes_asks_and_cancel_keeps_window(window: MainWindow,
                                                                  monkeypatch) -> None:
    model = window.models.model
    model.setData(model.index(0, COLUMN_INDEX["display_name"]), "Changed")
    asked: list[bool] = []

    def ask() -> CloseDecision:
        asked.append(True)
        return CloseDecision.CANCEL

    monkeypatch.setattr(window, "ask_unsaved", ask)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    assert not window.close()
    assert asked and not closed and window.isVisible()


def test_close_and_save_writes_the_file(window: MainWindow, monkeypatch) -> None:
    model = window.models.model
    model.setData(model.index(0, COLUMN_INDEX["display_name"]), "Saved on close")
    monkeypatch.setattr(window, "ask_unsaved", lambda: CloseDecision.SAVE)
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    assert window.close()
    assert closed
    data = json.loads(window.context.registry.path.read_text(encoding="utf-8"))
    assert data[0]["display_name"] == "Saved on close"


def test_geometry_and_view_state_are_remembered(context, qtbot, isolated_gui_state) -> None:
    first = MainWindow(context)
    qtbot.addWidget(first)
    first.resize(700, 500)
    first.tabs.setCurrentIndex(1)
    first.models.details_toggle_action.setChecked(False)
    first.save_state()
    assert isolated_gui_state.exists()
    second = MainWindow(context)
    qtbot.addWidget(second)
    assert (second.size().width(), second.size().height()) == (700, 500)
    assert second.tabs.currentIndex() == 1
    assert not second.models.details_toggle_action.isChecked()


def test_paths_open_in_the_tagging_workspace(window: MainWindow, tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    opened: list[list[Path]] = []
    window.tagging.open_paths = lambda paths: opened.append(paths)  # type: ignore[method-assign]
    event = QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert opened == [[photo]]
    assert window.tabs.currentWidget() is window.tagging


def test_arguments_registry_path_and_photos(tmp_path: Path) -> None:
    args = parse_args(["--registry-path", str(tmp_path / "r.json"), "a.jpg", "folder"])
    assert args.registry_path == tmp_path / "r.json"
    assert args.paths == [Path("a.jpg"), Path("folder")]


def test_malformed_registry_shows_a_clear_message_and_is_never_overwritten(
        tmp_path: Path, qtbot, qloop) -> None:
    path = tmp_path / "model_registry.json"
    broken = '[{"name": "x", "backend": "vllm",\n  "backend_config": {]\n'
    path.write_text(broken, encoding="utf-8")
    ctx = build_context(path)
    win = MainWindow(ctx)
    win.errors.dialogs_enabled = False
    qtbot.addWidget(win)
    ctx.registry.load()
    bar = win.models.messages
    assert not bar.isHidden()
    assert "could not be loaded" in bar.label.text()
    assert "model_registry.json:2" in bar.label.text()  # file:line of the JSON error
    assert not win.save_action.isEnabled()
    assert not win.models.add_action.isEnabled()
    assert not win.models.save()
    assert path.read_text(encoding="utf-8") == broken
    assert win.save_state_label.text().startswith("Not loaded")
    qloop.run_until_complete(ctx.http.aclose())


def test_invalid_registry_entry_is_reported_with_its_field(tmp_path: Path, qtbot, qloop) -> None:
    path = tmp_path / "model_registry.json"
    text = json.dumps([{"name": "x", "backend": "vllm", "backend_config": {"port": 99999},
                        "capabilities": {}}])
    path.write_text(text, encoding="utf-8")
    ctx = build_context(path)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    ctx.registry.load()
    message = win.models.messages.label.text()
    assert "backend_config.port" in message
    assert path.read_text(encoding="utf-8") == text
    qloop.run_until_complete(ctx.http.aclose())


def test_unexpected_errors_are_shown_once(window: MainWindow) -> None:
    window.errors.install()
    try:
        for _ in range(3):
            try:
                raise RuntimeError("boom")
            except RuntimeError as exc:
                import sys

                sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        window.errors.uninstall()
    assert window.errors.shown == [("Unexpected error", "RuntimeError: boom")]


def test_settings_dialog_edits_every_group_and_refuses_bad_values(window: MainWindow,
                                                                  isolated_user_dirs) -> None:
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

    from imageworks_gui.core.settings import Settings

    window.settings_action.trigger()
    dialog = window.settings_dialog
    fields = {(g, n) for g, sub in (("backend", Settings().backend),
                                    ("tagging", Settings().tagging),
                                    ("metadata", Settings().metadata),
                                    ("vocabulary", Settings().vocabulary))
              for n in type(sub).model_fields}
    assert set(dialog.editors) == fields
    changed: list[Settings] = []
    window.context.events.settings_changed.connect(changed.append)
    long_edge = dialog.editors[("tagging", "image_long_edge")]
    assert isinstance(long_edge, QSpinBox)
    long_edge.setValue(1536)
    banned = dialog.editors[("tagging", "banned_keywords")]
    assert isinstance(banned, QLineEdit)
    banned.setText("image, photo")
    style = dialog.editors[("metadata", "sidecar_style")]
    assert isinstance(style, QComboBox)
    style.setCurrentText("darktable")
    provenance = dialog.editors[("metadata", "write_provenance")]
    assert isinstance(provenance, QCheckBox)
    provenance.setChecked(False)
    profile = dialog.editors[("tagging", "prompt_profile")]
    assert isinstance(profile, QComboBox)
    profile.setCurrentText("no-such-profile")
    dialog.try_accept()
    assert "'no-such-profile' does not exist" in dialog.error.text()
    assert not changed
    profile.setCurrentText("default")
    dialog.try_accept()
    settings = window.context.settings
    assert changed and changed[-1] is settings
    assert settings.tagging.image_long_edge == 1536
    assert settings.tagging.banned_keywords == ["image", "photo"]
    assert settings.metadata.sidecar_style == "darktable"
    assert settings.metadata.write_provenance is False
    saved = json.loads((isolated_user_dirs["config"] / "settings.json").read_text())
    assert saved["tagging"]["image_long_edge"] == 1536


def test_app_starts_and_shuts_down_cleanly(tmp_path: Path, registry_file,
                                           isolated_user_dirs) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "imageworks_gui", "--registry-path", str(registry_file),
         "--quit-after", "0.5"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The app writes the same structured log as the command-line tools.
    records = [json.loads(line) for line in (isolated_user_dirs["log"] / "imageworks.jsonl")
               .read_text(encoding="utf-8").splitlines()]
    assert any(r["event_type"] == "session" and r["tool"] == "imageworks-gui" for r in records)
    assert any("window shown" in r.get("message", "") for r in records)


def test_light_and_dark_palettes(qapp) -> None:
    from imageworks_gui.gui.palette import apply_palette, scheme_of

    try:
        apply_palette(qapp, "dark")
        assert scheme_of() == "dark"
        assert qapp.palette().window().color().lightness() < 80
        apply_palette(qapp, "light")
        assert qapp.palette().window().color().lightness() > 200
    finally:
        apply_palette(qapp, "light")


def test_space_on_the_lock_cell_toggles_the_lock(window: MainWindow, qtbot) -> None:
    from imageworks_gui.core.registry import replace_entry
    from imageworks_gui.gui.models.columns import ENTRY_ROLE

    ws = window.models
    entry = ws.doc.entry("vision-a")
    ws.model.setData(ws.model.index(0, 0), replace_entry(
        entry, artifacts={"aggregate_sha256": "ab" * 32, "files": []}), ENTRY_ROLE)
    index = ws.proxy.mapFromSource(ws.model.index(0, COLUMN_INDEX["lock"]))
    ws.table.setFocus()
    ws.table.setCurrentIndex(index)
    qtbot.keyClick(ws.table, Qt.Key.Key_Space)
    assert ws.doc.entry("vision-a").is_locked
    assert ws.doc.entry("vision-a").version_lock.expected_aggregate_sha256 == "ab" * 32
