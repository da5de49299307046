"""Probes prove a model sees images; discovery finds servers of every flavour."""

from __future__ import annotations

import pytest

from imageworks_gui.core.registry import RegistryEntry, parse_entries
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends import (
    discover_backends,
    entry_with_probe_results,
    probe_entry,
)
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port


def entry(url: str, served: str, backend: str = "vllm", **extra) -> RegistryEntry:
    data = {"name": f"{served}-entry", "backend": backend,
            "backend_config": {"base_url": url}, "served_model_id": served,
            "capabilities": {"text": True, "vision": True}, "roles": ["caption"]}
    data.update(extra)
    entries, _ = parse_entries([data])
    return entries[0]


@pytest.mark.parametrize("flavour", ["vllm", "lmdeploy", "llamacpp", "ollama"])
async def test_seeing_model_passes_and_blind_model_fails(http, fake_backend, flavour):
    server = fake_backend(flavour, [FakeModel("seeing"), FakeModel("blind", sees=False)])
    good = await probe_entry(http, entry(server.base_url, "seeing"), Settings())
    assert good.ok, good.message
    assert good.vision_ok is True
    assert good.vision_answers == {"red": "Red.", "blue": "Blue."}
    assert good.ttft_ms is not None and good.tokens_per_s is not None
    if flavour == "llamacpp":
        return  # llama.cpp serves one model whatever name is asked
    bad = await probe_entry(http, entry(server.base_url, "blind"), Settings())
    assert not bad.ok
    assert bad.text_ok is True  # it answers text...
    assert bad.vision_ok is False  # ...but not about the image
    assert "model 'blind-entry' did not pass the vision probe: it does not seem to see " \
           "images" in bad.message
    assert "check its mmproj/vision support or its capabilities.vision flag" in bad.message


async def test_reasoning_models_are_judged_by_their_answer_not_their_thinking(http,
                                                                           fake_backend):
    server = fake_backend("vllm", [FakeModel("seeing", thinks=True),
                                   FakeModel("blind", sees=False, thinks=True)])
    good = await probe_entry(http, entry(server.base_url, "seeing"), Settings())
    assert good.ok, good.message
    assert good.vision_answers == {"red": "Red.", "blue": "Blue."}
    bad = await probe_entry(http, entry(server.base_url, "blind"), Settings())
    assert bad.text_ok is True and bad.vision_ok is False
    assert "did not pass the vision probe" in bad.message


async def test_a_server_refusing_images_fails_the_vision_probe(http, fake_backend):
    server = fake_backend("llamacpp", [FakeModel("text-only", rejects_images=True)])
    report = await probe_entry(http, entry(server.base_url, "text-only", "gguf"), Settings())
    assert report.text_ok and report.vision_ok is False
    assert "did not pass the vision probe" in report.message
    assert "refused the image" in report.message and "not supported" in report.message


async def test_images_really_travel_to_the_server(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("seeing")])
    await probe_entry(http, entry(server.base_url, "seeing"), Settings())
    sized = [r for r in server.records if r.image_size]
    assert [r.image_format for r in sized] == ["JPEG", "JPEG"]


async def test_probe_of_a_stopped_server(http):
    port = closed_port()
    e = entry(f"http://127.0.0.1:{port}/v1", "m")
    report = await probe_entry(http, e, Settings.model_validate({"backend": {"max_retries": 0}}))
    assert not report.online and not report.ok
    assert f"nothing is listening on 127.0.0.1:{port}" in report.message


async def test_probe_reports_a_name_the_server_does_not_serve(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("a"), FakeModel("b")])
    report = await probe_entry(http, entry(server.base_url, "c"), Settings())
    assert report.online and report.served_listed is False
    assert "'c' is not served" in report.message and "served: a, b" in report.message


async def test_probe_results_are_recorded_with_rolling_averages(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("seeing")])
    e = entry(server.base_url, "seeing")
    first = await probe_entry(http, e, Settings())
    updated = entry_with_probe_results(e, first)
    assert updated.probes.vision.vision_ok is True
    assert updated.probes.vision.timestamp == first.checked_at
    assert updated.performance.rolling_samples == 1
    assert updated.performance.ttft_ms_avg == pytest.approx(first.ttft_ms, abs=0.01)
    second = await probe_entry(http, updated, Settings())
    again = entry_with_probe_results(updated, second)
    assert again.performance.rolling_samples == 2
    expected = (first.ttft_ms + second.ttft_ms) / 2
    assert again.performance.ttft_ms_avg == pytest.approx(expected, abs=0.02)
    # Unknown keys and untouched fields survive.
    assert again.roles == ["caption"]


async def test_blind_probe_is_recorded_as_vision_not_ok(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("blind", sees=False)])
    e = entry(server.base_url, "blind")
    updated = entry_with_probe_results(e, await probe_entry(http, e, Settings()))
    assert updated.probes.vision.vision_ok is False
    assert "blue: Red." in updated.probes.vision.notes


async def test_discovery_finds_every_flavour(http, fake_backend):
    vllm = fake_backend("vllm", [FakeModel("Qwen/Qwen2.5-VL-7B-Instruct")])
    lmd = fake_backend("lmdeploy", [FakeModel("internvl")])
    llama = fake_backend("llamacpp", [FakeModel("gemma-3-4b", vision=False)])
    ollama = fake_backend("ollama", [FakeModel("llava:7b"),
                                     FakeModel("llama3:8b", vision=False)])
    nothing = closed_port()
    found = await discover_backends(
        http, ports=[vllm.port, lmd.port, llama.port, ollama.port, nothing])
    summary = [(m.backend, m.port, m.served_name, m.vision) for m in found]
    assert summary == [
        ("vllm", vllm.port, "Qwen/Qwen2.5-VL-7B-Instruct", None),
        ("lmdeploy", lmd.port, "internvl", None),
        ("gguf", llama.port, "gemma-3-4b", False),
        ("ollama", ollama.port, "llava:7b", True),
        ("ollama", ollama.port, "llama3:8b", False),
    ]
    candidates = [m.to_registry_entry() for m in found]
    llava = candidates[3]
    assert llava.capabilities.has("vision") and llava.roles == [
        "caption", "keywords", "description"]
    assert llava.backend_config.port == ollama.port and llava.served_model_id == "llava:7b"
    # Unknown vision: no roles are claimed until a probe proves it.
    assert candidates[0].roles == [] and candidates[0].name == "qwen-qwen2-5-vl-7b-instruct-vllm"
    parse_entries([c.to_json_dict() for c in candidates])  # all valid and uniquely named


async def test_discovery_with_nothing_running(http):
    port = closed_port()
    assert await discover_backends(http, ports=[port]) == []
