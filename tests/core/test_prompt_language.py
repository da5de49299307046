"""Prompt profiles' output language and keyword count: validation, the prompts sent."""

from __future__ import annotations

import json

import pytest

from imageworks_gui.core.prompts import parse_profile
from imageworks_gui.services.prompt_profiles import (
    PromptProfileError,
    load_prompt_profile,
    user_profiles_dir,
)


def data(**extra: object) -> dict:
    return {"name": "mine", **extra, "stages": {
        "caption": {"system": "You caption photos.", "user": "Caption it."},
        "keywords": {"user": "Give {min_keywords} to {max_keywords} keywords."},
        "description": {"user": "Describe. {caption}"}}}


def test_shipped_stock_and_archive_profiles_carry_their_keyword_counts():
    stock, archive = load_prompt_profile("stock"), load_prompt_profile("archive")
    assert (stock.min_keywords, stock.max_keywords) == (30, 50)
    assert (archive.min_keywords, archive.max_keywords) == (5, 10)
    assert stock.keyword_range(25) == (30, 50)
    assert "5 to 10" in archive.stage("keywords").render(min_keywords=5, max_keywords=10)
    default = load_prompt_profile("default")
    assert (default.max_keywords, default.language) == (None, "en")
    assert default.keyword_range(25) == (1, 25)  # the setting applies


def test_a_german_profile_tells_every_stage_to_write_german():
    profile = parse_profile(data(language="de"))
    for stage in ("caption", "keywords", "description"):
        system = profile.stage(stage).system
        assert "in German (de)" in system
    assert profile.stage("caption").system.startswith("You caption photos. Write every")
    assert profile.stages["caption"].system == "You caption photos."  # the file's text
    english = parse_profile(data())
    assert english.stage("caption").system == "You caption photos."
    assert english.sha256 != profile.sha256  # the language is part of the recorded hash


@pytest.mark.parametrize(("language", "hint"), [
    ("xx", "unknown language code 'xx'"), ("DE", "did you mean 'de'?"),
    ("german", "two-letter ISO 639-1 code"), ("", "unknown language code ''")])
def test_an_unknown_language_code_is_a_clear_error(language, hint):
    with pytest.raises(ValueError) as info:
        parse_profile(data(language=language), "my.json")
    message = str(info.value)
    assert "my.json: invalid prompt profile: language" in message and hint in message
    assert "de, el, en" in message  # the codes that work


def test_keyword_counts_are_validated():
    with pytest.raises(ValueError, match=r"min_keywords \(12\) is larger than max_keywords"):
        parse_profile(data(min_keywords=12, max_keywords=5))
    with pytest.raises(ValueError, match="max_keywords"):
        parse_profile(data(max_keywords=0))
    assert parse_profile(data(min_keywords=3)).keyword_range(2) == (2, 2)


def test_a_user_file_with_a_bad_language_says_which_file_and_what_to_do(isolated_user_dirs):
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.json").write_text(json.dumps(data(language="klingon")), encoding="utf-8")
    with pytest.raises(PromptProfileError) as info:
        load_prompt_profile("mine")
    assert str(folder / "mine.json") in str(info.value)
    assert "unknown language code 'klingon'" in str(info.value)
    assert str(info.value).endswith("fix the file")
