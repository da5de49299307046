"""Combined requests: one request per photo when one model serves every stage, per-field
fallback to stage requests, separate requests for different models, resume and the report."""

from __future__ import annotations

import asyncio

import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import from_journal_line
from imageworks_gui.services.pipeline import TaggingPipeline, render_summary
from imageworks_gui.services.prompt_profiles import load_prompt_profile
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry


def pipeline(http, items, **kw) -> TaggingPipeline:
    settings = kw.pop("settings", Settings())
    return TaggingPipeline(http, items, settings, backoff_base_s=0.01, **kw)


async def tag(p, paths, **kw):
    results = []
    outcome = await p.run(paths, on_result=results.append, **kw)
    return outcome, {r.file_path.name: r for r in results}


def stage_requests(server):
    """The prompts of the requests that were not combined ones."""
    return [r.prompt for r in server.records if not r.fused]


def records(path):
    return [from_journal_line(line) for line in path.read_text().splitlines()]


async def test_one_request_per_photo_holds_every_field(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "p", 3)
    journal = tmp_path / "run.jsonl"
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")), journal_path=journal)
    assert p.request_mode == "fused"
    outcome, results = await tag(p, photos)
    assert outcome.ok == 3 and server.chat_count() == 3
    assert all(r.fused and r.image_size == (1024, 768) for r in server.records)
    assert outcome.model_requests == 3 and outcome.request_modes == {"fused": 3}
    green = results["01-green.jpg"]
    assert green.caption == "A green photograph"
    assert green.keywords == ["green", "green tones", "test pattern"]
    assert green.description == ("A photograph filled mostly with green. It shows a plain "
                                  "green surface, café style.")
    assert set(green.models) == {"caption", "keywords", "description"}
    assert green.models["description"].served_id == "vlm"
    # The request: the profile's prompts, one JSON schema, the sum of the stage budgets.
    profile = load_prompt_profile("default")
    payload = server.records[0].payload
    schema = payload["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == {"title", "keywords", "description"}
    assert payload["max_tokens"] == sum(s.max_tokens for s in profile.stages.values())
    assert payload["temperature"] == min(s.temperature for s in profile.stages.values())
    text = payload["messages"][-1]["content"][0]["text"]
    assert "List up to 25 keywords" in text and "Write one short caption" in text
    assert "{caption}" not in text and "{keywords}" not in text
    lines = records(journal)
    assert [r.request_mode for r in lines] == ["fused"] * 3
    assert all(r.fallback is None for r in lines)
    assert '"request_mode":"fused"' in journal.read_text()


@pytest.mark.parametrize(("style", "stage", "reason"), [
    ("bad_title", "caption", "no caption text"),
    ("bad_description", "description", "broken JSON"),
    ("bad_keywords", "keywords", "no keywords"),
])
async def test_only_the_field_that_does_not_validate_is_asked_again(
        http, fake_backend, tmp_path, style, stage, reason):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style=style)])
    photos = make_photos(tmp_path, 2)
    outcome, results = await tag(pipeline(http, entries(registry_entry(server.base_url, "vlm"))),
                                 photos)
    assert outcome.ok == 2 and server.chat_count() == 4  # combined + one stage, per photo
    profile = load_prompt_profile("default")
    head = profile.stage(stage).render(max_keywords=25)[:30]
    assert [head in prompt for prompt in stage_requests(server)] == [True, True]
    red = results["00-red.jpg"]
    assert red.request_mode == "fused+fallback" and set(red.fallback) == {stage}
    assert reason in red.fallback[stage]
    assert red.caption == "A red photograph" and red.keywords[0] == "red"
    assert "filled mostly with red" in red.description
    assert outcome.fallbacks == {stage: 2} and outcome.model_requests == 4


async def test_a_description_asked_again_sees_the_combined_caption(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="bad_description")])
    await pipeline(http, entries(registry_entry(server.base_url, "vlm"))).run(
        make_photos(tmp_path, 1))
    [prompt] = stage_requests(server)
    assert "A draft caption is: A red photograph. Draft keywords: red, red tones" in prompt


async def test_an_answer_that_is_no_json_asks_every_stage(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="broken")])
    outcome, results = await tag(pipeline(http, entries(registry_entry(server.base_url, "vlm"))),
                                 make_photos(tmp_path, 1))
    red = results["00-red.jpg"]
    assert outcome.ok == 1 and server.chat_count() == 4
    assert set(red.fallback) == {"caption", "keywords", "description"}
    assert "not a JSON object" in red.fallback["caption"]
    assert red.description.endswith("café style.")


async def test_a_model_answering_only_keywords_keeps_them(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="keywords_only")])
    outcome, results = await tag(pipeline(http, entries(registry_entry(server.base_url, "vlm"))),
                                 make_photos(tmp_path, 1))
    red = results["00-red.jpg"]
    assert outcome.ok == 1 and server.chat_count() == 3
    assert set(red.fallback) == {"caption", "description"}
    assert red.keywords == ["red", "red tones", "test pattern"]  # the combined answer's
    assert red.caption == "A red photograph"


async def test_a_reasoning_model_in_a_code_fence_is_read(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="fenced", thinks=True)])
    outcome, results = await tag(pipeline(http, entries(registry_entry(server.base_url, "vlm"))),
                                 make_photos(tmp_path, 1))
    assert outcome.ok == 1 and server.chat_count() == 1
    assert results["00-red.jpg"].request_mode == "fused"
    assert results["00-red.jpg"].keywords[0] == "red"  # not the colours it mused about


async def test_a_server_refusing_the_schema_gets_the_strict_json_prompt(
        http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", json_schema=False)])
    photos = make_photos(tmp_path, 3)
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")))

    async def first_then_rest():
        yield photos[0]
        for _ in range(1000):  # the later photos start once the first one learnt the refusal
            if p._fused is not None and p._fused.schema_refused:
                break
            await asyncio.sleep(0.01)
        for path in photos[1:]:
            yield path

    outcome, results = await tag(p, first_then_rest())
    # A 400 for the schema, then the prompt alone, for this photo and every later one.
    assert outcome.ok == 3 and server.chat_count() == 4
    assert len(server.records) == 3
    assert all(r.fused and not r.response_format for r in server.records)
    assert {r.request_mode for r in results.values()} == {"fused"}


async def test_a_failing_server_fails_the_photo_without_three_more_requests(
        http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    server.fail("500")
    settings = Settings.model_validate({"backend": {"max_retries": 0}})
    outcome, results = await tag(pipeline(http, entries(registry_entry(server.base_url, "vlm")),
                                          settings=settings), make_photos(tmp_path, 1))
    red = results["00-red.jpg"]
    assert outcome.failed == 1 and server.chat_count() == 1
    assert set(red.errors) == {"caption", "keywords", "description"}
    assert "illegal memory access" in red.errors["caption"]


async def test_different_models_keep_separate_requests(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("captioner"), FakeModel("tagger")])
    items = entries(registry_entry(server.base_url, "captioner", roles=["caption"]),
                    registry_entry(server.base_url, "tagger", roles=["keywords", "description"]))
    p = pipeline(http, items)
    assert p.request_mode == "separate"
    outcome, results = await tag(p, make_photos(tmp_path, 2))
    assert outcome.ok == 2 and server.chat_count() == 6 and not any(
        r.fused for r in server.records)
    assert {r.model for r in server.records} == {"captioner", "tagger"}
    assert {r.request_mode for r in results.values()} == {"separate"}
    assert outcome.request_modes == {"separate": 2}


async def test_two_entries_for_one_served_model_keep_separate_requests(
        http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    items = entries(registry_entry(server.base_url, "vlm", name="vlm-captions",
                                   roles=["caption"]),
                    registry_entry(server.base_url, "vlm", name="vlm-tags",
                                   roles=["keywords", "description"]))
    await pipeline(http, items).run(make_photos(tmp_path, 1))
    assert server.chat_count() == 3  # another entry may carry other limits and provenance


async def test_the_setting_and_the_argument_turn_it_off(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    items = entries(registry_entry(server.base_url, "vlm"))
    off = Settings.model_validate({"tagging": {"fused": False}})
    outcome = await pipeline(http, items, settings=off).run(make_photos(tmp_path / "a", 1))
    assert server.chat_count() == 3 and outcome.request_modes == {"separate": 1}
    await pipeline(http, items, fused=False).run(make_photos(tmp_path / "b", 1))
    assert server.chat_count() == 6
    await pipeline(http, items, settings=off, fused=True).run(make_photos(tmp_path / "c", 1))
    assert server.chat_count() == 7


async def test_two_stages_of_one_model_are_asked_together(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    outcome, results = await tag(
        pipeline(http, entries(registry_entry(server.base_url, "vlm")),
                 stages=["caption", "keywords"]), make_photos(tmp_path, 1))
    schema = server.records[0].payload["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == {"title", "keywords"}
    assert outcome.ok == 1 and server.chat_count() == 1
    assert results["00-red.jpg"].description is None


async def test_resume_skips_finished_photos_and_asks_once_for_the_rest(
        http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "p", 4)
    journal = tmp_path / "run.jsonl"
    items = entries(registry_entry(server.base_url, "vlm"))
    await pipeline(http, items, journal_path=journal).run(photos[:2])
    assert server.chat_count() == 2
    outcome, results = await tag(pipeline(http, items, journal_path=journal, resume=True),
                                 photos)
    assert (outcome.ok, outcome.skipped) == (2, 2) and server.chat_count() == 4
    assert outcome.model_requests == 2 and outcome.request_modes == {"fused": 2}
    assert results["00-red.jpg"].request_mode == "fused"  # the journaled record, replayed
    lines = records(journal)
    assert len(lines) == 4 and {r.request_mode for r in lines} == {"fused"}


async def test_the_report_says_which_mode_was_used(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="bad_title")])
    outcome, results = await tag(pipeline(http, entries(registry_entry(server.base_url, "vlm"))),
                                 make_photos(tmp_path, 2))
    report = render_summary(outcome, results.values())
    assert ("Request mode: fused+fallback (one request, then a stage request per field that "
            "did not validate) for 2 photo(s); fell back: caption 2.") in report
    assert "| fused+fallback (caption) |" in report
    assert "Model requests: 4 for 2 photo(s), 2.00 per photo." in report
