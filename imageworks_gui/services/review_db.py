"""Review store in SQLite (data_dir()/review.sqlite3): proposals and decisions of every folder.

One database for all folders, in WAL mode: a row per photo keyed by the folder's and the photo's
path bytes (non-UTF-8 names survive), holding the JSON of its ``PhotoReview``. Saving a burst of
edits is one transaction (an upsert per photo), loading a folder is one query, and a killed writer
loses at most the transaction it had not committed. A folder's old JSONL journal
(``review_store``) is imported once on first open and renamed ``.migrated``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from imageworks_gui.core.jsonl import dumps_utf8
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.services.paths import data_dir
from imageworks_gui.services.review_store import ReviewStore as JournalStore
from imageworks_gui.services.review_store import ReviewStoreError

log = logging.getLogger("imageworks.review_db")

DB_NAME = "review.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    folder BLOB NOT NULL,
    path BLOB NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (folder, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS migrations (
    folder BLOB PRIMARY KEY,
    source TEXT NOT NULL,
    imported INTEGER NOT NULL,
    skipped INTEGER NOT NULL
) WITHOUT ROWID;
"""


def name_bytes(text: str) -> bytes:
    """The bytes a file name came from (lone surrogates of undecodable names included)."""
    try:
        return os.fsencode(text)
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return text.encode("utf-8", "surrogatepass")


def _setup(conn: sqlite3.Connection) -> None:
    """Switch to WAL and create the tables, waiting out another process doing the same.

    Changing the journal mode does not wait on the busy timeout, hence the retry loop.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _record(review: PhotoReview) -> tuple[bytes, str]:
    return name_bytes(review.path), dumps_utf8(review.model_dump(mode="json",
                                                                 exclude_defaults=True))


def _parse(data: str) -> PhotoReview | None:
    """The review a row holds, or None when the row is damaged."""
    try:
        return PhotoReview.model_validate_json(data)  # fast path
    except (ValueError, ValidationError):
        pass
    try:  # pydantic's parser refuses the escaped lone surrogates of non-UTF-8 names
        return PhotoReview.model_validate(json.loads(data))
    except (ValueError, ValidationError):
        return None


_READY: set[Path] = set()
"""Databases this process has already switched to WAL and given their tables."""


class ReviewDb:
    """The saved reviews of one folder (blocking; call via run_blocking from the GUI).

    Same interface as the JSONL ``ReviewStore`` it replaces: ``load``, ``append``,
    ``needs_compaction``, ``compact``, ``forget`` and ``skipped_lines``.
    """

    def __init__(self, folder: Path, root: Path | None = None) -> None:
        self.folder = folder.expanduser().resolve()
        base = root if root is not None else data_dir()
        self.path = base / DB_NAME
        self.journal = JournalStore(self.folder, root=base / "review")
        self.skipped_lines = 0
        self._key = name_bytes(str(self.folder))

    @contextlib.contextmanager
    def _connect(self, action: str) -> Iterator[sqlite3.Connection]:
        """A connection for one operation (each runs on whichever executor thread is free)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # new, or deleted since this process set it up
                _READY.discard(self.path)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ReviewStoreError(f"cannot {action} the review database {self.path}: {exc}; "
                                   f"free disk space or fix the folder's permissions") from exc
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            if self.path not in _READY:
                _setup(conn)
                _READY.add(self.path)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise ReviewStoreError(f"cannot {action} the review database {self.path}: {exc}; "
                                   f"free disk space, fix its permissions, or move the damaged "
                                   f"file away (the reviews start empty)") from exc
        finally:
            conn.close()

    def _write(self, conn: sqlite3.Connection, rows: Iterable[tuple[bytes, str]],
               replace_all: bool = False) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if replace_all:
                conn.execute("DELETE FROM reviews WHERE folder = ?", (self._key,))
            conn.executemany(
                "INSERT INTO reviews (folder, path, data) VALUES (?, ?, ?) "
                "ON CONFLICT (folder, path) DO UPDATE SET data = excluded.data",
                ((self._key, path, data) for path, data in rows))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _migrate(self, conn: sqlite3.Connection) -> int:
        """Import the folder's JSONL journal once; return its damaged line count."""
        source = self.journal.path
        if not source.exists():
            return 0
        done = conn.execute("SELECT skipped FROM migrations WHERE folder = ?",
                            (self._key,)).fetchone()
        if done is None:
            reviews = self.journal.load()
            skipped = self.journal.skipped_lines
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR IGNORE INTO reviews (folder, path, data) VALUES (?, ?, ?)",
                    ((self._key, *_record(r)) for r in reviews))
                conn.execute("INSERT INTO migrations VALUES (?, ?, ?, ?)",
                             (self._key, source.name, len(reviews), skipped))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            log.info("imported %d review(s) from %s (%d damaged line(s) skipped)",
                     len(reviews), source, skipped)
        else:  # imported before a crash that came ahead of the rename
            skipped = int(done[0])
        try:
            os.replace(source, source.with_name(source.name + ".migrated"))
        except OSError as exc:  # the rows are safe; the import is not repeated
            log.warning("cannot rename %s after importing it: %s", source, exc)
        return skipped

    def load(self) -> list[PhotoReview]:
        """The saved reviews of this folder, in one query (empty when nothing was saved).

        Damaged rows, and damaged lines of an imported journal, are counted in
        ``skipped_lines``.
        """
        if not self.path.exists() and not self.journal.path.exists():
            self.skipped_lines = 0
            return []
        with self._connect("read") as conn:
            skipped = self._migrate(conn)
            rows = conn.execute("SELECT data FROM reviews WHERE folder = ?",
                                (self._key,)).fetchall()
        out: list[PhotoReview] = []
        for (data,) in rows:
            review = _parse(data)
            if review is None:
                skipped += 1
            else:
                out.append(review)
        self.skipped_lines = skipped
        if skipped:
            log.warning("%s: skipped %d damaged review(s)", self.path, skipped)
        return out

    def load_paths(self, paths: Iterable[str]) -> list[PhotoReview]:
        """The saved reviews of just these photos (the first screen of a big folder).

        Empty while the folder's old journal is not imported yet (``load`` imports it);
        damaged rows are left out (``load`` counts them).
        """
        keys = [name_bytes(p) for p in paths]
        if not keys or not self.path.exists() or self.journal.path.exists():
            return []
        out: list[PhotoReview] = []
        with self._connect("read") as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT data FROM reviews WHERE folder = ? AND path IN "
                                    f"({marks})", (self._key, *chunk)).fetchall()
                out.extend(r for r in (_parse(data) for (data,) in rows) if r is not None)
        return out

    def append(self, reviews: Iterable[PhotoReview]) -> None:
        """Save the current state of changed photos in one transaction."""
        rows = [_record(r) for r in reviews]
        if not rows:
            return
        with self._connect("save review decisions to") as conn:
            self._write(conn, rows)

    def needs_compaction(self, live: int) -> bool:
        """Never: the database keeps one row per photo."""
        return False

    def compact(self, reviews: Iterable[PhotoReview]) -> None:
        """Replace every saved review of this folder with ``reviews`` (one transaction)."""
        rows = [_record(r) for r in reviews]
        with self._connect("rewrite") as conn:
            self._write(conn, rows, replace_all=True)
        self.skipped_lines = 0

    def forget(self) -> None:
        """Delete the saved reviews of this folder (the other folders are kept)."""
        self.journal.forget()
        if not self.path.exists():
            return
        with self._connect("update") as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM reviews WHERE folder = ?", (self._key,))
            conn.execute("DELETE FROM migrations WHERE folder = ?", (self._key,))
            conn.execute("COMMIT")
