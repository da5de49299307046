"""Keeps the open folder in step with the write journal the CLI shares: undone writes, undo text.

The journal folder is watched with ``QFileSystemWatcher`` (a new batch file, or an ``undone``
line appended to a watched batch, arrives within a moment and costs nothing while idle). File
systems that send no change notifications (some network mounts) are covered by a re-check when
the window is activated, which is when a user comes back from a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from shiboken6 import isValid

from imageworks_gui.services.metadata import JournalError, MetadataJournal

SETTLE_MS = 250
"""Changes arriving within this window are checked once (a batch writes many lines)."""


@dataclass(frozen=True)
class UndoPreview:
    """The write "Undo last write" would restore."""

    batch_id: str
    created_at: str
    description: str
    paths: list[str] = field(default_factory=list)

    def confirmation(self, folder: Path | None) -> str:
        """What undoing restores, in the words of the confirmation dialog."""
        here = [p for p in self.paths if folder is not None and _inside(p, folder)]
        names = [_shown(Path(p).name) for p in (here or self.paths)]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        where = ("" if folder is None or len(here) == len(self.paths) else
                 f" ({len(self.paths) - len(here)} of them outside the open folder)")
        when = self.created_at.replace("T", " ").replace("+00:00", " UTC")
        return (f"Restore the title, description and keywords that {len(self.paths)} photo(s) "
                f"had before the write of {when}{where}: {shown}.\n\n"
                f"Tags changed since that write are left alone. The undo is journaled too: "
                f"imageworks-personal-tagger history lists it, and undoing it there re-applies "
                f"this write.")

    @property
    def short(self) -> str:
        return f"{len(self.paths)} photo(s) written {self.created_at.replace('T', ' ')[:16]}"


@dataclass(frozen=True)
class JournalFacts:
    """What the journal says about the folder's written photos, read in one go."""

    undone: frozenset[str]
    """Batches (of those asked about) that were undone, by this app or the CLI."""
    last: UndoPreview | None
    """The newest write that can still be undone."""


def _shown(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept as surrogates) show as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _inside(path: str, folder: Path) -> bool:
    return Path(path).is_relative_to(folder)


def read_facts(journal: MetadataJournal, batch_ids: Iterable[str]) -> JournalFacts:
    """Blocking: the undo state of ``batch_ids`` and the newest undoable write."""
    undone = set()
    for batch_id in set(batch_ids):
        try:
            summary, _ = journal.load(batch_id)
        except JournalError:
            continue  # a journal deleted by hand: the photos keep what they hold
        if summary.undone_at is not None:
            undone.add(batch_id)
    last = None
    last_id = journal.last_undoable()
    if last_id is not None:
        try:
            summary, entries = journal.load(last_id)
            last = UndoPreview(batch_id=last_id, created_at=summary.created_at,
                               description=summary.description,
                               paths=[e.path for e in entries if e.committed])
        except JournalError:
            last = None
    return JournalFacts(undone=frozenset(undone), last=last)


class JournalWatcher(QObject):
    """Emits ``changed`` (once per burst) when the journal folder or a watched batch changes."""

    changed = Signal()

    def __init__(self, journal: MetadataJournal, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = journal.root
        self._watcher = QFileSystemWatcher(self)
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self.changed)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._watcher.addPath(str(self.root))
        except OSError:
            pass  # no journal folder can be made: activation re-checks still run
        self._watcher.directoryChanged.connect(lambda _p: self._timer.start())
        self._watcher.fileChanged.connect(lambda _p: self._timer.start())

    def watch_batches(self, batch_ids: Iterable[str]) -> None:
        """Also watch these batch files (an undo appends to the batch it undoes)."""
        wanted = {str(self.root / f"{b}.jsonl") for b in batch_ids}
        current = set(self._watcher.files())
        if current - wanted:
            self._watcher.removePaths(sorted(current - wanted))
        new = [p for p in sorted(wanted - current) if Path(p).is_file()]
        if new:
            self._watcher.addPaths(new)

    def stop(self) -> None:
        """Watch nothing more and emit nothing more (the window is closing)."""
        if not isValid(self._watcher) or not isValid(self._timer):
            return  # deleted with its window: nothing left to emit
        self._timer.stop()
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        self._watcher.blockSignals(True)
        self._timer.blockSignals(True)
