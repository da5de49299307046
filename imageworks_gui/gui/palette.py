"""Light and dark palettes that follow the system colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

DRIFT_BACKGROUND = {"light": QColor("#f8d7da"), "dark": QColor("#5c1f24")}
DRIFT_FOREGROUND = {"light": QColor("#842029"), "dark": QColor("#ffb3b8")}


def _light() -> QPalette:
    p = QPalette()
    R = QPalette.ColorRole
    p.setColor(R.Window, QColor("#f3f3f3"))
    p.setColor(R.WindowText, QColor("#1b1b1b"))
    p.setColor(R.Base, QColor("#ffffff"))
    p.setColor(R.AlternateBase, QColor("#f6f7f9"))
    p.setColor(R.Text, QColor("#1b1b1b"))
    p.setColor(R.Button, QColor("#f0f0f0"))
    p.setColor(R.ButtonText, QColor("#1b1b1b"))
    p.setColor(R.Highlight, QColor("#2f6fde"))
    p.setColor(R.HighlightedText, QColor("#ffffff"))
    p.setColor(R.ToolTipBase, QColor("#ffffe8"))
    p.setColor(R.ToolTipText, QColor("#1b1b1b"))
    p.setColor(R.PlaceholderText, QColor("#8a8a8a"))
    p.setColor(R.Link, QColor("#1f5fc4"))
    for role in (R.WindowText, R.Text, R.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#9a9a9a"))
    return p


def _dark() -> QPalette:
    p = QPalette()
    R = QPalette.ColorRole
    p.setColor(R.Window, QColor("#202124"))
    p.setColor(R.WindowText, QColor("#e8eaed"))
    p.setColor(R.Base, QColor("#17181a"))
    p.setColor(R.AlternateBase, QColor("#242528"))
    p.setColor(R.Text, QColor("#e8eaed"))
    p.setColor(R.Button, QColor("#2b2c30"))
    p.setColor(R.ButtonText, QColor("#e8eaed"))
    p.setColor(R.Highlight, QColor("#3d7be0"))
    p.setColor(R.HighlightedText, QColor("#ffffff"))
    p.setColor(R.ToolTipBase, QColor("#2b2c30"))
    p.setColor(R.ToolTipText, QColor("#e8eaed"))
    p.setColor(R.PlaceholderText, QColor("#8f9399"))
    p.setColor(R.Link, QColor("#8ab4f8"))
    for role in (R.WindowText, R.Text, R.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#75787d"))
    return p


def current_scheme() -> str:
    """"dark" or "light", from the system colour scheme (light when unknown)."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def apply_palette(app: QApplication, scheme: str | None = None) -> str:
    """Apply the Fusion style with the light or dark palette; returns the scheme used."""
    scheme = scheme or current_scheme()
    app.setStyle("Fusion")
    app.setPalette(_dark() if scheme == "dark" else _light())
    app.setProperty("imageworks_scheme", scheme)
    return scheme


def follow_system_palette(app: QApplication) -> None:
    """Apply the palette now and again whenever the system switches between light and dark."""
    apply_palette(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _s: apply_palette(app))


def scheme_of(app: QGuiApplication | None = None) -> str:
    """The scheme last applied (used by models to pick drift colours)."""
    app = app or QGuiApplication.instance()
    value = app.property("imageworks_scheme") if app is not None else None
    return value if value in ("light", "dark") else "light"
