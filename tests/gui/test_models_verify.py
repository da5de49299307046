"""Verification from the Models workspace: drift highlight and tooltip, cancel, re-lock."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX, VerifyState
from tests.gui.conftest import wait_for


def _index(win: MainWindow, name: str, key: str):
    ws = win.models
    return ws.proxy.mapFromSource(ws.model.index(ws.doc.row_of(name), COLUMN_INDEX[key]))


def test_tampered_snapshot_shows_a_red_drifted_row_with_the_changed_file(
        window: MainWindow, snapshot, run) -> None:
    ws = window.models
    doc = ws.doc
    run(ws.controller.verify(["vision-a"], lock=True))
    assert _index(window, "vision-a", "verification").data() == "Locked, verified"
    (snapshot / "model-00001.safetensors").write_bytes(b"\x02" * 4096)
    (snapshot / "tokenizer.json").unlink()
    (snapshot / "extra.bin").write_bytes(b"new")

    ws.select_name("vision-a")
    ws.verify_action.trigger()
    run(wait_for(lambda: doc.entry("vision-a").drifted))

    index = _index(window, "vision-a", "verification")
    assert index.data() == "Locked, DRIFTED"
    tooltip = _index(window, "vision-a", "name").data(Qt.ItemDataRole.ToolTipRole)
    assert "Changed (1):\n  model-00001.safetensors" in tooltip
    assert "Added (1):\n  extra.bin" in tooltip
    assert "Removed (1):\n  tokenizer.json" in tooltip
    background = _index(window, "vision-a", "backend").data(Qt.ItemDataRole.BackgroundRole)
    assert background is not None and background.color().red() > background.color().green()
    assert _index(window, "text-b", "backend").data(Qt.ItemDataRole.BackgroundRole) is None
    assert "Drifted: vision-a" in ws.messages.label.text()
    ws.drifted_only.setChecked(True)
    assert ws.proxy.rowCount() == 1
    assert ws.verify_progress.isHidden()


def test_relock_asks_with_both_hashes_then_accepts_the_files(window: MainWindow, snapshot,
                                                            run) -> None:
    ws = window.models
    doc = ws.doc
    run(ws.controller.verify(["vision-a"], lock=True))
    old_hash = doc.entry("vision-a").version_lock.expected_aggregate_sha256
    (snapshot / "extra.bin").write_bytes(b"new")
    run(ws.controller.verify(["vision-a"]))
    new_hash = doc.entry("vision-a").version_lock.last_verification.actual_aggregate_sha256
    assert doc.entry("vision-a").drifted
    ws.select_name("vision-a")
    assert ws.relock_action.isEnabled()
    ws.relock_action.trigger()
    box = ws.pending_dialog
    assert isinstance(box, QMessageBox)
    assert old_hash in box.text() and new_hash in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert doc.entry("vision-a").drifted
    ws.relock_action.trigger()
    ws.pending_dialog.button(QMessageBox.StandardButton.Yes).click()
    entry = doc.entry("vision-a")
    assert not entry.drifted
    assert entry.version_lock.expected_aggregate_sha256 == new_hash
    assert _index(window, "vision-a", "verification").data() == "Locked, verified"
    window.undo_action.trigger()
    assert doc.entry("vision-a").drifted


def test_verify_can_be_cancelled_and_leaves_the_entry_unchanged(window: MainWindow, snapshot,
                                                                run, monkeypatch) -> None:
    ws = window.models
    doc = ws.doc
    release = threading.Event()
    import imageworks_gui.gui.models.controller as controller_module

    real = controller_module.verify_entry

    def slow_verify(entry, **kwargs):
        # Hold the worker until the user cancelled, then let hashing see the cancel flag.
        release.wait(5)
        return real(entry, **kwargs)

    monkeypatch.setattr(controller_module, "verify_entry", slow_verify)
    before = doc.entry("vision-a").to_json_dict()
    ws.select_name("vision-a")
    ws.verify_action.trigger()

    async def cancel_while_running() -> None:
        await wait_for(lambda: not ws.cancel_button.isHidden())
        assert _index(window, "vision-a", "verification").data().startswith("Verifying")
        assert window.activity_label.text().startswith("Verifying")
        ws.cancel_button.click()
        release.set()
        await wait_for(lambda: ws.cancel_button.isHidden())

    run(cancel_while_running())
    assert doc.entry("vision-a").to_json_dict() == before
    assert "cancelled" in ws.messages.label.text()
    assert not doc.is_dirty
    assert window.activity_label.text() == ""


def test_verify_error_is_shown_on_the_row(window: MainWindow, run) -> None:
    ws = window.models
    run(ws.controller.verify(["old-c"]))
    index = _index(window, "old-c", "verification")
    assert index.data(Qt.ItemDataRole.UserRole + 4) == VerifyState.ERROR
    assert "Verification failed" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "errors 1" in ws.messages.label.text()


def test_progress_of_a_multi_gigabyte_snapshot_reaches_the_bar(window: MainWindow) -> None:
    # Byte counts of real snapshots exceed a C int; the signal must carry them unharmed.
    ws = window.models
    ws.verify_progress.show()
    done, total = 6 * 1024**3, 16 * 1024**3
    ws.controller.verify_progress.emit("vision-a", done, total)
    assert ws.verify_progress.value() == int(1000 * done / total)


def test_relock_offers_the_golden_sets_first_then_relocks_from_their_figures(
        window: MainWindow, snapshot, run, tmp_path) -> None:
    from imageworks_gui.core.golden import GoldenPhoto
    from imageworks_gui.gui.models.golden_dialog import GoldenRunDialog
    from imageworks_gui.services.golden_store import GoldenStore

    ws = window.models
    doc = ws.doc
    run(ws.controller.verify(["vision-a"], lock=True))
    (snapshot / "extra.bin").write_bytes(b"new")
    GoldenStore().save("keywords", "colours", [GoldenPhoto(
        path=str(tmp_path / "gone.jpg"), truth_keywords=["red"], baseline_keywords=["red"])])
    run(ws._load_golden_sets())
    run(ws.controller.verify(["vision-a"]))
    assert doc.entry("vision-a").drifted
    # The verification message offers the re-run.
    assert "1 golden set(s) can judge the changed files" in ws.messages.label.text()
    ws.select_name("vision-a")
    ws.relock_action.trigger()
    box = ws.pending_dialog
    assert isinstance(box, QMessageBox) and "1 golden set(s)" in box.informativeText()
    golden_button = next(b for b in box.buttons() if b.text() == "Re-run Golden Sets First…")
    golden_button.click()
    dialog = ws.pending_dialog
    assert isinstance(dialog, GoldenRunDialog) and dialog.relock_button is not None
    assert doc.entry("vision-a").drifted  # nothing accepted yet
    run(wait_for(lambda: not dialog.running and dialog.rows
                 and dialog.table.item(0, 7).text() == "FAIL", 60))
    # The photo is gone, so nothing could be measured: the admin may still re-lock.
    assert "no photo of the golden set got a proposal" in dialog.table.item(0, 7).toolTip()
    assert dialog.relock_button.text() == "Re-lock anyway"
    dialog.relock_button.click()
    assert not doc.entry("vision-a").drifted
    window.undo_action.trigger()
    assert doc.entry("vision-a").drifted
    assert [e for e, _sha, _v in GoldenStore().runs("keywords", "colours")] == ["vision-a"]
