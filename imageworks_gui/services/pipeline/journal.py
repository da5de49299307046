"""The tagging run journal: one JSONL record per finished image, flushed as it completes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from imageworks_gui.core.tagging import JournalError, TagResult, from_journal_line, to_journal_line

log = logging.getLogger("imageworks.pipeline")


class JournalWriter:
    """Appends records to a JSONL file; every record is flushed and fsynced (crash-safe).

    ``append=False`` starts a new journal (the old file is replaced); ``append=True`` continues
    one (``--resume``). A journal whose last line was cut by a crash is repaired on open by
    ending that line, so the next record starts on a line of its own. Each record is one
    ``write`` on an ``O_APPEND`` descriptor, so records appended meanwhile by
    ``append_record`` (e.g. the metadata writer) never interleave with it.
    """

    def __init__(self, path: Path, *, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        needs_newline = False
        if append and self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) != b"\n"
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        self._fd: int | None = os.open(self.path, flags | getattr(os, "O_BINARY", 0), 0o666)
        if needs_newline:
            _write_all(self._fd, b"\n")
        self.records = 0

    def write(self, result: TagResult) -> None:
        """Append one record (written to the OS at once; call ``sync`` to force it to disk)."""
        if self._fd is None:
            raise ValueError(f"journal {self.path} is closed")
        _write_all(self._fd, (to_journal_line(result) + "\n").encode("utf-8"))
        self.records += 1

    def sync(self) -> None:
        """fsync the file (blocking: run it in the executor)."""
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append_record(path: Path, result: TagResult) -> None:
    """Append one record to an existing or new journal and fsync it (blocking, thread-safe).

    Used to record follow-ups of a finished image, such as the file's new size and time after
    its metadata was written, so that ``--resume`` still recognises the file as done.
    """
    line = (to_journal_line(result) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        _write_all(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(path: Path) -> Iterator[TagResult]:
    """Records of a journal; unreadable lines (e.g. cut by a crash) are skipped with a warning."""
    with Path(path).open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield from_journal_line(line)
            except JournalError as exc:
                log.warning("%s line %d skipped: %s", path, number, exc)


def completed_index(path: Path) -> dict[str, TagResult]:
    """Absolute path -> last ``ok`` record, for ``--resume`` (missing journal: empty)."""
    if not Path(path).exists():
        return {}
    done: dict[str, TagResult] = {}
    for record in read_journal(path):
        key = str(Path(record.path).absolute())
        if record.status == "ok":
            done[key] = record
        elif record.status == "failed":
            done.pop(key, None)
    return done
