"""Append-only table of review decision events in the quality database, and its queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from imageworks_gui.core.scorecard import DecisionEvent, ScoreRow, figures
from imageworks_gui.services.quality_db import QualityDbError, connect, ensure_schema

_COLUMNS: tuple[str, ...] = tuple(DecisionEvent.model_fields)

SCHEMA: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS decision_events (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "at TEXT NOT NULL, path TEXT NOT NULL, folder TEXT, role TEXT NOT NULL, model TEXT NOT NULL, "
    "model_hash TEXT, served_id TEXT, profile TEXT, profile_hash TEXT, tagged_at TEXT, "
    "decision TEXT NOT NULL, proposed INTEGER, kept INTEGER, rejected INTEGER, added INTEGER, "
    "prose_outcome TEXT, distance INTEGER, latency_ms REAL)",
    "CREATE INDEX IF NOT EXISTS decision_events_model ON decision_events (role, model)",
)


def _open(path: Path | None) -> sqlite3.Connection:
    conn = connect(path)
    ensure_schema(conn, SCHEMA)
    return conn


def _damaged(exc: sqlite3.Error) -> QualityDbError:
    return QualityDbError(f"cannot use the review decisions in the quality database: {exc}; if "
                          f"the file is damaged, move it away (a new one is created)")


def append(events: Sequence[DecisionEvent], path: Path | None = None) -> int:
    """Add ``events`` in one transaction (blocking: call through ``run_blocking``)."""
    if not events:
        return 0
    conn = _open(path)
    try:
        with conn:
            conn.executemany(
                f"INSERT INTO decision_events ({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                [tuple(e.model_dump()[c] for c in _COLUMNS) for e in events])
    except sqlite3.Error as exc:
        raise _damaged(exc) from exc
    finally:
        conn.close()
    return len(events)


def load_events(path: Path | None = None, role: str | None = None) -> list[DecisionEvent]:
    """Every recorded event (of ``role``) in recording order."""
    conn = _open(path)
    try:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM decision_events"
        args: tuple[str, ...] = ()
        if role is not None:
            sql, args = sql + " WHERE role = ?", (role,)
        rows = conn.execute(sql + " ORDER BY id", args).fetchall()
    except sqlite3.Error as exc:
        raise _damaged(exc) from exc
    finally:
        conn.close()
    return [DecisionEvent.model_validate(dict(zip(_COLUMNS, row, strict=True))) for row in rows]


def scorecard(path: Path | None = None, role: str | None = None) -> list[ScoreRow]:
    """The scorecard rows computed from the recorded decisions."""
    return figures(load_events(path, role), role=role)
