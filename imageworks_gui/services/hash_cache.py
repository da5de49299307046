"""Persistent file-hash cache keyed by (path, size, mtime_ns, ctime_ns, inode), in SQLite.

The inode change time (ctime) is part of the key because nobody can set it back: a same-size
edit whose modification time was restored (``touch -r``, ``os.utime``) still changes the ctime.

SQLite gives atomic, crash-safe updates and safe concurrent use by several processes (the GUI
and a CLI run at the same time). The cache is only an accelerator: any database problem turns it
off for the run instead of failing the verification.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from imageworks_gui.services.paths import cache_dir

log = logging.getLogger("imageworks.hash_cache")

CACHE_FILENAME = "file_hashes.sqlite3"
_TABLE = "file_hashes_v2"
"""Current table; the older ``file_hashes`` (without ctime) is dropped."""


class FileKey(NamedTuple):
    """What must be identical for a cached hash to be trusted."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int


class HashCache:
    """Maps a file's identity to its SHA-256."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else cache_dir() / CACHE_FILENAME
        self.enabled = True

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("DROP TABLE IF EXISTS file_hashes")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (path TEXT PRIMARY KEY, size INTEGER "
                "NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, ctime_ns INTEGER "
                "NOT NULL, sha256 TEXT NOT NULL)")
            yield conn
            conn.commit()
        finally:
            conn.close()

    def _disable(self, exc: Exception) -> None:
        log.warning("hash cache %s is unusable (%s); hashing without it", self.path, exc)
        self.enabled = False

    def get_many(self, keys: Iterable[FileKey]) -> dict[FileKey, str]:
        """Cached hashes for the keys whose size, mtime, inode and ctime still match."""
        keys = list(keys)
        if not self.enabled or not keys:
            return {}
        found: dict[FileKey, str] = {}
        by_path = {key.path: key for key in keys}
        paths = list(by_path)
        try:
            with self._connect() as conn:
                for start in range(0, len(paths), 500):
                    batch = paths[start:start + 500]
                    rows = conn.execute(
                        f"SELECT path, size, mtime_ns, inode, ctime_ns, sha256 FROM {_TABLE} "
                        f"WHERE path IN ({','.join('?' * len(batch))})", batch).fetchall()
                    for path, size, mtime_ns, inode, ctime_ns, sha in rows:
                        key = by_path[path]
                        if FileKey(path, size, mtime_ns, inode, ctime_ns) == key:
                            found[key] = sha
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
            return {}
        return found

    def put_many(self, items: Iterable[tuple[FileKey, str]]) -> None:
        """Remember hashes (one transaction)."""
        rows = [(k.path, k.size, k.mtime_ns, k.inode, k.ctime_ns, sha) for k, sha in items]
        if not self.enabled or not rows:
            return
        try:
            with self._connect() as conn:
                conn.executemany(
                    f"INSERT OR REPLACE INTO {_TABLE} (path, size, mtime_ns, inode, ctime_ns, "
                    "sha256) VALUES (?, ?, ?, ?, ?, ?)", rows)
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
