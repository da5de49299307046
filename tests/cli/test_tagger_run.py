"""`imageworks-personal-tagger run` end to end against the test server: flags and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import typer
from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.core.tagging import from_journal_line
from tests.support.fake_backend import FakeModel
from tests.support.photos import raw_with_preview
from tests.support.ports import closed_port
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner()
_register_commands()
# Typer runs a lone command without its name; with apply/undo registered it is a group.
_PREFIX = ["run"] if hasattr(typer.main.get_command(app), "commands") else []


def write_registry(path, *items):
    path.write_text(json.dumps(list(items), indent=2) + "\n")
    return path


@pytest.fixture
def setup(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("blind", sees=False)])
    photos = make_photos(tmp_path / "photos", 3, size=(800, 600))
    registry = write_registry(tmp_path / "registry.json", registry_entry(server.base_url, "vlm"))
    return server, photos, registry, tmp_path


def invoke(*args):
    result = runner.invoke(app, [*_PREFIX, *map(str, args)])
    return result.exit_code, result.output


def snapshot(folder):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}


def test_quickstart_dry_run_writes_only_the_outputs(setup):
    _server, photos, registry, tmp = setup
    before = snapshot(photos[0].parent)
    registry_before = registry.read_bytes()
    code, output = invoke(
        "-i", photos[0].parent, "--use-registry", "--registry-path", registry,
        "--caption-role", "caption", "--keyword-role", "keywords",
        "--description-role", "description", "--output-jsonl", tmp / "out" / "tags.jsonl",
        "--summary", tmp / "out" / "summary.md", "--dry-run")
    assert code == 0, output
    assert "Tagged 3 image(s)" in output and "3 ok, 0 failed" in output
    assert snapshot(photos[0].parent) == before  # photos untouched, nothing added beside them
    assert registry.read_bytes() == registry_before  # preflight probes record nothing
    records = [from_journal_line(line)
               for line in (tmp / "out" / "tags.jsonl").read_text().splitlines()]
    assert sorted(r.caption for r in records) == [
        "A blue photograph", "A green photograph", "A red photograph"]
    assert "## Failures" in (tmp / "out" / "summary.md").read_text()
    assert sorted(p.name for p in (tmp / "out").iterdir()) == ["summary.md", "tags.jsonl"]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")
def test_without_dry_run_the_keywords_reach_the_photo(setup):
    _server, photos, registry, tmp = setup
    code, output = invoke("-i", photos[0], "--registry-path", registry,
                          "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    done = subprocess.run(["exiftool", "-j", "-XMP-dc:Subject", "--", str(photos[0])],
                          capture_output=True, check=True)
    subject = json.loads(done.stdout)[0]["Subject"]
    assert "red" in subject and "red tones" in subject


def test_some_images_fail_exit_1_and_are_listed(setup):
    _server, photos, registry, tmp = setup
    (photos[0].parent / "zero.jpg").write_bytes(b"")
    code, output = invoke("-i", photos[0].parent, "--registry-path", registry, "--dry-run",
                          "--output-jsonl", tmp / "o.jsonl")
    assert code == 1
    assert "Failed images:" in output and "zero.jpg: the file is empty" in output


def test_preflight_failure_exit_2(setup):
    server, photos, _, tmp = setup
    registry = write_registry(tmp / "blind.json", registry_entry(server.base_url, "blind"))
    code, output = invoke("-i", photos[0], "--registry-path", registry, "--dry-run")
    assert code == 2
    assert "did not pass the vision probe" in output and "--skip-preflight" in output
    assert server.chat_count() == 3  # text chat + two vision probes, no tagging


def test_backend_down_with_skip_preflight_fails_per_image(setup, monkeypatch):
    _, photos, _, tmp = setup
    port = closed_port()
    registry = write_registry(tmp / "down.json", registry_entry(f"http://127.0.0.1:{port}/v1",
                                                                "vlm"))
    (tmp / "cfg").mkdir()
    (tmp / "cfg" / "settings.json").write_text(json.dumps({"backend": {"max_retries": 0}}))
    monkeypatch.setenv("IMAGEWORKS_CONFIG_DIR", str(tmp / "cfg"))
    code, output = invoke("-i", photos[0], "--registry-path", registry, "--dry-run",
                          "--skip-preflight")
    assert code == 1
    assert f"nothing is listening on 127.0.0.1:{port}" in output


def test_role_nobody_fills_exit_2(setup):
    server, photos, _, tmp = setup
    registry = write_registry(tmp / "r.json",
                              registry_entry(server.base_url, "vlm", roles=["caption"]))
    code, output = invoke("-i", photos[0], "--registry-path", registry, "--dry-run")
    assert code == 2 and "Failed to resolve role 'keywords'" in output


@pytest.mark.parametrize(("args", "message"), [
    (["--registry", "--prompt-profile", "nope"], "unknown prompt profile 'nope'"),
    (["--registry", "--resume"], "--resume needs --output-jsonl"),
    (["--base-url", "http://x/v1", "--use-registry"], "cannot be combined"),
    (["--base-url", "localhost:8000"], "must start with http://"),
])
def test_usage_errors_exit_2(setup, args, message):
    _, photos, registry, _ = setup
    args = [a for arg in args for a in (["--registry-path", registry] if arg == "--registry"
                                        else [arg])]
    code, output = invoke("-i", photos[0], "--dry-run", *args)
    assert code == 2 and message in output


def test_missing_input_and_empty_folder(setup):
    _, _, registry, tmp = setup
    code, output = invoke("-i", tmp / "nowhere", "--registry-path", registry, "--dry-run")
    assert code == 2 and "no input exists" in output
    (tmp / "empty").mkdir()
    (tmp / "empty" / "notes.txt").write_text("x")
    code, output = invoke("-i", tmp / "empty", "--registry-path", registry, "--dry-run",
                          "--skip-preflight")
    assert code == 2 and "no images found" in output


def test_invalid_registry_exit_2(setup):
    _, photos, _, tmp = setup
    bad = tmp / "bad.json"
    bad.write_text("{broken")
    code, output = invoke("-i", photos[0], "--registry-path", bad, "--dry-run")
    assert code == 2 and "malformed JSON" in output


def test_explicit_mode_profile_and_max_keywords(setup):
    server, photos, _, tmp = setup
    code, output = invoke("-i", photos[0], "--base-url", server.base_url, "--caption-model",
                          "vlm", "--keyword-model", "vlm", "--description-model", "vlm",
                          "--prompt-profile", "stock", "--max-keywords", "2", "--dry-run",
                          "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    record = from_journal_line((tmp / "o.jsonl").read_text().splitlines()[0])
    assert record.prompt_profile == "stock" and record.keywords == ["red", "red tones"]
    assert record.models["caption"].served_id == "vlm"


def test_resume_continues_a_journal(setup):
    _server, photos, registry, tmp = setup
    journal = tmp / "o.jsonl"
    args = ["--registry-path", registry, "--dry-run", "--output-jsonl", journal]
    assert invoke("-i", photos[0], *args)[0] == 0
    code, output = invoke("-i", photos[0].parent, *args, "--resume", "--skip-preflight")
    assert code == 0 and "2 ok, 0 failed, 1 skipped" in output
    assert len(journal.read_text().splitlines()) == 3


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")
def test_skip_tagged_reads_existing_keywords_with_exiftool(setup):
    _server, photos, registry, _tmp = setup
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-dc:Subject=holiday", "--",
                    str(photos[1])], check=True)
    code, output = invoke("-i", photos[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-tagged", "--skip-preflight")
    assert code == 0, output
    assert "2 ok, 0 failed, 1 skipped" in output


def writing_run_args(photos, registry, journal):
    return ["-i", photos[0].parent, "--registry-path", registry, "--output-jsonl", journal,
            "--skip-preflight"]


def subjects(photo):
    done = subprocess.run(["exiftool", "-j", "-XMP-dc:Subject", "--", str(photo)],
                          capture_output=True, check=True)
    return json.loads(done.stdout)[0].get("Subject")


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")
def test_resume_after_writing_does_not_tag_the_written_photos_again(setup):
    server, photos, registry, tmp = setup
    journal = tmp / "o.jsonl"
    args = writing_run_args(photos, registry, journal)
    code, output = invoke(*args)
    assert code == 0, output
    written = snapshot(photos[0].parent)  # our write changed every photo's size and time
    chats = server.chat_count()
    code, output = invoke(*args, "--resume")
    assert code == 0, output
    assert "0 ok, 0 failed, 3 skipped" in output
    assert server.chat_count() == chats  # nothing was sent to the model again
    assert snapshot(photos[0].parent) == written
    records = [from_journal_line(line) for line in journal.read_text().splitlines()]
    assert len(records) == 6  # three results, three "written" follow-ups
    assert sum(r.metadata_written_at is not None for r in records) == 3


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")
def test_resume_writes_what_an_earlier_dry_run_only_proposed(setup):
    server, photos, registry, tmp = setup
    journal = tmp / "o.jsonl"
    args = writing_run_args(photos, registry, journal)
    assert invoke(*args, "--dry-run")[0] == 0
    assert subjects(photos[0]) is None
    chats = server.chat_count()
    code, output = invoke(*args, "--resume")
    assert code == 0 and "3 skipped" in output, output
    assert server.chat_count() == chats
    assert "red" in subjects(photos[0]) and "blue" in subjects(photos[2])
    after = snapshot(photos[0].parent)
    code, output = invoke(*args, "--resume")
    assert code == 0 and "3 skipped" in output, output
    assert snapshot(photos[0].parent) == after


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")
def test_raw_files_are_tagged_from_their_embedded_preview(setup):
    server, _photos, registry, tmp = setup
    raw = raw_with_preview(tmp / "raws" / "IMG_0001.CR2")
    code, output = invoke("-i", raw.parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    record = from_journal_line((tmp / "o.jsonl").read_text().splitlines()[0])
    assert record.caption == "A blue photograph"  # the preview, not the red main image
    assert {r.image_size for r in server.records} == {(300, 200)}
