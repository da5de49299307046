"""The tagging pipeline against real HTTP test servers: stages, roles, limits, bad input."""

from __future__ import annotations

import json
import logging

import pytest

from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import from_journal_line
from imageworks_gui.services.discovery import aiter_images
from imageworks_gui.services.pipeline import (
    PreflightError,
    TaggingPipeline,
    explicit_entries,
)
from imageworks_gui.services.prompt_profiles import load_prompt_profile
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port
from tests.support.tagging import entries, make_photos, registry_entry


def pipeline(http, items, **kw) -> TaggingPipeline:
    """A pipeline asking each stage on its own (combined requests: test_pipeline_fused.py)."""
    settings = kw.pop("settings", Settings())
    kw.setdefault("fused", False)
    return TaggingPipeline(http, items, settings, backoff_base_s=0.01, **kw)


async def collect(p, paths, **kw):
    results = []
    outcome = await p.run(paths, on_result=results.append, **kw)
    return outcome, {r.file_path.name: r for r in results}


async def test_every_stage_answers_from_the_image(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "photos", 6)
    journal = tmp_path / "out.jsonl"
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")), journal_path=journal)
    outcome, results = await collect(p, photos)
    assert (outcome.total, outcome.ok, outcome.failed, outcome.exit_code) == (6, 6, 0, 0)
    red = results["00-red.jpg"]
    assert red.caption == "A red photograph"
    assert red.keywords == ["red", "red tones", "test pattern"]  # "RED" deduplicated
    assert "filled mostly with red" in red.description
    assert results["01-green.jpg"].keywords[0] == "green"
    assert results["02-blue.jpg"].caption == "A blue photograph"
    # Provenance: model, served id, prompt profile and its hash.
    profile = load_prompt_profile("default")
    assert red.models["keywords"].name == "vlm" and red.models["keywords"].served_id == "vlm"
    assert (red.prompt_profile, red.prompt_sha256) == ("default", profile.sha256)
    assert red.size == photos[0].stat().st_size and red.mtime_ns == photos[0].stat().st_mtime_ns
    assert {"prepare", "caption", "keywords", "description", "total"} <= set(red.timings_ms)
    lines = journal.read_text().splitlines()
    assert len(lines) == 6
    assert {from_journal_line(line).status for line in lines} == {"ok"}


async def test_one_prepared_image_serves_every_stage(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path, 1, size=(4000, 3000))
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")))
    await p.run(photos)
    sent = [r for r in server.records if r.image_size]
    assert len(sent) == 3
    assert {r.image_size for r in sent} == {(1024, 768)}
    assert len({r.image_bytes for r in sent}) == 1
    assert all(r.image_bytes < photos[0].stat().st_size for r in sent)
    assert [r.response_format for r in sent].count(True) == 1  # keywords ask for JSON


async def test_entry_long_edge_overrides_the_default(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    e = registry_entry(server.base_url, "vlm", metadata={"vision_target_long_edge": 512})
    await pipeline(http, entries(e)).run(make_photos(tmp_path, 1, size=(2000, 1000)))
    assert {r.image_size for r in server.records if r.image_size} == {(512, 256)}


async def test_caption_and_keywords_overlap_then_description_uses_them(http, fake_backend,
                                                                        tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.3)
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")))
    await p.run(make_photos(tmp_path, 1))
    assert server.max_active == 2  # caption and keywords were in flight together
    assert server.chat_count() == 3
    description = server.records[-1]
    assert "describe" in description.prompt.lower()
    assert "A red photograph" in description.prompt and "red tones" in description.prompt


async def test_concurrency_is_bounded_by_the_backend_limit(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.05)
    e = registry_entry(server.base_url, "vlm",
                       backend_config={"base_url": server.base_url, "max_concurrency": 3})
    p = pipeline(http, entries(e))
    outcome = await p.run(make_photos(tmp_path, 8, size=(320, 240)))
    assert outcome.ok == 8
    assert server.max_active == 3


async def test_concurrency_override(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.05)
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")), concurrency=1)
    await p.run(make_photos(tmp_path, 3, size=(320, 240)))
    assert server.max_active == 1


async def test_roles_resolve_to_different_models_and_are_logged_once(http, fake_backend,
                                                                     tmp_path, caplog):
    a = fake_backend("vllm", [FakeModel("captioner")])
    b = fake_backend("ollama", [FakeModel("tagger:7b", keyword_style="fenced")])
    items = entries(
        registry_entry(a.base_url, "captioner", roles=["caption", "description"]),
        registry_entry(b.base_url, "tagger:7b", name="tagger", backend="ollama",
                       roles=["keywords"], artifacts={"aggregate_sha256": "ab" * 32}),
    )
    with caplog.at_level(logging.INFO, logger="imageworks.resolution"):
        p = pipeline(http, items)
        outcome, results = await collect(p, make_photos(tmp_path, 3))
    assert outcome.ok == 3
    r = results["02-blue.jpg"]
    assert r.models["caption"].name == "captioner"
    assert r.models["keywords"].name == "tagger"
    assert r.models["keywords"].aggregate_sha256 == "ab" * 32
    assert r.keywords == ["blue", "blue tones", "test pattern"]
    records = [json.loads(m) for m in caplog.messages if "role_resolution" in m]
    assert sorted(rec["role"] for rec in records) == ["caption", "description", "keywords"]
    assert all(rec["event_type"] == "role_resolution" for rec in records)


async def test_preferred_model_wins(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("first"), FakeModel("second")])
    items = entries(registry_entry(server.base_url, "first"),
                    registry_entry(server.base_url, "second"))
    p = pipeline(http, items, preferred={"keywords": "second"})
    _outcome, results = await collect(p, make_photos(tmp_path, 1))
    r = results["00-red.jpg"]
    assert r.models["caption"].name == "first" and r.models["keywords"].name == "second"


async def test_a_role_nobody_fills_is_an_actionable_error(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm")])
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm", roles=["caption"])))
    with pytest.raises(RoleResolutionError, match=r"Failed to resolve role 'keywords'"):
        p.resolve()
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")),
                 roles={"caption": "title"})
    with pytest.raises(RoleResolutionError, match=r"role 'title'"):
        await p.preflight()


@pytest.mark.parametrize("style", ["json", "fenced", "think", "list"])
async def test_keyword_answer_styles_and_limits(http, fake_backend, tmp_path, style):
    server = fake_backend("vllm", [FakeModel("vlm", keyword_style=style)])
    settings = Settings.model_validate({"tagging": {"banned_keywords": ["Test Pattern"]}})
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")), settings=settings,
                 max_keywords=1 if style == "list" else None)
    _, results = await collect(p, make_photos(tmp_path, 1))
    expected = ["red"] if style == "list" else ["red", "red tones"]
    assert results["00-red.jpg"].keywords == expected


async def test_server_without_json_schema_support_is_asked_again(http, fake_backend,
                                                                  tmp_path):
    server = fake_backend("vllm", [FakeModel("old", json_schema=False)])
    outcome, results = await collect(pipeline(http, entries(
        registry_entry(server.base_url, "old"))), make_photos(tmp_path, 1))
    assert outcome.ok == 1
    assert results["00-red.jpg"].keywords == ["red", "red tones", "test pattern"]


async def test_bad_images_fail_alone_and_the_run_continues(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    folder = tmp_path / "mixed"
    photos = make_photos(folder, 2)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "noise.jpg").write_bytes(b"\x00garbage" * 50)
    full = photos[0].read_bytes()
    (folder / "cut.jpg").write_bytes(full[: len(full) // 3])
    (folder / "dir.jpg").mkdir()
    outcome, results = await collect(pipeline(http, entries(
        registry_entry(server.base_url, "vlm"))), aiter_images([folder]))
    assert (outcome.ok, outcome.failed, outcome.exit_code) == (2, 3, 1)
    assert "file is empty" in results["empty.jpg"].errors["image"]
    assert "not an image" in results["noise.jpg"].errors["image"]
    assert "truncated" in results["cut.jpg"].errors["image"]
    assert {f.file_path.name for f in outcome.failures} == {"empty.jpg", "noise.jpg", "cut.jpg"}


async def test_backend_failures_are_per_image(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    settings = Settings.model_validate({"backend": {"max_retries": 0}})
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")), settings=settings,
                 concurrency=1)
    server.fail("500")
    outcome, _results = await collect(p, make_photos(tmp_path, 3))
    assert (outcome.ok, outcome.failed) == (2, 1)
    failed = outcome.failures[0]
    assert "failed with 500" in next(iter(failed.errors.values()))
    assert failed.status == "failed"


async def test_misconfigured_backend_fails_every_image_with_the_fix(http, fake_backend,
                                                                    tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    p = pipeline(http, entries(registry_entry(server.base_url, "wrong-name")))
    outcome, results = await collect(p, make_photos(tmp_path, 2))
    assert outcome.failed == 2
    assert "set served_model_id" in results["00-red.jpg"].errors["caption"]


async def test_preflight_probes_every_resolved_model(http, fake_backend):
    a = fake_backend("vllm", [FakeModel("seeing")])
    b = fake_backend("vllm", [FakeModel("blind", sees=False)])
    items = entries(registry_entry(a.base_url, "seeing", roles=["caption", "description"]),
                    registry_entry(b.base_url, "blind", roles=["keywords"]))
    p = pipeline(http, items)
    with pytest.raises(PreflightError) as info:
        await p.preflight()
    assert "model 'blind' did not pass the vision probe" in str(info.value)
    reports = {r.entry: r for r in info.value.reports}
    assert reports["seeing"].ok and not reports["blind"].ok
    ok = pipeline(http, entries(registry_entry(a.base_url, "seeing")))
    assert [r.ok for r in await ok.preflight()] == [True]


async def test_preflight_with_the_backend_down(http, tmp_path):
    port = closed_port()
    items = entries(registry_entry(f"http://127.0.0.1:{port}/v1", "vlm"))
    settings = Settings.model_validate({"backend": {"max_retries": 0}})
    with pytest.raises(PreflightError, match=f"nothing is listening on 127.0.0.1:{port}"):
        await pipeline(http, items, settings=settings).preflight()


async def test_explicit_mode_without_a_registry(http, fake_backend, tmp_path):
    server = fake_backend("lmdeploy", [FakeModel("internvl")])
    items = explicit_entries(server.base_url, {"caption": None, "keywords": None,
                                               "description": None})
    p = pipeline(http, items)
    outcome, results = await collect(p, make_photos(tmp_path, 1))
    assert outcome.ok == 1
    assert results["00-red.jpg"].models["caption"].served_id == "internvl"


async def test_reasoning_blocks_never_reach_the_results(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", thinks=True)])
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")))
    _, results = await collect(p, make_photos(tmp_path, 1))
    red = results["00-red.jpg"]
    assert red.status == "ok", red.errors
    assert red.caption == "A red photograph"
    assert red.keywords == ["red", "red tones", "test pattern"]
    assert red.description.startswith("A photograph filled mostly with red")


@pytest.mark.parametrize("style", ["json", "nested", "fenced"])
async def test_a_json_description_gives_its_text_never_escapes(http, fake_backend, tmp_path,
                                                               style):
    server = fake_backend("vllm", [FakeModel("vlm", prose_style=style)])
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")))
    outcome, results = await collect(p, make_photos(tmp_path, 1))
    red = results["00-red.jpg"]
    assert outcome.ok == 1 and red.status == "ok"
    assert red.description == ("A photograph filled mostly with red. It shows a plain red "
                               "surface, café style.")
    assert "\\u" not in red.description and "{" not in red.description


@pytest.mark.parametrize(("style", "reason"), [("data", "no description text"),
                                               ("broken", "broken JSON")])
async def test_a_description_that_is_data_fails_that_stage_with_the_reason(
        http, fake_backend, tmp_path, style, reason):
    server = fake_backend("vllm", [FakeModel("vlm", prose_style=style)])
    p = pipeline(http, entries(registry_entry(server.base_url, "vlm")))
    _outcome, results = await collect(p, make_photos(tmp_path, 1))
    red = results["00-red.jpg"]
    assert red.description is None
    assert red.caption == "A red photograph" and red.keywords  # the other stages still count
    assert reason in (red.error_message or "") and "description" in red.error_message
