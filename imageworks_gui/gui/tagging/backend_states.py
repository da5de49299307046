"""Keeps the role pickers' backend states fresh: checks on first show and after registry edits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer
from shiboken6 import isValid

from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.tagging.roles import RolePickers, check_role_backends, registry_entries
from imageworks_gui.services.backends.status import ServerStatus

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


class BackendStates(QObject):
    """Online state per entry for the role pickers, refreshed in the background.

    A check starts when the workspace is first shown (``first_shown``), after registry edits
    (debounced, so typing in the Models details panel does not fire one per key) and when the
    user clicks "Check backends". States found by the Models workspace (start-up check, Probe,
    a failed preflight) show too; this object's own, newer check wins.
    """

    def __init__(self, context: AppContext, pickers: RolePickers,
                 preferred: Callable[[], dict[str, str | None]], spawn: Spawn,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.pickers = pickers
        self.online: dict[str, ServerStatus] = {}
        """Entry name -> server status found by this object's last check."""
        self.automatic = True
        """When False only the "Check backends" button starts a check."""
        self._preferred = preferred
        self._spawn = spawn
        self._shown = False
        self._task: asyncio.Task[Any] | None = None
        self._check_timer = QTimer(self, singleShot=True, interval=800)
        self._check_timer.timeout.connect(self.start_check)
        self._refresh_timer = QTimer(self, singleShot=True, interval=300)
        self._refresh_timer.timeout.connect(self.refresh)
        pickers.check_requested.connect(self.start_check)
        registry = getattr(context, "registry", None)
        if registry is not None and hasattr(registry, "entries_changed"):
            registry.entries_changed.connect(self._registry_changed)
        if registry is not None and hasattr(registry, "runtime_changed"):
            registry.runtime_changed.connect(lambda _name: self._refresh_timer.start())

    @property
    def checking(self) -> bool:
        return self._task is not None and not self._task.done()

    def first_shown(self) -> None:
        if not self._shown:
            self._shown = True
            if self.automatic:
                self._check_timer.start(0)

    def refresh(self) -> None:
        """Rebuild the pickers from the registry and the known online states."""
        entries = registry_entries(self.context)
        registry = getattr(self.context, "registry", None)
        online: dict[str, ServerStatus] = {}
        if registry is not None and hasattr(registry, "runtime"):
            for entry in entries:
                known = registry.runtime(entry.name).server
                if known is not None:
                    online[entry.name] = known
        online.update(self.online)
        self.pickers.populate(entries, self._preferred(), online)

    def _registry_changed(self) -> None:
        self.refresh()
        if self._shown and self.automatic:
            self._check_timer.start()

    def start_check(self) -> None:
        """Check the eligible models' servers in the background (a running check is replaced)."""
        self._check_timer.stop()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if registry_entries(self.context):
            self._task = self._spawn(self.check(), "check")

    async def check(self) -> None:
        """Ask every eligible model's server whether it is up, then refresh the pickers."""
        self.pickers.set_checking(True)
        try:
            online = await check_role_backends(self.context)
        finally:
            if isValid(self.pickers):  # the window may have closed meanwhile
                self.pickers.set_checking(False)
        if isValid(self):
            self.online = online
            self.refresh()
