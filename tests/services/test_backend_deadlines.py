"""Stalling servers, timeouts that name themselves, served names and servers that do not stream."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator

import pytest

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings, Settings
from imageworks_gui.services.backends import BackendClient
from imageworks_gui.services.backends.errors import (
    BackendTimeoutError,
    ModelNotServedError,
    RequestDeadlineError,
)
from imageworks_gui.services.backends.probes import probe_entry
from imageworks_gui.services.logs import read_log, setup_logging
from tests.support.fake_backend import FakeModel

HELLO = [{"role": "user", "content": "Reply with the single word OK."}]


def entry(url: str, **extra: object) -> RegistryEntry:
    data: dict[str, object] = {"name": "test-model", "backend": "vllm",
                               "backend_config": {"base_url": url},
                               "capabilities": {"text": True, "vision": True}}
    data.update(extra)
    return RegistryEntry.model_validate(data)


def client(http, e: RegistryEntry, **kw: object) -> BackendClient:
    return BackendClient(http, e, BackendSettings(**kw), backoff_base_s=0.01)


def test_the_default_deadline_follows_the_read_timeout():
    assert BackendSettings(read_timeout_s=3).deadline_s == 9
    assert BackendSettings().deadline_s >= 600  # slow first loads still fit
    assert BackendSettings(read_timeout_s=3, request_deadline_s=4).deadline_s == 4


async def test_a_trickling_server_is_cut_by_the_deadline(http, fake_backend):
    # One byte every 0.2 s never trips the 1 s read timeout; only the deadline ends it.
    server = fake_backend("vllm", [FakeModel("m")], trickle_s=0.2)
    server.fail("trickle", "trickle")
    c = client(http, entry(server.base_url, served_model_id="m"), read_timeout_s=1.0,
               request_deadline_s=1.5, max_retries=1)
    with pytest.raises(RequestDeadlineError) as caught:
        await c.chat(HELLO)
    assert caught.value.timeout_kind == "deadline" and caught.value.timeout_s == 1.5
    assert "request deadline of 1.5 s" in str(caught.value)
    assert "backend.request_deadline_s" in str(caught.value)
    assert server.chat_count() == 1  # the deadline covers every attempt: no retry after it


async def test_the_deadline_also_cuts_streamed_requests(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], trickle_s=0.2)
    server.fail("trickle")
    c = client(http, entry(server.base_url, served_model_id="m"), read_timeout_s=1.0,
               request_deadline_s=1.0)
    with pytest.raises(RequestDeadlineError, match="request deadline of 1 s"):
        await c.chat_streamed(HELLO)


async def test_retries_share_one_deadline(http, fake_backend):
    # Each attempt hangs past the read timeout; the retries together may not pass the deadline.
    server = fake_backend("vllm", [FakeModel("m")])
    server.fail("hang", "hang", "hang", "hang")
    c = client(http, entry(server.base_url, served_model_id="m"), read_timeout_s=0.4,
               request_deadline_s=0.6, max_retries=3)
    with pytest.raises(RequestDeadlineError):
        await c.chat(HELLO)
    assert server.chat_count() < 4  # each attempt alone would fit: the deadline stopped them


async def test_a_read_timeout_names_itself_and_its_value(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")])
    server.fail("hang")
    c = client(http, entry(server.base_url, served_model_id="m"), read_timeout_s=0.3,
               connect_timeout_s=7, max_retries=0)
    with pytest.raises(BackendTimeoutError) as caught:
        await c.chat(HELLO)
    assert caught.value.timeout_kind == "read"
    assert "read timeout of 0.3 s" in str(caught.value)
    assert "connect timeout" not in str(caught.value)


@contextlib.contextmanager
def unanswered_listener() -> Iterator[int]:
    """A port whose listen queue is full: new connections never complete (connect timeout)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue; the kernel then drops further SYNs
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(server.getsockname())
            fillers.append(filler)
        yield server.getsockname()[1]
    finally:
        for filler in fillers:
            filler.close()
        server.close()


async def test_a_connect_timeout_is_reported_as_one(http):
    with unanswered_listener() as port:
        c = client(http, entry(f"http://127.0.0.1:{port}/v1", served_model_id="m"),
                   connect_timeout_s=0.3, read_timeout_s=300, max_retries=0)
        with pytest.raises(BackendTimeoutError) as caught:
            await c.chat(HELLO)
    assert caught.value.timeout_kind == "connect"
    assert "connect timeout of 0.3 s" in str(caught.value)
    assert "backend.connect_timeout_s" in str(caught.value)
    assert "300" not in str(caught.value)


# ---------------------------------------------------------------- served names
async def test_the_entry_name_is_the_explicit_selection_when_served(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("fake-vlm")])
    e = RegistryEntry.model_validate({
        "name": "fake-vlm", "backend": "vllm", "backend_config": {"base_url": server.base_url},
        "capabilities": {"text": True, "vision": True}, "roles": ["caption"]})
    setup_logging("test", stderr=False)
    report = await probe_entry(http, e, Settings())
    assert report.ok, report.message
    assert report.served_name == "fake-vlm"
    choices = [r for r in read_log() if r.get("event_type") == "served_name"]
    assert choices and choices[-1]["served_name"] == "fake-vlm"
    assert "own name" in choices[-1]["reason"]


async def test_the_entry_name_wins_over_served_model_id_and_aliases(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("alias"), FakeModel("test-model"),
                                   FakeModel("sid")])
    c = client(http, entry(server.base_url, served_model_id="sid", model_aliases=["alias"]))
    assert await c.resolve_served_name() == "test-model"
    c = client(http, entry(server.base_url, name="other", served_model_id="sid",
                           model_aliases=["alias"]))
    assert await c.resolve_served_name() == "sid"
    c = client(http, entry(server.base_url, name="other", model_aliases=["nope", "alias"]))
    assert await c.resolve_served_name() == "alias"


async def test_a_name_nobody_serves_still_asks_for_served_model_id(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("something-else")])
    c = client(http, entry(server.base_url, name="fake-vlm"))
    with pytest.raises(ModelNotServedError, match="Set served_model_id"):
        await c.resolve_served_name()


# ---------------------------------------------------------------- servers that do not stream
async def test_a_json_reply_to_a_streamed_request_is_accepted(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], ignores_stream=True)
    c = client(http, entry(server.base_url, served_model_id="m"))
    result = await c.chat_streamed(HELLO)
    assert result.text.strip() == "OK"
    assert result.streamed is False and result.ttft_ms is None
    assert json.loads(json.dumps(result.usage))["completion_tokens"] >= 1


@pytest.mark.parametrize("content_type", ["text/plain", "text/event-stream",
                                          "application/octet-stream"])
async def test_a_json_reply_with_another_content_type_is_accepted(http, fake_backend,
                                                                  content_type):
    server = fake_backend("vllm", [FakeModel("m")], ignores_stream=True,
                          json_content_type=content_type)
    c = client(http, entry(server.base_url, served_model_id="m"))
    result = await c.chat_streamed(HELLO)
    assert result.text.strip() == "OK"
    assert result.streamed is False


async def test_the_probe_passes_and_records_that_the_server_did_not_stream(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], ignores_stream=True)
    report = await probe_entry(http, entry(server.base_url, served_model_id="m"), Settings())
    assert report.ok, report.message
    assert report.streamed is False
    assert "did not stream" in report.message
    normal = fake_backend("vllm", [FakeModel("m")])
    report = await probe_entry(http, entry(normal.base_url, served_model_id="m"), Settings())
    assert report.ok and report.streamed is True and "did not stream" not in report.message


async def test_a_pool_timeout_is_reported_as_one(fake_backend):
    import asyncio

    import httpx

    server = fake_backend("vllm", [FakeModel("m")], latency_s=1.0)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1)) as narrow:
        c = client(narrow, entry(server.base_url, served_model_id="m"), pool_timeout_s=0.2,
                   max_retries=0)
        results = await asyncio.gather(c.chat(HELLO), c.chat(HELLO), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BackendTimeoutError)]
    assert len(errors) == 1 and errors[0].timeout_kind == "pool"
    assert "pool timeout of 0.2 s" in str(errors[0]) and "lower the concurrency" in str(errors[0])
