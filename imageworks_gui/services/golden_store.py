"""Golden sets and their re-runs in the quality database (tables golden_sets/photos/runs).

A golden set holds no photo content: the photos' paths, the approved keywords, title and
description (the user's own metadata) and the proposals that were reviewed, with the identity
of the model that made them. Paths are stored as bytes (``os.fsencode``) so names that are not
valid UTF-8 survive. Blocking: call through ``run_blocking`` from async code.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from imageworks_gui.core.golden import GoldenPhoto, Verdict
from imageworks_gui.services.quality_db import QualityDbError, connect, ensure_schema

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS golden_sets (
        id INTEGER PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL,
        created_at TEXT NOT NULL, baseline_model TEXT NOT NULL DEFAULT '{}',
        UNIQUE(role, name))""",
    """CREATE TABLE IF NOT EXISTS golden_photos (
        set_id INTEGER NOT NULL REFERENCES golden_sets(id) ON DELETE CASCADE,
        path BLOB NOT NULL, record TEXT NOT NULL, PRIMARY KEY(set_id, path))""",
    """CREATE TABLE IF NOT EXISTS golden_runs (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES golden_sets(id) ON DELETE CASCADE,
        entry TEXT NOT NULL, aggregate_sha256 TEXT, ran_at TEXT NOT NULL,
        verdict TEXT NOT NULL)""",
)


class GoldenSet(BaseModel):
    """A named golden set for a role, with its photos."""

    model_config = ConfigDict(frozen=True)

    role: str
    name: str
    created_at: str
    baseline_model: dict[str, object]
    photos: list[GoldenPhoto]


class GoldenStoreError(QualityDbError):
    """A golden set cannot be found or saved; the message says which and what to do."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class GoldenStore:
    """Reads and writes golden sets (one connection per call: safe from any thread)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def _open(self) -> sqlite3.Connection:
        conn = connect(self.path)
        ensure_schema(conn, SCHEMA)
        return conn

    def save(self, role: str, name: str, photos: Sequence[GoldenPhoto],
             baseline_model: dict[str, object] | None = None) -> None:
        """Create or replace the set ``(role, name)`` in one transaction."""
        conn = self._open()
        try:
            with conn:
                conn.execute("DELETE FROM golden_sets WHERE role = ? AND name = ?", (role, name))
                cur = conn.execute(
                    "INSERT INTO golden_sets (role, name, created_at, baseline_model) "
                    "VALUES (?, ?, ?, ?)",
                    (role, name, _now(), json.dumps(baseline_model or {}, ensure_ascii=True)))
                set_id = cur.lastrowid
                conn.executemany(
                    "INSERT OR REPLACE INTO golden_photos (set_id, path, record) VALUES (?, ?, ?)",
                    [(set_id, os.fsencode(p.path),
                      json.dumps(p.model_dump(mode="json", exclude={"path"}), ensure_ascii=True))
                     for p in photos])
        except sqlite3.Error as exc:
            raise GoldenStoreError(f"cannot save golden set {name!r} for role {role!r}: {exc}; "
                                   "check free disk space") from exc
        finally:
            conn.close()

    def list_sets(self, role: str | None = None) -> list[GoldenSet]:
        """Every set (or those of ``role``), ordered by role and name."""
        conn = self._open()
        try:
            rows = conn.execute(
                "SELECT id, role, name, created_at, baseline_model FROM golden_sets "
                + ("WHERE role = ? " if role is not None else "") + "ORDER BY role, name",
                (role,) if role is not None else ()).fetchall()
            out = []
            for set_id, set_role, name, created, model in rows:
                records = conn.execute("SELECT path, record FROM golden_photos WHERE set_id = ? "
                                       "ORDER BY path", (set_id,)).fetchall()
                # The path comes from its bytes column: JSON cannot carry undecodable names.
                photos = [GoldenPhoto.model_validate({**json.loads(rec),
                                                      "path": os.fsdecode(bytes(raw))})
                          for raw, rec in records]
                out.append(GoldenSet(role=set_role, name=name, created_at=created,
                                     baseline_model=json.loads(model), photos=photos))
            return out
        except sqlite3.Error as exc:
            raise GoldenStoreError(f"cannot read golden sets: {exc}") from exc
        finally:
            conn.close()

    def remove(self, role: str, name: str) -> bool:
        """Delete a set and its runs; False when there was no such set."""
        conn = self._open()
        try:
            with conn:
                cur = conn.execute("DELETE FROM golden_sets WHERE role = ? AND name = ?",
                                   (role, name))
            return cur.rowcount > 0
        finally:
            conn.close()

    def record_run(self, role: str, name: str, entry: str, aggregate: str | None,
                   result: Verdict) -> None:
        """Record a re-run (a measurement: kept whatever the admin decides about the lock)."""
        conn = self._open()
        try:
            with conn:
                row = conn.execute("SELECT id FROM golden_sets WHERE role = ? AND name = ?",
                                   (role, name)).fetchone()
                if row is None:
                    raise GoldenStoreError(f"golden set {name!r} for role {role!r} is gone")
                conn.execute("INSERT INTO golden_runs (set_id, entry, aggregate_sha256, "
                             "ran_at, verdict) VALUES (?, ?, ?, ?, ?)",
                             (row[0], entry, aggregate, _now(), result.model_dump_json()))
        finally:
            conn.close()

    def runs(self, role: str, name: str) -> list[tuple[str, str | None, Verdict]]:
        """Recorded runs of a set, oldest first: (entry, aggregate, verdict)."""
        conn = self._open()
        try:
            rows = conn.execute(
                "SELECT r.entry, r.aggregate_sha256, r.verdict FROM golden_runs r JOIN "
                "golden_sets s ON s.id = r.set_id WHERE s.role = ? AND s.name = ? "
                "ORDER BY r.id", (role, name)).fetchall()
            return [(e, a, Verdict.model_validate_json(v)) for e, a, v in rows]
        finally:
            conn.close()
