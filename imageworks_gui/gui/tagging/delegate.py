"""Paints one grid cell: thumbnail (or placeholder), file name and a review-state badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from imageworks_gui.gui.tagging.grid_model import (
    ERROR_ROLE,
    GROUP_ROLE,
    STATE_ROLE,
    THUMB_ERROR_ROLE,
)

THUMB = 168
"""Long edge of a grid thumbnail, pixels (the box is 4:3, the shape of most photos)."""

THUMB_BOX = QSize(THUMB, THUMB * 3 // 4)

CELL = QSize(THUMB + 16, THUMB_BOX.height() + 36)

BADGES: dict[str, tuple[str, str, str]] = {
    "queued": ("…", "#6c757d", "Queued"),
    "proposed": ("?", "#2f6fde", "Proposal to review"),
    "approved": ("✓", "#1f8a4c", "Approved"),
    "rejected": ("✕", "#7a7a7a", "Rejected"),
    "written": ("✎", "#0d5c36", "Written"),
    "failed": ("!", "#c62828", "Failed"),
}
"""Review state -> (glyph, colour, label) of its badge; untagged photos carry none."""

WRITE_FAILED_COLOUR = "#e65100"


class PhotoGridDelegate(QStyledItemDelegate):
    """Fixed-size cells (the view uses uniform item sizes, so 10,000 rows lay out at once)."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(CELL)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect: QRect = option.rect  # type: ignore[attr-defined]
        palette = option.palette  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        cell = rect.adjusted(3, 3, -3, -3)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.highlight().color().lighter(150)
                             if palette.base().color().lightness() > 128
                             else palette.highlight().color().darker(150))
            painter.drawRoundedRect(cell, 6, 6)

        box = QRect(cell.x() + (cell.width() - THUMB) // 2, cell.y() + 5, THUMB,
                    THUMB_BOX.height())
        image = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(image, QImage) and not image.isNull():
            scaled = image.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            # Bottom-aligned so every name sits right under its picture.
            target = QRect(box.x() + (box.width() - scaled.width()) // 2,
                           box.bottom() + 1 - scaled.height(), scaled.width(), scaled.height())
            painter.drawImage(target, image)
        else:
            target = box.adjusted(6, 6, -6, 0)
            self._placeholder(painter, target, index.data(THUMB_ERROR_ROLE), palette)

        name_rect = QRect(cell.x() + 4, box.bottom() + 4, cell.width() - 8, 20)
        painter.setPen(palette.highlightedText().color() if selected and
                       palette.base().color().lightness() <= 128 else palette.text().color())
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        metrics = painter.fontMetrics()
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, name_rect.width()))

        state = str(index.data(STATE_ROLE) or "untagged")
        error = index.data(ERROR_ROLE)
        self._badge(painter, target, state, bool(error) and state == "approved")
        group = index.data(GROUP_ROLE)
        if group:
            self._group_badge(painter, target, str(group))
        painter.restore()

    @staticmethod
    def _group_badge(painter: QPainter, box: QRect, text: str) -> None:
        """A dark "2/5" tag in the top-left corner: this frame's place in its burst."""
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(12)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        tag = QRect(box.left() + 3, box.top() + 3, width, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 20, 200))
        painter.drawRoundedRect(tag, 5, 5)
        painter.setPen(QColor("white"))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    @staticmethod
    def _placeholder(painter: QPainter, box: QRect, error: object, palette: object) -> None:
        base = palette.alternateBase().color()  # type: ignore[attr-defined]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(base.darker(108))
        inner = box
        painter.drawRoundedRect(inner, 4, 4)
        painter.setPen(palette.placeholderText().color())  # type: ignore[attr-defined]
        painter.drawText(inner, Qt.AlignmentFlag.AlignCenter,
                         "No preview" if error else "Loading…")

    @staticmethod
    def _badge(painter: QPainter, box: QRect, state: str, write_failed: bool) -> None:
        glyph, colour, _label = BADGES.get(state, ("", "", ""))
        if write_failed:
            glyph, colour = "!", WRITE_FAILED_COLOUR
        if not glyph:
            return
        size = 24
        badge = QRect(box.right() - size - 3, box.top() + 3, size, size)
        painter.setPen(QPen(QColor("white"), 2))
        painter.setBrush(QColor(colour))
        painter.drawEllipse(badge)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(14)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, glyph)
