"""`imageworks-personal-tagger` with hostile names, server text and output paths."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.core.tagging import StageModel, TagResult, to_journal_line
from tests.support import photos as ph
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner(env={"COLUMNS": "400"})
_register_commands()
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result.exit_code, result.output


@pytest.fixture
def setup(tmp_path: Path, fake_backend: Any, isolated_user_dirs: dict[str, Path]) -> Any:
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "photos", 2, size=(320, 240))
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm")]))
    (isolated_user_dirs["config"] / "settings.json").write_text(
        json.dumps({"backend": {"max_retries": 0}}))
    return server, photos, registry, tmp_path


def test_a_server_message_that_looks_like_markup_is_printed_and_the_run_goes_on(setup: Any
                                                                                ) -> None:
    server, photos, registry, tmp = setup
    server.error_message = "prompt rejected near [/INST] and [bold]"
    server.fail("500")
    code, output = invoke("run", "-i", photos[0].parent, "--registry-path", registry,
                          "--dry-run", "--skip-preflight", "--concurrency", "1",
                          "--output-jsonl", tmp / "o.jsonl")
    assert code == 1, output
    assert "prompt rejected near [/INST] and [bold]" in output
    assert "Tagged 2 image(s)" in output and "1 ok, 1 failed" in output
    assert "Failed images:" in output


def test_terminal_control_sequences_in_a_server_message_are_shown_escaped(setup: Any) -> None:
    server, photos, registry, tmp = setup
    server.error_message = "bad input\x1b[2J\x1b]0;owned\x07 here"
    server.fail("500")
    code, output = invoke("run", "-i", photos[0], "--registry-path", registry,
                          "--dry-run", "--skip-preflight", "--output-jsonl", tmp / "o.jsonl")
    assert code == 1, output
    assert "\x1b" not in output
    assert "bad input\\x1b[2J\\x1b]0;owned" in output


def test_registry_path_before_the_command_name(setup: Any) -> None:
    _server, photos, registry, tmp = setup
    code, output = invoke("--registry-path", registry, "run", "-i", photos[0], "--dry-run",
                          "--skip-preflight", "--output-jsonl", tmp / "o.jsonl")
    assert code == 0, output
    assert "Tagged 1 image(s)" in output
    code, output = invoke("--registry-path", registry, "run", "-i", photos[0], "--dry-run",
                          "--registry-path", tmp / "other.json")
    assert code == 2 and "given twice with different files" in output


@pytest.mark.parametrize("kind", ["folder", "read-only folder", "read-only file"])
@pytest.mark.parametrize("option", ["--output-jsonl", "--summary"])
def test_unwritable_outputs_are_refused_before_any_tagging(setup: Any, kind: str,
                                                           option: str) -> None:
    server, photos, registry, tmp = setup
    place = tmp / "out"
    place.mkdir()
    target = place if kind == "folder" else place / "file.txt"
    if kind == "read-only file":
        target.write_text("keep me")
        target.chmod(0o444)
    if kind == "read-only folder":
        place.chmod(0o555)
    other = "--summary" if option == "--output-jsonl" else "--output-jsonl"
    try:
        code, output = invoke("run", "-i", photos[0].parent, "--registry-path", registry,
                              option, target, other, tmp / f"fine{other[2:]}")
    finally:
        place.chmod(0o755)
        if target.is_file():
            target.chmod(0o644)
    assert code == 2, output
    expected = {"folder": "is a folder", "read-only folder": "is read-only",
                "read-only file": "is read-only"}[kind]
    assert f"{option} {target}" in output and expected in output
    assert "nothing was tagged" in output
    assert server.chat_count() == 0  # no preflight, no tagging
    assert not (tmp / f"fine{other[2:]}").exists()
    if kind == "read-only file":
        assert target.read_text() == "keep me"


@pytest.mark.parametrize("option", ["--output-jsonl", "--summary"])
@pytest.mark.parametrize("victim", ["photo", "registry"])
def test_an_output_file_never_replaces_a_photo_or_the_registry(setup: Any, option: str,
                                                               victim: str) -> None:
    server, photos, registry, _tmp = setup
    target = photos[1] if victim == "photo" else registry
    before = target.read_bytes()
    code, output = invoke("run", "-i", photos[0], "--registry-path", registry, "--dry-run",
                          option, target)
    assert code == 2, output
    assert f"{option} {target}" in output and "nothing was tagged" in output
    assert target.read_bytes() == before
    assert server.chat_count() == 0


def test_journal_and_report_cannot_be_the_same_file(setup: Any) -> None:
    server, photos, registry, tmp = setup
    code, output = invoke("run", "-i", photos[0], "--registry-path", registry, "--dry-run",
                          "--output-jsonl", tmp / "same", "--summary", tmp / "same")
    assert code == 2 and "name the same file" in output
    assert server.chat_count() == 0


def _record(path: Path) -> dict[str, object]:
    st = path.stat()
    result = TagResult(path=str(path), size=st.st_size, mtime_ns=st.st_mtime_ns, status="ok",
                       caption="A caption", keywords=["tree"], prompt_profile="default",
                       finished_at="2026-11-27T12:00:00Z",
                       models={"keywords": StageModel(name="vlm")})
    return json.loads(to_journal_line(result))


def _keywords(path: Path) -> list[str]:
    value = ph.tags(path, "XMP-dc:Subject").get("XMP-dc:Subject", [])
    return value if isinstance(value, list) else [value]


@needs_exiftool
def test_apply_on_a_markup_like_file_name_prints_the_summary(tmp_path: Path) -> None:
    folder = tmp_path / "evil["
    folder.mkdir()
    photo = ph.plain(folder, "]ok.jpg")
    assert str(photo).endswith("evil[/]ok.jpg")
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps(_record(photo)) + "\n")
    code, output = invoke("apply", results)
    assert code == 0, output
    assert f"written   {photo}  +1: tree" in output
    assert "Wrote 1 file(s): 1 written" in output
    assert _keywords(photo) == ["tree"]


@needs_exiftool
def test_apply_reports_undecodable_and_too_deep_lines_and_writes_the_rest(tmp_path: Path
                                                                           ) -> None:
    photo = ph.plain(tmp_path, "good.jpg")
    results = tmp_path / "r.jsonl"
    deep = '{"path": "x.jpg", "status": "ok", "notes": ' + "[" * 100_000 + "]" * 100_000 + "}"
    results.write_bytes(json.dumps(_record(photo)).encode() + b"\n"
                        + b'{"path": "caf\xe9.jpg"}\n' + deep.encode() + b"\n")
    code, output = invoke("apply", results)
    assert code == 1, output
    assert f"{results}:2: the line is not UTF-8 text (bad byte at column 14)" in output
    assert f"{results}:3: the record is nested too deeply to be read" in output
    assert "Wrote 1 file(s): 1 written" in output
    assert _keywords(photo) == ["tree"]


@needs_exiftool
def test_history_says_when_every_write_of_a_batch_failed(tmp_path: Path) -> None:
    photo = ph.plain(tmp_path, "locked.jpg")
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps(_record(photo)) + "\n")
    photo.chmod(0o444)
    try:
        code, output = invoke("apply", results)
    finally:
        os.chmod(photo, 0o644)
    assert code == 1 and "the file is read-only" in output, output
    code, output = invoke("history")
    assert code == 0, output
    assert "nothing was written (all 1 write(s) failed)" in output
    assert "can be undone" not in output


@needs_exiftool
def test_a_report_that_cannot_be_written_after_tagging_loses_no_photo_write(
        tmp_path: Path, fake_backend: Any) -> None:
    import threading

    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.2)
    photos = make_photos(tmp_path / "photos", 4, size=(320, 240))
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm")]))
    summary = tmp_path / "out" / "summary.md"
    stop = threading.Event()

    def block_the_report_once_tagging_started() -> None:
        # Someone creates a folder where the report goes while the photos are being tagged.
        while not stop.is_set():
            if server.chat_count():
                summary.mkdir(parents=True)
                return
            stop.wait(0.005)

    spoiler = threading.Thread(target=block_the_report_once_tagging_started)
    spoiler.start()
    try:
        code, output = invoke("run", "-i", photos[0].parent, "--registry-path", registry,
                              "--skip-preflight", "--output-jsonl", tmp_path / "o.jsonl",
                              "--summary", summary)
    finally:
        stop.set()
        spoiler.join()
    assert summary.is_dir()
    assert code == 1, output
    assert f"--summary {summary}: cannot write the report" in output
    assert "Metadata: wrote 4 file(s): 4 written" in output
    assert "pool is closed" not in output
    assert all("test pattern" in _keywords(p) for p in photos)


def test_usage_errors_print_markup_like_text_literally(tmp_path: Path) -> None:
    missing = tmp_path / "IMG[/x] é"
    code, output = invoke("run", "-i", missing, "--dry-run")
    assert code == 2 and f"no input exists: {missing}" in output
    code, output = invoke("run", "-i", tmp_path, "--concurrency", "[/bold]")
    assert code == 2 and "Invalid value for '--concurrency'" in output
    code, output = invoke("apply", tmp_path / "[/]results.jsonl")
    assert code == 2 and f"{tmp_path / '[/]results.jsonl'}: no such results file" in output


def test_apply_on_a_folder_or_fifo_says_what_it_is(tmp_path: Path) -> None:
    fifo = tmp_path / "results.jsonl"
    os.mkfifo(fifo)
    for target, what in ((tmp_path, "is a folder"), (fifo, "not a regular file")):
        code, output = invoke("apply", target)
        assert code == 2, output
        assert what in output and "no such results file" not in output, output
