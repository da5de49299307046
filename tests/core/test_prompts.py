"""Prompt profiles: shipped files load, user files override, hashes track content."""

from __future__ import annotations

import json

import pytest

from imageworks_gui.core.prompts import STAGES, parse_profile
from imageworks_gui.services.prompt_profiles import (
    PromptProfileError,
    list_prompt_profiles,
    load_prompt_profile,
    user_profiles_dir,
)


def _profile_data(name="mine", user="Caption this photo."):
    stage = {"system": "s", "user": user}
    return {"name": name, "stages": {"caption": stage,
                                     "keywords": {"user": "Up to {max_keywords} keywords."},
                                     "description": {"user": "Describe. {caption} {keywords}"}}}


def test_shipped_profiles_load_and_cover_every_stage():
    names = list_prompt_profiles()
    assert {"default", "stock", "archive"} <= set(names)
    for name in names:
        profile = load_prompt_profile(name)
        assert profile.name == name
        for stage in STAGES:
            assert profile.stage(stage).user


def test_hash_is_stable_and_changes_with_content():
    a = parse_profile(_profile_data())
    b = parse_profile(_profile_data())
    c = parse_profile(_profile_data(user="Caption this picture."))
    assert a.sha256 == b.sha256 != c.sha256
    assert len(a.sha256) == 64


def test_user_override_wins_over_shipped_profile():
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "default.json").write_text(json.dumps(_profile_data("default", "Mine!")))
    assert load_prompt_profile("default").stage("caption").user == "Mine!"


def test_user_profile_is_listed_and_loaded():
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.json").write_text(json.dumps(_profile_data()))
    assert "mine" in list_prompt_profiles()
    assert load_prompt_profile("mine").name == "mine"


def test_unknown_profile_is_an_error_listing_the_available_ones():
    with pytest.raises(PromptProfileError, match=r"unknown prompt profile 'nope'.*default"):
        load_prompt_profile("nope")


def test_invalid_json_names_the_file():
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.json").write_text("{not json")
    with pytest.raises(PromptProfileError, match=r"broken.json is not valid JSON"):
        load_prompt_profile("broken")


def test_missing_stage_and_unknown_placeholder_are_refused():
    data = _profile_data()
    del data["stages"]["description"]
    with pytest.raises(ValueError, match=r"missing stage"):
        parse_profile(data)
    data = _profile_data(user="Caption {filename}")
    with pytest.raises(ValueError, match=r"unknown placeholder"):
        parse_profile(data)


def test_name_mismatch_is_refused():
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "other.json").write_text(json.dumps(_profile_data("mine")))
    with pytest.raises(PromptProfileError, match=r"declares name 'mine'"):
        load_prompt_profile("other")


def test_render_fills_placeholders():
    profile = parse_profile(_profile_data())
    assert profile.stage("keywords").render(max_keywords=7) == "Up to 7 keywords."
    assert profile.stage("description").render(caption="A dog", keywords="dog, beach") == (
        "Describe. A dog dog, beach")
