"""The decision events survive a reopen, concurrent writers, and a damaged file is named."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from imageworks_gui.core.scorecard import DecisionEvent
from imageworks_gui.services import scorecard_store as store
from imageworks_gui.services.quality_db import QualityDbError


def _event(path: str, kept: int, decision: str = "approved") -> DecisionEvent:
    return DecisionEvent(at="2026-01-01T00:00:00Z", path=path, role="keywords", model="vl",
                         model_hash="h1", decision=decision, proposed=5, kept=kept)


def test_survives_reopen_and_latest_wins(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    store.append([_event("/p/a.jpg", 5), _event("/p/b.jpg", 3)], db)
    store.append([_event("/p/a.jpg", 4)], db)
    assert len(store.load_events(db)) == 3
    (row,) = store.scorecard(db)
    assert (row.keywords_kept, row.keywords_proposed, row.photos) == (7, 10, 2)


def test_concurrent_writers(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    store.append([], db)
    threads = [threading.Thread(target=store.append,
                                args=([_event(f"/p/{i}-{j}.jpg", 1) for j in range(20)], db))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.scorecard(db)[0].photos == 80


def test_damaged_file_gives_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(QualityDbError, match=r"q\.sqlite.*not a database"):
        store.load_events(db)
