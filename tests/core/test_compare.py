"""Comparison rules: combination parsing, seeded sample, diffs, marks, summary, report."""

from __future__ import annotations

import pytest

from imageworks_gui.core.compare import (
    TIE,
    Combination,
    CombinationError,
    Marks,
    Proposal,
    draw_sample,
    keyword_diff,
    md_cell,
    parse_combination,
    render_report,
    summarise,
    word_diff,
)

MODELS = ["qwen2.5vl:7b", "llava", "qwen2.5vl"]
PROFILES = ["default", "wildlife"]


def test_model_names_with_a_colon_resolve_before_profiles():
    assert parse_combination("qwen2.5vl:7b", MODELS, PROFILES) == Combination("qwen2.5vl:7b")
    assert parse_combination("qwen2.5vl:7b:wildlife", MODELS, PROFILES) == Combination(
        "qwen2.5vl:7b", "wildlife")
    assert parse_combination("llava:default", MODELS, PROFILES).label == "llava:default"


def test_unknown_model_and_unknown_profile_say_what_exists():
    with pytest.raises(CombinationError, match=r"not in the registry.*llava"):
        parse_combination("gemma", MODELS, PROFILES)
    with pytest.raises(CombinationError, match=r"unknown prompt profile 'birds'.*wildlife"):
        parse_combination("llava:birds", MODELS, PROFILES)


def test_the_same_seed_draws_the_same_photos_whatever_the_listing_order():
    paths = [f"/p/{i:02d}.jpg" for i in range(30)]
    one = draw_sample(paths, 5, seed=1)
    two = draw_sample(list(reversed(paths)), 5, seed=1)
    assert one.paths == two.paths and len(one.paths) == 5
    assert list(one.paths) == sorted(one.paths)
    assert draw_sample(paths, 5, seed=2).paths != one.paths
    assert "seed 1" in one.note and "5 of 30" in one.note


def test_a_sample_larger_than_the_folder_takes_every_photo_and_says_so():
    sample = draw_sample(["/b.jpg", "/a.jpg"], 20, seed=1)
    assert sample.paths == ("/a.jpg", "/b.jpg")
    assert "asked for 20: the folder has only 2" in sample.note


def test_keyword_diff_compares_normalised_keywords():
    a = Proposal(keywords=("Red Fox", "snow", "forest"))
    b = Proposal(keywords=("red  fox", "winter"))
    diff = keyword_diff([a, b])
    assert diff.shared == ("Red Fox",)
    assert diff.only == (("snow", "forest"), ("winter",))


def test_word_diff_flags_words_the_other_text_lacks():
    assert word_diff("A red fox.", ["A grey fox"]) == [("A", False), ("red", True),
                                                       ("fox.", False)]


def test_summary_counts_wins_ties_field_wins_overlap_and_time():
    combos = [Combination("a"), Combination("b")]
    table = {
        "/1.jpg": [Proposal(keywords=("red", "fox"), seconds=1.0),
                   Proposal(keywords=("red",), seconds=3.0)],
        "/2.jpg": [Proposal(keywords=("sea",), seconds=2.0),
                   Proposal(error="timeout", seconds=None)],
    }
    marks = Marks()
    marks.mark("/1.jpg", 0)
    marks.mark("/1.jpg", 1, "caption")
    marks.mark("/2.jpg", TIE)
    kept = {"/1.jpg": ["red", "fox"]}
    first, second = summarise(combos, table, marks, kept)
    assert (first.wins, first.ties, first.field_wins, first.failed) == (1, 1, 0, 0)
    assert (second.wins, second.ties, second.field_wins, second.failed) == (0, 1, 1, 1)
    assert first.kept_overlap == 1.0 and second.kept_overlap == 0.5
    assert first.seconds_per_photo == 1.5 and second.seconds_per_photo == 3.0


def test_hostile_text_cannot_break_the_report_table():
    assert md_cell("a|b\nc *x* <b>") == "a\\|b c \\*x\\* \\<b\\>"
    combos = [Combination("m|1"), Combination("m2")]
    table = {"/odd|name\n.jpg": [Proposal("cap|tion", ("red", "x|y")),
                                 Proposal("cap", ("red",))]}
    report = render_report(combos, draw_sample(list(table), 1, 1), table,
                           {"/odd|name\n.jpg": ["red"]})
    for line in report.splitlines():
        if line.startswith("| keywords"):
            assert line.count("|") - line.count("\\|") == 4  # three cells
    assert "Keyword Jaccard A vs B (mean over photos): 50%" in report
    assert "Keyword Jaccard B vs existing keywords: 100%" in report
