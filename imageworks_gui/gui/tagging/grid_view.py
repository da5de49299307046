"""The thumbnail grid: icon layout, empty-folder hint, photo context menu, split with the pane."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.gui.tagging.delegate import CELL, PhotoGridDelegate
from imageworks_gui.gui.tagging.grid_model import PATH_ROLE, STATE_ROLE

EMPTY_HINT = "Drop a folder of photos here, or use File › Open Folder… (Ctrl+O)"


class PhotoGridView(QListView):
    """Thumbnails in a static icon grid; right-click offers what fits the photos' states."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(400)
        self.setGridSize(CELL)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(PhotoGridDelegate(self))
        self.setMinimumWidth(CELL.width() + 24)
        self.empty_label = QLabel(EMPTY_HINT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        # A layout on the viewport keeps the hint centred at any size.
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        QVBoxLayout(self.viewport()).addWidget(self.empty_label)
        self.empty_label.setStyleSheet("color: gray; font-size: 15px;")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.on_review_again: Callable[[list[str]], None] | None = None
        self.extra_actions: list[QAction] = []
        """Added to every context menu (Collapse bursts)."""
        self.menu: QMenu | None = None

    def current_path(self) -> str | None:
        index = self.currentIndex()
        return index.data(PATH_ROLE) if index.isValid() else None

    def select_row(self, row: int) -> None:
        """Make ``row`` (of the filtered, sorted view) the only selected, current photo."""
        model = self.model()
        if model is not None and 0 <= row < model.rowCount():
            index = model.index(row, 0)
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.scrollTo(index)

    def selected_paths(self) -> list[str]:
        rows = sorted(self.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [i.data(PATH_ROLE) for i in rows]

    def menu_for(self, paths_states: list[tuple[str, str]]) -> QMenu:
        """The context menu for these photos (path, review state)."""
        menu = QMenu(self)
        again = [p for p, state in paths_states if state in ("written", "rejected")]
        action = menu.addAction("Review again" + (f" ({len(again)})" if len(again) > 1 else ""))
        action.setToolTip("Bring the proposal back for a decision; what the file holds now is "
                          "shown beside it")
        action.setEnabled(bool(again))
        action.triggered.connect(lambda: self.on_review_again and self.on_review_again(again))
        if self.extra_actions:
            menu.addSeparator()
            menu.addActions(self.extra_actions)
        return menu

    def _menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        paths = self.selected_paths() or [index.data(PATH_ROLE)]
        model = self.model()
        states = {model.index(r, 0).data(PATH_ROLE): model.index(r, 0).data(STATE_ROLE)
                  for r in {i.row() for i in self.selectionModel().selectedIndexes()}
                  | {index.row()}}
        self.menu = self.menu_for([(p, states.get(p, "")) for p in paths])
        self.menu.popup(self.viewport().mapToGlobal(pos))


class ReviewSplitter(QSplitter):
    """The grid beside the review pane; the grid gets a whole number of thumbnail columns."""

    def __init__(self, grid: PhotoGridView, pane: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.grid, self.pane = grid, pane
        self.addWidget(grid)
        self.addWidget(pane)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setSizes([760, 520])
        self.setChildrenCollapsible(False)

    def fit_grid_columns(self, pane_width: int = 480) -> None:
        total = self.width() - self.handleWidth()
        extra = (2 * self.grid.frameWidth() + self.grid.verticalScrollBar().sizeHint().width()
                 + 4)
        pane = max(pane_width, self.pane.minimumSizeHint().width())
        columns = max(1, (total - pane - extra) // CELL.width())
        grid = columns * CELL.width() + extra
        self.setSizes([grid, max(0, total - grid)])
