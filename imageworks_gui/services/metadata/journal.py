"""The undo journal: previous and new values of every tag touched, per file, per write batch."""

from __future__ import annotations

import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from imageworks_gui.core.jsonl import dumps_utf8
from imageworks_gui.core.metadata import TagEdit
from imageworks_gui.services.paths import data_dir

BatchKind = Literal["write", "undo"]
Stat = tuple[int, int]
OwnTransitions = dict[str, set[tuple[Stat, Stat]]]
"""Absolute target path -> the ``(size, mtime_ns)`` changes journaled writes made to it."""


class JournalError(Exception):
    """A journal is missing or unreadable; the message says which and what to do."""


class JournalEntry(BaseModel):
    """One file of a batch, recorded before the file is replaced (write-ahead)."""

    seq: int
    path: str
    target: str
    target_existed: bool = True
    had_xmp: bool = True
    edits: list[TagEdit] = Field(default_factory=list)
    committed: bool = False
    """True once the new file was in place (informational: undo compares values anyway)."""
    original_copy: str | None = None
    """A copy of the file as it was, kept when a write cannot be undone value by value."""
    written_sha256: str | None = None
    """SHA-256 of the file as written (with ``original_copy``: undo restores the copy only
    while the file is still exactly as written)."""
    before_stat: Stat | None = None
    """``(size, mtime_ns)`` of the target just before this write (None: it did not exist)."""
    after_stat: Stat | None = None
    """``(size, mtime_ns)`` of the target once written (recorded with the commit)."""


class BatchSummary(BaseModel):
    """A write batch as listed by ``history``."""

    batch_id: str
    kind: BatchKind = "write"
    created_at: str
    description: str = ""
    files: int = 0
    committed: int = 0
    undone_at: str | None = None
    undo_batch: str | None = None
    undoes: str | None = None
    damaged_lines: list[int] = Field(default_factory=list)
    """Journal lines that could not be read: the files they describe cannot be restored by
    undo (the intact ones can)."""
    undo_failed: str | None = None
    """Why the last undo attempt could not restore every file (None once an undo succeeds)."""


def _json_line(record: dict[str, Any]) -> str:
    """One JSONL line; ASCII-escaped when a non-UTF-8 file name (lone surrogates) is in it, so
    the line stays valid UTF-8 and ``json.loads`` gives the exact path back."""
    return dumps_utf8(record, separators=(",", ":")) + "\n"


def _created_at_of(batch_id: str) -> str:
    """The creation time encoded in a batch id (for a journal whose header is damaged)."""
    try:
        stamp = datetime.strptime(batch_id.split("-")[0], "%Y%m%dT%H%M%S.%fZ")
    except ValueError:
        return ""
    return stamp.replace(tzinfo=UTC, microsecond=0).isoformat()


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_batch_id() -> str:
    """Sortable (to the microsecond), unique id: ``20261127T123456.123456Z-1a2b3c``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{secrets.token_hex(3)}"


class MetadataJournal:
    """Append-only JSONL files (one per batch) in ``data_dir()/journal``; survives restarts."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir() / "journal"
        self._lock = threading.Lock()
        self._pending: dict[str, dict[str, Any]] = {}

    def _file(self, batch_id: str) -> Path:
        if not batch_id or "/" in batch_id or "\\" in batch_id or batch_id.startswith("."):
            raise JournalError(f"{batch_id!r} is not a journal id; run `history` to list them")
        return self.root / f"{batch_id}.jsonl"

    def _append(self, batch_id: str, record: dict[str, Any], sync: bool = True) -> None:
        records = [record]
        with self._lock:
            header = self._pending.pop(batch_id, None)
            if header is not None:
                # The header is written with the first file, so no-op batches leave no journal.
                self.root.mkdir(parents=True, exist_ok=True)
                records.insert(0, header)
            text = "".join(_json_line(r) for r in records)
            # Appends are ordered under the lock; the fsync is not, so parallel writers
            # wait for the disk together instead of one after another.
            # Non-UTF-8 file names keep their bytes (surrogateescape, both ways).
            handle = open(self._file(batch_id), "a", encoding="utf-8",  # noqa: SIM115
                          errors="surrogateescape")
            try:
                handle.write(text)
                handle.flush()
            except BaseException:
                handle.close()
                raise
        with handle:
            if sync:
                os.fsync(handle.fileno())

    def begin(self, kind: BatchKind = "write", description: str = "",
              undoes: str | None = None) -> str:
        """Start a batch and return its id."""
        batch_id = new_batch_id()
        with self._lock:
            self._pending[batch_id] = {"type": "batch", "batch_id": batch_id, "kind": kind,
                                       "created_at": _now(), "description": description,
                                       "undoes": undoes}
        return batch_id

    def record(self, batch_id: str, entry: JournalEntry) -> None:
        """Write-ahead record of one file (fsynced before the file is touched)."""
        self._append(batch_id, {"type": "file", **entry.model_dump(mode="json")})

    def commit(self, batch_id: str, seq: int, sha256: str | None = None,
               stat: Stat | None = None) -> None:
        """Mark file ``seq`` as replaced (``sha256``: of the new file, when it is needed;
        ``stat``: its ``(size, mtime_ns)``)."""
        record: dict[str, Any] = {"type": "commit", "seq": seq}
        if sha256 is not None:
            record["sha256"] = sha256
        if stat is not None:
            record["stat"] = list(stat)
        self._append(batch_id, record, sync=False)

    def finish(self, batch_id: str) -> bool:
        """End a batch; False when it recorded no file (then it leaves no journal)."""
        with self._lock:
            self._pending.pop(batch_id, None)
        return self._file(batch_id).is_file()

    def mark_undone(self, batch_id: str, undo_batch: str) -> None:
        self._append(batch_id, {"type": "undone", "at": _now(), "undo_batch": undo_batch})

    def mark_undo_failed(self, batch_id: str, reason: str) -> None:
        """Record that an undo left files as written (history then says so, with why)."""
        self._append(batch_id, {"type": "undo_failed", "at": _now(), "reason": reason})

    def _read(self, batch_id: str) -> tuple[BatchSummary, list[JournalEntry]]:
        path = self._file(batch_id)
        if not path.is_file():
            raise JournalError(f"no write batch {batch_id!r} in {self.root}; run `history` "
                               "to list the batches that can be undone")
        summary: BatchSummary | None = None
        entries: dict[int, JournalEntry] = {}
        damaged: list[int] = []
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    record = json.loads(line)
                    kind = record.pop("type")
                    if kind == "batch":
                        summary = BatchSummary.model_validate(record)
                    elif kind == "file":
                        entry = JournalEntry.model_validate(record)
                        entries[entry.seq] = entry
                    elif kind == "commit" and record["seq"] in entries:
                        entries[record["seq"]].committed = True
                        entries[record["seq"]].written_sha256 = record.get("sha256")
                        stat = record.get("stat")
                        if isinstance(stat, list) and len(stat) == 2:
                            entries[record["seq"]].after_stat = (int(stat[0]), int(stat[1]))
                    elif kind == "undone" and summary is not None:
                        summary.undone_at = record["at"]
                        summary.undo_batch = record["undo_batch"]
                        summary.undo_failed = None
                    elif kind == "undo_failed" and summary is not None:
                        summary.undo_failed = record["reason"]
                except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
                    # A last line cut short by a crash describes a file that was not replaced;
                    # any other unreadable line is damage: reported, and never hides the batch.
                    if line.endswith("\n") and line.strip():
                        damaged.append(number)
        if summary is None:
            if not damaged and not entries:
                raise JournalError(f"{path}: not a write journal (no header line)")
            summary = BatchSummary(batch_id=batch_id, created_at=_created_at_of(batch_id),
                                   description="journal header damaged")
        summary.damaged_lines = damaged
        summary.files = len(entries)
        summary.committed = sum(entry.committed for entry in entries.values())
        return summary, sorted(entries.values(), key=lambda e: e.seq)

    def load(self, batch_id: str) -> tuple[BatchSummary, list[JournalEntry]]:
        """A batch's summary and file entries (in write order)."""
        return self._read(batch_id)

    def list_batches(self) -> list[BatchSummary]:
        """Every batch, newest first (unreadable journals are skipped)."""
        if not self.root.is_dir():
            return []
        out: list[BatchSummary] = []
        for path in sorted(self.root.glob("*.jsonl"), reverse=True):
            try:
                out.append(self._read(path.stem)[0])
            except JournalError:
                continue
        return out

    def last_undoable(self) -> str | None:
        """The newest write batch (or re-applying undo of an undo) that changed files and was not
        undone yet.

        A damaged journal counts as having changed files: it is never skipped for an older one.
        """
        batches = self.list_batches()
        by_id = {summary.batch_id: summary for summary in batches}

        def writes(summary: BatchSummary, depth: int = 0) -> bool:
            # An undo of an undo writes the values again: it is undone like a write.
            if summary.kind == "write":
                return True
            undone = by_id.get(summary.undoes or "")
            return undone is not None and depth < len(by_id) and not writes(undone, depth + 1)

        for summary in batches:
            if writes(summary) and summary.undone_at is None and (
                    summary.committed or summary.damaged_lines):
                return summary.batch_id
        return None

    def interrupted_targets(self, newest: int = 5) -> list[str]:
        """Files whose write began but never finished, in the ``newest`` journals: where a
        killed writer may have left a temp folder."""
        if not self.root.is_dir():
            return []
        targets: list[str] = []
        for path in sorted(self.root.glob("*.jsonl"), reverse=True)[:newest]:
            try:
                _summary, entries = self._read(path.stem)
            except (JournalError, OSError):
                continue
            targets.extend(e.target for e in entries if not e.committed)
        return targets

    def own_transitions(self) -> OwnTransitions:
        """Target -> the ``(size, mtime_ns)`` changes that this app's own writes and undos made
        to it (before -> after), from every readable journal."""
        edges: OwnTransitions = {}
        if not self.root.is_dir():
            return edges
        for path in self.root.glob("*.jsonl"):
            try:
                _summary, entries = self._read(path.stem)
            except (JournalError, OSError):
                continue
            for entry in entries:
                if entry.committed and entry.before_stat and entry.after_stat:
                    edges.setdefault(os.path.abspath(entry.target), set()).add(
                        (entry.before_stat, entry.after_stat))
        return edges


def changed_only_by_us(target: str, tagged: Stat, current: Stat,
                       transitions: OwnTransitions) -> bool:
    """True when the file went from its tagged state to its current one only through writes
    and undos this app journaled (so it is still the photo that was tagged)."""
    edges = transitions.get(os.path.abspath(target), set())
    seen, frontier = {tagged}, [tagged]
    while frontier:
        state = frontier.pop()
        if state == current:
            return True
        for before, after in edges:
            if before == state and after not in seen:
                seen.add(after)
                frontier.append(after)
    return False
