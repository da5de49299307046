"""Saves a finished model comparison (summary per combination, user marks) to the quality DB."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from imageworks_gui.core.compare import Combination, CombinationSummary, Marks, Sample
from imageworks_gui.services.quality_db import QualityDbError, connect, ensure_schema

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS comparisons (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        sample_note TEXT NOT NULL,
        seed INTEGER,
        photos INTEGER NOT NULL,
        combinations TEXT NOT NULL,
        summary TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS comparison_marks (
        comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        field TEXT NOT NULL,
        winner TEXT NOT NULL,
        PRIMARY KEY (comparison_id, path, field))""",
)


def save_comparison(combinations: Sequence[Combination], sample: Sample, marks: Marks,
                    summaries: Sequence[CombinationSummary], db: Path | None = None) -> int:
    """Store one comparison and its marks in one transaction; returns the comparison id.

    Blocking (SQLite): call it off the GUI thread. Raises QualityDbError on failure, in which
    case nothing is stored.
    """
    conn = connect(db)
    try:
        ensure_schema(conn, SCHEMA)
        with conn:
            cur = conn.execute(
                "INSERT INTO comparisons (created_at, sample_note, seed, photos, combinations,"
                " summary) VALUES (?, ?, ?, ?, ?, ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"), sample.note, sample.seed,
                 len(sample.paths),
                 json.dumps([{"model": c.model, "profile": c.profile} for c in combinations]),
                 json.dumps([asdict(s) for s in summaries])))
            row_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO comparison_marks (comparison_id, path, field, winner) "
                "VALUES (?, ?, ?, ?)",
                [(row_id, path, name, str(winner))
                 for path, fields in marks.verdicts.items() for name, winner in fields.items()])
        return row_id
    except sqlite3.Error as exc:
        raise QualityDbError(f"cannot save the comparison to the quality database: {exc}; "
                             f"check free disk space and retry") from exc
    finally:
        conn.close()
