"""The registry table view: keyboard-friendly, drag rows to change priority, column state."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from imageworks_gui.gui.models.columns import COLUMN_INDEX, COLUMNS
from imageworks_gui.gui.models.delegates import RowDelegate
from imageworks_gui.gui.models.proxy import RegistryFilterProxy
from imageworks_gui.gui.models.table_model import RegistryTableModel

_WIDTHS = {"priority": 30, "name": 160, "display_name": 170, "backend": 66, "endpoint": 165,
           "served_model_id": 170, "roles": 135, "capabilities": 104, "probe": 88, "lock": 86,
           "verification": 152, "last_verified": 125, "deprecated": 84}
HIDDEN_BY_DEFAULT = ("display_name", "served_model_id", "last_verified")
"""Columns hidden until the user shows them from the header's context menu."""


class RegistryTableView(QTableView):
    """Rows are entries; dragging a row moves the entry (only in priority order, unfiltered).

    Space on a lock cell emits ``lock_key_pressed`` (the keyboard twin of clicking it).
    """

    lock_key_pressed = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RegistryTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.setItemDelegate(RowDelegate(self))

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for i, col in enumerate(COLUMNS):
            if col.key in ("priority", "name"):
                continue
            action = menu.addAction(col.header)
            action.setCheckable(True)
            action.setChecked(not self.isColumnHidden(i))
            action.toggled.connect(lambda on, i=i: self.setColumnHidden(i, not on))
        menu.popup(self.horizontalHeader().mapToGlobal(pos))

    def apply_default_widths(self) -> None:
        for i, col in enumerate(COLUMNS):
            self.setColumnWidth(i, _WIDTHS.get(col.key, 120))
            self.setColumnHidden(i, col.key in HIDDEN_BY_DEFAULT)
        header = self.horizontalHeader()
        header.moveSection(header.visualIndex(COLUMN_INDEX["priority"]), 0)

    def _proxy(self) -> RegistryFilterProxy:
        proxy = self.model()
        assert isinstance(proxy, RegistryFilterProxy)
        return proxy

    def reorder_allowed(self) -> bool:
        proxy = self._proxy()
        return proxy.is_priority_order() and not proxy.active

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.source() is self and self.reorder_allowed():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.source() is self and self.reorder_allowed():
            super().dragMoveEvent(event)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """Move the dragged entries before the row under the cursor (after it in its lower half)."""
        if event.source() is not self or not self.reorder_allowed():
            event.ignore()
            return
        proxy = self._proxy()
        source = proxy.sourceModel()
        assert isinstance(source, RegistryTableModel)
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        if index.isValid():
            rect = self.visualRect(index)
            row = index.row() + (1 if pos.y() > rect.center().y() else 0)
        else:
            row = proxy.rowCount()
        names = [proxy.index(r, COLUMN_INDEX["name"]).data() for r in self.selected_rows()]
        target = proxy.mapToSource(proxy.index(row, 0)).row() if row < proxy.rowCount() else (
            source.rowCount())
        source.move_entries(names, target)
        # Tell the view the drop was handled so it does not remove the dragged rows itself.
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        current = self.currentIndex()
        if (event.key() == Qt.Key.Key_Space and current.isValid()
                and current.column() == COLUMN_INDEX["lock"]):
            self.lock_key_pressed.emit(current)
            event.accept()
            return
        super().keyPressEvent(event)

    def selected_rows(self) -> list[int]:
        """Selected proxy rows, top to bottom."""
        return sorted({i.row() for i in self.selectionModel().selectedRows()})

    def select_source_row(self, source_row: int) -> None:
        proxy = self._proxy()
        source = proxy.sourceModel().index(source_row, COLUMN_INDEX["name"])
        index: QModelIndex = proxy.mapFromSource(source)
        if index.isValid():
            self.setCurrentIndex(index)
            self.selectRow(index.row())
            self.scrollTo(index)
