"""A profile's output language and keyword count reach the requests and the results."""

from __future__ import annotations

import pytest

from imageworks_gui.core.prompts import parse_profile
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.vocabulary import Vocabulary, VocabularyTerm
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
from imageworks_gui.services.pipeline import TaggingPipeline
from imageworks_gui.services.prompt_profiles import load_prompt_profile
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry


def german_profile(**extra: object):
    data = load_prompt_profile("default").model_dump(mode="json")
    data.update(name="default-de", language="de", **extra)
    data["stages"]["keywords"]["user"] = "Give {min_keywords} to {max_keywords} keywords."
    return parse_profile(data)


async def tag(http, server, tmp_path, profile, **kwargs):
    pipeline = TaggingPipeline(http, entries(registry_entry(server.base_url, "vlm")),
                               Settings(), prompt_profile=profile, backoff_base_s=0.01,
                               **kwargs)
    results = []
    await pipeline.run(make_photos(tmp_path, 1, size=(320, 240)), on_result=results.append)
    return pipeline, results[0]


@pytest.mark.parametrize(("fused", "requests"), [(False, 3), (True, 1)])
async def test_a_german_profile_asks_every_stage_for_german(http, fake_backend, tmp_path,
                                                           fused, requests):
    server = fake_backend("vllm", [FakeModel("vlm")])
    _, result = await tag(http, server, tmp_path, german_profile(), fused=fused)
    assert result.status == "ok", result.errors
    systems = [r.payload["messages"][0]["content"] for r in server.records]
    assert len(systems) == requests
    assert all("Write every caption, description and keyword in German (de)" in s
               for s in systems)


async def test_the_profiles_keyword_count_reaches_prompt_schema_and_result(http, fake_backend,
                                                                           tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    profile = german_profile(min_keywords=1, max_keywords=2)
    _, result = await tag(http, server, tmp_path / "a", profile, stages=["keywords"])
    payload = server.records[-1].payload
    assert "Give 1 to 2 keywords." in payload["messages"][-1]["content"][0]["text"]
    keywords = payload["response_format"]["json_schema"]["schema"]["properties"]["keywords"]
    assert (keywords["minItems"], keywords["maxItems"]) == (1, 2)
    assert result.keywords == ["red", "red tones"]  # the model said four: two are kept
    # An explicit limit (the CLI's --max-keywords) still wins over the profile's count.
    _, explicit = await tag(http, server, tmp_path / "b", profile, stages=["keywords"],
                            max_keywords=3)
    assert explicit.keywords == ["red", "red tones", "test pattern"]


async def test_the_vocabulary_is_mapped_in_the_profiles_language(http, fake_backend, tmp_path):
    # The fake model says "red tones". English folding reduces the plural; German does not
    # (its plurals follow other rules), so with fuzzy matching out of the way it stays new.
    vocabulary = Vocabulary(name="tones", format="text", terms=[
        VocabularyTerm(path=("Red tone",))])
    server = fake_backend("vllm", [FakeModel("vlm")])
    methods = {}
    for profile in (load_prompt_profile("default"), german_profile()):
        policy = VocabularyPolicy(VocabularyMapper([vocabulary], fuzzy_threshold=100),
                                  "suggest")
        _, result = await tag(http, server, tmp_path / profile.name, profile,
                              stages=["keywords"], vocabulary=policy)
        methods[profile.language] = {m.proposed: m.method for m in result.keyword_mapping or []}
    assert methods["en"]["red tones"] == "normalized"
    assert methods["de"]["red tones"] == "new"
