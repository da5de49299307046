"""Composition root: builds settings, services and the main window, and shuts them down."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Start the desktop application."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv if argv is None else argv)
    window = QMainWindow()
    window.setWindowTitle("Imageworks")
    window.resize(1200, 800)
    window.show()
    return app.exec()
