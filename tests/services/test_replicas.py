"""Replicas of one entry against real test servers: spreading, limits, failover, preflight."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings, Settings
from imageworks_gui.core.tagging import from_journal_line
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.replicas import reset_seconds
from imageworks_gui.services.pipeline import PreflightError, TaggingPipeline
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port
from tests.support.tagging import entries, make_photos

HELLO = [{"role": "user", "content": "Say hello"}]


def replicated(*endpoints: object, name: str = "vlm", **cfg: object) -> dict:
    """A registry entry (JSON dict) serving ``vlm`` from several endpoints."""
    return {"name": name, "backend": "vllm", "served_model_id": "vlm",
            "backend_config": {"endpoints": list(endpoints), **cfg},
            "capabilities": {"text": True, "vision": True},
            "roles": ["caption", "keywords", "description"]}


def client(http, data: dict, **settings: object) -> BackendClient:
    return BackendClient(http, RegistryEntry.model_validate(data),
                         BackendSettings(**settings), backoff_base_s=0.01)


def pipeline(http, data: dict, **kw) -> TaggingPipeline:
    settings = kw.pop("settings", Settings())
    return TaggingPipeline(http, entries(data), settings, backoff_base_s=0.01, fused=True, **kw)


def chats(server) -> int:
    """Chat requests the server answered (a dropped request is not counted)."""
    return len(server.records)


async def test_each_replica_gets_at_most_its_own_limit(http, fake_backend):
    servers = [fake_backend("vllm", [FakeModel("vlm")], latency_s=0.3) for _ in range(3)]
    c = client(http, replicated(*({"base_url": s.base_url, "max_concurrency": n}
                                  for s, n in zip(servers, (1, 2, 3), strict=True))))
    results = await asyncio.gather(*(c.chat(HELLO) for _ in range(12)))
    assert len(results) == 12
    # Six slots in all: every replica filled to its own limit, never beyond it.
    assert [s.max_active for s in servers] == [1, 2, 3]
    assert sum(chats(s) for s in servers) == 12
    # Least loaded first: the three-slot replica answered the most.
    assert chats(servers[2]) > chats(servers[0])


async def test_a_folder_is_spread_over_the_replicas(http, fake_backend, tmp_path):
    servers = [fake_backend("vllm", [FakeModel("vlm")], latency_s=0.05) for _ in range(3)]
    photos = make_photos(tmp_path / "p", 18, size=(64, 48))
    p = pipeline(http, replicated(*(s.base_url for s in servers), max_concurrency=2))
    assert p.window == 2 * 6 + 2  # every replica's slots count
    results = []
    outcome = await p.run(photos, on_result=results.append)
    assert (outcome.ok, outcome.failed) == (18, 0)
    assert all(chats(s) > 0 for s in servers)
    assert sum(chats(s) for s in servers) == 18  # one combined request per photo
    assert {r.models["keywords"].name for r in results} == {"vlm"}


async def test_a_replica_killed_mid_run_loses_and_duplicates_no_photo(http, fake_backend,
                                                                       tmp_path, caplog):
    servers = [fake_backend("vllm", [FakeModel("vlm")], latency_s=0.15) for _ in range(3)]
    photos = make_photos(tmp_path / "p", 30, size=(64, 48))
    journal = tmp_path / "run.jsonl"
    p = pipeline(http, replicated(*(s.base_url for s in servers), max_concurrency=2),
                 journal_path=journal)
    delivered: list[str] = []

    def on_result(result) -> None:
        delivered.append(result.path)
        if len(delivered) == 6:
            servers[1].die()  # requests it is answering now get no answer

    with caplog.at_level(logging.WARNING, logger="imageworks.backends"):
        outcome = await p.run(photos, on_result=on_result)
    assert (outcome.ok, outcome.failed, outcome.total) == (30, 0, 30)
    assert sorted(delivered) == sorted(str(p) for p in photos)  # each photo exactly once
    lines = [from_journal_line(x) for x in journal.read_text().splitlines()]
    assert len(lines) == 30 and len({r.path for r in lines}) == 30
    assert all(r.status == "ok" for r in lines)
    # Every answer the servers gave became one result: none was thrown away or doubled.
    assert sum(chats(s) for s in servers) == 30
    assert "left out" in caplog.text and servers[1].url.split("//")[1] in caplog.text


async def test_a_failing_replica_cools_down_and_comes_back_after_a_health_check(
        http, fake_backend):
    a, b = (fake_backend("vllm", [FakeModel("vlm")]) for _ in range(2))
    b.fail("500", "500")
    c = client(http, replicated(a.base_url, b.base_url), replica_failure_threshold=2,
               replica_cooldown_s=0.2, max_retries=0)
    for _ in range(6):  # one at a time: each goes to the replica that sent the fewest
        await c.chat(HELLO)
    assert b.chat_count() == 2 and chats(b) == 0  # two 500s, then left out
    assert chats(a) == 6  # each failed request moved to a at once, even with max_retries=0
    await asyncio.sleep(0.3)  # the cool-down passes
    for _ in range(40):
        await c.chat(HELLO)
        if chats(b):
            break
        await asyncio.sleep(0.02)
    assert chats(b) >= 1, "the replica never came back"
    after_failures = b.paths[b.paths.index("POST /v1/chat/completions") + 1:]
    assert "GET /v1/models" in after_failures  # the health check came before its return


async def test_429_pauses_only_that_replica(http, fake_backend):
    a = fake_backend("vllm", [FakeModel("vlm")], retry_after="30")
    b = fake_backend("vllm", [FakeModel("vlm")])
    a.fail("429")
    c = client(http, replicated(a.base_url, b.base_url))
    for _ in range(5):
        await c.chat(HELLO)
    # The 429 said "wait 30 s": the request moved to b and a got nothing more meanwhile.
    assert a.chat_count() == 1 and chats(a) == 0
    assert chats(b) == 5


async def test_preflight_leaves_out_replicas_of_another_model(http, fake_backend, tmp_path):
    good = [fake_backend("vllm", [FakeModel("vlm")]) for _ in range(2)]
    other = fake_backend("vllm", [FakeModel("another-model")])
    newer = fake_backend("vllm", [FakeModel("vlm", root="/models/vlm-v2")])
    offline = closed_port()
    urls = [good[0].base_url, other.base_url, newer.base_url,
            f"http://127.0.0.1:{offline}/v1", good[1].base_url]
    p = pipeline(http, replicated(*urls))
    (report,) = await p.preflight()
    assert report.ok
    assert report.message == "model 'vlm': 2 of 5 replicas passed every probe"
    notes = "\n".join(report.replica_notes)
    assert len(report.replica_notes) == 3
    assert other.url.split("//")[1] in notes and "another-model" in notes
    assert newer.url.split("//")[1] in notes and "vlm-v2" in notes
    assert f"127.0.0.1:{offline}: not running" in notes
    before = {id(s): s.chat_count() for s in (other, newer)}
    outcome = await p.run(make_photos(tmp_path / "p", 8, size=(64, 48)))
    assert outcome.ok == 8
    assert newer.chat_count() == before[id(newer)]  # passed the probes, yet never used
    assert other.chat_count() == before[id(other)] == 0
    assert sum(chats(s) for s in good) >= 8


async def test_preflight_fails_when_no_replica_can_be_used(http, fake_backend):
    other = fake_backend("vllm", [FakeModel("another-model")])
    p = pipeline(http, replicated(f"http://127.0.0.1:{closed_port()}/v1", other.base_url))
    with pytest.raises(PreflightError) as info:
        await p.preflight()
    (report,) = info.value.reports
    assert not report.ok
    assert "none of its 2 replicas can be used" in report.message
    assert "not running" in report.message and "another-model" in report.message


async def test_a_replica_answering_under_another_served_name_is_refused(http, fake_backend):
    a = fake_backend("vllm", [FakeModel("vlm")])
    b = fake_backend("vllm", [FakeModel("vlm-alias")])
    data = replicated(a.base_url, b.base_url)
    data.pop("served_model_id")
    data["model_aliases"] = ["vlm-alias"]
    (report,) = await pipeline(http, data).preflight()
    assert report.ok and len(report.replica_notes) == 1
    assert "'vlm-alias'" in report.replica_notes[0] and "not the same model" in (
        report.replica_notes[0])


def test_rate_limit_reset_values():
    assert reset_seconds("2") == 2.0
    assert reset_seconds("1.5s") == 1.5
    assert reset_seconds("6m0s") == 360.0
    assert reset_seconds("20ms") == pytest.approx(0.02)
    assert reset_seconds("1h2m3s") == 3723.0
    for bad in ("", None, "soon", "-1", "5 s", "3x"):
        assert reset_seconds(bad) is None


def test_both_entry_forms_round_trip_unchanged():
    single = {"name": "one", "backend": "vllm", "backend_config": {"port": 8001, "x-own": 1},
              "capabilities": {"text": True}}
    many = replicated("http://127.0.0.1:9/v1",
                      {"host": "gpu2", "port": 8002, "max_concurrency": 8, "zone": "b"})
    for data in (single, many):
        entry = RegistryEntry.model_validate(data)
        assert json.loads(json.dumps(entry.to_json_dict())) == data
