"""Role pickers: the model resolved for caption, keywords and description, with backend state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QPaintEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.resolution import (
    RoleResolutionError,
    required_capabilities_for,
    select_model,
)
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.resources import icon
from imageworks_gui.gui.widgets import literal_tooltip
from imageworks_gui.services.backends.endpoints import start_command
from imageworks_gui.services.backends.locality import entry_off_machine_warning
from imageworks_gui.services.backends.status import ServerState, ServerStatus, check_statuses
from imageworks_gui.services.pipeline import PreflightError

AUTO = ""
"""Combo data of the "automatic" choice (registry priority order)."""


def eligible_entries(entries: Sequence[RegistryEntry], role: str) -> list[RegistryEntry]:
    """Entries that may serve ``role``: they list it and have the capabilities it needs."""
    caps = required_capabilities_for(role)
    return [e for e in entries if role in e.roles and all(e.capabilities.has(c) for c in caps)]


def entry_state(entry: RegistryEntry, status: ServerStatus | None) -> tuple[str, bool]:
    """A short state text for an entry and whether it can be chosen."""
    parts = [status.text if status is not None else "not checked"]
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


def preflight_message(exc: PreflightError, doc: Any) -> str:
    """Which server is not running and the command that starts it, one line per model.

    Offline models are also marked offline, with that command, in the registry document's
    runtime state (the Models workspace shows it in the status tooltip).
    """
    lines = []
    for report in (r for r in exc.reports if not r.ok):
        entry = doc.entry(report.entry) if hasattr(doc, "entry") else None
        if entry is None or report.online:
            lines.append(f"• {report.message}")
            continue
        command = start_command(entry)
        status = report.status()
        lines.append(f"• {entry.label} is {status.text}: {status.describe(entry)}"
                     if status.state is not ServerState.NOT_RUNNING else
                     f"• {entry.label} is not running: nothing answers at {report.endpoint}. "
                     f"Start it with:\n    {command}")
        doc.set_runtime(entry.name, server=status, probe_ok=False,
                        probe_text=status.describe(entry))
    return ("Cannot start tagging:\n" + "\n".join(lines) + "\nThen click Run again, or choose "
            "another model in the role pickers above.")


def registry_entries(context: AppContext) -> list[RegistryEntry]:
    """The registry entries of the application (empty when no registry is loaded)."""
    registry = getattr(context, "registry", None)
    return list(getattr(registry, "entries", []) or [])


async def check_role_backends(context: AppContext) -> dict[str, ServerStatus]:
    """Server status of every entry that may serve caption, keywords or description."""
    entries = registry_entries(context)
    wanted = {e.name: e for stage in STAGES for e in eligible_entries(entries, stage)}
    return await check_statuses(context.http, list(wanted.values()), context.settings.backend)


def _state_icon(status: ServerStatus | None) -> QIcon:
    if status is None:
        return icon("unverified")
    return icon("online" if status.online else "offline")


def _entry_tip(entry: RegistryEntry, state: str, status: ServerStatus | None) -> str:
    tip = f"{entry.name} ({entry.backend}): {state}"
    if status is not None and not status.online:
        tip += f". {status.describe(entry)}"
    warning = entry_off_machine_warning(entry)
    if warning:
        tip += f"\nWarning: {warning}"
    return tip


class ElidedComboBox(QComboBox):
    """A combo box that shares the row with its siblings and ends a long choice with "…"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(10)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        icon_width = 0 if option.currentIcon.isNull() else option.iconSize.width() + 6
        option.currentText = self.fontMetrics().elidedText(
            option.currentText, Qt.TextElideMode.ElideRight, max(0, field.width() - icon_width))
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def fit_popup(self) -> None:
        """Let the drop-down list be wider than the closed combo so choices are readable."""
        view = self.view()
        view.setMinimumWidth(max(self.width(), view.sizeHintForColumn(0) + 32))


class RolePickers(QWidget):
    """One combo box per stage: "Automatic (model)" or an eligible model, with its state."""

    preferred_changed = Signal(str, str)
    """(stage, entry name or "" for automatic)."""
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[str, ElidedComboBox] = {}
        for stage in STAGES:
            layout.addWidget(QLabel(stage.capitalize() + ":"))
            combo = ElidedComboBox()
            combo.activated.connect(lambda _i, s=stage: self._chosen(s))
            self.combos[stage] = combo
            layout.addWidget(combo)
        self.check_button = QPushButton("Check backends")
        self.check_button.setToolTip("Ask every eligible model's server whether it is running")
        self.check_button.clicked.connect(self.check_requested)
        layout.addWidget(self.check_button)

    def set_checking(self, checking: bool) -> None:
        """Show that a backend check is running (the pickers stay usable meanwhile)."""
        self.check_button.setText("Checking…" if checking else "Check backends")
        self.check_button.setEnabled(not checking)

    def _chosen(self, stage: str) -> None:
        self.preferred_changed.emit(stage, self.combos[stage].currentData() or AUTO)

    def populate(self, entries: Sequence[RegistryEntry], preferred: dict[str, str | None],
                 online: dict[str, ServerStatus]) -> None:
        """Rebuild every combo from the registry, keeping the user's choices."""
        for stage, combo in self.combos.items():
            model = QStandardItemModel(combo)
            try:
                auto = select_model(entries, stage, log_resolution=False).entry
                auto_state = entry_state(auto, online.get(auto.name))[0]
                item = QStandardItem(_state_icon(online.get(auto.name)),
                                     f"Automatic: {auto.label} ({auto_state})")
                item.setToolTip(literal_tooltip(
                    f"First usable model for {stage!r} in registry order: "
                    + _entry_tip(auto, auto_state, online.get(auto.name))))
            except RoleResolutionError as exc:
                item = QStandardItem("Automatic: no usable model")
                item.setToolTip(literal_tooltip(
                    f"{exc}. Give a vision model the {stage!r} role in the Models workspace."))
            item.setData(AUTO, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
            for entry in eligible_entries(entries, stage):
                state, selectable = entry_state(entry, online.get(entry.name))
                item = QStandardItem(_state_icon(online.get(entry.name)),
                                     f"{entry.label} ({state})")
                item.setData(entry.name, Qt.ItemDataRole.UserRole)
                item.setToolTip(literal_tooltip(_entry_tip(entry, state, online.get(entry.name))))
                if not selectable:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                model.appendRow(item)
            combo.setModel(model)
            combo.fit_popup()
            wanted = preferred.get(stage) or AUTO
            index = combo.findData(wanted)
            combo.setCurrentIndex(index if index >= 0 else 0)
            combo.setToolTip(combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
                             or "")
