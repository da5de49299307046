"""The combined request's prompt built from each profile, and per-field answer validation."""

from __future__ import annotations

import json

import pytest

from imageworks_gui.core.fused import fused_prompt, fused_schema, parse_fused_answer
from imageworks_gui.core.prompts import STAGES
from imageworks_gui.services.prompt_profiles import load_prompt_profile

GOOD = {"title": "A red bicycle", "keywords": ["bicycle", "red", "street"],
        "description": "A red bicycle leans on a wall."}


@pytest.mark.parametrize("name", ["default", "stock", "archive"])
def test_every_shipped_profile_makes_one_prompt(name):
    profile = load_prompt_profile(name)
    prompt = fused_prompt(profile, STAGES, max_keywords=40)
    for stage in STAGES:
        first_words = profile.stage(stage).render(max_keywords=40).split(".")[0]
        assert first_words in prompt.user, stage
    assert "{" + "max_keywords}" not in prompt.user and "{caption}" not in prompt.user
    assert '"title": "...", "keywords": ["..."], "description": "..."' in prompt.user
    assert prompt.max_tokens == sum(profile.stage(s).max_tokens for s in STAGES)
    systems = {profile.stage(s).system for s in STAGES if profile.stage(s).system}
    assert prompt.system.count("\n\n") == len(systems) - 1  # identical system texts once


def test_the_schema_requires_the_fields_of_the_stages_asked():
    schema = fused_schema(["caption", "description"])
    assert schema["required"] == ["title", "description"]
    assert schema["additionalProperties"] is False


def test_a_good_answer_fills_every_field():
    answer = parse_fused_answer(json.dumps(GOOD), STAGES, 25)
    assert answer.failures == {}
    assert answer.values == {"caption": "A red bicycle", "keywords": ["bicycle", "red", "street"],
                             "description": "A red bicycle leans on a wall."}


def test_fences_reasoning_and_prose_around_the_object_are_removed():
    text = ("<think>maybe blue</think>Here it is:\n```json\n" + json.dumps(GOOD) + "\n```")
    assert parse_fused_answer(text, STAGES, 25).failures == {}
    assert parse_fused_answer("Sure! " + json.dumps(GOOD) + " Enjoy.", STAGES, 25).failures == {}


@pytest.mark.parametrize(("field", "value", "stage", "why"), [
    ("title", '{"objects": ["bike"]}', "caption", "no caption text"),
    ("title", 42, "caption", "int, not text"),
    ("description", "```json\n{\"a\": 1", "description", "prose with JSON"),
    ("description", "", "description", 'no "description" field'),
    ("keywords", [], "keywords", 'no "keywords" field'),
    ("keywords", ["", " "], "keywords", "no keywords"),
    ("keywords", ["Banned"], "keywords", "empty or banned"),
])
def test_a_bad_field_fails_alone_with_its_reason(field, value, stage, why):
    data = dict(GOOD, **{field: value})
    answer = parse_fused_answer(json.dumps(data), STAGES, 25, banned=["banned"])
    assert set(answer.failures) == {stage} and why in answer.failures[stage]
    assert set(answer.values) == set(STAGES) - {stage}


def test_keywords_as_one_string_are_split_and_capped():
    data = dict(GOOD, keywords="bicycle, red; street, wall")
    assert parse_fused_answer(json.dumps(data), STAGES, 3).values["keywords"] == [
        "bicycle", "red", "street"]


@pytest.mark.parametrize("text", ["", "A red bicycle.", "[1, 2]", '{"title": "cut sh'])
def test_an_answer_that_is_no_object_fails_every_field(text):
    answer = parse_fused_answer(text, STAGES, 25)
    assert set(answer.failures) == set(STAGES) and not answer.values
    assert "not a JSON object" in answer.failures["caption"]


def test_a_missing_field_falls_back_and_keys_are_matched_loosely():
    answer = parse_fused_answer(json.dumps({"Title": "A bike", "KEYWORDS": ["bike"]}), STAGES, 5)
    assert answer.values == {"caption": "A bike", "keywords": ["bike"]}
    assert answer.failures == {"description": 'the answer has no "description" field'}
