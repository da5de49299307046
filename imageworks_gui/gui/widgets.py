"""Small shared widgets: an inline message bar with action buttons; literal tool tips."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


def literal_tooltip(text: str) -> str:
    """``text`` as a tool tip shown exactly as written: Qt renders tool tips that look like
    HTML (a file named ``<img src=x>.jpg``, a proxy's error page), so it is escaped."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


_STYLES = {  # (background, text, border): fixed colours, readable with either palette
    "info": ("#e7f0fd", "#0b3b7a", "#a9c6f5"),
    "warning": ("#fff4d6", "#5c4200", "#f0cf73"),
    "error": ("#fbe3e4", "#7a1016", "#eea7ab"),
}


class MessageBar(QFrame):
    """A dismissable strip above a view showing what happened and what the user can do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # names and server text, literally
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self._buttons: list[QPushButton] = []
        self._layout = layout
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        self._close = close
        layout.addWidget(close)
        self.kind = "info"
        self.hide()

    def show_message(self, text: str, kind: str = "info",
                     actions: list[tuple[str, Callable[[], None]]] | None = None,
                     closable: bool = True) -> None:
        for button in self._buttons:
            button.deleteLater()
        self._buttons = []
        for label, callback in actions or []:
            button = QPushButton(label)
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self._buttons.append(button)
        self.kind = kind
        background, text_colour, border = _STYLES.get(kind, _STYLES["info"])
        # The text colour is set on the children too: a dark palette's light text would
        # otherwise sit on the light background.
        self.setStyleSheet(
            f"#MessageBar {{ background: {background}; border: 1px solid {border}; "
            f"border-radius: 4px; }} #MessageBar QLabel {{ color: {text_colour}; border: none; "
            f"background: transparent; }} #MessageBar QPushButton {{ color: {text_colour}; }}")
        self.label.setText(text)
        self._close.setVisible(closable)
        self.show()

    def button(self, label: str) -> QPushButton:
        """The action button with this text (tests click it)."""
        return next(b for b in self._buttons if b.text() == label)

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() or not self.isHidden() else ""
