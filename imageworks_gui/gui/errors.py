"""Unexpected errors: logged with their traceback and shown once in a dialog."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("imageworks.gui.errors")


class ErrorReporter(QObject):
    """Installs ``sys.excepthook`` and shows each distinct unexpected error once.

    Errors are keyed by type and message, so an error raised from a timer or a paint event does
    not open a dialog every time it repeats. Every occurrence is logged.
    """

    error_shown = Signal(str, str)

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self._parent_widget = parent_widget
        self._seen: set[str] = set()
        self.shown: list[tuple[str, str]] = []
        self._previous_hook = sys.excepthook
        self.dialogs_enabled = True

    def install(self) -> None:
        sys.excepthook = self._hook

    def uninstall(self) -> None:
        if sys.excepthook == self._hook:
            sys.excepthook = self._previous_hook

    def _hook(self, exc_type: type[BaseException], exc: BaseException,
              tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled error\n%s", details)
        self.report("Unexpected error", f"{exc_type.__name__}: {exc}", details)

    def report(self, title: str, message: str, details: str = "") -> None:
        """Show ``message`` once (repeats of the same message are only logged)."""
        key = f"{title}\n{message}"
        if key in self._seen:
            log.info("repeated error not shown again: %s", message)
            return
        self._seen.add(key)
        self.shown.append((title, message))
        self.error_shown.emit(title, message)
        if not self.dialogs_enabled:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, title,
                          f"{message}\n\nThe error was logged. If it keeps happening, save your "
                          f"work, restart Imageworks and report the details below.",
                          QMessageBox.StandardButton.Ok, self._parent_widget)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the message may quote a server's HTML
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
