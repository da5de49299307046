"""Saving and reloading the registry from the Models workspace, and the conflict prompts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from imageworks_gui.core.registry import RegistryValidationError
from imageworks_gui.gui.models.document import RegistryDocument
from imageworks_gui.gui.widgets import MessageBar
from imageworks_gui.services.registry_store import RegistryConflictError


class RegistryFileFlow(QObject):
    """Turns save/reload outcomes and on-disk changes into messages the user can act on.

    Nothing is overwritten silently: a file changed elsewhere offers Reload or Keep mine, and a
    file that failed to load is never written.
    """

    def __init__(self, doc: RegistryDocument, messages: MessageBar,
                 open_dialog: Callable[[QWidget], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.doc = doc
        self.messages = messages
        self._open_dialog = open_dialog
        self._parent = parent
        doc.load_failed.connect(self._on_load_failed)
        doc.warnings_found.connect(lambda w: messages.show_message(
            "Loaded with warnings:\n" + "\n".join(w), "warning"))
        doc.external_change.connect(self._on_external_change)
        doc.reset_done.connect(self._after_reset)

    def save(self) -> bool:
        """Save the registry; problems appear in the message bar. Returns True when saved."""
        try:
            self.doc.save()
        except RegistryConflictError:
            self._on_external_change(conflict=True)
            return False
        except RegistryValidationError as exc:
            self.messages.show_message(f"Not saved: {exc}", "error")
            return False
        except (OSError, RuntimeError) as exc:
            self.messages.show_message(
                f"Could not save {self.doc.path}: {exc}. Check that the folder is writable, "
                f"or fix the file and reload.", "error")
            return False
        self.messages.show_message(f"Saved {self.doc.path.name}.", "info")
        return True

    def reload(self) -> None:
        """Reload from disk; with unsaved changes, ask first (non-modal)."""
        if not self.doc.is_dirty:
            self.doc.load()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Reload registry",
                          "Discard your unsaved changes and reload the file from disk?",
                          QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self._parent)
        box.finished.connect(lambda r: self.doc.load() if QMessageBox.StandardButton(r)
                             == QMessageBox.StandardButton.Discard else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._open_dialog(box)

    def _after_reset(self) -> None:
        if not self.doc.read_only:
            self.messages.hide()

    def _on_load_failed(self, message: str) -> None:
        self.messages.show_message(
            f"The registry could not be loaded, so nothing is shown and the file will not be "
            f"overwritten.\n{message}", "error", [("Reload", self.doc.load)], closable=False)

    def _on_external_change(self, conflict: bool = False) -> None:
        lead = ("Not saved: the registry file changed on disk since it was loaded." if conflict
                else "The registry file changed on disk.")
        mine = " Your unsaved changes would be lost by reloading." if self.doc.is_dirty else ""
        self.messages.show_message(
            f"{lead}{mine} Reload the file, or keep your version (the next save overwrites "
            f"the file)?", "warning",
            [("Reload", self.doc.load), ("Keep mine", self._keep_mine)], closable=False)

    def _keep_mine(self) -> None:
        self.doc.keep_mine()
        self.messages.show_message("Keeping your version: save (Ctrl+S) to overwrite the file.",
                                   "info")
