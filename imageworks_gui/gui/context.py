"""Shared application context handed to every workspace: settings, registry, HTTP, activity."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from PySide6.QtCore import QObject, Signal

from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.endpoints import make_http_client

if TYPE_CHECKING:
    from imageworks_gui.gui.models.document import RegistryDocument

log = logging.getLogger("imageworks.gui")

CleanupFn = Callable[[], Awaitable[None]]


class ContextEvents(QObject):
    """Signals of the application context (a dataclass cannot carry Qt signals itself)."""

    settings_changed = Signal(object)
    """Emitted with the new ``Settings`` after the user saved the settings dialog."""
    activity_changed = Signal(list)
    """Emitted with the texts of all running background activities (newest last)."""
    error_raised = Signal(str, str)
    """Emitted with (title, details) for an unexpected error in a background task."""


@dataclass
class AppContext:
    """Everything a workspace needs from the application, built once by ``app.py``.

    ``registry`` is the Models workspace document: ``registry.entries`` is the current list of
    entries (priority order) and ``registry.entries_changed`` fires after every change.
    """

    settings: Settings
    registry_path: Path
    http: httpx.AsyncClient
    registry: RegistryDocument
    settings_store: Any = None
    """A ``services.settings_store.SettingsStore`` (``load()``/``save(settings)``), or None."""
    events: ContextEvents = field(default_factory=ContextEvents)
    startup_messages: list[str] = field(default_factory=list)
    """Problems found while starting (e.g. unreadable settings), shown once the window is up."""
    _cleanups: list[CleanupFn] = field(default_factory=list)
    _activities: dict[int, str] = field(default_factory=dict)
    _tokens: itertools.count = field(default_factory=lambda: itertools.count(1))
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    # -- settings ----
    def update_settings(self, settings: Settings) -> None:
        """Adopt new settings, save them when a store is present, and notify listeners."""
        self.settings = settings
        if self.settings_store is not None:
            self.settings_store.save(settings)
        self.events.settings_changed.emit(settings)

    # -- cleanup ----
    def add_cleanup(self, fn: CleanupFn) -> None:
        """Register an async function awaited once at shutdown (last registered runs first)."""
        self._cleanups.append(fn)

    async def shutdown(self) -> None:
        """Cancel running tasks, then run the registered cleanups; errors are logged, not raised."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        while self._cleanups:
            fn = self._cleanups.pop()
            try:
                await fn()
            except Exception:
                log.exception("cleanup %r failed during shutdown", fn)

    # -- background tasks ----
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Start ``coro`` on the event loop, keep it alive, cancel it at shutdown.

        An exception other than cancellation is logged and reported through
        ``events.error_raised`` (the main window shows it once in a dialog).
        """
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)
            self.events.error_raised.emit(
                f"{task.get_name()} failed", f"{type(exc).__name__}: {exc}")

    # -- status-bar activity --------------------------------------------------------------------
    def begin_activity(self, text: str) -> int:
        """Show ``text`` as a running background activity; returns a token for ``end_activity``."""
        token = next(self._tokens)
        self._activities[token] = text
        self.events.activity_changed.emit(list(self._activities.values()))
        return token

    def update_activity(self, token: int, text: str) -> None:
        """Change the text of a running activity (e.g. to show progress)."""
        if token in self._activities:
            self._activities[token] = text
            self.events.activity_changed.emit(list(self._activities.values()))

    def end_activity(self, token: int) -> None:
        """Remove a finished activity from the status bar (unknown tokens are ignored)."""
        if self._activities.pop(token, None) is not None:
            self.events.activity_changed.emit(list(self._activities.values()))

    @property
    def activities(self) -> list[str]:
        """Texts of the running activities, oldest first."""
        return list(self._activities.values())


def build_context(registry_path: Path | None = None) -> AppContext:
    """Create settings, the shared HTTP client and the registry document (not yet loaded).

    Called by ``app.py`` (the composition root); tests, screenshots and benchmarks use it too.
    """
    from imageworks_gui.gui.models.document import RegistryDocument
    from imageworks_gui.services.registry_store import resolve_registry_path
    from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore

    store = SettingsStore()
    settings_error = None
    try:
        settings = store.load()
    except SettingsLoadError as exc:
        settings, settings_error = Settings(), str(exc)
        log.warning("%s", exc)
    path = resolve_registry_path(registry_path)
    return AppContext(settings=settings, registry_path=path, http=make_http_client(settings),
                      registry=RegistryDocument(path), settings_store=store,
                      startup_messages=[settings_error] if settings_error else [])
