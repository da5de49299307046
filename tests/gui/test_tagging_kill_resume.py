"""The app killed mid-run, the folder reopened in a fresh app: no finished photo asked again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from shiboken6 import isValid

from imageworks_gui.app import build_context
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.services.review_db import ReviewDb
from tests.gui.tagging_support import shut_down, wait_until, write_registry
from tests.support.fake_backend import FakeBackend

COUNT, HELD_FROM = 12, 5
"""Photos in the folder; the server stalls every photo from index HELD_FROM on."""
ROOT = Path(__file__).resolve().parents[2]


def photo_size(i: int) -> tuple[int, int]:
    """Each photo has a width of its own, so the server can tell which photo a request is for."""
    return 240 + 4 * i, 180


def make_folder(folder: Path) -> list[Path]:
    """Photos that look nothing alike (noise of their own), so none is folded into a burst."""
    folder.mkdir(parents=True)
    photos = []
    for i in range(COUNT):
        path = folder / f"{i:02d} photo #{i} ünï.jpg"
        width, height = photo_size(i)
        noise = random.Random(i).randbytes(width * height * 3)
        Image.frombytes("RGB", (width, height), noise).save(path, "JPEG", quality=85)
        photos.append(path)
    return photos


def requests_per_photo(server: FakeBackend) -> Counter[int]:
    widths = {photo_size(i): i for i in range(COUNT)}
    return Counter(widths[r.image_size] for r in list(server.records)
                   if r.image_size in widths)


def saved(folder: Path) -> dict[str, PhotoReview]:
    """What the review store holds for the folder now (read as another process would)."""
    return {r.path: r for r in ReviewDb(folder).load()}


def proposed(folder: Path) -> dict[str, PhotoReview]:
    return {p: r for p, r in saved(folder).items() if r.state == "proposed"}


@pytest.fixture
def fresh_window(qtbot, run):
    made: list[MainWindow] = []

    def build(registry: Path) -> MainWindow:
        ctx = build_context(registry)
        window = MainWindow(ctx)
        window.errors.dialogs_enabled = False
        qtbot.addWidget(window, before_close_func=shut_down(run))
        ctx.registry.load()
        window.show()
        made.append(window)
        return window

    yield build
    for window in made:
        run(window.context.shutdown())
        run(window.context.http.aclose())
        if isValid(window):
            window._closing_confirmed = True
            window.close()


def test_app_killed_mid_run_resumes_in_a_fresh_app_without_asking_finished_photos(
        tmp_path, fake_backend, fresh_window, run):
    server = fake_backend("vllm")
    photos = make_folder(tmp_path / "photos")
    folder = photos[0].parent
    registry = write_registry(tmp_path / "model_registry.json", server)
    server.hold(*(photo_size(i) for i in range(HELD_FROM, COUNT)))

    app = subprocess.Popen(
        [sys.executable, "-m", "tests.support.gui_tagging_app", str(registry), str(folder)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # a guard against a hung app, not a timing assertion
        while len(proposed(folder)) < HELD_FROM:
            if app.poll() is not None:
                out = app.stdout.read().decode(errors="replace") if app.stdout else ""
                pytest.fail(f"the app ended early ({app.returncode}):\n{out}")
            assert time.monotonic() < deadline, "the app never saved the unstalled photos"
            time.sleep(0.05)
        # Stalled photos are in flight when the app dies (received, never answered).
        while server.chat_count() <= len(server.records):
            assert time.monotonic() < deadline, "the stalled photos were never sent"
            time.sleep(0.02)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()
        if app.stdout:
            app.stdout.close()
        server.release()
    assert app.returncode == -signal.SIGKILL

    finished = proposed(folder)
    assert set(finished) == {str(p) for p in photos[:HELD_FROM]}
    assert all(r.proposed_keywords for r in finished.values())
    asked_before = requests_per_photo(server)
    assert all(asked_before[i] >= 1 for i in range(HELD_FROM))

    # A fresh app: the folder reopens with the finished photos' proposals restored.
    window = fresh_window(registry)
    ws, ctrl = window.tagging, window.tagging.controller
    window.open_paths([folder])
    run(wait_until(lambda: len(ctrl.session) == COUNT and ctrl._discovery is None, 60))
    states = {p: ctrl.session.get(str(p)).state for p in photos}
    assert [states[p] for p in photos] == ["proposed"] * HELD_FROM + ["untagged"] * (
        COUNT - HELD_FROM)
    for path, before in finished.items():
        now = ctrl.session.get(path)
        assert (now.proposed_title, now.proposed_keywords, now.proposed_description) == (
            before.proposed_title, before.proposed_keywords, before.proposed_description)
    assert any(f"Restored the review of {HELD_FROM} photo(s)" in text for _s, text in ws.notices)

    # "Tag untagged" tags only what the killed run had not finished.
    assert ws.actions_.run_untagged.isEnabled()
    ws.actions_.run_untagged.trigger()
    run(wait_until(lambda: ctrl.session.counts()["proposed"] == COUNT and ctrl.run_idle, 120))
    asked = requests_per_photo(server)
    for i in range(HELD_FROM):  # finished: never asked again
        assert asked[i] == asked_before[i], (i, asked, asked_before)
    for i in range(HELD_FROM, COUNT):  # unfinished: asked again by the resumed run
        assert asked[i] > asked_before[i], (i, asked, asked_before)

    # Nothing lost: every photo's proposal is saved, the finished ones unchanged.
    run(ctrl.save_now())
    after = saved(folder)
    assert {p for p, r in after.items() if r.state == "proposed"} == {str(p) for p in photos}
    for path, before in finished.items():
        assert after[path].proposed_keywords == before.proposed_keywords
