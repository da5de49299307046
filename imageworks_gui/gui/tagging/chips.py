"""Keyword chips in a wrapping flow layout: existing, proposed-new (highlighted), added, removed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import QLayout, QLayoutItem, QPushButton, QSizePolicy, QWidget

from imageworks_gui.gui.widgets import literal_tooltip

CHIP_STYLES: dict[str, tuple[str, str]] = {
    "existing": ("In the photo already",
                 "background:#e7e9ee;color:#2b2f36;border:1px solid #c9ced8;"),
    "new": ("Proposed: will be added (click to reject)",
            "background:#fff1b8;color:#4a3b00;border:1px solid #e0b400;font-weight:600;"),
    "added": ("Added by you: will be added (click to remove)",
              "background:#d4f3df;color:#0b4a26;border:1px solid #3aa564;font-weight:600;"),
    "removed": ("Rejected: will not be written (click to restore)",
                "background:transparent;color:#8a8f98;border:1px dashed #b0b5bd;"),
    "available": ("Not proposed (strict mode): click to add it to this photo",
                  "background:transparent;color:#8a8f98;border:1px solid #c9ced8;"),
}
"""Chip kind -> (tooltip, style)."""

CHIP_SHEET = "".join(
    f"KeywordChip[kind=\"{kind}\"]{{{style}border-radius:10px;padding:2px 10px;}}"
    for kind, (_tip, style) in CHIP_STYLES.items())
"""One style sheet on the chip box styles every chip by its ``kind`` property (parsing a sheet
per chip would cost milliseconds per photo)."""


class FlowLayout(QLayout):
    """Lays child widgets out left to right and wraps them like words in a paragraph."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x = area.x()
                y += line + self._spacing
                line = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


class KeywordChip(QPushButton):
    """One keyword; clicking a proposed or added chip rejects it, a removed one restores it."""

    def __init__(self, keyword: str, kind: str, parent: QWidget | None = None,
                 detail: str = "") -> None:
        prefix = {"added": "+ ", "removed": "− ", "available": "+? "}.get(kind, "")
        super().__init__(prefix + keyword, parent)
        self.keyword = keyword
        self.kind = kind
        self.setProperty("kind", kind)
        tip = CHIP_STYLES[kind][0]
        # Plain text: a keyword such as "<b>" must show as typed, not as markup.
        self.setToolTip(literal_tooltip(f"{tip}\n{detail}" if detail else tip))
        self.setCursor(Qt.CursorShape.ArrowCursor if kind == "existing"
                       else Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if kind == "removed":
            font = self.font()
            font.setStrikeOut(True)
            self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(f"{keyword} ({kind})")


class ChipBox(QWidget):
    """A wrapping set of keyword chips; ``chip_clicked(keyword, kind)`` for non-existing ones."""

    chip_clicked = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = FlowLayout(self)
        self.chips: list[KeywordChip] = []
        self.setStyleSheet(CHIP_SHEET)
        sp = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    def set_chips(self, chips: list[tuple[str, str]],
                  details: Callable[[str], str] | None = None) -> None:
        """Replace the chips with ``(keyword, kind)`` pairs (see ``PhotoReview.chips``);
        ``details`` gives extra tooltip text per keyword (how it was mapped)."""
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for keyword, kind in chips:
            chip = KeywordChip(keyword, kind, self, details(keyword) if details else "")
            if kind != "existing":
                chip.clicked.connect(lambda _=False, k=keyword, t=kind:
                                     self.chip_clicked.emit(k, t))
            self._layout.addWidget(chip)
            chip.show()
            self.chips.append(chip)
        self.updateGeometry()

    def chip(self, keyword: str) -> KeywordChip | None:
        """The chip showing ``keyword`` (case-insensitive), if any."""
        key = keyword.casefold()
        return next((c for c in self.chips if c.keyword.casefold() == key), None)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout.heightForWidth(width)

    def sizeHint(self) -> QSize:
        width = max(self.width(), 200)
        return QSize(width, self._layout.heightForWidth(width))
