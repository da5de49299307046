"""Filter and sort proxy for the registry table: search text and role/capability/backend filters."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.gui.models.columns import (
    COLUMNS,
    ENTRY_ROLE,
    SORT_ROLE,
    STATE_ROLE,
    VerifyState,
)


class RegistryFilterProxy(QSortFilterProxyModel):
    """Shows the entries matching every active filter; sorts on ``SORT_ROLE``.

    The text filter matches name, display name, backend, endpoint, served name, aliases and roles,
    case-insensitively, as the user types.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._text = ""
        self._role: str | None = None
        self._capability: str | None = None
        self._backend: str | None = None
        self._drifted_only = False

    # -- filter setters (each re-filters once) ----
    def set_text(self, text: str) -> None:
        self._update(lambda: setattr(self, "_text", text.strip().casefold()))

    def set_role(self, role: str | None) -> None:
        self._update(lambda: setattr(self, "_role", role or None))

    def set_capability(self, capability: str | None) -> None:
        self._update(lambda: setattr(self, "_capability", capability or None))

    def set_backend(self, backend: str | None) -> None:
        self._update(lambda: setattr(self, "_backend", backend or None))

    def set_drifted_only(self, on: bool) -> None:
        self._update(lambda: setattr(self, "_drifted_only", bool(on)))

    def _update(self, change: object) -> None:
        self.beginFilterChange()
        change()  # type: ignore[operator]
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def active(self) -> bool:
        """True when any filter hides rows (drag-to-reorder is then disabled)."""
        return bool(self._text or self._role or self._capability or self._backend
                    or self._drifted_only)

    # -- QSortFilterProxyModel ----
    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        entry: RegistryEntry | None = model.data(index, ENTRY_ROLE)
        if entry is None:
            return False
        if self._role and self._role not in entry.roles:
            return False
        if self._capability and not entry.capabilities.has(self._capability):
            return False
        if self._backend and entry.backend != self._backend:
            return False
        if self._drifted_only and model.data(index, STATE_ROLE) != VerifyState.DRIFTED:
            return False
        if self._text:
            cfg = entry.backend_config
            haystack = " ".join([
                entry.name, entry.display_name or "", entry.backend, entry.served_model_id or "",
                " ".join(entry.model_aliases), " ".join(entry.roles), cfg.host or "",
                str(cfg.port or ""), cfg.base_url or "", cfg.model_path or "",
            ]).casefold()
            return all(word in haystack for word in self._text.split())
        return True

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)

    def is_priority_order(self) -> bool:
        """True when rows show in file order (unsorted, or sorted ascending by priority)."""
        col = self.sortColumn()
        return col < 0 or (COLUMNS[col].key == "priority"
                           and self.sortOrder() == Qt.SortOrder.AscendingOrder)
