"""Role pickers: the model resolved for caption, keywords and description, with backend state."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.resolution import (
    RoleResolutionError,
    required_capabilities_for,
    select_model,
)
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.gui.context import AppContext
from imageworks_gui.services.backends import BackendClient, BackendError

AUTO = ""
"""Combo data of the "automatic" choice (registry priority order)."""


def eligible_entries(entries: Sequence[RegistryEntry], role: str) -> list[RegistryEntry]:
    """Entries that may serve ``role``: they list it and have the capabilities it needs."""
    caps = required_capabilities_for(role)
    return [e for e in entries if role in e.roles and all(e.capabilities.has(c) for c in caps)]


def entry_state(entry: RegistryEntry, online: bool | None) -> tuple[str, bool]:
    """A short state text for an entry and whether it can be chosen."""
    parts = ["online" if online else "offline" if online is False else "not checked"]
    if entry.drifted:
        parts.append("drifted: verify or unlock it")
    elif entry.is_locked:
        parts.append("locked")
    probe = entry.probes.vision if entry.probes else None
    if probe is not None and probe.vision_ok is not None:
        parts.append("vision ok" if probe.vision_ok else "vision probe failed")
    if entry.deprecated:
        parts.append("deprecated")
    return ", ".join(parts), not entry.drifted


async def check_online(http: httpx.AsyncClient, entries: Sequence[RegistryEntry],
                       settings: BackendSettings, timeout_s: float = 3.0) -> dict[str, bool]:
    """Entry name -> whether its server answers ``/v1/models`` (all checked concurrently)."""

    async def one(entry: RegistryEntry) -> tuple[str, bool]:
        client = BackendClient(http, entry, settings)
        try:
            await asyncio.wait_for(client.list_models(retries=0), timeout_s)
            return entry.name, True
        except (BackendError, TimeoutError, httpx.HTTPError, ValueError):
            return entry.name, False

    results = await asyncio.gather(*(one(e) for e in entries))
    return dict(results)


def registry_entries(context: AppContext) -> list[RegistryEntry]:
    """The registry entries of the application (empty when no registry is loaded)."""
    registry = getattr(context, "registry", None)
    return list(getattr(registry, "entries", []) or [])


async def check_role_backends(context: AppContext) -> dict[str, bool]:
    """Online state of every entry that may serve caption, keywords or description."""
    entries = registry_entries(context)
    wanted = {e.name: e for stage in STAGES for e in eligible_entries(entries, stage)}
    return await check_online(context.http, list(wanted.values()), context.settings.backend)


class RolePickers(QWidget):
    """One combo box per stage: "Automatic (model)" or an eligible model, with its state."""

    preferred_changed = Signal(str, str)
    """(stage, entry name or "" for automatic)."""
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[str, QComboBox] = {}
        for stage in STAGES:
            layout.addWidget(QLabel(stage.capitalize() + ":"))
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(14)
            combo.activated.connect(lambda _i, s=stage: self._chosen(s))
            self.combos[stage] = combo
            layout.addWidget(combo)
        self.check_button = QPushButton("Check backends")
        self.check_button.setToolTip("Ask every eligible model's server whether it is running")
        self.check_button.clicked.connect(self.check_requested)
        layout.addWidget(self.check_button)
        layout.addStretch(1)

    def _chosen(self, stage: str) -> None:
        self.preferred_changed.emit(stage, self.combos[stage].currentData() or AUTO)

    def populate(self, entries: Sequence[RegistryEntry], preferred: dict[str, str | None],
                 online: dict[str, bool]) -> None:
        """Rebuild every combo from the registry, keeping the user's choices."""
        for stage, combo in self.combos.items():
            model = QStandardItemModel(combo)
            try:
                auto = select_model(entries, stage, log_resolution=False).entry
                auto_state = entry_state(auto, online.get(auto.name))[0]
                auto_text = f"Automatic: {auto.label} ({auto_state})"
                auto_tip = f"First usable model for {stage!r} in registry order"
            except RoleResolutionError as exc:
                auto_text, auto_tip = "Automatic: no usable model", str(exc)
            item = QStandardItem(auto_text)
            item.setData(AUTO, Qt.ItemDataRole.UserRole)
            item.setToolTip(auto_tip)
            model.appendRow(item)
            for entry in eligible_entries(entries, stage):
                state, selectable = entry_state(entry, online.get(entry.name))
                item = QStandardItem(f"{entry.label} ({state})")
                item.setData(entry.name, Qt.ItemDataRole.UserRole)
                item.setToolTip(f"{entry.name}: backend {entry.backend}; {state}")
                if not selectable:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                model.appendRow(item)
            combo.setModel(model)
            wanted = preferred.get(stage) or AUTO
            index = combo.findData(wanted)
            combo.setCurrentIndex(index if index >= 0 else 0)
            combo.setToolTip(combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
                             or "")
