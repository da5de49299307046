"""The tagging run journal: one JSONL record per finished image, flushed as it completes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from imageworks_gui.core.tagging import JournalError, TagResult, from_journal_line, to_journal_line

log = logging.getLogger("imageworks.pipeline")


class JournalWriter:
    """Appends records to a JSONL file; every record is flushed and fsynced (crash-safe).

    ``append=False`` starts a new journal (the old file is replaced); ``append=True`` continues
    one (``--resume``). A journal whose last line was cut by a crash is repaired on open by
    ending that line, so the next record starts on a line of its own.
    """

    def __init__(self, path: Path, *, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        needs_newline = False
        if append and self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) != b"\n"
        self._fh: IO[str] | None = self.path.open("a" if append else "w", encoding="utf-8")
        if needs_newline:
            self._fh.write("\n")
        self.records = 0

    def write(self, result: TagResult) -> None:
        """Append one record and flush it to the OS (call ``sync`` to force it to disk)."""
        if self._fh is None:
            raise ValueError(f"journal {self.path} is closed")
        self._fh.write(to_journal_line(result) + "\n")
        self._fh.flush()
        self.records += 1

    def sync(self) -> None:
        """fsync the file (blocking: run it in the executor)."""
        if self._fh is not None:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None


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
