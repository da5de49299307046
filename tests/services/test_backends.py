"""Backend client against real HTTP servers: names, errors, retries, limits, timeouts, keys."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

import httpx
import pytest

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends import (
    BackendAuthError,
    BackendBusyError,
    BackendClient,
    BackendRequestError,
    BackendServerError,
    BackendTimeoutError,
    BackendUnavailableError,
    EndpointLimits,
    ModelNotPulledError,
    ModelNotServedError,
    ResponseTooLargeError,
    base_url_for,
)
from imageworks_gui.services.backends.adapters import error_message_from_body
from imageworks_gui.services.backends.error_mapping import retry_after_seconds
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port

HELLO = [{"role": "user", "content": "Reply with the single word OK."}]


def entry(url: str | None = None, backend: str = "vllm", **extra) -> RegistryEntry:
    data = {"name": "test-model", "backend": backend,
            "backend_config": {"base_url": url} if url else {"port": extra.pop("port", None)},
            "capabilities": {"text": True, "vision": True}}
    data.update(extra)
    return RegistryEntry.model_validate(data)


def settings(**kw) -> BackendSettings:
    return BackendSettings(**kw)


def free_port() -> int:
    return closed_port()


def client(http, e, **kw) -> BackendClient:
    s = kw.pop("backend_settings", settings())
    return BackendClient(http, e, s, backoff_base_s=0.01, **kw)


def test_base_url_from_base_url_or_host_and_port():
    assert base_url_for(entry("http://h:1/v1/")) == "http://h:1/v1"
    assert base_url_for(entry(port=9000)) == "http://127.0.0.1:9000/v1"
    assert base_url_for(entry(backend="ollama")) == "http://127.0.0.1:11434/v1"
    e = RegistryEntry.model_validate({"name": "x", "backend": "gguf", "capabilities": {},
                                      "backend_config": {"host": "::1"}})
    assert base_url_for(e) == "http://[::1]:8080/v1"


async def test_served_name_order(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("alias-b"), FakeModel("served-id")])
    # 1. explicit selection beats everything
    c = client(http, entry(server.base_url, served_model_id="served-id"), served_name="alias-b")
    assert await c.resolve_served_name() == "alias-b"
    # 2. served_model_id
    c = client(http, entry(server.base_url, served_model_id="served-id",
                           model_aliases=["alias-b"]))
    assert await c.resolve_served_name() == "served-id"
    # 3. the first alias the server lists
    c = client(http, entry(server.base_url, model_aliases=["not-there", "alias-b"]))
    assert await c.resolve_served_name() == "alias-b"
    # A registry entry never silently takes whatever the server happens to serve.
    lone = fake_backend("vllm", [FakeModel("only-one")])
    with pytest.raises(ModelNotServedError, match=r"served_model_id is unset"):
        await client(http, entry(lone.base_url)).resolve_served_name()
    # 4. otherwise an error naming what is served
    c = client(http, entry(server.base_url, model_aliases=["not-there"]))
    with pytest.raises(ModelNotServedError, match=r"served: alias-b, served-id"):
        await c.resolve_served_name()


async def test_chat_round_trip_sends_sampling_and_reads_usage(http, fake_backend):
    server = fake_backend("ollama", [FakeModel("llava:7b")])
    c = client(http, entry(server.base_url, "ollama", served_model_id="llava:7b"))
    result = await c.chat(HELLO, max_tokens=5)
    assert result.text == "OK"
    assert result.completion_tokens == 1
    payload = server.records[-1].payload
    # Ollama /v1 forces 1.0 when these are omitted: they are always sent.
    assert payload["temperature"] == 0.2 and payload["top_p"] == 0.9
    assert payload["max_tokens"] == 5


async def test_connection_refused_says_what_to_start(http):
    port = free_port()
    c = client(http, entry(port=port, served_model_id="m"),
               backend_settings=settings(max_retries=1))
    with pytest.raises(BackendUnavailableError) as info:
        await c.chat(HELLO)
    msg = str(info.value)
    assert f"nothing is listening on 127.0.0.1:{port}" in msg
    assert "start the vLLM server for 'test-model'" in msg
    assert "backend_config.port" in msg


@pytest.mark.parametrize("flavour", ["vllm", "llamacpp"])
async def test_404_unknown_model_is_not_retried(http, fake_backend, flavour):
    server = fake_backend(flavour, [FakeModel("real")])
    c = client(http, entry(server.base_url, served_model_id="wrong"))
    if flavour == "llamacpp":
        # llama.cpp serves its one model whatever name is asked for.
        assert (await c.chat(HELLO)).text == "OK"
        return
    with pytest.raises(ModelNotServedError, match=r"answered 404 for model 'wrong'") as info:
        await c.chat(HELLO)
    assert "served there: real" in str(info.value) and info.value.served == ["real"]
    assert server.chat_count() == 1


async def test_lmdeploy_flat_error_with_http_200(http, fake_backend):
    server = fake_backend("lmdeploy", [FakeModel("internvl")])
    c = client(http, entry(server.base_url, "lmdeploy", served_model_id="wrong"))
    with pytest.raises(ModelNotServedError, match=r"does not exist"):
        await c.chat(HELLO)
    assert server.chat_count() == 1
    server.fail("error200")
    c = client(http, entry(server.base_url, "lmdeploy", served_model_id="internvl"))
    with pytest.raises(BackendRequestError, match=r"input too long"):
        await c.chat(HELLO)


async def test_ollama_missing_model_gives_the_pull_command(http, fake_backend):
    server = fake_backend("ollama", [FakeModel("llava:7b")])
    c = client(http, entry(server.base_url, "ollama", served_model_id="qwen2.5vl:7b"))
    with pytest.raises(ModelNotPulledError, match=r"run 'ollama pull qwen2.5vl:7b'"):
        await c.chat(HELLO)


@pytest.mark.parametrize("fault", ["503", "503_loading", "500", "malformed", "truncated",
                                   "drop"])
async def test_transient_faults_are_retried(http, fake_backend, fault):
    server = fake_backend("vllm", [FakeModel("m")])
    server.fail(fault, fault)
    result = await client(http, entry(server.base_url, served_model_id="m")).chat(HELLO)
    assert result.text == "OK"
    assert result.attempts == 3


async def test_retries_give_up_with_a_clear_error(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")])
    server.fail(*["500"] * 3)
    c = client(http, entry(server.base_url, served_model_id="m"),
               backend_settings=settings(max_retries=2))
    with pytest.raises(BackendServerError, match=r"failed with 500 .*CUDA error.*server log"):
        await c.chat(HELLO)
    assert server.chat_count() == 3


async def test_429_honours_retry_after(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], retry_after="1")
    server.fail("429")
    start = time.monotonic()
    result = await client(http, entry(server.base_url, served_model_id="m")).chat(HELLO)
    assert result.text == "OK" and result.attempts == 2
    assert time.monotonic() - start >= 0.95


async def test_llamacpp_loading_503_then_ready(http, fake_backend):
    server = fake_backend("llamacpp", [FakeModel("m")], loading_s=0.3)
    c = BackendClient(http, entry(server.base_url, "gguf", served_model_id="m"),
                      settings(max_retries=5), backoff_base_s=0.1)
    assert (await c.chat(HELLO)).text == "OK"
    assert server.chat_count() >= 2


async def test_response_size_cap(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")])
    server.fail("huge")
    c = client(http, entry(server.base_url, served_model_id="m"),
               backend_settings=settings(max_response_bytes=1024 * 1024))
    with pytest.raises(ResponseTooLargeError, match=r"more than 1048576 bytes"):
        await c.chat(HELLO)
    assert server.chat_count() == 1


async def test_read_timeout_from_settings(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")])
    server.fail("hang")
    c = client(http, entry(server.base_url, served_model_id="m"),
               backend_settings=settings(read_timeout_s=0.3, max_retries=0))
    start = time.monotonic()
    with pytest.raises(BackendTimeoutError, match=r"did not answer in time.*read_timeout_s"):
        await c.chat(HELLO)
    assert time.monotonic() - start < 3


async def test_concurrency_limit_per_endpoint(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], latency_s=0.15)
    limits = EndpointLimits(settings())
    e1 = entry(server.base_url, served_model_id="m",
               backend_config={"base_url": server.base_url, "max_concurrency": 2})
    e2 = entry(server.base_url, served_model_id="m", name="other")
    # Both entries point at the same endpoint: they share its two slots.
    c1 = client(http, e1, limits=limits)
    c2 = client(http, e2, limits=limits)
    await asyncio.gather(*(c.chat(HELLO) for c in [c1, c2] * 3))
    assert server.max_active == 2
    assert limits.total_slots == 2


async def test_default_concurrency_is_four(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], latency_s=0.15)
    c = client(http, entry(server.base_url, served_model_id="m"))
    await asyncio.gather(*(c.chat(HELLO) for _ in range(8)))
    assert server.max_active == 4


async def test_api_key_from_environment_is_sent_and_never_logged(http, fake_backend,
                                                                 monkeypatch, caplog):
    server = fake_backend("vllm", [FakeModel("m")])
    e = entry(server.base_url, served_model_id="m",
              backend_config={"base_url": server.base_url, "api_key_env": "TEST_VLLM_KEY"})
    with pytest.raises(BackendAuthError, match=r"TEST_VLLM_KEY.*not set"):
        await client(http, e).chat(HELLO)
    monkeypatch.setenv("TEST_VLLM_KEY", "sekret-123")
    server.fail("503")
    with caplog.at_level(logging.DEBUG):
        await client(http, e).chat(HELLO)
    assert server.headers[-1]["Authorization"] == "Bearer sekret-123"
    assert "sekret-123" not in caplog.text
    assert "sekret-123" not in e.model_dump_json()


@pytest.mark.parametrize(("body", "expected"), [
    ({"error": {"message": "nested", "type": "x"}}, "nested"),
    ({"object": "error", "message": "flat", "code": 404}, "flat"),
    ({"error": "model \"x\" not found, try pulling it first"},
     "model \"x\" not found, try pulling it first"),
    ({"detail": "fastapi"}, "fastapi"),
    (b"plain text error", "plain text error"),
    ({"choices": []}, None),
])
def test_error_body_shapes(body, expected):
    assert error_message_from_body(body) == expected


@pytest.mark.parametrize(("value", "low", "high"), [
    ("3", 3.0, 3.0), ("0.5", 0.5, 0.5), ("-4", 0.0, 0.0), ("soon", None, None)])
def test_retry_after_seconds_and_bad_values(value, low, high):
    found = retry_after_seconds(httpx.Response(429, headers={"Retry-After": value}))
    assert found is None if low is None else low <= found <= high


def test_retry_after_as_an_http_date():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    found = retry_after_seconds(httpx.Response(503, headers={"Retry-After": when}))
    assert found is not None and 27 <= found <= 31


async def test_a_retry_after_beyond_a_minute_fails_at_once_with_the_reason(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], retry_after="3600")
    server.fail("429")
    start = time.monotonic()
    with pytest.raises(BackendBusyError, match=r"busy .*429.*lower the concurrency"):
        await client(http, entry(server.base_url, served_model_id="m")).chat(HELLO)
    assert time.monotonic() - start < 2 and server.chat_count() == 1


async def test_streamed_answers_are_capped_too(http, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")])
    c = client(http, entry(server.base_url, served_model_id="m"),
               backend_settings=settings(max_response_bytes=1024 * 1024))
    assert (await c.chat_streamed(HELLO)).text.strip() == "OK"
    server.fail("huge_sse")  # 9 MB without a single line break
    with pytest.raises(ResponseTooLargeError, match=r"streamed more than 1048576 bytes"):
        await c.chat_streamed(HELLO)
