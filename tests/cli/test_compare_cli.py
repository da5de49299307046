"""`imageworks-personal-tagger compare` against two test-server models that answer differently."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner()
_register_commands()


@pytest.fixture
def setup(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("blind", sees=False)])
    photos = make_photos(tmp_path / "photos", 3, size=(400, 300))
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm"),
                                    registry_entry(server.base_url, "blind")]))
    return photos, registry, tmp_path


def invoke(*args):
    result = runner.invoke(app, ["compare", *map(str, args)])
    return result.exit_code, result.output


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_report_puts_the_proposals_side_by_side_and_writes_nothing_else(setup):
    photos, registry, tmp = setup
    before = snapshot(photos[0].parent)
    report = tmp / "out" / "report.md"
    code, output = invoke("-i", photos[0].parent, "--sample", 20, "--seed", 1, "--a", "vlm",
                          "--b", "blind:default", "--output", report, "--registry-path", registry,
                          "--skip-preflight")
    assert code == 0, output
    assert "more than the 3 photo(s) in the folder: using all" in output
    assert snapshot(photos[0].parent) == before
    text = report.read_text()
    assert "3 of 3 photo(s) drawn at random, seed 1" in text
    assert "| A | vlm |" in text and "| B | blind:default |" in text
    # The blind model says "red" for every photo: it agrees with the seeing one on the red
    # photo; elsewhere they share 1 of 5 keywords ("test pattern") -> (1 + 0.2 + 0.2) / 3.
    assert "Keyword Jaccard A vs B (mean over photos): 47%" in text
    green = text.split("green.jpg", 1)[1].split("###", 1)[0]
    assert "| caption | A green photograph | A red photograph |" in green
    assert "| only here | green, green tones | red, red tones |" in green
    assert "Shared keywords: test pattern" in green


def test_unknown_model_or_profile_is_a_usage_error(setup):
    photos, registry, tmp = setup
    code, output = invoke("-i", photos[0].parent, "--a", "vlm", "--b", "gemma",
                          "--output", tmp / "r.md", "--registry-path", registry)
    assert code == 2 and "'gemma' is not in the registry" in output and "Traceback" not in output
    code, output = invoke("-i", photos[0].parent, "--a", "vlm", "--b", "blind:birds",
                          "--output", tmp / "r.md", "--registry-path", registry)
    assert code == 2 and "unknown prompt profile 'birds'" in output
    assert not (tmp / "r.md").exists()


def test_a_model_failing_its_probe_is_named_before_any_photo_is_sent(setup):
    photos, registry, tmp = setup
    code, output = invoke("-i", photos[0].parent, "--a", "vlm", "--b", "blind",
                          "--output", tmp / "r.md", "--registry-path", registry)
    assert code == 2 and "blind cannot be used" in output and "vision probe" in output
    assert not (tmp / "r.md").exists()


def test_empty_folder_and_server_down_say_what_to_do(setup, tmp_path):
    photos, registry, tmp = setup
    (tmp / "empty").mkdir()
    code, output = invoke("-i", tmp / "empty", "--a", "vlm", "--b", "blind",
                          "--output", tmp / "r.md", "--registry-path", registry)
    assert code == 2 and "no photos found" in output
    down = tmp / "down.json"
    down.write_text(json.dumps([registry_entry(f"http://127.0.0.1:{closed_port()}/v1", "vlm"),
                                registry_entry(f"http://127.0.0.1:{closed_port()}/v1",
                                               "blind")]))
    code, output = invoke("-i", photos[0].parent, "--a", "vlm", "--b", "blind",
                          "--output", tmp / "r.md", "--registry-path", down)
    assert code == 2 and "vlm cannot be used" in output and "start its server" in output
    assert not (tmp / "r.md").exists()
