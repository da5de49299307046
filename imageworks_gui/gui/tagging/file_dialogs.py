"""The Tagging workspace's non-modal dialogs: folder and export choosers, the undo confirmation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def open_folder_dialog(parent: QWidget, on_folder: Callable[[Path], None]) -> QFileDialog:
    """Ask for a folder of photos for ``on_folder`` (shown with ``open()``, never ``exec()``)."""
    dialog = QFileDialog(parent, "Open a folder of photos")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.fileSelected.connect(lambda p: on_folder(Path(p)))
    dialog.open()
    return dialog


def export_dialog(parent: QWidget, on_file: Callable[[Path], None]) -> QFileDialog:
    """Ask where to save the batch as JSONL (the Markdown summary goes beside it)."""
    dialog = QFileDialog(parent, "Export the batch (JSONL and Markdown)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter("JSON Lines (*.jsonl)")
    dialog.setDefaultSuffix("jsonl")
    dialog.fileSelected.connect(lambda p: on_file(Path(p)))
    dialog.open()
    return dialog


def confirm_undo_dialog(parent: QWidget, text: str, on_confirmed: Callable[[], None]
                        ) -> QMessageBox:
    """Say what "Undo last write" will restore; ``on_confirmed`` runs only on "Restore".

    Shown with ``open()`` (the event loop keeps running; never ``exec()`` in a coroutine).
    """
    box = QMessageBox(QMessageBox.Icon.Question, "Undo last write", text,
                      QMessageBox.StandardButton.Cancel, parent)
    restore = box.addButton("Restore previous values", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(lambda button: on_confirmed() if button is restore else None)
    box.open()
    return box
