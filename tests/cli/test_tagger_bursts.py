"""`run` groups bursts by default: one representative tagged, written to every member."""

from __future__ import annotations

import json
import shutil

import pytest

from imageworks_gui.core.tagging import from_journal_line
from tests.cli.test_tagger_run import invoke, write_registry
from tests.support.bursts import burst
from tests.support.fake_backend import FakeModel
from tests.support.photos import exiftool, exiv2_read
from tests.support.tagging import make_photos, registry_entry

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")


@pytest.fixture
def setup(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm")])
    frames = burst(tmp_path / "photos", "IMG[1] é_", seed=3, count=5)
    single = make_photos(tmp_path / "photos", 1, size=(640, 480))
    registry = write_registry(tmp_path / "registry.json", registry_entry(server.base_url, "vlm"))
    return server, frames, single, registry, tmp_path


def records(path):
    return {from_journal_line(line).file_path.name: from_journal_line(line)
            for line in path.read_text().splitlines()}


def test_run_groups_by_default_and_writes_the_proposal_into_every_member(setup):
    server, frames, single, registry, tmp = setup
    code, output = invoke("-i", frames[0].parent, "--registry-path", registry,
                          "--skip-preflight", "--output-jsonl", tmp / "o.jsonl",
                          "--summary", tmp / "summary.md")
    assert code == 0, output
    assert "Bursts: 5 photo(s) in 1 burst(s)" in output
    assert "Model requests: 2, 0.33 per photo" in output  # one combined request per group
    assert "Request mode: fused (one request per photo) for 2 photo(s)." in output
    assert server.chat_count() == 2
    journal = records(tmp / "o.jsonl")
    reps = {journal[p.name].representative for p in frames}
    assert len(reps) == 1 and journal[single[0].name].representative is None
    report = (tmp / "summary.md").read_text()
    assert "Model requests: 2 for 6 photo(s), 0.33 per photo." in report
    assert f"| copy of {journal[frames[0].name].representative.rsplit('/', 1)[-1]}" in report
    keywords = journal[frames[0].name].keywords
    for path in frames:
        subject = json.loads(exiftool("-j", "-XMP-dc:Subject", path))[0]["Subject"]
        assert subject == keywords
        assert exiv2_read(path)["Xmp.dc.subject"] == keywords


def test_no_group_asks_for_every_photo(setup):
    server, frames, _single, registry, tmp = setup
    code, output = invoke("-i", frames[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--no-group", "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    assert "Bursts:" not in output and "1.00 per photo" in output
    assert server.chat_count() == 6
    assert all(r.group_id is None for r in records(tmp / "o.jsonl").values())


def test_the_setting_turns_grouping_off(setup, isolated_user_dirs):
    server, frames, _single, registry, tmp = setup
    (isolated_user_dirs["config"] / "settings.json").write_text(
        json.dumps({"grouping": {"enabled": False}}))
    code, output = invoke("-i", frames[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    assert server.chat_count() == 6
    code, output = invoke("-i", frames[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--group", "--output-jsonl", tmp / "o2.jsonl")
    assert code == 0 and server.chat_count() == 6 + 2


def test_no_fused_with_bursts_asks_each_stage_of_each_representative(setup):
    server, frames, _single, registry, tmp = setup
    code, output = invoke("-i", frames[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--no-fused", "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    assert "Model requests: 6, 1.00 per photo" in output and server.chat_count() == 6
    assert "Request mode: separate (one request per stage) for 2 photo(s)." in output
    assert not any(r.fused for r in server.records)
    assert {r.request_mode for r in records(tmp / "o.jsonl").values()} == {"separate"}
