"""The one SQLite database of model-quality evidence (review decisions, comparisons, golden runs).

It lives in the user data folder (``data_dir()/quality.sqlite``) and holds no photo content:
paths, model identities and decisions only. Each store module owns its own tables and creates
them with ``CREATE TABLE IF NOT EXISTS`` through ``ensure_schema``; this module only opens the
file the same way for all of them (WAL journal, a busy timeout, foreign keys on).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imageworks_gui.services.paths import data_dir

DB_NAME = "quality.sqlite"
BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another connection's lock before failing."""


class QualityDbError(OSError):
    """The quality database cannot be opened or written; the message says where and why."""


def quality_db_path() -> Path:
    """Where the quality database lives (``IMAGEWORKS_DATA_DIR`` moves it, as for every store)."""
    return data_dir() / DB_NAME


def connect(path: Path | None = None) -> sqlite3.Connection:
    """A connection to the quality database (created when missing).

    Connections are not shared between threads: open one per worker thread or per call.
    """
    target = path if path is not None else quality_db_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except (OSError, sqlite3.Error) as exc:
        raise QualityDbError(f"cannot open the quality database {target}: {exc}; check the "
                             f"folder's permissions and free disk space") from exc
    return conn


def ensure_schema(conn: sqlite3.Connection, statements: tuple[str, ...]) -> None:
    """Run a store's ``CREATE TABLE/INDEX IF NOT EXISTS`` statements in one transaction."""
    try:
        with conn:
            for statement in statements:
                conn.execute(statement)
    except sqlite3.Error as exc:
        raise QualityDbError(f"cannot prepare the quality database: {exc}; if the file is "
                             f"damaged, move it away (a new one is created)") from exc
