"""Temp copies left by a killed writer are cleared when any writer starts; live ones stay."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from imageworks_gui.services.metadata import MetadataWriter
from imageworks_gui.services.metadata.stale_temps import STALE_AGE_S, is_stale, temp_dir_name
from tests.support import metadata_fixtures
from tests.support import photos as ph

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos
ROOT = Path(__file__).resolve().parents[2]


def killed_write(photo: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.support.killed_write", str(photo)],
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == -9  # really SIGKILLed mid-write


def test_a_writer_starting_up_clears_what_a_killed_writer_left(photos, pool, app_dirs):
    photo, other = ph.make_image(photos / "IMG [1].jpg"), ph.make_image(photos / "other.jpg")
    original = photo.read_bytes()
    killed_write(photo)
    leftovers = list(photos.glob(".iwtmp-*"))
    assert leftovers and list(leftovers[0].iterdir())  # a hidden copy of the photo is left
    assert photo.read_bytes() == original

    # Another live process is writing in the same folder right now: its folder must stay.
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live_dir = photos / temp_dir_name().replace(f"-{os.getpid()}-", f"-{live.pid}-")
        live_dir.mkdir()
        (live_dir / "other.jpg").write_bytes(b"being written")
        MetadataWriter(pool)  # start-up of any writer, before it writes anything
        assert not any(p.exists() for p in leftovers)
        assert live_dir.exists() and (live_dir / "other.jpg").exists()
    finally:
        live.kill()
        live.wait()
    assert photo.read_bytes() == original and other.exists()


def test_staleness_rules(tmp_path):
    mine = tmp_path / temp_dir_name()
    mine.mkdir()
    assert not is_stale(mine)  # this process is alive
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / temp_dir_name().replace(f"-{os.getpid()}-", f"-{gone.stdout.strip()}-")
    dead.mkdir()
    assert is_stale(dead)
    foreign = tmp_path / ".iwtmp-00000000-1-0123456789ab"  # another host: by age only
    foreign.mkdir()
    assert not is_stale(foreign)
    assert is_stale(foreign, now=time.time() + STALE_AGE_S + 1)
    unrelated = tmp_path / ".iwtmp-notes"
    unrelated.mkdir()
    assert not is_stale(unrelated, now=time.time() + 10 * STALE_AGE_S)
