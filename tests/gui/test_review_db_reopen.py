"""Reopening a folder restores its review from the SQLite store, old JSONL journals included."""

from __future__ import annotations

import sqlite3

import pytest
from shiboken6 import isValid

from imageworks_gui.app import build_context
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.paths import data_dir
from imageworks_gui.services.review_store import ReviewStore
from tests.gui.tagging_support import make_photos, shut_down, wait_until, write_registry


@pytest.fixture
def make(tmp_path, qtbot, run, fake_backend):
    backend = fake_backend("vllm")
    registry = write_registry(tmp_path / "model_registry.json", backend)
    made = []

    def build() -> TaggingWorkspace:
        ctx = build_context(registry)
        window = MainWindow(ctx)
        window.errors.dialogs_enabled = False
        qtbot.addWidget(window, before_close_func=shut_down(run))
        ctx.registry.load()
        window.show()
        made.append(window)
        assert isinstance(window.tagging, TaggingWorkspace)
        return window.tagging

    yield build
    for window in made:
        run(window.context.shutdown())
        run(window.context.http.aclose())
        if isValid(window):
            window._closing_confirmed = True
            window.close()


def test_reopen_restores_decisions_from_the_database(tmp_path, make, run):
    folder = tmp_path / "photos"
    red, green, blue, yellow = make_photos(folder)
    ws = make()
    ctrl = ws.controller

    async def first() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("all")
        assert ctrl.add_keyword(str(red), "wall")
        assert ctrl.approve(str(red))
        assert ctrl.reject(str(green))
        await ws.context.shutdown()  # closing the app saves

    run(first())
    db = data_dir() / "review.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone() == (4,)
    assert not list((data_dir() / "review").glob("*.jsonl"))  # no JSONL journal any more
    ws2 = make()

    async def second() -> None:
        ws2.open_paths([folder])
        await wait_until(lambda: len(ws2.controller.session) == 4 and
                         ws2.controller.discovery_errors is not None)
        s = ws2.controller.session
        assert s.get(str(red)).state == "approved"
        assert s.get(str(red)).added_keywords == ["wall"]
        assert s.get(str(green)).state == "rejected"
        assert s.get(str(blue)).state == "proposed" and s.get(str(yellow)).state == "proposed"
        assert any("Restored the review of 4" in text for _, text in ws2.notices)

    run(second())


def test_an_old_jsonl_journal_is_imported_on_open(tmp_path, make, run):
    folder = tmp_path / "photos"
    red, green, _blue, _yellow = make_photos(folder)
    old = ReviewStore(folder)
    old.append([PhotoReview(path=str(red), state="proposed", proposed_keywords=["brick"]),
                PhotoReview(path=str(green), state="proposed", proposed_keywords=["grass"])])
    old.append([PhotoReview(path=str(green), state="rejected", proposed_keywords=["grass"])])
    with old.path.open("a", encoding="utf-8") as fh:
        fh.write('{"path": "broken')  # a crash mid-write in the old journal
    ws = make()

    async def flow() -> None:
        ws.open_paths([folder])
        await wait_until(lambda: ws.controller.discovery_errors is not None and
                         len(ws.controller.session) == 4)
        s = ws.controller.session
        assert s.get(str(green)).state == "rejected"
        assert s.get(str(red)).proposed_keywords == ["brick"]
        assert any("1 damaged line(s)" in text for _, text in ws.notices)

    run(flow())
    assert not old.path.exists()
    assert old.path.with_name(old.path.name + ".migrated").exists()
