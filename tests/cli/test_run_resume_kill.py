"""A `run` killed mid-way and continued with `--resume`: finished photos are never asked again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from PIL import Image

from imageworks_gui.services.pipeline.journal import read_journal
from tests.support.fake_backend import FakeBackend, FakeModel
from tests.support.tagging import registry_entry

COUNT, HELD_FROM = 24, 10
"""Photos in the folder; the server stalls every photo from index HELD_FROM on."""
ROOT = Path(__file__).resolve().parents[2]


def photo_size(i: int) -> tuple[int, int]:
    """Each photo has a width of its own, so the server can tell which photo a request is for."""
    return 200 + 4 * i, 150


def make_folder(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    photos = []
    for i in range(COUNT):
        path = folder / f"{i:02d} photo #{i}.jpg"
        Image.new("RGB", photo_size(i), (30, 60 + 5 * i, 220)).save(path, "JPEG", quality=85)
        photos.append(path)
    return photos


def requests_per_photo(server: FakeBackend) -> Counter[int]:
    widths = {photo_size(i): i for i in range(COUNT)}
    return Counter(widths[r.image_size] for r in list(server.records)
                   if r.image_size in widths)


def tagger(tmp: Path, registry: Path, journal: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from imageworks_gui.cli.tagger import main; main()", "run",
            "-i", str(tmp / "photos"), "--use-registry", "--registry-path", str(registry),
            "--output-jsonl", str(journal), "--dry-run", "--no-group", "--skip-preflight",
            *extra]


def ok_records(journal: Path) -> list[str]:
    """Paths of the complete ``ok`` lines in the journal (a cut last line is not counted)."""
    if not journal.exists():
        return []
    lines = journal.read_bytes().split(b"\n")[:-1]
    return [json.loads(line)["path"] for line in lines
            if line.strip() and json.loads(line).get("status") == "ok"]


def wait_for_records(journal: Path, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a guard against a hung run, not a timing assertion
    while len(ok_records(journal)) < count:
        assert proc.poll() is None, f"the run ended early ({proc.returncode})"
        assert time.monotonic() < deadline, "the run never journaled the unstalled photos"
        time.sleep(0.02)


def test_killed_run_resumes_without_asking_finished_photos_again(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_folder(tmp_path / "photos")
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm")]))
    journal = tmp_path / "out" / "tags.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server.hold(*(photo_size(i) for i in range(HELD_FROM, COUNT)))

    first = subprocess.Popen(tagger(tmp_path, registry, journal), env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_records(journal, HELD_FROM, first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
        server.release()
    assert first.returncode == -signal.SIGKILL
    finished = set(ok_records(journal))
    assert finished == {str(p) for p in photos[:HELD_FROM]}
    asked_before = requests_per_photo(server)
    assert all(asked_before[i] == 1 for i in range(HELD_FROM))
    # A kill during a write leaves half a record behind: the next run must cope with it.
    cut = journal.read_bytes().split(b"\n")[0][:40]
    with journal.open("ab") as fh:
        fh.write(cut)

    second = subprocess.run(tagger(tmp_path, registry, journal, "--resume"), env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"Tagged {COUNT} image(s)" in second.stdout
    assert f"{COUNT - HELD_FROM} ok, 0 failed, {HELD_FROM} skipped" in second.stdout

    asked = requests_per_photo(server)
    assert all(asked[i] == 1 for i in range(HELD_FROM)), asked  # finished: never asked again
    # The stalled photos were asked again (and at most once before, when the kill hit them).
    assert all(asked[i] in (1, 2) for i in range(HELD_FROM, COUNT)), asked
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert cut.decode() in lines  # the cut line was ended, not glued to the next record
    records = list(read_journal(journal))
    assert len(records) == len(lines) - 1
    per_photo = Counter(r.path for r in records if r.status == "ok")
    assert per_photo == Counter({str(p): 1 for p in photos})
    by_path = {r.path: r for r in records}
    assert all(by_path[str(p)].keywords for p in photos)
