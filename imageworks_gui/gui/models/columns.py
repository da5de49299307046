"""Column spec of the registry table: key, header, editability, display text and tooltip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import Qt

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.gui.models.document import RuntimeState
from imageworks_gui.gui.models.quality_column import quality_text, quality_tooltip
from imageworks_gui.services.backends.endpoints import base_url_for, replicas_for
from imageworks_gui.services.backends.locality import entry_off_machine_warning
from imageworks_gui.services.backends.replica_status import summary

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
"""The whole ``RegistryEntry`` of a row; ``setData`` with it replaces the entry (details panel)."""
NAME_ROLE = Qt.ItemDataRole.UserRole + 2
"""The entry name (the stable key of a row)."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
"""A value that sorts naturally (numbers for priority, ISO text for dates)."""
STATE_ROLE = Qt.ItemDataRole.UserRole + 4
"""The ``VerifyState`` of the row."""
LIST_ROLE = Qt.ItemDataRole.UserRole + 5
"""For roles/capabilities: the list of role names, or the dict of capability flags."""


class VerifyState(StrEnum):
    UNLOCKED = "unlocked"
    VERIFIED = "verified"
    DRIFTED = "drifted"
    NOT_VERIFIED = "not verified"
    ERROR = "error"
    VERIFYING = "verifying"


def verify_state(entry: RegistryEntry, runtime: RuntimeState | None = None) -> VerifyState:
    """The lock/verification state shown in the table."""
    if runtime is not None and runtime.progress is not None:
        return VerifyState.VERIFYING
    if runtime is not None and runtime.verify_error:
        return VerifyState.ERROR
    vl = entry.version_lock
    record = vl.last_verification if vl else None
    if record is not None and record.status == "error":
        return VerifyState.ERROR
    if not entry.is_locked:
        return VerifyState.UNLOCKED
    if record is None:
        return VerifyState.NOT_VERIFIED
    if record.status == "drifted":
        return VerifyState.DRIFTED
    return VerifyState.VERIFIED


def verify_text(entry: RegistryEntry, runtime: RuntimeState | None) -> str:
    state = verify_state(entry, runtime)
    if state is VerifyState.VERIFYING and runtime is not None and runtime.progress is not None:
        return f"Verifying… {runtime.progress * 100:.0f}%"
    if state is VerifyState.UNLOCKED:
        record = entry.version_lock.last_verification if entry.version_lock else None
        return "Unlocked (hashed)" if record is not None else "Unlocked"
    if state is VerifyState.VERIFIED:
        return "Locked, verified"
    if state is VerifyState.DRIFTED:
        return "Locked, DRIFTED"
    if state is VerifyState.ERROR:
        return "Error"
    return "Locked, not verified"


def _short_list(items: list[str], limit: int = 12) -> str:
    shown = [f"  {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"  … and {len(items) - limit} more")
    return "\n".join(shown)


def verify_tooltip(entry: RegistryEntry, runtime: RuntimeState | None) -> str:
    """What the last verification found; for drift, the changed, added and removed files."""
    if runtime is not None and runtime.verify_error:
        return f"Verification failed: {runtime.verify_error}"
    vl = entry.version_lock
    record = vl.last_verification if vl else None
    lines: list[str] = []
    if vl and vl.expected_aggregate_sha256:
        lines.append(f"Locked hash: {vl.expected_aggregate_sha256}")
    if record is None:
        lines.append("Never verified: select the entry and click Verify.")
        return "\n".join(lines)
    if record.actual_aggregate_sha256:
        lines.append(f"Current hash: {record.actual_aggregate_sha256}")
    if record.checked_at:
        lines.append(f"Checked: {record.checked_at}")
    if record.status == "drifted":
        lines.insert(0, "The files no longer match the lock.")
        for title, items in (("Changed", record.changed), ("Added", record.added),
                             ("Removed", record.removed)):
            if items:
                lines.append(f"{title} ({len(items)}):\n{_short_list(items)}")
        lines.append("Restore the files, or use Re-lock to current to accept them.")
    elif record.status == "error":
        lines.insert(0, f"Verification failed: {record.message or 'unknown error'}")
    return "\n".join(lines)


def probe_text(entry: RegistryEntry, runtime: RuntimeState | None) -> str:
    """The Status cell: the server state (``online (served name)`` or why not), then whether
    the last probe failed and what the vision probe found."""
    parts: list[str] = []
    if runtime is not None and runtime.server is not None:
        parts.append(runtime.server.text)
    if runtime is not None and runtime.probe_ok is False and runtime.online:
        parts.append("probe FAILED")  # it answers, but a chat or vision check failed
    vision = entry.probes.vision if entry.probes else None
    if vision is not None and vision.vision_ok is not None:
        parts.append("vision ok" if vision.vision_ok else "no vision")
    return ", ".join(parts) or "not probed"


def endpoint_text(entry: RegistryEntry, runtime: RuntimeState | None) -> str:
    if not entry.backend_config.endpoints:
        return base_url_for(entry)
    states = list(runtime.replicas) if runtime is not None else []
    if states:
        return summary(states)
    count = len(entry.backend_config.endpoints)
    return f"{count} replica" + ("" if count == 1 else "s")


def endpoint_tooltip(entry: RegistryEntry, runtime: RuntimeState | None) -> str:
    if entry.backend_config.endpoints:
        states = list(runtime.replicas) if runtime is not None else []
        lines = ([s.line for s in states] if states
                 else [r.base_url for r in replicas_for(entry)] + ["(state not checked yet)"])
        return "\n".join([*lines, "Edit the replicas in the details panel"])
    warning = entry_off_machine_warning(entry)
    hint = "Edit host, port or base URL in the details panel"
    return f"Warning: {warning}\n{hint}" if warning else hint


def probe_tooltip(entry: RegistryEntry, runtime: RuntimeState | None) -> str:
    lines: list[str] = []
    warning = entry_off_machine_warning(entry)
    if warning:
        lines.append(f"Warning: {warning}")
    if runtime is not None and runtime.probe_text:
        lines.append(runtime.probe_text)
    vision = entry.probes.vision if entry.probes else None
    if vision is not None:
        lines.append(f"Vision probe: {'passed' if vision.vision_ok else 'failed'}"
                     + (f" at {vision.timestamp}" if vision.timestamp else "")
                     + (f", {vision.latency_ms:.0f} ms" if vision.latency_ms else ""))
        if vision.notes:
            lines.append(vision.notes)
    if len(lines) == (1 if warning else 0):
        lines.append("Click Probe to check whether the backend answers.")
    return "\n".join(lines)


def format_timestamp(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _caps_text(entry: RegistryEntry) -> str:
    return ", ".join(k for k, v in entry.capabilities.as_dict().items() if v)


@dataclass(frozen=True)
class Column:
    """One table column: how it shows an entry and which field an edit changes."""

    key: str
    header: str
    display: Callable[[RegistryEntry, RuntimeState | None], str]
    editable: bool = False
    tooltip: Callable[[RegistryEntry, RuntimeState | None], str] | None = None
    header_tip: str = ""
    checkable: bool = False
    """Shown as a check box (bool field ``key``)."""
    sort: Callable[[RegistryEntry, RuntimeState | None], Any] | None = None


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", lambda e, r: e.name, editable=True,
           header_tip="Unique key used by the CLI and the tagger"),
    Column("priority", "#", lambda e, r: "", header_tip="Resolution priority (file order); "
           "drag rows to change it"),
    Column("display_name", "Display name", lambda e, r: e.display_name or "", editable=True),
    Column("backend", "Backend", lambda e, r: e.backend, editable=True),
    Column("endpoint", "Endpoint", endpoint_text, tooltip=endpoint_tooltip),
    Column("served_model_id", "Served name", lambda e, r: e.served_model_id or "",
           editable=True, header_tip="Model name sent to the server (served_model_id)"),
    Column("roles", "Roles", lambda e, r: ", ".join(e.roles), editable=True,
           header_tip="Roles this model fills; click to edit"),
    Column("capabilities", "Capabilities", lambda e, r: _caps_text(e), editable=True),
    Column("probe", "Status", probe_text, tooltip=probe_tooltip,
           header_tip="Whether the server answers and serves this model, and probe results"),
    Column("lock", "Lock", lambda e, r: "Locked" if e.is_locked else "Unlocked",
           header_tip="Click to lock to the current hash or to unlock",
           tooltip=lambda e, r: ("Locked: click to unlock" if e.is_locked
                                 else "Unlocked: click to lock to the current files")),
    Column("verification", "Verification", verify_text, tooltip=verify_tooltip,
           sort=lambda e, r: verify_state(e, r).value),
    Column("last_verified", "Last verified",
           lambda e, r: format_timestamp(e.version_lock.last_verified if e.version_lock else None),
           sort=lambda e, r: (e.version_lock.last_verified or "") if e.version_lock else ""),
    Column("deprecated", "Deprecated", lambda e, r: "", checkable=True,
           header_tip="Deprecated entries are skipped by role resolution"),
    Column("quality", "Quality", quality_text, tooltip=quality_tooltip,
           header_tip="Review scorecard summary (performance.quality)"),
)

COLUMN_INDEX: dict[str, int] = {c.key: i for i, c in enumerate(COLUMNS)}
"""Logical column of each key. The name is column 0 (the row's identity); the view shows the
priority column first."""
