"""The compact ``--resume`` index of a journal: per photo its size, time and record offset."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from imageworks_gui.core.tagging import JournalError, TagResult, from_journal_line

log = logging.getLogger("imageworks.pipeline")


class _Entry(NamedTuple):
    size: int | None
    mtime_ns: int | None
    offset: int


class ResumeIndex(Mapping[str, TagResult]):
    """Absolute path -> last ``ok`` record of a journal, holding only what resume needs.

    A run over 100,000 photos would keep 100,000 full records in memory; this index keeps the
    file size, modification time and byte offset of each photo's last ``ok`` record and reads
    that record back from the journal when it is asked for (``get``/``[]``). ``lookup`` reads
    it only when the file is unchanged. A later ``failed`` record drops the photo. Unreadable
    lines (a line cut by a crash) are skipped with a warning. The journal may grow while the
    index is used (new records are appended after the indexed ones, never over them).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._entries: dict[str, _Entry] = {}
        if self.path is not None and self.path.exists():
            self._scan(self.path)

    def _scan(self, path: Path) -> None:
        offset = 0
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                start, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                try:
                    record = from_journal_line(raw.decode("utf-8", errors="replace"))
                except JournalError as exc:
                    log.warning("%s line %d skipped: %s", path, number, exc)
                    continue
                key = str(Path(record.path).absolute())
                if record.status == "ok":
                    self._entries[key] = _Entry(record.size, record.mtime_ns, start)
                elif record.status == "failed":
                    self._entries.pop(key, None)

    def _read(self, entry: _Entry) -> TagResult:
        assert self.path is not None
        with self.path.open("rb") as fh:
            fh.seek(entry.offset)
            return from_journal_line(fh.readline().decode("utf-8", errors="replace"))

    def lookup(self, key: str, size: int, mtime_ns: int) -> TagResult | None:
        """The record of ``key`` when it was made for a file of this size and time, else None."""
        entry = self._entries.get(key)
        if entry is None or entry.size != size or entry.mtime_ns != mtime_ns:
            return None
        return self._read(entry)

    def __getitem__(self, key: str) -> TagResult:
        return self._read(self._entries[key])

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
