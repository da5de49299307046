"""The open registry: entries in priority order, undo stack, load/save and change notifications."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from imageworks_gui.core.entry_transitions import unique_name, with_measurements
from imageworks_gui.core.registry import RegistryEntry, RegistryValidationError
from imageworks_gui.gui.models.commands import (
    InsertEntriesCommand,
    MoveEntryCommand,
    RemoveEntriesCommand,
    ReplaceEntryCommand,
)
from imageworks_gui.services.backends.replica_status import ReplicaState
from imageworks_gui.services.backends.status import ServerStatus
from imageworks_gui.services.registry_store import RegistryLoadError, RegistryStore

log = logging.getLogger("imageworks.gui.registry")


@dataclass
class RuntimeState:
    """What the app knows about an entry right now, beyond what is saved in the file."""

    progress: float | None = None
    """0..1 while a verification runs, else None."""
    server: ServerStatus | None = None
    """The server state found by the last status check or probe (None: not checked)."""
    probe_ok: bool | None = None
    """True when every probe passed; False when the server answered but a check failed."""
    probe_text: str = ""
    """Detail of the last probe: the failure reason and the command that starts the backend."""
    busy_text: str = ""
    verify_error: str = ""
    """Why the last verification since the app started failed ('' when it did not)."""
    replicas: tuple[ReplicaState, ...] = ()
    """``ReplicaState`` of each replica found by the last status check (entries with replicas)."""

    @property
    def online(self) -> bool | None:
        """True when the server answers and serves this model; None when not checked."""
        return None if self.server is None else self.server.online


class RegistryDocument(QObject):
    """The registry being edited. Only this class mutates the entry list, always via commands.

    Structural signals come in about/after pairs so that the table model can announce the change
    to views exactly as Qt requires. ``entries_changed`` fires after every change of any kind.
    """

    entry_replaced = Signal(int, object, object)
    """(row, old entry, new entry) after an entry was replaced."""
    rows_about_to_insert = Signal(int, int)
    rows_inserted = Signal()
    rows_about_to_remove = Signal(int, int)
    rows_removed = Signal()
    row_about_to_move = Signal(int, int)
    """(source row, destination row in the sense of QAbstractItemModel.beginMoveRows)."""
    row_moved = Signal()
    about_to_reset = Signal()
    reset_done = Signal()
    entries_changed = Signal()
    runtime_changed = Signal(str)
    """Entry name whose runtime state (progress, online, ...) changed."""
    dirty_changed = Signal(bool)
    external_change = Signal()
    """The file changed on disk and it is not our own save: offer reload or keep-mine."""
    load_failed = Signal(str)
    warnings_found = Signal(list)

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self._entries: list[RegistryEntry] = []
        self._runtime: dict[str, RuntimeState] = {}
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.load_error: str | None = None
        self.warnings: list[str] = []
        self._store: RegistryStore | None = None
        self._force_next_save = False
        self._external_pending = False
        self._measured_unsaved = False
        """A measurement (verify, probe) was recorded since the last save or load."""
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_fs_event)
        self._watcher.directoryChanged.connect(self._on_fs_event)
        self._fs_timer = QTimer(self, singleShot=True, interval=200)
        self._fs_timer.timeout.connect(self.check_external_change)

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean or self._measured_unsaved)

    # -- reading ----
    @property
    def entries(self) -> list[RegistryEntry]:
        """A copy of the entries, in priority (file) order."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entry_at(self, row: int) -> RegistryEntry:
        return self._entries[row]

    def row_of(self, name: str) -> int:
        """Row of the entry called ``name``, or -1."""
        for row, entry in enumerate(self._entries):
            if entry.name == name:
                return row
        return -1

    def entry(self, name: str) -> RegistryEntry | None:
        row = self.row_of(name)
        return self._entries[row] if row >= 0 else None

    def names(self) -> list[str]:
        return [e.name for e in self._entries]

    def unique_name(self, base: str) -> str:
        """``base`` if unused, else ``base-2``, ``base-3``, ..."""
        return unique_name(base, self.names())

    def runtime(self, name: str) -> RuntimeState:
        return self._runtime.setdefault(name, RuntimeState())

    def set_runtime(self, name: str, **changes: object) -> None:
        state = self.runtime(name)
        for key, value in changes.items():
            setattr(state, key, value)
        self.runtime_changed.emit(name)

    @property
    def is_dirty(self) -> bool:
        """Unsaved edits, or measurements recorded since the last save."""
        return not self.undo_stack.isClean() or self._measured_unsaved

    @property
    def read_only(self) -> bool:
        """True when the file could not be loaded: it is then never written."""
        return self.load_error is not None

    # -- load / save -----------------------------------------------------------------------------
    def _make_store(self) -> RegistryStore:
        return RegistryStore(self.path)

    def load(self) -> bool:
        """(Re)load from disk. On failure the document is empty and read-only; returns success."""
        store = self._make_store()
        self.about_to_reset.emit()
        try:
            entries = store.load()
        except (RegistryLoadError, RegistryValidationError) as exc:
            self._entries = []
            self.load_error = str(exc)
            self._store = None
        else:
            self._entries = list(entries)
            self.load_error = None
            self._store = store
            self.warnings = list(getattr(store, "warnings", []) or [])
        self._runtime = {}
        self._force_next_save = False
        self._external_pending = False
        self._measured_unsaved = False
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.reset_done.emit()
        self.entries_changed.emit()
        self.dirty_changed.emit(False)
        self._watch()
        if self.load_error is not None:
            log.error("registry load failed: %s", self.load_error)
            self.load_failed.emit(self.load_error)
            return False
        if self.warnings:
            self.warnings_found.emit(self.warnings)
        return True

    def save(self, force: bool = False) -> None:
        """Write atomically. Raises RegistryConflictError when the file changed on disk since it
        was read (unless ``force`` or the user chose keep-mine), and PermissionError/OSError
        from the store when the folder is not writable."""
        if self.read_only:
            raise RuntimeError(
                f"{self.path} could not be loaded, so it is never overwritten: fix the file "
                f"(see the message shown when it was opened) and reload it")
        assert self._store is not None
        self._store.save(self._entries, force=force or self._force_next_save)
        self._force_next_save = False
        self._external_pending = False
        was_dirty = self.is_dirty
        self._measured_unsaved = False
        self.undo_stack.setClean()
        if was_dirty and self.undo_stack.isClean():
            self.dirty_changed.emit(False)
        self._watch()

    def keep_mine(self) -> None:
        """The user chose to keep the in-memory version: the next save overwrites the file."""
        self._force_next_save = True
        self._external_pending = False
        if not self.is_dirty:
            # Nothing unsaved: mark the document modified so the user can save over the file.
            self.undo_stack.resetClean()
            self.dirty_changed.emit(True)

    def check_external_change(self) -> bool:
        """Ask the store whether the file changed on disk; emits ``external_change`` once."""
        self._watch()
        if self._store is None or self._external_pending or self._force_next_save:
            return False
        try:
            changed = bool(self._store.changed_on_disk())
        except OSError:
            changed = True
        if changed:
            self._external_pending = True
            self.external_change.emit()
        return changed

    def _watch(self) -> None:
        files = self._watcher.files()
        if files:
            self._watcher.removePaths(files)
        if self.path.exists():
            self._watcher.addPath(str(self.path))
        parent = str(self.path.parent)
        if self.path.parent.exists() and parent not in self._watcher.directories():
            self._watcher.addPath(parent)

    def _on_fs_event(self, _path: str) -> None:
        self._fs_timer.start()

    # -- measurements (recorded, never undone) ----
    def record_measurement(self, name: str, measured: RegistryEntry) -> bool:
        """Record a verification or probe result into the entry ``name`` outside the undo stack.

        ``measured`` carries the measurement; the entry's current user fields are kept (edits
        made while hashing or probing survive). Returns False when the entry is gone.
        """
        current = self.entry(name)
        if current is None or self.read_only:
            return False
        new = with_measurements(current, measured)
        if new.to_json_dict() == current.to_json_dict():
            return True
        self._replace(name, new)
        if not self._measured_unsaved:
            self._measured_unsaved = True
            self.dirty_changed.emit(True)
        return True

    # -- edits (each pushes one undo command) ----------------------------------------------------
    def replace(self, before: RegistryEntry, after: RegistryEntry, text: str) -> None:
        """Push an edit of one entry. ``after`` must already be validated."""
        if after.name != before.name and after.name in self.names():
            raise ValueError(f"another entry is already called {after.name!r}: choose a "
                             f"different name")
        self.undo_stack.push(ReplaceEntryCommand(self, before, after, text))

    def add_entries(self, entries: list[RegistryEntry], row: int | None = None,
                    text: str = "Add entry") -> None:
        names = self.names()
        for entry in entries:
            if entry.name in names:
                raise ValueError(f"an entry called {entry.name!r} already exists")
            names.append(entry.name)
        at = len(self._entries) if row is None else max(0, min(row, len(self._entries)))
        self.undo_stack.push(InsertEntriesCommand(self, at, entries, text))

    def remove(self, names: list[str], text: str | None = None) -> None:
        if not names:
            return
        label = text or (f"Delete {names[0]}" if len(names) == 1 else
                         f"Delete {len(names)} entries")
        self.undo_stack.push(RemoveEntriesCommand(self, names, label))

    def move(self, name: str, to_row: int) -> None:
        """Move ``name`` so that it ends up at index ``to_row`` (0 = highest priority)."""
        to_row = max(0, min(to_row, len(self._entries) - 1))
        if self.row_of(name) in (-1, to_row):
            return
        self.undo_stack.push(MoveEntryCommand(self, name, to_row, f"Move {name}"))

    # -- primitives used by the commands ----
    def _replace(self, name: str, entry: RegistryEntry) -> None:
        row = self.row_of(name)
        old = self._entries[row]
        self._entries[row] = entry
        if entry.name != name:
            self._runtime[entry.name] = self._runtime.pop(name, RuntimeState())
        self.entry_replaced.emit(row, old, entry)
        self.entries_changed.emit()

    def _insert(self, row: int, entries: list[RegistryEntry]) -> None:
        self.rows_about_to_insert.emit(row, len(entries))
        self._entries[row:row] = entries
        self.rows_inserted.emit()
        self.entries_changed.emit()

    def _remove_names(self, names: list[str]) -> list[tuple[int, RegistryEntry]]:
        """Remove the named entries, bottom row first, so each recorded row is its row before
        the removal (undo re-inserts them top first into exactly those rows)."""
        removed: list[tuple[int, RegistryEntry]] = []
        rows = sorted((r for r in (self.row_of(n) for n in dict.fromkeys(names)) if r >= 0),
                      reverse=True)
        for row in rows:
            self.rows_about_to_remove.emit(row, 1)
            removed.append((row, self._entries.pop(row)))
            self.rows_removed.emit()
        self.entries_changed.emit()
        return removed

    def _move(self, name: str, to_row: int) -> None:
        src = self.row_of(name)
        if src < 0 or src == to_row:
            return
        # beginMoveRows wants the destination as an index in the list before removal.
        self.row_about_to_move.emit(src, to_row + 1 if to_row > src else to_row)
        entry = self._entries.pop(src)
        self._entries.insert(to_row, entry)
        self.row_moved.emit()
        self.entries_changed.emit()
