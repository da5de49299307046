"""Table model over the registry document; every edit becomes an undo command from setData."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush

from imageworks_gui.core.entry_transitions import lock, unlock
from imageworks_gui.core.registry import RegistryEntry, replace_entry
from imageworks_gui.gui.models.columns import (
    COLUMN_INDEX,
    COLUMNS,
    ENTRY_ROLE,
    LIST_ROLE,
    NAME_ROLE,
    SORT_ROLE,
    STATE_ROLE,
    VerifyState,
    verify_state,
    verify_tooltip,
)
from imageworks_gui.gui.models.document import RegistryDocument
from imageworks_gui.gui.palette import DRIFT_BACKGROUND, DRIFT_FOREGROUND, scheme_of
from imageworks_gui.gui.resources import icon
from imageworks_gui.gui.widgets import literal_tooltip

MIME_TYPE = "application/x-imageworks-entry-names"
Index = QModelIndex | QPersistentModelIndex
_ALL_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole,
              Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.CheckStateRole,
              Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole, ENTRY_ROLE,
              NAME_ROLE, SORT_ROLE, STATE_ROLE, LIST_ROLE]
_RUNTIME_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                  Qt.ItemDataRole.DecorationRole, SORT_ROLE, STATE_ROLE,
                  Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole]
_STATE_ICONS = {VerifyState.VERIFIED: "verified", VerifyState.DRIFTED: "drifted",
                VerifyState.NOT_VERIFIED: "unverified", VerifyState.ERROR: "error",
                VerifyState.VERIFYING: "verify"}


def _field_value(entry: RegistryEntry, key: str) -> Any:
    if key == "lock":
        return entry.is_locked
    if key == "capabilities":
        return entry.capabilities.as_dict()
    return getattr(entry, key, None)


class RegistryTableModel(QAbstractTableModel):
    """One row per entry in priority order; columns from ``COLUMNS``.

    ``setData`` validates the edit by building a new entry with ``model_validate`` and pushes a
    command on the document's undo stack; invalid values emit ``edit_refused`` with the reason.
    """

    edit_refused = Signal(str)

    def __init__(self, document: RegistryDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        document.entry_replaced.connect(self._on_replaced)
        document.rows_about_to_insert.connect(
            lambda row, n: self.beginInsertRows(QModelIndex(), row, row + n - 1))
        document.rows_inserted.connect(self._end_insert)
        document.rows_about_to_remove.connect(
            lambda row, n: self.beginRemoveRows(QModelIndex(), row, row + n - 1))
        document.rows_removed.connect(self._end_remove)
        document.row_about_to_move.connect(
            lambda src, dst: self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), dst))
        document.row_moved.connect(self._end_move)
        document.about_to_reset.connect(self.beginResetModel)
        document.reset_done.connect(self.endResetModel)
        document.runtime_changed.connect(self._on_runtime)

    # -- structure ----
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.doc)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        col = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.header
        if role == Qt.ItemDataRole.ToolTipRole:
            # The header text too, as a narrow column cuts it off.
            return f"{col.header}: {col.header_tip}" if col.header_tip else col.header
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        col = COLUMNS[index.column()]
        flags = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                 | Qt.ItemFlag.ItemIsDragEnabled)
        if col.editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        if col.checkable:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    # -- reading ----
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.doc):
            return None
        entry = self.doc.entry_at(index.row())
        col = COLUMNS[index.column()]
        runtime = self.doc.runtime(entry.name)
        R = Qt.ItemDataRole
        if role == R.DisplayRole:
            if col.key == "priority":
                return str(index.row() + 1)
            return col.display(entry, runtime)
        if role == R.EditRole:
            if col.checkable or col.key == "lock":
                return _field_value(entry, col.key)
            if col.key in ("roles", "capabilities"):
                return _field_value(entry, col.key)
            return col.display(entry, runtime)
        if role == ENTRY_ROLE:
            return entry
        if role == NAME_ROLE:
            return entry.name
        if role == STATE_ROLE:
            return verify_state(entry, runtime)
        if role == LIST_ROLE and col.key in ("roles", "capabilities"):
            return _field_value(entry, col.key)
        if role == SORT_ROLE:
            if col.key == "priority":
                return index.row()
            if col.sort is not None:
                return col.sort(entry, runtime)
            if col.checkable:
                return int(bool(_field_value(entry, col.key)))
            return col.display(entry, runtime).casefold()
        if role == R.CheckStateRole and col.checkable:
            return (Qt.CheckState.Checked if _field_value(entry, col.key)
                    else Qt.CheckState.Unchecked)
        if role == R.DecorationRole:
            return self._decoration(entry, col.key, runtime)
        if role == R.ToolTipRole:  # names, paths and server text: shown literally
            state = verify_state(entry, runtime)
            if state is VerifyState.DRIFTED:
                return literal_tooltip(verify_tooltip(entry, runtime))
            return literal_tooltip(col.tooltip(entry, runtime)) if col.tooltip else None
        if role in (R.BackgroundRole, R.ForegroundRole) and verify_state(
                entry, runtime) is VerifyState.DRIFTED:
            colours = DRIFT_BACKGROUND if role == R.BackgroundRole else DRIFT_FOREGROUND
            return QBrush(colours[scheme_of()])
        if role == R.TextAlignmentRole and col.key == "priority":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _decoration(self, entry: RegistryEntry, key: str, runtime: Any) -> Any:
        if key == "lock":
            return icon("lock" if entry.is_locked else "unlock")
        if key == "verification":
            name = _STATE_ICONS.get(verify_state(entry, runtime))
            return icon(name) if name else None
        if key == "probe":
            if runtime.probe_ok is False and runtime.online:
                return icon("error")
            if runtime.server is not None:
                return icon("online" if runtime.server.online else "offline")
            vision = entry.probes.vision if entry.probes else None
            if vision is not None and vision.vision_ok is not None:
                return icon("vision-ok" if vision.vision_ok else "vision-fail")
        return None

    # -- editing ----
    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self.doc):
            return False
        entry = self.doc.entry_at(index.row())
        col = COLUMNS[index.column()]
        try:
            if role == ENTRY_ROLE:
                # A validated entry, or (entry, undo text) from the controller.
                after, text = value if isinstance(value, tuple) else (value, f"Edit {entry.name}")
                if not isinstance(after, RegistryEntry):
                    return False
            elif role == Qt.ItemDataRole.CheckStateRole and col.checkable:
                checked = Qt.CheckState(value) == Qt.CheckState.Checked
                after = replace_entry(entry, **{col.key: checked})
                text = f"{'Deprecate' if checked else 'Undeprecate'} {entry.name}"
            elif role == Qt.ItemDataRole.EditRole and (col.editable or col.key == "lock"):
                result = self._edit(entry, col.key, value)
                if result is None:
                    return False
                after, text = result
            else:
                return False
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or col.key
            self.edit_refused.emit(f"{entry.name}: {field}: {err['msg']}")
            return False
        except ValueError as exc:
            self.edit_refused.emit(f"{entry.name}: {exc}")
            return False
        if after.to_json_dict() == entry.to_json_dict():
            return False
        try:
            self.doc.replace(entry, after, text)
        except ValueError as exc:
            self.edit_refused.emit(str(exc))
            return False
        return True

    def _edit(self, entry: RegistryEntry, key: str,
              value: Any) -> tuple[RegistryEntry, str] | None:
        label = entry.name
        if key == "name":
            new = str(value).strip()
            return replace_entry(entry, name=new), f"Rename {label} to {new}"
        if key in ("display_name", "served_model_id"):
            text = str(value).strip() if value is not None else ""
            header = COLUMNS[COLUMN_INDEX[key]].header.lower()
            return replace_entry(entry, **{key: text or None}), f"Set {header} of {label}"
        if key == "backend":
            return replace_entry(entry, backend=str(value).strip()), f"Set backend of {label}"
        if key == "roles":
            roles = [str(r).strip() for r in value if str(r).strip()]
            deduped = list(dict.fromkeys(roles))
            return replace_entry(entry, roles=deduped), f"Set roles of {label}"
        if key == "capabilities":
            if not isinstance(value, dict):
                return None
            caps = entry.capabilities.model_dump(mode="json", exclude_unset=True)
            caps.update({str(k): bool(v) for k, v in value.items()})
            return replace_entry(entry, capabilities=caps), f"Set capabilities of {label}"
        if key == "lock":
            return self._lock_edit(entry, bool(value))
        return None

    @staticmethod
    def _lock_edit(entry: RegistryEntry, locked: bool) -> tuple[RegistryEntry, str] | None:
        if not locked:
            return unlock(entry), f"Unlock {entry.name}"
        return lock(entry), f"Lock {entry.name}"

    # -- drag to reorder ----
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        names = [self.doc.entry_at(r).name for r in rows]
        mime = QMimeData()
        mime.setData(MIME_TYPE, QByteArray(json.dumps(names).encode("utf-8")))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: Index) -> bool:
        return data.hasFormat(MIME_TYPE) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: Index) -> bool:
        """Move the dragged entries so they sit before ``row`` (or ``parent``'s row)."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        names = json.loads(bytes(data.data(MIME_TYPE).data()).decode("utf-8"))
        target = row if row >= 0 else (parent.row() if parent.isValid() else len(self.doc))
        self.move_entries(names, target)
        return True

    def move_entries(self, names: list[str], before_row: int) -> None:
        """Move ``names`` (kept in their order) to sit before ``before_row``; one undo step."""
        names = [n for n in names if self.doc.row_of(n) >= 0]
        if not names:
            return
        stack = self.doc.undo_stack
        stack.beginMacro(f"Move {names[0]}" if len(names) == 1 else f"Move {len(names)} entries")
        anchor = before_row
        for name in names:
            src = self.doc.row_of(name)
            dest = anchor - 1 if src < anchor else anchor
            self.doc.move(name, dest)
            anchor = self.doc.row_of(name) + 1
        stack.endMacro()

    def moveRows(self, sourceParent: Index, sourceRow: int, count: int,
                 destinationParent: Index, destinationChild: int) -> bool:
        if sourceParent.isValid() or destinationParent.isValid() or count < 1:
            return False
        if sourceRow < 0 or sourceRow + count > len(self.doc):
            return False
        names = [self.doc.entry_at(r).name for r in range(sourceRow, sourceRow + count)]
        self.move_entries(names, destinationChild)
        return True

    # -- document notifications ----
    def _end_insert(self) -> None:
        self.endInsertRows()
        self._priority_changed()

    def _end_remove(self) -> None:
        self.endRemoveRows()
        self._priority_changed()

    def _end_move(self) -> None:
        self.endMoveRows()
        self._priority_changed()

    def _priority_changed(self) -> None:
        if len(self.doc):
            col = COLUMN_INDEX["priority"]
            self.dataChanged.emit(self.index(0, col), self.index(len(self.doc) - 1, col),
                                  [Qt.ItemDataRole.DisplayRole, SORT_ROLE])

    def _on_replaced(self, row: int, old: RegistryEntry, new: RegistryEntry) -> None:
        if verify_state(old) != verify_state(new):
            first, last = 0, len(COLUMNS) - 1  # the whole row changes colour
        else:
            runtime = self.doc.runtime(new.name)
            changed = [i for i, c in enumerate(COLUMNS)
                       if c.display(old, runtime) != c.display(new, runtime)
                       or _field_value(old, c.key) != _field_value(new, c.key)
                       or (c.tooltip and c.tooltip(old, runtime) != c.tooltip(new, runtime))]
            if not changed:
                changed = [COLUMN_INDEX["name"]]  # ENTRY_ROLE changed (a field not shown)
            first, last = min(changed), max(changed)
        self.dataChanged.emit(self.index(row, first), self.index(row, last), _ALL_ROLES)

    def _on_runtime(self, name: str) -> None:
        row = self.doc.row_of(name)
        if row < 0:
            return
        # Verification progress can change the row colour; status icons only their cells.
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1),
                              _RUNTIME_ROLES)

