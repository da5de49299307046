"""The registry table view: keyboard-friendly, drag rows to change priority, column state."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from imageworks_gui.gui.models.columns import COLUMN_INDEX, COLUMNS
from imageworks_gui.gui.models.delegates import CheckListDelegate, RowDelegate
from imageworks_gui.gui.models.proxy import RegistryFilterProxy
from imageworks_gui.gui.models.table_model import RegistryTableModel

_WIDTHS = {"priority": 30, "name": 160, "display_name": 170, "backend": 66, "endpoint": 165,
           "served_model_id": 170, "roles": 135, "capabilities": 104, "probe": 88, "lock": 86,
           "verification": 152, "last_verified": 125, "deprecated": 84}
_MIN_WIDTHS = {"name": 80, "display_name": 70, "endpoint": 70, "served_model_id": 70,
               "roles": 56, "capabilities": 56, "probe": 80, "verification": 128, "lock": 72,
               "backend": 52, "last_verified": 100, "deprecated": 30}
"""Narrowest a column gets when the window is small (Status, Lock, Verification stay
readable; long names and lists are cut with "…" and shown whole in the tooltip)."""
_FLEXIBLE = ("name", "display_name", "endpoint", "served_model_id", "roles", "capabilities",
             "probe", "verification")
"""Columns that grow towards their content when there is room."""
_SHRINK_FIRST = ("name", "display_name", "endpoint", "served_model_id", "roles", "capabilities",
                 "probe")
"""Columns cut first when space is short; the state columns give way only after them."""
_MAX_WIDTH = 420
POPUP_COLUMNS = ("roles", "capabilities")
"""Columns edited in a checklist popup."""
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
        self.auto_fit = True
        """Columns follow the view's width until the user drags a column border."""
        self._fitting = False
        header.sectionResized.connect(self._on_section_resized)
        header.sectionHandleDoubleClicked.connect(lambda _i: self._resume_fit())

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
        self._fitting = True
        try:
            for i, col in enumerate(COLUMNS):
                self.setColumnWidth(i, _WIDTHS.get(col.key, 120))
                self.setColumnHidden(i, col.key in HIDDEN_BY_DEFAULT)
            header = self.horizontalHeader()
            header.moveSection(header.visualIndex(COLUMN_INDEX["priority"]), 0)
        finally:
            self._fitting = False
        self.fit_columns()

    # -- column widths ----
    def _on_section_resized(self, _index: int, _old: int, _new: int) -> None:
        if not self._fitting and self.horizontalHeader().underMouse():
            self.auto_fit = False  # the user sized a column: leave the widths to them

    def _resume_fit(self) -> None:
        self.auto_fit = True
        self.fit_columns()

    def _wanted_width(self, i: int, key: str) -> int:
        if key not in _FLEXIBLE:
            return _WIDTHS.get(key, 100)
        content = max(self.sizeHintForColumn(i), self.horizontalHeader().sectionSizeHint(i))
        return max(_MIN_WIDTHS.get(key, 60), min(_MAX_WIDTH, content + 8))

    def fit_columns(self) -> None:
        """Share the view's width: columns grow to show their content and stretch into spare
        room; when space is short the flexible ones shrink first, never below their minimum."""
        if not self.auto_fit or self.model() is None:
            return
        visible = [(i, c.key) for i, c in enumerate(COLUMNS) if not self.isColumnHidden(i)]
        if not visible:
            return
        wanted = {i: self._wanted_width(i, key) for i, key in visible}
        minimum = {i: min(wanted[i], _MIN_WIDTHS.get(key, wanted[i])) for i, key in visible}
        flexible = [i for i, key in visible if key in _FLEXIBLE]
        avail = self.viewport().width()
        total = sum(wanted.values())
        widths = dict(wanted)
        if total < avail and flexible:
            share = sum(wanted[i] for i in flexible)
            spare = avail - total
            for i in flexible:
                widths[i] = wanted[i] + spare * wanted[i] // share
        excess = total - avail
        for group in ([i for i, key in visible if key in _SHRINK_FIRST],
                      [i for i, key in visible if key not in _SHRINK_FIRST]):
            if excess <= 0:
                break
            # Shrink in proportion to how far each column is above its minimum.
            slack = sum(widths[i] - minimum[i] for i in group)
            cut_total = min(excess, slack)
            for i in group:
                cut = -(-cut_total * (widths[i] - minimum[i]) // slack) if slack else 0
                widths[i] = max(minimum[i], widths[i] - cut)
            excess -= cut_total
        self._fitting = True
        try:
            for i, width in widths.items():
                if self.columnWidth(i) != width:
                    self.setColumnWidth(i, width)
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

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

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on empty table space closes an open roles/capabilities popup (keeping its
        ticks), as a click outside any popup does."""
        if not self.indexAt(event.position().toPoint()).isValid():
            for key in POPUP_COLUMNS:
                delegate = self.itemDelegateForColumn(COLUMN_INDEX[key])
                if isinstance(delegate, CheckListDelegate) and delegate.close_open_editor():
                    event.accept()
                    return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """One click on a roles, capabilities or backend cell selects the row and opens its
        editor (a choice list, like the lock and deprecated cells that act on one click);
        text cells edit on a second click, a double click or F2, so a click still selects."""
        index = self.indexAt(event.position().toPoint())
        super().mouseReleaseEvent(event)
        if (event.button() == Qt.MouseButton.LeftButton and index.isValid()
                and COLUMNS[index.column()].key in (*POPUP_COLUMNS, "backend")
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
                and self.state() != QAbstractItemView.State.EditingState
                and index.flags() & Qt.ItemFlag.ItemIsEditable):
            self.edit(index)

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
