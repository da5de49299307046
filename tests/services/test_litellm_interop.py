"""Interop with a real LiteLLM proxy routing one model name over three test model servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.services.pipeline import TaggingPipeline
from tests.support.fake_backend import FakeBackend, FakeModel
from tests.support.tagging import entries, make_photos, registry_entry

pytestmark = pytest.mark.interop

pytest.importorskip("litellm", reason="LiteLLM is not installed (pip install -e '.[interop]'; "
                    "make test installs it)")

from tests.support.litellm_proxy import (  # noqa: E402
    MASTER_KEY,
    POOL_NAME,
    litellm_proxy,
    proxy_config,
)

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
    assert (outcome.total, outcome.ok, outcome.failed) == (9, 9, 0), [r.model_dump(include={"status", "error", "errors", "message"}) for r in results][:2]
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
