"""`run --vocabulary`: keywords mapped onto the vocabulary and the mapping journaled."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.core.tagging import from_journal_line
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner()
_register_commands()

VOCABULARY = "[Colours]|Red = crimson\nPatterns|Test patterns\n"


@pytest.fixture
def setup(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "photos", 1, size=(320, 240))  # a red photo
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm")]), encoding="utf-8")
    vocabulary = tmp_path / "[bold]IMG é.txt"
    vocabulary.write_text(VOCABULARY, encoding="utf-8")
    return photos, registry, vocabulary, tmp_path


def run(setup, *extra: object):
    photos, registry, _vocabulary, tmp = setup
    journal = tmp / "tags.jsonl"
    result = runner.invoke(app, ["run", "-i", str(photos[0]), "--registry-path", str(registry),
                                 "--output-jsonl", str(journal), "--dry-run", "--skip-preflight",
                                 *map(str, extra)])
    records = [from_journal_line(line) for line in journal.read_text().splitlines()] \
        if journal.exists() else []
    return result, records


def test_without_a_vocabulary_nothing_changes(setup):
    result, records = run(setup)
    assert result.exit_code == 0, result.output
    assert records[0].keywords == ["red", "red tones", "test pattern"]
    assert records[0].keyword_mapping is None
    assert "keyword_mapping" not in (setup[3] / "tags.jsonl").read_text()
    assert "Vocabulary:" not in result.output


def test_suggest_mode_maps_onto_terms_keeps_new_ones_and_journals_how(setup):
    result, records = run(setup, "--vocabulary", setup[2])
    assert result.exit_code == 0, result.output
    assert "Vocabulary: '[bold]IMG é' (suggest mode)" in result.stderr
    record = records[0]
    assert record.keywords == ["Red", "red tones", "Test patterns"]
    by_said = {m.proposed: m for m in record.keyword_mapping or []}
    assert (by_said["red"].method, by_said["red"].path) == ("normalized", ("Colours", "Red"))
    assert (by_said["test pattern"].method, by_said["test pattern"].path) == (
        "normalized", ("Patterns", "Test patterns"))
    assert by_said["red tones"].method == "new"
    line = json.loads((setup[3] / "tags.jsonl").read_text().splitlines()[0])
    assert line["keyword_mapping"][0] == {
        "proposed": "red", "keyword": "Red", "method": "normalized", "score": 100.0,
        "path": ["Colours", "Red"], "vocabulary": "[bold]IMG é", "matched": "Red",
        "alternatives": [], "containers": ["Colours"]}


def test_strict_mode_keeps_vocabulary_terms_only(setup):
    result, records = run(setup, "--vocabulary", setup[2], "--vocabulary-mode", "strict")
    assert result.exit_code == 0, result.output
    assert records[0].keywords == ["Red", "Test patterns"]
    assert [m.method for m in records[0].keyword_mapping or []] == ["normalized", "new",
                                                                     "normalized"]


def test_active_stored_vocabularies_are_used_by_default_and_mode_from_settings(
        setup, isolated_user_dirs):
    imported = runner.invoke(app, ["vocabulary", "import", str(setup[2]), "--name", "colours"])
    assert imported.exit_code == 0, imported.output
    (isolated_user_dirs["config"] / "settings.json").write_text(
        '{"vocabulary": {"mode": "strict"}}', encoding="utf-8")
    result, records = run(setup)
    assert result.exit_code == 0, result.output
    assert "Vocabulary: 'colours' (strict mode)" in result.stderr
    assert records[0].keywords == ["Red", "Test patterns"]
    runner.invoke(app, ["vocabulary", "deactivate", "colours"])
    _result, records = run(setup)
    assert records[0].keywords == ["red", "red tones", "test pattern"]
    # a stored name given explicitly is used even when inactive
    _result, records = run(setup, "--vocabulary", "colours", "--vocabulary-mode", "suggest")
    assert records[0].keywords == ["Red", "red tones", "Test patterns"]


def test_bad_vocabulary_stops_before_tagging(setup):
    bad = setup[3] / "bad.txt"
    bad.write_text("Colours\n\t\tRed\n", encoding="utf-8")
    result, records = run(setup, "--vocabulary", bad)
    assert result.exit_code == 2
    assert f"{bad}: line 2: " in result.stderr and "nothing was tagged" in result.stderr
    assert records == []
    result, records = run(setup, "--vocabulary", "no such name")
    assert result.exit_code == 2 and "no vocabulary named 'no such name'" in result.stderr
    assert records == []


def test_the_run_header_says_how_keyword_requests_use_the_vocabulary(setup):
    strict, records = run(setup, "--vocabulary", setup[2], "--vocabulary-mode", "strict")
    assert strict.exit_code == 0, strict.output
    assert ("Keyword requests: answers limited to the 3 vocabulary terms where the server "
            "enforces JSON schemas") in " ".join(strict.stderr.split())
    # The test server ignores the schema: the answer is mapped, the photo is not failed.
    assert records[0].status == "ok" and records[0].keywords == ["Red", "Test patterns"]
    suggest, _ = run(setup, "--vocabulary", setup[2])
    assert "Keyword requests: 3 of 3 vocabulary terms listed in the prompt" in " ".join(
        suggest.stderr.split())
