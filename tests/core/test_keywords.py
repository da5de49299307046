"""Keyword answers from real model styles become clean, deduplicated keyword lists."""

from __future__ import annotations

import pytest

from imageworks_gui.core.keywords import (
    KeywordParseError,
    keywords_from_answer,
    normalise_keywords,
    parse_keywords,
)


@pytest.mark.parametrize("answer", [
    '{"keywords": ["beach", "sunset", "sea"]}',
    '["beach", "sunset", "sea"]',
    '```json\n{"keywords": ["beach", "sunset", "sea"]}\n```',
    '```\n["beach", "sunset", "sea"]\n```',
    '<think>The user wants keywords. I see a beach.</think>\n{"keywords": ["beach", "sunset", '
    '"sea"]}',
    "Okay, thinking about it: sand, water.</think>beach, sunset, sea",
    "beach, sunset, sea",
    "beach\nsunset\nsea\n",
    "1. beach\n2. sunset\n3) sea",
    "- beach\n* sunset\n• sea",
    "Keywords: beach; sunset; sea.",
    'Here are the keywords: {"Keywords": ["beach", "sunset", "sea"]} Hope this helps!',
    '{"tags": "beach, sunset, sea"}',
])
def test_every_answer_style_gives_the_same_keywords(answer):
    assert keywords_from_answer(answer) == ["beach", "sunset", "sea"]


def test_dedupe_is_case_insensitive_and_keeps_the_first_spelling():
    assert normalise_keywords(["New York", "new york", "NEW YORK", "Brooklyn"]) == [
        "New York", "Brooklyn"]


def test_no_naive_depluralising():
    assert normalise_keywords(["trees", "tree", "glasses", "bus"]) == [
        "trees", "tree", "glasses", "bus"]


def test_nfc_normalisation_merges_composed_and_decomposed_forms():
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    result = normalise_keywords([decomposed, composed])
    assert result == ["caf\u00e9"]


def test_trim_quotes_and_surplus_space():
    assert normalise_keywords(['  "golden   hour" ', "'dog'.", "   "]) == ["golden hour", "dog"]


def test_max_count_and_banned_words():
    items = ["photo", "dog", "Image", "park", "grass", "ball"]
    assert normalise_keywords(items, max_count=3, banned=["photo", "image"]) == [
        "dog", "park", "grass"]


def test_sentences_are_not_keywords():
    long = "this is a long sentence that a model wrote instead of a keyword, oh well " * 2
    assert normalise_keywords([long, "dog"]) == ["dog"]


@pytest.mark.parametrize("answer", ["", "   ", "<think>hmm</think>", '{"keywords": []}'])
def test_empty_answers_are_errors(answer):
    with pytest.raises(KeywordParseError):
        keywords_from_answer(answer)


def test_all_banned_is_an_error():
    with pytest.raises(KeywordParseError, match="banned"):
        keywords_from_answer("photo, image", banned=["photo", "image"])


def test_parse_keeps_raw_items_for_later_normalisation():
    assert parse_keywords("Dog, dog") == ["Dog", " dog"]
