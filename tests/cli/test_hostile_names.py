"""Hostile file names and model answers through `run`, `apply` and `undo`, with real ExifTool."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.core.tagging import from_journal_line
from tests.support import photos as ph
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner()
_register_commands()


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert not isinstance(result.exception, (UnicodeError, AttributeError)), result.exception
    return result.exit_code, result.output


def keywords(path: Path) -> list[str]:
    value = ph.tags(path, "XMP-dc:Subject").get("XMP-dc:Subject", [])
    return value if isinstance(value, list) else [value]


def non_utf8_copy(source: Path, name: bytes) -> Path:
    """A copy of ``source`` whose file name holds bytes that are not UTF-8."""
    target = Path(os.fsdecode(os.fsencode(source.parent) + b"/" + name))
    shutil.copy(source, target)
    assert os.fsencode(target).endswith(name)
    return target


@pytest.fixture
def server(fake_backend):
    return fake_backend("vllm", [FakeModel("vlm"), FakeModel("dirty", keyword_style="control")])


def registry(tmp_path: Path, server, name: str = "vlm") -> Path:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps([registry_entry(server.base_url, name)]))
    return path


def test_a_non_utf8_file_name_is_tagged_written_journaled_and_undone(tmp_path, server):
    photos = make_photos(tmp_path / "photos", 2, size=(320, 240))
    odd = non_utf8_copy(photos[0], b"caf\xe9 [x].jpg")
    out = tmp_path / "out.jsonl"
    code, output = invoke("run", "-i", tmp_path / "photos", "--registry-path",
                          registry(tmp_path, server), "--output-jsonl", out)
    assert code == 0, output
    assert "3 ok, 0 failed" in output and "3 written" in output
    assert keywords(odd) == ["red", "red tones", "test pattern"]
    assert keywords(photos[1]) == ["green", "green tones", "test pattern"]

    text = out.read_bytes().decode("utf-8")  # every line is valid UTF-8
    records = [json.loads(line) for line in text.splitlines()]
    odd_records = [r for r in records if "path_b64" in r]
    assert odd_records, "the non-UTF-8 path needs its exact bytes in the journal"
    assert base64.b64decode(odd_records[0]["path_b64"]) == os.fsencode(odd)
    read_back = {from_journal_line(line).path for line in text.splitlines()}
    assert str(odd) in read_back  # lossless: the same (surrogate-escaped) str

    # The same journal drives --resume: the odd file is recognised as done.
    code, output = invoke("run", "-i", tmp_path / "photos", "--registry-path",
                          registry(tmp_path, server), "--output-jsonl", out, "--resume",
                          "--dry-run")
    assert code == 0, output
    assert "0 ok, 0 failed, 3 skipped" in output

    code, output = invoke("history")
    assert code == 0 and "3 file(s)" in output
    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert keywords(odd) == [] and keywords(photos[1]) == []


def test_apply_writes_a_results_file_naming_a_non_utf8_photo(tmp_path, server):
    photos = make_photos(tmp_path / "photos", 1, size=(320, 240))
    odd = non_utf8_copy(photos[0], b"\xff\xfe-leading.jpg")
    photos[0].unlink()
    out = tmp_path / "out.jsonl"
    code, output = invoke("run", "-i", tmp_path / "photos", "--registry-path",
                          registry(tmp_path, server), "--output-jsonl", out, "--dry-run")
    assert code == 0, output
    assert keywords(odd) == []
    code, output = invoke("apply", out)
    assert code == 0, output
    assert "1 written" in output
    assert keywords(odd) == ["red", "red tones", "test pattern"]


def test_control_characters_in_model_keywords_are_removed_and_the_rest_written(tmp_path,
                                                                              server):
    photos = make_photos(tmp_path / "photos", 1, size=(320, 240))
    out = tmp_path / "out.jsonl"
    code, output = invoke("run", "-i", photos[0], "--registry-path",
                          registry(tmp_path, server, "dirty"), "--output-jsonl", out)
    assert code == 0, output
    assert "1 written" in output
    assert keywords(photos[0]) == ["red", "bell tower", "tab separated", "test pattern"]
    import exiv2  # a second reader agrees

    image = exiv2.ImageFactory.open(str(photos[0]))
    image.readMetadata()
    subject = str(image.xmpData()["Xmp.dc.subject"].toString())
    assert "\x00" not in subject and "\x07" not in subject and "bell tower" in subject


def test_control_characters_in_a_hand_edited_results_file_do_not_fail_the_photo(tmp_path):
    photos = make_photos(tmp_path / "photos", 1, size=(320, 240))
    st = photos[0].stat()
    results = tmp_path / "edited.jsonl"
    results.write_text(json.dumps({
        "path": str(photos[0]), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "status": "ok", "caption": "Title\x00 with NUL", "keywords": ["ok", "nul\x00here",
                                                                       "\x1b[1m"]}) + "\n")
    code, output = invoke("apply", results)
    assert code == 0, output
    assert keywords(photos[0]) == ["ok", "nul here"]
    assert ph.tags(photos[0], "XMP-dc:Title")["XMP-dc:Title"] == "Title with NUL"


def test_the_summary_report_names_a_non_utf8_photo_with_its_bytes_escaped(tmp_path, server):
    photos = make_photos(tmp_path / "photos", 2, size=(320, 240))
    non_utf8_copy(photos[0], b"caf\xe9 [x].jpg")
    summary = tmp_path / "summary.md"
    code, output = invoke("run", "-i", tmp_path / "photos", "--registry-path",
                          registry(tmp_path, server), "--summary", summary, "--dry-run")
    assert code == 0, output
    assert "3 ok, 0 failed" in output
    report = summary.read_bytes().decode("utf-8")  # the report is valid UTF-8
    assert "caf\\xe9 [x].jpg" in report
    assert photos[1].name in report
