"""An entry that lists replicas is tagged through its first replica, never a default port."""

from __future__ import annotations

from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.endpoints import base_url_for, host_port
from imageworks_gui.services.pipeline import TaggingPipeline
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port
from tests.support.tagging import entries, make_photos, registry_entry


def replica_entry(*urls: object, **config: object) -> dict[str, object]:
    data = registry_entry("unused", "vlm")
    data["backend_config"] = {"endpoints": list(urls), **config}
    return data


def test_first_replica_is_the_entry_address() -> None:
    (entry,) = entries(replica_entry({"host": "gpu1"}, "http://gpu2:8000/v1", port=9000))
    assert base_url_for(entry) == "http://gpu1:9000/v1"  # the entry's port is the default
    assert host_port(entry) == "gpu1:9000"


async def test_an_entry_with_only_replicas_is_tagged_through_the_first(http, fake_backend,
                                                                        tmp_path) -> None:
    server = fake_backend("vllm", [FakeModel("vlm")])
    down = f"http://127.0.0.1:{closed_port()}/v1"
    items = entries(replica_entry(server.base_url, down))
    pipeline = TaggingPipeline(http, items, Settings(), fused=False, backoff_base_s=0.01)
    results = []
    outcome = await pipeline.run(make_photos(tmp_path / "photos", 2), on_result=results.append)
    assert (outcome.ok, outcome.failed) == (2, 0)
    assert {r.caption for r in results} == {"A red photograph", "A green photograph"}
