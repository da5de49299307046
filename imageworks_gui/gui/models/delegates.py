"""Cell editors of the registry table: checkable roles/capabilities, backend combo, lock click."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.registry import KNOWN_BACKENDS, KNOWN_CAPABILITIES, KNOWN_ROLES
from imageworks_gui.gui.models.columns import LIST_ROLE, STATE_ROLE, VerifyState

Index = QModelIndex | QPersistentModelIndex


class RowDelegate(QStyledItemDelegate):
    """Base delegate: a selected drifted row keeps a red highlight so it still stands out, and
    a cell whose text is cut off shows it whole in its tooltip."""

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView,
                  option: QStyleOptionViewItem, index: Index) -> bool:
        if event is None or event.type() != QEvent.Type.ToolTip or not index.isValid():
            return super().helpEvent(event, view, option, index)
        text = elided_text_tip(self, option, index)
        if text is None:
            return super().helpEvent(event, view, option, index)
        QToolTip.showText(event.globalPos(), text, view)
        return True

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        if index.data(STATE_ROLE) == VerifyState.DRIFTED:
            palette = QPalette(option.palette)  # type: ignore[attr-defined]
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                palette.setColor(group, QPalette.ColorRole.Highlight, QColor("#b3261e"))
                palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
            option.palette = palette  # type: ignore[attr-defined]


def elided_text_tip(delegate: QStyledItemDelegate, option: QStyleOptionViewItem,
                    index: Index) -> str | None:
    """The tooltip of a cell whose display text does not fit: the whole text, then the cell's
    own tooltip (None when the text fits)."""
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if not isinstance(text, str) or not text:
        return None
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    style = opt.widget.style() if opt.widget is not None else QApplication.style()  # type: ignore[attr-defined]
    rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)  # type: ignore[attr-defined]
    if opt.fontMetrics.horizontalAdvance(text) + 6 <= rect.width():  # type: ignore[attr-defined]
        return None
    own = index.data(Qt.ItemDataRole.ToolTipRole)
    return text if not own or own == text else f"{text}\n\n{own}"


def set_for_selection(delegate: QStyledItemDelegate, model: QAbstractItemModel, index: Index,
                      value: object) -> None:
    """Write ``value`` to ``index``; when several rows are selected (including this one), write
    it to the same column of every selected row as one undo step (a macro)."""
    view = delegate.parent()
    selection = view.selectionModel() if isinstance(view, QAbstractItemView) else None
    rows = sorted({i.row() for i in selection.selectedRows()}) if selection else []
    if index.row() not in rows or len(rows) < 2:
        model.setData(index, value, Qt.ItemDataRole.EditRole)
        return
    source = model.sourceModel() if isinstance(model, QSortFilterProxyModel) else model
    stack = source.doc.undo_stack  # type: ignore[attr-defined]
    header = model.headerData(index.column(), Qt.Orientation.Horizontal)
    # Persistent indexes: a sorted view may reorder rows while they are being edited.
    targets = [QPersistentModelIndex(model.index(r, index.column())) for r in rows]
    stack.beginMacro(f"Set {str(header).lower()} of {len(rows)} entries")
    try:
        for target in targets:
            model.setData(model.index(target.row(), target.column()), value,
                          Qt.ItemDataRole.EditRole)
    finally:
        stack.endMacro()


class CheckListEditor(QFrame):
    """A list of check boxes (known items plus any custom ones) with a field to add another."""

    def __init__(self, known: tuple[str, ...], placeholder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._known = known
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget(self)
        self.list.setObjectName("checkList")
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.custom = QLineEdit(self)
        self.custom.setPlaceholderText(placeholder)
        self.custom.returnPressed.connect(self.add_custom)
        add = QPushButton("Add", self)
        add.setAutoDefault(False)
        add.clicked.connect(self.add_custom)
        row.addWidget(self.custom)
        row.addWidget(add)
        layout.addLayout(row)

    def set_checked(self, checked: dict[str, bool]) -> None:
        self.list.clear()
        names = list(self._known) + [k for k in checked if k not in self._known]
        for name in names:
            self._add_item(name, checked.get(name, False))
        self.list.setFixedHeight(min(10, max(4, len(names))) * 22 + 6)

    def _add_item(self, name: str, on: bool) -> QListWidgetItem:
        item = QListWidgetItem(name, self.list)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                      | Qt.ItemFlag.ItemIsSelectable)
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        return item

    def add_custom(self) -> None:
        name = self.custom.text().strip()
        if not name:
            return
        existing = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
        item = existing[0] if existing else self._add_item(name, True)
        item.setCheckState(Qt.CheckState.Checked)
        self.custom.clear()

    def checked(self) -> dict[str, bool]:
        """Every item and whether it is ticked, in display order."""
        return {self.list.item(i).text():
                self.list.item(i).checkState() == Qt.CheckState.Checked
                for i in range(self.list.count())}

    def set_item_checked(self, name: str, on: bool) -> None:
        """Tick or untick ``name`` (adding it when it is a new custom item)."""
        found = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
        item = found[0] if found else self._add_item(name, on)
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


class CheckListDelegate(RowDelegate):
    """Edits roles (a list) or capabilities (a dict of flags) with a ``CheckListEditor``."""

    def __init__(self, kind: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        assert kind in ("roles", "capabilities")
        self.kind = kind

        self.open_editor: CheckListEditor | None = None
        """The checklist popup being shown (closed by a click on empty table space)."""

    def _choices(self, index: Index) -> tuple[str, ...]:
        """The standard values, then the custom ones any entry of the registry already uses."""
        known = KNOWN_ROLES if self.kind == "roles" else KNOWN_CAPABILITIES
        model = index.model()
        if isinstance(model, QSortFilterProxyModel):
            model = model.sourceModel()  # rows the filter hides count too
        used: set[str] = set()
        for row in range(model.rowCount()):
            value = model.index(row, index.column()).data(LIST_ROLE)
            used.update(value or ())
        return tuple(known) + tuple(sorted(used - set(known), key=str.casefold))

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        placeholder = "Custom role…" if self.kind == "roles" else "Other capability…"
        editor = CheckListEditor(self._choices(index), placeholder, parent)
        editor.setObjectName(f"{self.kind}Editor")
        self.open_editor = editor
        editor.destroyed.connect(lambda *_: setattr(self, "open_editor", None))
        return editor

    def close_open_editor(self) -> bool:
        """Commit and close the popup if one is open; True when one was."""
        editor = self.open_editor
        if editor is None:
            return False
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        self.open_editor = None
        return True

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, CheckListEditor)
        value = index.data(Qt.ItemDataRole.EditRole)
        if self.kind == "roles":
            editor.set_checked(dict.fromkeys(value or [], True))
        else:
            editor.set_checked(dict(value or {}))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, CheckListEditor)
        checked = editor.checked()
        if self.kind == "roles":
            set_for_selection(self, model, index, [k for k, v in checked.items() if v])
        else:
            current = dict(index.data(Qt.ItemDataRole.EditRole) or {})
            # Only flags that were present or are now ticked are written (absent stays absent).
            value = {k: v for k, v in checked.items() if v or k in current}
            set_for_selection(self, model, index, value)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem,
                             index: Index) -> None:
        rect = option.rect  # type: ignore[attr-defined]
        hint = editor.sizeHint()
        editor.setGeometry(rect.x(), rect.y(), max(rect.width(), 220), hint.height())


class BackendDelegate(RowDelegate):
    """An editable combo box offering the known backends (other strings are allowed)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.addItems(list(KNOWN_BACKENDS))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        set_for_selection(self, model, index, editor.currentText())


class LockDelegate(RowDelegate):
    """Turns a click (or Space on the current cell) in the lock column into ``lock_clicked``."""

    lock_clicked = Signal(QModelIndex)

    def editorEvent(self, event: QEvent, model: QAbstractItemModel,
                    option: QStyleOptionViewItem, index: Index) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton
                and option.rect.contains(event.position().toPoint())):  # type: ignore[attr-defined]
            self.lock_clicked.emit(QModelIndex(index))
            return True
        return super().editorEvent(event, model, option, index)
