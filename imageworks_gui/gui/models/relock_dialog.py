"""The Re-lock to Current confirmation: both hashes and every file the user would accept."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from imageworks_gui.core.entry_transitions import changed_files
from imageworks_gui.core.registry import RegistryEntry

_MAX_FILES = 12
"""Files listed per entry; the rest are counted."""


def relock_text(entries: Sequence[RegistryEntry]) -> str:
    """For each drifted entry: the locked and the current hash, then the changed files."""
    blocks = []
    for entry in entries:
        vl = entry.version_lock
        record = vl.last_verification if vl else None
        files = [f"  {label}: {path}" for label, paths in changed_files(entry).items()
                 for path in paths]
        if len(files) > _MAX_FILES:
            files[_MAX_FILES:] = [f"  … and {len(files) - _MAX_FILES} more"]
        blocks.append(f"{entry.name}\n  locked:  {vl.expected_aggregate_sha256 if vl else '?'}\n"
                      f"  current: {record.actual_aggregate_sha256 if record else '?'}"
                      + ("\n" + "\n".join(files) if files else
                         "\n  (the file list matches; the lock was taken on other files)"))
    return "Accept the current files as the new locked state?\n\n" + "\n\n".join(blocks)


def relock_confirmation(entries: Sequence[RegistryEntry], parent: QWidget) -> QMessageBox:
    """A window-modal question; Cancel is the default. Names are shown as plain text."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Re-lock to current files", "",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("relockConfirmation")
    box.setTextFormat(Qt.TextFormat.PlainText)  # file and entry names are shown literally
    box.setText(relock_text(entries))
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText("Re-lock")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box
