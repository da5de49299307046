"""What the tagging stages put on the wire, per backend: sampling, JSON schema, the image."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from imageworks_gui.core.keyword_constraint import keywords_schema
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.pipeline import TaggingPipeline
from imageworks_gui.services.prompt_profiles import load_prompt_profile
from tests.support.fake_backend import FakeModel
from tests.support.fake_backend_http import response_format_problem
from tests.support.tagging import entries, make_photos, registry_entry

KEYWORDS_JSON_SCHEMA = keywords_schema(None, 1, Settings().tagging.max_keywords)


def expected_format(flavour: str) -> dict[str, object]:
    """llama.cpp servers get ``json_object`` + ``schema`` (all llama-cpp-python accepts)."""
    if flavour == "llamacpp":
        return {"type": "json_object", "schema": KEYWORDS_JSON_SCHEMA}
    return {"type": "json_schema",
            "json_schema": {"name": "keywords", "schema": KEYWORDS_JSON_SCHEMA}}


def stage_of(prompt: str) -> str:
    profile = load_prompt_profile("default")
    for stage in ("description", "keywords", "caption"):
        head = profile.stage(stage).user.split("{")[0].strip()[:40]
        if head and head in prompt:
            return stage
    raise AssertionError(f"unknown prompt {prompt[:80]!r}")


@pytest.mark.parametrize(("flavour", "backend"), [
    ("vllm", "vllm"), ("ollama", "ollama"), ("lmdeploy", "lmdeploy"), ("llamacpp", "gguf"),
    ("lmstudio", "lmstudio")])
async def test_each_backend_gets_sampling_schema_and_a_small_jpeg(http, fake_backend, tmp_path,
                                                                  flavour, backend):
    server = fake_backend(flavour, [FakeModel("vlm")])
    photo = make_photos(tmp_path, 1, size=(3000, 2000))[0]
    pipeline = TaggingPipeline(http, entries(registry_entry(server.base_url, "vlm",
                                                            backend=backend)),
                               Settings(), backoff_base_s=0.01, fused=False)
    results = []
    outcome = await pipeline.run([photo], on_result=results.append)
    assert outcome.ok == 1, results[0].errors
    assert results[0].keywords[0] == "red"
    profile = load_prompt_profile("default")
    by_stage = {stage_of(r.prompt): r.payload for r in server.records}
    assert set(by_stage) == {"caption", "keywords", "description"}
    for stage, payload in by_stage.items():
        prompt = profile.stage(stage)
        # Always sent: Ollama's /v1 would otherwise sample at temperature 1.0 and top_p 1.0.
        assert payload["temperature"] == prompt.temperature, stage
        assert payload["top_p"] == prompt.top_p, stage
        assert payload["max_tokens"] == prompt.max_tokens, stage
        url = payload["messages"][-1]["content"][1]["image_url"]["url"]
        assert url.startswith("data:image/jpeg;base64,")
        with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as img:
            assert img.format == "JPEG" and max(img.size) == 1024
    # Structured output is requested for keywords only, in the shape servers accept.
    assert by_stage["keywords"]["response_format"] == expected_format(flavour)
    assert "response_format" not in by_stage["caption"]
    assert "response_format" not in by_stage["description"]
    assert "guided_json" not in by_stage["keywords"]  # ignored by current vLLM


async def test_profile_temperature_zero_is_sent_not_dropped(http, fake_backend, tmp_path):
    server = fake_backend("ollama", [FakeModel("vlm")])
    profile = load_prompt_profile("default")
    data = profile.model_dump()
    for stage in ("caption", "keywords", "description"):
        data["stages"][stage].update(temperature=0.0, top_p=0.5)
    custom = type(profile).model_validate(data)
    pipeline = TaggingPipeline(http, entries(registry_entry(server.base_url, "vlm",
                                                            backend="ollama")),
                               Settings(), prompt_profile=custom, stages=["caption"])
    await pipeline.run(make_photos(tmp_path, 1))
    payload = server.records[-1].payload
    assert (payload["temperature"], payload["top_p"]) == (0.0, 0.5)


@pytest.mark.parametrize(("fmt", "problem"), [
    (expected_format("vllm"), None),
    (expected_format("llamacpp"), None),
    ({"type": "json_object"}, None),
    ({"type": "json_schema", "schema": KEYWORDS_JSON_SCHEMA}, "name is required"),
    ({"type": "json_schema", "json_schema": {"name": "k"}}, "schema must be"),
    ({"guided_json": KEYWORDS_JSON_SCHEMA}, "type must be one of"),
])
def test_test_server_refuses_malformed_response_formats(fmt, problem):
    found = response_format_problem(fmt)
    assert (found is None) if problem is None else (problem in (found or ""))
