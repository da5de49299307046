"""Mapping proposed keywords onto vocabularies: each step, ties, refusals, strict/suggest."""

from __future__ import annotations

import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_text
from imageworks_gui.core.vocabulary_mapping import (
    DEFAULT_FUZZY_THRESHOLD,
    VocabularyMapper,
    apply_mode,
    fold,
    singular,
)


def vocab(name: str, text: str) -> Vocabulary:
    return Vocabulary(name=name, format="text", terms=parse_text(text))


NATURE = vocab("nature", (
    "[Animals]|Birds|Grey heron = heron = Ardea cinerea\n"
    "[Animals]|Cats|Jaguar = big cat\n"
    "Places|Europe|Zürich\n"
    "Places|Europe|Lake Geneva = Lac Léman\n"
    "Landscape|City = town\n"
    "Landscape|black-and-white\n"
))
CARS = vocab("cars", "Cars|Jaguar = big cat\nCars|Automobile = car = auto\n")


@pytest.fixture
def mapper() -> VocabularyMapper:
    return VocabularyMapper([NATURE, CARS])


def test_exact_name_maps_to_the_full_path(mapper):
    m = mapper.map("Grey heron")
    assert (m.method, m.keyword, m.path, m.vocabulary, m.score) == (
        "exact", "Grey heron", ("Animals", "Birds", "Grey heron"), "nature", 100.0)
    assert m.proposed == "Grey heron" and m.in_vocabulary


@pytest.mark.parametrize("said", ["Animals|Birds|Grey heron", "Animals/Birds/Grey heron"])
def test_exact_full_path_with_either_separator(mapper, said):
    m = mapper.map(said)
    assert m.method == "exact" and m.path == ("Animals", "Birds", "Grey heron")


def test_synonym_maps_to_the_preferred_term(mapper):
    m = mapper.map("car")
    assert (m.method, m.keyword, m.path, m.matched) == (
        "synonym", "Automobile", ("Cars", "Automobile"), "car")
    assert mapper.map("Ardea cinerea").keyword == "Grey heron"


@pytest.mark.parametrize(("said", "term", "matched"), [
    ("grey HERON", "Grey heron", "Grey heron"),
    ("Grey herons", "Grey heron", "Grey heron"),
    ("zurich", "Zürich", "Zürich"),
    ("Cities", "City", "City"),
    ("Towns", "City", "town"),
    ("lac leman", "Lake Geneva", "Lac Léman"),
    ("Black and White", "black-and-white", "black-and-white"),
    ("black_and_white", "black-and-white", "black-and-white"),
    ("  Grey   heron. ", "Grey heron", None),
])
def test_case_diacritic_plural_insensitive_step(mapper, said, term, matched):
    m = mapper.map(said)
    assert m.keyword == term
    if matched is None:  # white space and trailing punctuation are cleaned before any step
        assert m.method == "exact"
    else:
        assert (m.method, m.matched, m.score) == ("normalized", matched, 100.0)


def test_fuzzy_step_uses_the_threshold(mapper):
    m = mapper.map("Grey haeron")
    assert m.method == "fuzzy" and m.keyword == "Grey heron" and m.score >= 88
    assert m.matched == "Grey heron"
    strict = VocabularyMapper([NATURE, CARS], fuzzy_threshold=99)
    assert strict.map("Grey haeron").method == "new"
    assert mapper.map("Grey cat").method == "new"  # not close to anything at 88


def test_default_threshold_is_the_setting():
    assert Settings().vocabulary.fuzzy_threshold == DEFAULT_FUZZY_THRESHOLD == 88.0
    with pytest.raises(ValueError):
        Settings.model_validate({"vocabulary": {"fuzzy_threshold": 120}})


def test_earlier_steps_win_across_vocabularies():
    # "car" is a synonym in the first vocabulary but a term's name in the second one:
    first = vocab("a", "Vehicles|Motorcar = car\n")
    second = vocab("b", "car\n")
    m = VocabularyMapper([first, second]).map("car")
    assert (m.method, m.vocabulary, m.path) == ("exact", "b", ("car",))


def test_same_synonym_under_two_parents_is_resolved_deterministically(mapper):
    m = mapper.map("big cat")
    assert m.method == "synonym"
    # vocabulary listed first wins; the other candidate is kept for review
    assert m.path == ("Animals", "Cats", "Jaguar") and m.alternatives == ("Cars|Jaguar",)
    flipped = VocabularyMapper([CARS, NATURE]).map("big cat")
    assert flipped.path == ("Cars", "Jaguar") and flipped.alternatives == (
        "Animals|Cats|Jaguar",)


def test_ties_inside_one_vocabulary_prefer_shallower_then_alphabetical_path():
    one = vocab("one", "Zoo|Deep|Heron\nBirds|Heron\nAnimals|Heron\n")
    m = VocabularyMapper([one]).map("Heron")
    assert m.path == ("Animals", "Heron")
    assert m.alternatives == ("Birds|Heron", "Zoo|Deep|Heron")
    # the input order of the file does not matter
    other = vocab("one", "Animals|Heron\nZoo|Deep|Heron\nBirds|Heron\n")
    assert VocabularyMapper([other]).map("Heron") == m


def test_a_terms_own_name_beats_a_synonym_at_the_same_step():
    v = vocab("v", "Birds|Heron\nWaders|Egret = heron\n")
    m = VocabularyMapper([v]).map("HERON")
    assert m.method == "normalized" and m.path == ("Birds", "Heron")
    assert m.alternatives == ("Waders|Egret",)


def test_containers_are_never_mapping_targets(mapper):
    m = mapper.map("Animals")
    assert m.method == "new" and m.path == ()


def test_unmapped_keyword_is_a_new_term(mapper):
    m = mapper.map("“Dog”.")
    assert (m.method, m.keyword, m.proposed, m.score) == ("new", "Dog", "“Dog”.", 0.0)
    assert not m.in_vocabulary


@pytest.mark.parametrize(("said", "words"), [
    ("black/white", "'/' separates levels in digiKam:TagsList"),
    ("fish|carp", "'|' separates levels in lr:hierarchicalSubject"),
    ("", "cannot be empty"),
    ("  ", "cannot be empty"),
])
def test_keywords_other_programs_would_split_are_refused_with_a_reason(mapper, said, words):
    m = mapper.map(said)
    assert m.method == "refused" and m.keyword == "" and words in (m.reason or "")


def test_control_characters_in_a_proposal_are_cleaned_before_mapping(mapper):
    m = mapper.map("Grey\x00heron\n")
    assert (m.method, m.keyword) == ("exact", "Grey heron")


def test_slash_in_a_vocabulary_term_is_kept():
    v = vocab("music", "Music|AC\\/DC\n")
    m = VocabularyMapper([v]).map("ac/dc")
    assert m.method == "normalized" and m.keyword == "AC/DC" and m.path == ("Music", "AC/DC")


def test_empty_vocabulary_list_maps_everything_to_new():
    assert VocabularyMapper([]).map("heron").method == "new"


def test_apply_mode_strict_keeps_vocabulary_terms_only_and_dedupes(mapper):
    mappings = mapper.map_all(["car", "auto", "Dog", "heron", "a/b", "dog"])
    assert [m.method for m in mappings] == ["synonym", "synonym", "new", "synonym", "refused",
                                            "new"]
    assert apply_mode(mappings, "suggest") == ["Automobile", "Dog", "Grey heron"]
    assert apply_mode(mappings, "strict") == ["Automobile", "Grey heron"]


def test_fold_and_singular_rules():
    assert fold("Crème Brûlée") == "creme brulee"
    assert fold("Ｆｕｌｌｗｉｄｔｈ") == "fullwidth"
    assert [singular(w) for w in ("berries", "glasses", "boxes", "churches", "cats", "bus",
                                  "iris", "gas", "moss")] == [
        "berry", "glass", "box", "church", "cat", "bus", "iris", "gas", "moss"]


def test_policy_maps_fresh_results_only(mapper):
    from imageworks_gui.core.tagging import TagResult, from_journal_line, to_journal_line
    from imageworks_gui.core.vocabulary_mapping import VocabularyPolicy

    policy = VocabularyPolicy(mapper, "strict")
    fresh = TagResult(path="/p/a.jpg", status="ok", keywords=["car", "Dog"])
    policy.apply_to(fresh)
    assert fresh.keywords == ["Automobile"]
    assert [m.method for m in fresh.keyword_mapping or []] == ["synonym", "new"]
    again = from_journal_line(to_journal_line(fresh))
    assert again.keyword_mapping == fresh.keyword_mapping
    policy.apply_to(again)  # already mapped: what the model said is not overwritten
    assert again.keyword_mapping == fresh.keyword_mapping and again.keywords == ["Automobile"]
    for status in ("skipped", "cancelled"):
        other = TagResult(path="/p/b.jpg", status=status, keywords=["car"])
        policy.apply_to(other)
        assert other.keywords == ["car"] and other.keyword_mapping is None


GERMAN = vocab("deutsch", "Natur|Bäume\nNatur|Katze\nOrte|Köln = Cologne\nGesundheit|Kur\n"
                          "Orte|København\nStraße\n")


@pytest.mark.parametrize(("said", "term"), [
    ("Baeume", "Bäume"), ("BÄUME", "Bäume"), ("Baume", "Bäume"), ("koeln", "Köln"),
    ("Strasse", "Straße"), ("Kobenhavn", "København")])
def test_german_keywords_match_umlauts_spelled_out_and_dropped(said, term):
    mapping = VocabularyMapper([GERMAN], language="de").map(said)
    assert (mapping.keyword, mapping.method) == (term, "normalized")


def test_english_plural_rule_is_not_applied_to_other_languages():
    # "Kurs" (a course) is not the plural of "Kur" (a cure); in English "Herons" is "Heron".
    assert VocabularyMapper([GERMAN], language="en").map("Kurs").method == "normalized"
    assert VocabularyMapper([GERMAN], language="de").map("Kurs").method == "new"
    # German inflections are left to the fuzzy step.
    katzen = VocabularyMapper([GERMAN], language="de").map("Katzen")
    assert (katzen.keyword, katzen.method) == ("Katze", "fuzzy")
    assert fold("Baeume", "de") == "baeume" and fold("Cities", "de") == "cities"


def test_a_policy_is_rebuilt_for_the_profiles_language():
    from imageworks_gui.core.vocabulary_mapping import VocabularyPolicy

    policy = VocabularyPolicy(VocabularyMapper([GERMAN]), "strict")
    german = policy.for_language("de")
    assert german.mapper.language == "de" and german.mode == "strict"
    assert policy.for_language("en") is policy
    assert german.mapper.map("Baeume").keyword == "Bäume"
