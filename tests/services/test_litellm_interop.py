"""Interop with a real LiteLLM proxy routing one model name over three test model servers."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator

import httpx
import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import from_journal_line
from imageworks_gui.services.pipeline import TaggingPipeline
from tests.support.fake_backend import FakeBackend, FakeModel
from tests.support.litellm_proxy import (
    MASTER_KEY,
    POOL_NAME,
    find_litellm,
    litellm_proxy,
    proxy_config,
)
from tests.support.tagging import entries, make_photos, registry_entry

pytestmark = pytest.mark.interop


if find_litellm() is None:
    if os.environ.get("CI"):
        pytest.fail("the LiteLLM proxy is not installed: make test puts it in .venv-litellm",
                    pytrace=False)
    pytest.skip("the LiteLLM proxy is not installed (make test installs it into .venv-litellm; "
                "or set IMAGEWORKS_LITELLM)", allow_module_level=True)

KEY_ENV = "IMAGEWORKS_TEST_LITELLM_KEY"


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Iterator[tuple[str, list[FakeBackend]]]:
    """Three test servers serving ``vlm`` behind one proxy model name (started once)."""
    backends = [FakeBackend("vllm", [FakeModel("vlm")], slots=4).start() for _ in range(3)]
    folder = tmp_path_factory.mktemp("litellm")
    try:
        with litellm_proxy(folder, proxy_config([b.base_url for b in backends], "vlm")) as url:
            yield url, backends
    finally:
        for b in backends:
            b.stop()


def pool_entry(url: str) -> dict:
    data = registry_entry(url, POOL_NAME, name="gpu-pool")
    data["backend_config"].update(api_key_env=KEY_ENV, max_concurrency=12)
    return data


async def test_photos_tagged_through_the_proxy_see_their_image(http, pool, tmp_path,
                                                               monkeypatch):
    url, backends = pool
    monkeypatch.setenv(KEY_ENV, MASTER_KEY)
    for b in backends:
        b.reset_stats()
    photos = make_photos(tmp_path / "photos", 9, size=(320, 240))
    results = []
    p = TaggingPipeline(http, entries(pool_entry(url)), Settings(), backoff_base_s=0.01,
                        fused=False)
    outcome = await p.run(photos, on_result=results.append)
    assert (outcome.total, outcome.ok, outcome.failed) == (9, 9, 0), [r.errors for r in results]
    by_name = {r.file_path.name: r for r in results}
    assert sorted(by_name) == sorted(p.name for p in photos)
    assert by_name["00-red.jpg"].caption == "A red photograph"  # the image went through
    assert by_name["02-blue.jpg"].keywords[0] == "blue"
    for r in results:
        assert r.models["caption"].name == "gpu-pool"
        assert r.models["caption"].served_id == POOL_NAME
    # 9 photos x 3 stages, spread over more than one server.
    counts = [b.chat_count() for b in backends]
    assert sum(counts) == 27 and sum(1 for c in counts if c) >= 2, counts


async def test_a_backend_killed_mid_run_loses_no_photo(http, pool, tmp_path, monkeypatch):
    url, backends = pool
    monkeypatch.setenv(KEY_ENV, MASTER_KEY)
    photos = make_photos(tmp_path / "photos", 12, size=(320, 240))
    results = []

    def on_result(r) -> None:
        results.append(r)
        if len(results) == 2:
            backends[0].stop()  # refuses connections from now on

    p = TaggingPipeline(http, entries(pool_entry(url)), Settings(), backoff_base_s=0.01,
                        fused=False)
    outcome = await p.run(photos, on_result=on_result)
    assert (outcome.total, outcome.ok, outcome.failed) == (12, 12, 0)
    assert sorted(r.file_path.name for r in results) == sorted(p.name for p in photos)
    assert all(r.status == "ok" and r.models["keywords"].served_id == POOL_NAME
               for r in results)


def test_the_proxy_rate_limit_answers_429_with_its_own_retry_header(tmp_path):
    # rpm is enforced by usage-based routing (simple-shuffle only uses it as a weight). The
    # counters are per wall-clock minute, so ask until refused: 3 deployments x 1 rpm, and at
    # most one minute boundary on the way, means a refusal by the 7th request.
    backends = [FakeBackend("vllm", [FakeModel("vlm")]).start() for _ in range(3)]
    config = proxy_config([b.base_url for b in backends], "vlm", rpm=1,
                          routing_strategy="usage-based-routing-v2")
    body = {"model": POOL_NAME, "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 5}
    try:
        with litellm_proxy(tmp_path, config) as url:
            answers = []
            for _ in range(8):
                r = httpx.post(f"{url}/chat/completions", json=body, timeout=30,
                               headers={"Authorization": f"Bearer {MASTER_KEY}"})
                answers.append(r)
                if r.status_code == 429:
                    break
    finally:
        for b in backends:
            b.stop()
    ok, refused = answers[0], answers[-1]
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-limit-requests"] == "3"  # the model group's total rpm
    assert int(ok.headers["x-ratelimit-remaining-requests"]) <= 2
    assert refused.status_code == 429, [a.status_code for a in answers]
    assert "No deployments available" in refused.json()["error"]["message"]
    # The wait is in a prefixed header, not the standard Retry-After a client looks for.
    assert refused.headers["llm_provider-retry-after"] == "60"
    assert "retry-after" not in refused.headers


def test_the_cli_tags_a_folder_through_the_proxy(pool, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from imageworks_gui.cli.tagger import _register_commands, app

    url, _backends = pool
    monkeypatch.setenv(KEY_ENV, MASTER_KEY)
    photos = make_photos(tmp_path / "photos", 4, size=(320, 240))
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([pool_entry(url)]))
    out = tmp_path / "tags.jsonl"
    _register_commands()
    result = CliRunner().invoke(app, [
        "run", "-i", str(photos[0].parent), "--use-registry", "--registry-path", str(registry),
        "--output-jsonl", str(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "gpu-pool" in result.output and "4 ok, 0 failed" in result.output
    records = [from_journal_line(line) for line in out.read_text().splitlines()]
    assert sorted(r.file_path.name for r in records) == sorted(p.name for p in photos)
    assert all(r.status == "ok" and r.models["keywords"].served_id == POOL_NAME
               for r in records)


async def test_photos_complete_through_the_proxy_rate_limit(http, tmp_path, monkeypatch,
                                                            caplog):
    # Three deployments at 1 request per minute: the fourth photo is refused with a 429 whose
    # wait (in llm_provider-retry-after) ends with the minute; the run waits, then finishes.
    backends = [FakeBackend("vllm", [FakeModel("vlm")]).start() for _ in range(3)]
    config = proxy_config([b.base_url for b in backends], "vlm", rpm=1,
                          routing_strategy="usage-based-routing-v2")
    monkeypatch.setenv(KEY_ENV, MASTER_KEY)
    data = pool_entry("")
    photos = make_photos(tmp_path / "photos", 4, size=(320, 240))
    results = []
    try:
        with litellm_proxy(tmp_path, config) as url:
            data["backend_config"].update(base_url=url, max_concurrency=1)
            p = TaggingPipeline(http, entries(data), Settings(), backoff_base_s=0.01,
                                fused=True)
            minute = int(time.time() // 60)
            with caplog.at_level(logging.INFO, logger="imageworks.backends"):
                outcome = await p.run(photos, on_result=results.append)
            crossed = int(time.time() // 60) != minute
    finally:
        for b in backends:
            b.stop()
    assert (outcome.total, outcome.ok, outcome.failed) == (4, 4, 0), [r.errors for r in results]
    assert sorted(r.file_path.name for r in results) == sorted(p.name for p in photos)
    assert sum(b.chat_count() for b in backends) == 4  # refused requests never reached one
    # Refused and retried, unless a new minute began during the run (fresh counters then).
    assert "retrying POST /chat/completions" in caplog.text or crossed
