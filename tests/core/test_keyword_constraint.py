"""Which vocabulary terms a keyword request offers: the enum, the shortlist, the schema."""

from __future__ import annotations

from imageworks_gui.core.keyword_constraint import keywords_schema, plan_constraint
from imageworks_gui.core.settings import VocabularySettings
from imageworks_gui.core.vocabulary import Vocabulary, VocabularyTerm


def vocab(name: str, *terms: VocabularyTerm) -> Vocabulary:
    return Vocabulary(name=name, format="text", terms=list(terms))


PLACES = vocab("places", VocabularyTerm(path=("Places",), assignable=False),
               VocabularyTerm(path=("Places", "France", "Paris"), synonyms=("Lutetia",)),
               VocabularyTerm(path=("Places", "France")),
               VocabularyTerm(path=("Places", "Texas", "Paris")),
               VocabularyTerm(path=("Places", "Texas")))
SKY = vocab("sky", VocabularyTerm(path=("Sky",)), VocabularyTerm(path=("Paris",)))


def settings(**values: object) -> VocabularySettings:
    return VocabularySettings.model_validate(values)


def test_strict_small_vocabularies_become_one_enum_of_preferred_names():
    plan = plan_constraint([PLACES, SKY], "strict", settings())
    # Containers out, synonyms out, a name under two parents (and in two vocabularies) once;
    # top-level terms first.
    assert plan.enum == ("Sky", "Paris", "France", "Texas")
    assert plan.shortlist == plan.enum and plan.total == 4 and plan.kind == "enum"
    assert "Lutetia" not in plan.prompt_hint()
    assert plan.prompt_hint().startswith("Choose the keywords only from this list:")


def test_suggest_mode_lists_terms_without_an_enum_unless_asked():
    plan = plan_constraint([PLACES], "suggest", settings())
    assert plan.enum is None and plan.kind == "shortlist"
    assert plan.prompt_hint().startswith("Prefer terms from this keyword list")
    forced = plan_constraint([PLACES], "suggest", settings(constrain_in_suggest_mode=True))
    assert forced.enum is not None


def test_too_many_terms_or_a_zero_limit_give_a_bounded_shortlist():
    many = vocab("many", *[VocabularyTerm(path=("Birds", f"Bird {i}")) for i in range(30)],
                 VocabularyTerm(path=("Birds",)),
                 VocabularyTerm.model_validate({"path": ["Birds", "Heron"], "count": 5}))
    plan = plan_constraint([many], "strict", settings(constrain_max_terms=10, shortlist_size=3))
    assert plan.enum is None
    assert plan.shortlist == ("Birds", "Heron", "Bird 0")  # top level, most used, then order
    off = plan_constraint([SKY], "strict", settings(constrain_max_terms=0, shortlist_size=0))
    assert off.enum is None and off.shortlist == () and off.prompt_hint() == ""
    assert off.kind == "none"


def test_an_empty_or_container_only_vocabulary_offers_nothing():
    only = vocab("only", VocabularyTerm(path=("People",), assignable=False))
    plan = plan_constraint([only], "strict", settings())
    assert plan.enum is None and plan.shortlist == () and plan.prompt_hint() == ""


def test_schema_shape_with_and_without_enum():
    assert keywords_schema(None) == {
        "type": "object", "properties": {"keywords": {
            "type": "array", "items": {"type": "string"}, "minItems": 1}},
        "required": ["keywords"], "additionalProperties": False}
    schema = keywords_schema(["Sky", "Zürich"], min_items=5, max_items=3)
    keywords = schema["properties"]["keywords"]
    assert keywords["items"] == {"type": "string", "enum": ["Sky", "Zürich"]}
    assert (keywords["minItems"], keywords["maxItems"]) == (5, 5)  # never below the minimum


def test_banned_words_are_never_offered():
    # An enum of banned words only would leave the model nothing usable to answer.
    plan = plan_constraint([SKY], "strict", settings(), banned=[" sky ", "PARIS"])
    assert plan.enum is None and plan.shortlist == ()
    assert plan_constraint([PLACES], "strict", settings(), banned=["paris"]).enum == (
        "France", "Texas")
