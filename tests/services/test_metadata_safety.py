"""Writing never corrupts or loses a file: bad input, conflicts, read-back checks, SIGKILL."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from imageworks_gui.core.metadata import ChangePlan, Proposal, TagEdit
from imageworks_gui.services.metadata import MetadataWriter, read_metadata
from imageworks_gui.services.metadata.reader import MetadataError
from tests.support import metadata_fixtures
from tests.support import photos as ph

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos
writer = metadata_fixtures.writer
ROOT = Path(__file__).resolve().parents[2]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keywords(path: Path) -> list[str]:
    value = ph.tags(path, "XMP-dc:Subject").get("XMP-dc:Subject", [])
    return value if isinstance(value, list) else [value]


def bad_inputs(folder: Path) -> dict[str, Path]:
    good = ph.make_image(folder / "good.jpg")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes(good.read_bytes()[:200])
    (folder / "notes.jpg").write_text("just some text, not a photo\n")
    locked = ph.make_image(folder / "locked.jpg")
    locked.chmod(0o444)
    ro_folder = folder / "ro"
    ro_photo = ph.make_image(ro_folder / "inside.jpg")
    ro_folder.chmod(0o555)
    dangling = folder / "dangling.jpg"
    dangling.symlink_to(folder / "gone.jpg")
    return {
        "empty": folder / "empty.jpg", "truncated": folder / "truncated.jpg",
        "not an image": folder / "notes.jpg", "read-only file": locked,
        "read-only folder": ro_photo, "missing": folder / "missing.jpg",
        "dangling link": dangling, "dash name": ph.make_image(folder / "-dash.jpg"),
        "good": good,
    }


EXPECTED = {
    "empty": "empty (0 bytes)", "truncated": "JPEG format error", "not an image": "not a supported",
    "read-only file": "read-only", "read-only folder": "folder is read-only",
    "missing": "missing", "dangling link": "broken symbolic link",
}


def test_bad_inputs_get_clear_outcomes_and_no_other_file_is_affected(photos, writer):
    files = bad_inputs(photos)
    before = {name: sha(p) for name, p in files.items() if p.is_file()}
    try:
        result = writer.write_batch([Proposal(path=str(p), keywords=["x"]) for p in
                                     files.values()])
        outcomes = dict(zip(files, result.outcomes, strict=True))
        for name, fragment in EXPECTED.items():
            outcome = outcomes[name]
            assert outcome.status == "error", name
            assert fragment in (outcome.reason or ""), (name, outcome.reason)
            if files[name].is_file():
                assert sha(files[name]) == before[name], name
        assert outcomes["good"].status == "written"
        assert outcomes["dash name"].status == "written"
        assert keywords(files["dash name"]) == ["x"]
    finally:
        (photos / "ro").chmod(0o755)
    assert not list(photos.rglob(".iwtmp-*"))


def test_symlink_is_followed_and_stays_a_link(photos, writer):
    real = ph.make_image(photos / "real.jpg")
    link = photos / "link.jpg"
    link.symlink_to(real)
    assert writer.write(link, Proposal(path=str(link), keywords=["linked"])).status == "written"
    assert link.is_symlink() and keywords(real) == ["linked"]


def test_file_changed_between_read_and_write_is_a_conflict(photos, writer):
    photo = ph.xmp_only(photos, "edited.jpg")
    plan = writer.plan(Proposal(path=str(photo), keywords=["new"]))
    ph.exiftool("-overwrite_original", "-XMP-dc:Subject+=by another app", photo)
    changed = sha(photo)
    outcome = writer.write(photo, plan)
    assert outcome.status == "conflict" and "modified after it was read" in (outcome.reason or "")
    assert sha(photo) == changed
    assert keywords(photo) == ["東京", "Tree", "by another app"]


def test_read_back_mismatch_is_an_error_and_the_original_stays(photos, writer, pool):
    photo = ph.iptc_only_jpeg(photos)
    original = read_metadata(pool, photo)
    # A hand-made plan with a value ExifTool cannot store (a rating must be a number): the
    # keyword lands in the temp copy, the rating does not, and the read-back check notices.
    plan = ChangePlan(path=str(photo), target=str(photo), expected_size=original.size,
                      expected_mtime_ns=original.mtime_ns, edits=[
                          TagEdit(tag="XMP-dc:Subject", mode="add", after=["ok"], items=["ok"]),
                          TagEdit(tag="XMP-xmp:Rating", mode="set", after="many stars")])
    digest = sha(photo)
    outcome = writer.write(photo, plan)
    assert outcome.status == "error" and "read-back check failed" in (outcome.reason or "")
    assert "left unchanged" in (outcome.reason or "")
    assert sha(photo) == digest


def test_reading_bad_input_raises_actionable_errors(photos, pool):
    files = bad_inputs(photos)
    try:
        for name in ("empty", "not an image", "missing", "dangling link"):
            with pytest.raises(MetadataError, match=re.escape(EXPECTED[name])):
                read_metadata(pool, files[name])
    finally:
        (photos / "ro").chmod(0o755)


def test_backups_keep_the_original_bytes(photos, pool, app_dirs):
    from imageworks_gui.core.settings import MetadataSettings

    photo = ph.xmp_only(photos, "keep.jpg")
    digest = sha(photo)
    writer = MetadataWriter(pool, settings=MetadataSettings(backup_originals=True))
    result = writer.write_batch([Proposal(path=str(photo), keywords=["b"])])
    copies = list((app_dirs / "data" / "backups" / str(result.batch_id)).rglob("keep.jpg"))
    assert len(copies) == 1 and sha(copies[0]) == digest


def test_killing_exiftool_mid_write_leaves_the_original(photos, writer, pool):
    photo = ph.large_tiff(photos / "big.tif", megapixels=6)
    rng = random.Random(7)
    for attempt in range(6):
        digest = sha(photo)
        before = keywords(photo)
        pool.execute(["-ver"])
        delay = rng.uniform(0.0, 0.25)
        killer = threading.Timer(delay, lambda: [os.kill(p, signal.SIGKILL) for p in pool.pids])
        killer.start()
        outcome = writer.write(photo, Proposal(path=str(photo), keywords=[f"try{attempt}"]))
        killer.join()
        if outcome.status == "written":  # the write beat the kill: then it is complete
            assert keywords(photo) == [*before, f"try{attempt}"]
        else:
            assert outcome.status == "error" and sha(photo) == digest, outcome.reason
        with Image.open(photo) as image:
            image.load()
    assert writer.write(photo, Proposal(path=str(photo), keywords=["y"])).status == "written"
    assert not list(photos.glob(".iwtmp-*/*"))


def test_sigkill_during_writes_leaves_every_file_old_or_new(photos, writer):
    files = [ph.large_tiff(photos / f"big{i}.tif", megapixels=2) for i in range(2)]
    files += [ph.large_jpeg(photos / f"big{i}.jpg", megapixels=2) for i in range(2)]
    pixels = {p: Image.open(p).tobytes() for p in files}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(4)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "tests.support.write_loop",
                                 *map(str, files)], stdout=subprocess.PIPE, env=env, cwd=ROOT)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        for _ in range(rng.randint(1, 3)):  # let a few writes finish, then kill during others
            assert proc.stdout.readline().strip() == b"written"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.kill()  # SIGKILL: no cleanup of any kind runs
        proc.wait()
        proc.stdout.close()
        time.sleep(0.05)  # let the orphaned ExifTool notice its closed pipe
        for path in files:
            with Image.open(path) as image:
                assert image.tobytes() == pixels[path], path  # parses, image intact
            found = keywords(path)
            rounds = [int(k[1:]) for k in found]
            assert rounds == sorted(set(rounds)), found  # each write complete and in order
    assert any(keywords(path) for path in files)  # the kills did interrupt real writing
    # Temp copies a killed write left behind are cleared by the next write of that file.
    writer.write_batch([Proposal(path=str(p), keywords=["final"]) for p in files])
    assert not [p for p in photos.glob(".iwtmp-*/*")]


def test_leftovers_of_another_killed_process_are_cleared_in_a_folder_already_written(
        photos, writer, monkeypatch):
    first, second = ph.make_image(photos / "first.jpg"), ph.make_image(photos / "second.jpg")
    assert writer.write(first, Proposal(path=str(first), keywords=["a"])).status == "written"
    # Another process was killed while writing second.jpg, after this one listed the folder.
    dead = photos / ".iwtmp-0123456789ab"
    dead.mkdir()
    (dead / "second.jpg_exiftool_tmp").write_bytes(b"partial")
    monkeypatch.setattr("imageworks_gui.services.metadata.filewrite.LEFTOVER_RESCAN_S", 0.0)
    assert writer.write(second, Proposal(path=str(second), keywords=["b"])).status == "written"
    assert not dead.exists() and keywords(second) == ["b"]
