"""Keyword requests with a vocabulary: the enum schema per server, the shortlist, lying servers."""

from __future__ import annotations

import json

import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.vocabulary import Vocabulary, VocabularyTerm
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
from imageworks_gui.services.pipeline import TaggingPipeline
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry

COLOURS = Vocabulary(name="colours", format="text", terms=[
    VocabularyTerm(path=("Colours",), assignable=False),
    VocabularyTerm(path=("Colours", "Red"), synonyms=("crimson",)),
    VocabularyTerm(path=("Colours", "Blue")),
    VocabularyTerm(path=("Sky",)),
    VocabularyTerm(path=("Places", "Zürich"), synonyms=("Zurich",)),
    VocabularyTerm(path=("Places",))])


def policy(mode: str = "strict", *vocabularies: Vocabulary) -> VocabularyPolicy:
    return VocabularyPolicy(VocabularyMapper(list(vocabularies) or [COLOURS]),
                            "strict" if mode == "strict" else "suggest")


def keyword_payload(server) -> dict:
    found = [r.payload for r in server.records if "keywords" in r.prompt.lower()
             and "describe" not in r.prompt.lower()]
    assert len(found) == 1, [r.prompt for r in server.records]
    return found[0]


async def run_one(http, server, tmp_path, backend: str, vocabulary: VocabularyPolicy | None,
                  settings: Settings | None = None, **kwargs):
    pipeline = TaggingPipeline(http, entries(registry_entry(server.base_url, "vlm",
                                                            backend=backend)),
                               settings or Settings(), vocabulary=vocabulary,
                               stages=["keywords"], backoff_base_s=0.01, **kwargs)
    results = []
    await pipeline.run(make_photos(tmp_path, 1, size=(320, 240)), on_result=results.append)
    return results[0]


ENUM = ["Sky", "Places", "Red", "Blue", "Zürich"]  # top-level first, containers left out
ENUM_JSON = json.dumps(ENUM, ensure_ascii=False)


@pytest.mark.parametrize(("flavour", "backend"), [
    ("vllm", "vllm"), ("ollama", "ollama"), ("lmdeploy", "lmdeploy"), ("llamacpp", "gguf"),
    ("lmstudio", "lmstudio")])
async def test_each_server_gets_the_vocabulary_as_an_enum_in_its_schema_shape(
        http, fake_backend, tmp_path, flavour, backend):
    server = fake_backend(flavour, [FakeModel("vlm", honours_schema=True)])
    result = await run_one(http, server, tmp_path, backend, policy())
    payload = keyword_payload(server)
    fmt = payload["response_format"]
    if flavour == "llamacpp":  # llama-cpp-python only takes json_object + schema
        assert fmt["type"] == "json_object"
        schema = fmt["schema"]
    else:
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "keywords"
        schema = fmt["json_schema"]["schema"]
    items = schema["properties"]["keywords"]
    assert items["items"] == {"type": "string", "enum": ENUM}  # preferred names, no synonyms
    assert (items["minItems"], items["maxItems"]) == (1, 5)  # no more than there are terms
    assert "List up to 5 keywords" in payload["messages"][-1]["content"][0]["text"]
    text = payload["messages"][-1]["content"][0]["text"]
    assert f"Choose the keywords only from this list: {ENUM_JSON}" in text
    # A server that enforces the schema answers with terms only; they map exactly.
    assert result.status == "ok", result.errors
    assert result.keywords == ["Red", "Sky", "Places"]
    assert [m.method for m in result.keyword_mapping or []] == ["exact"] * 3


async def test_a_server_that_ignores_the_schema_is_mapped_not_failed(http, fake_backend,
                                                                     tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])  # answers colour words regardless
    strict = await run_one(http, server, tmp_path / "a", "vllm", policy("strict"))
    assert "enum" in json.dumps(keyword_payload(server)["response_format"])
    assert strict.status == "ok" and not strict.errors
    assert strict.keywords == ["Red"]
    methods = {m.proposed: m.method for m in strict.keyword_mapping or []}
    assert methods == {"red": "normalized", "red tones": "new", "test pattern": "new"}
    server.records.clear()
    settings = Settings.model_validate({"vocabulary": {"constrain_in_suggest_mode": True}})
    suggest = await run_one(http, server, tmp_path / "b", "vllm", policy("suggest"), settings)
    assert "enum" in json.dumps(keyword_payload(server)["response_format"])
    assert suggest.status == "ok"
    assert suggest.keywords == ["Red", "red tones", "test pattern"]  # new terms kept


async def test_suggest_mode_lists_the_terms_but_leaves_room_for_new_ones(http, fake_backend,
                                                                         tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", honours_schema=True)])
    result = await run_one(http, server, tmp_path, "vllm", policy("suggest"))
    payload = keyword_payload(server)
    assert "enum" not in json.dumps(payload["response_format"])
    text = payload["messages"][-1]["content"][0]["text"]
    assert "Prefer terms from this keyword list when they fit" in text
    assert ENUM_JSON in text
    assert result.keywords == ["Red", "red tones", "test pattern"]


async def test_a_large_vocabulary_gets_a_bounded_shortlist_and_mapping(http, fake_backend,
                                                                       tmp_path):
    big = Vocabulary(name="big", format="text", terms=[
        VocabularyTerm(path=("Animals",)), VocabularyTerm(path=("Colours",)),
        *[VocabularyTerm(path=("Animals", f"Bird {i:03d}")) for i in range(40)],
        VocabularyTerm.model_validate({"path": ["Colours", "Red"], "count": 12}),
        VocabularyTerm(path=("Colours", "Deep", "Crimson"))])
    settings = Settings.model_validate({"vocabulary": {"constrain_max_terms": 20,
                                                       "shortlist_size": 4}})
    server = fake_backend("vllm", [FakeModel("vlm", honours_schema=True)])
    result = await run_one(http, server, tmp_path, "vllm", policy("strict", big), settings)
    payload = keyword_payload(server)
    assert "enum" not in json.dumps(payload["response_format"])  # too large to constrain
    text = payload["messages"][-1]["content"][0]["text"]
    # Top-level terms first, then the most used, then the shallowest.
    assert json.dumps(["Animals", "Colours", "Red", "Bird 000"]) in text
    assert "Bird 001" not in text and "Crimson" not in text
    assert result.status == "ok" and result.keywords == ["Red"]


async def test_a_server_refusing_schemas_still_gets_the_list_in_the_prompt(http, fake_backend,
                                                                           tmp_path):
    server = fake_backend("lmdeploy", [FakeModel("vlm", json_schema=False)])
    result = await run_one(http, server, tmp_path, "lmdeploy", policy("strict"))
    assert result.status == "ok", result.errors
    assert result.keywords == ["Red"]
    retried = keyword_payload(server)  # only the retry without response_format was answered
    assert "response_format" not in retried
    assert ENUM_JSON in retried["messages"][-1]["content"][0]["text"]


async def test_hostile_terms_travel_literally_in_schema_and_prompt(http, fake_backend, tmp_path):
    odd = Vocabulary(name="odd", format="text", terms=[
        VocabularyTerm(path=('Say "cheese" {caption}',)), VocabularyTerm(path=("[/x] é\\n",)),
        VocabularyTerm(path=("-rf",))])
    server = fake_backend("vllm", [FakeModel("vlm", honours_schema=True)])
    result = await run_one(http, server, tmp_path, "vllm", policy("strict", odd))
    payload = keyword_payload(server)
    enum = payload["response_format"]["json_schema"]["schema"]["properties"]["keywords"][
        "items"]["enum"]
    assert enum == ['Say "cheese" {caption}', "[/x] é\\n", "-rf"]
    text = payload["messages"][-1]["content"][0]["text"]
    assert json.dumps(enum, ensure_ascii=False) in text  # no placeholder was filled in
    assert result.status == "ok", result.errors
    assert result.keywords == enum


def test_the_hint_ends_the_last_user_text_whatever_the_message_shape():
    from imageworks_gui.services.pipeline.constrain import with_hint

    parts = [{"role": "system", "content": "s"},
             {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]
    assert with_hint(parts, "H")[1]["content"][0] == {"type": "text", "text": "H"}
    plain = [{"role": "user", "content": "List keywords."}]
    assert with_hint(plain, "H") == [{"role": "user", "content": "List keywords. H"}]
    assert with_hint([], "H") == [{"role": "user", "content": "H"}]
    assert with_hint(plain, "") is plain


def test_a_small_enum_lowers_the_counts_so_the_schema_stays_satisfiable():
    from imageworks_gui.core.keyword_constraint import plan_constraint
    from imageworks_gui.services.backends.adapters import adapter_for
    from imageworks_gui.services.pipeline.constrain import keyword_request

    plan = plan_constraint([COLOURS], "strict", Settings().vocabulary)
    request = keyword_request(adapter_for("gguf"), 50, 30, plan)  # the stock profile's count
    keywords = request.response_format["schema"]["properties"]["keywords"]
    assert (keywords["minItems"], keywords["maxItems"]) == (5, 5)
    assert request.min_keywords == 5 and request.constraint == "enum"
