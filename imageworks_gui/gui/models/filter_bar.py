"""The filter bar above the registry table: search as you type, role/capability/backend, drift."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QWidget

from imageworks_gui.core.registry import (
    KNOWN_BACKENDS,
    KNOWN_CAPABILITIES,
    KNOWN_ROLES,
    RegistryEntry,
)
from imageworks_gui.gui.models.proxy import RegistryFilterProxy


class FilterBar(QWidget):
    """Drives the proxy's filters; the combo boxes list known values plus those in use."""

    def __init__(self, proxy: RegistryFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText("Filter models by name, backend, served name, role… "
                                       "(Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(proxy.set_text)
        # Ctrl+Z here undoes the last registry edit, as everywhere in the workspace: the
        # filter is a view setting (cleared with its clear button), not data.
        self.search.installEventFilter(self)
        self.role_filter = QComboBox()
        self.capability_filter = QComboBox()
        self.backend_filter = QComboBox()
        for combo, all_text, setter in (
                (self.role_filter, "Any role", proxy.set_role),
                (self.capability_filter, "Any capability", proxy.set_capability),
                (self.backend_filter, "Any backend", proxy.set_backend)):
            combo.addItem(all_text, None)
            combo.currentIndexChanged.connect(
                lambda _i, c=combo, s=setter: s(c.currentData()))
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.drifted_only = QCheckBox("Drifted only")
        self.drifted_only.setToolTip("Show only locked entries whose files changed")
        self.drifted_only.toggled.connect(proxy.set_drifted_only)
        layout.addWidget(self.search, 1)
        for widget in (self.role_filter, self.capability_filter, self.backend_filter,
                       self.drifted_only):
            layout.addWidget(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.ShortcutOverride:
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Undo) or event.matches(
                    QKeySequence.StandardKey.Redo):
                return True  # not taken by the line edit: the window's Undo/Redo runs
        return super().eventFilter(watched, event)

    def refresh_choices(self, entries: Sequence[RegistryEntry]) -> None:
        """Offer the known values plus any custom ones the entries use; keep the selection."""
        roles = list(KNOWN_ROLES) + sorted(
            {r for e in entries for r in e.roles} - set(KNOWN_ROLES))
        caps = list(KNOWN_CAPABILITIES) + sorted(
            {c for e in entries for c in e.capabilities.as_dict()} - set(KNOWN_CAPABILITIES))
        backends = list(KNOWN_BACKENDS) + sorted(
            {e.backend for e in entries} - set(KNOWN_BACKENDS))
        for combo, values in ((self.role_filter, roles), (self.capability_filter, caps),
                              (self.backend_filter, backends)):
            current = combo.currentData()
            have = [combo.itemData(i) for i in range(1, combo.count())]
            if have == values:
                continue
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
            combo.blockSignals(False)
