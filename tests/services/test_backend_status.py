"""One definition of "online" and one home for backend facts: URLs, ports, start commands."""

from __future__ import annotations

import socket
from typing import Any

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.endpoints import (
    base_url_for,
    default_port,
    host_port,
    make_http_client,
    start_command,
)
from imageworks_gui.services.backends.status import ServerState, check_status, check_statuses
from tests.support.fake_backend import FakeModel


def _entry(backend: str = "vllm", **extra: Any) -> RegistryEntry:
    data: dict[str, Any] = {"name": "m", "backend": backend, "backend_config": {},
                            "capabilities": {"text": True}}
    data.update(extra)
    return RegistryEntry.model_validate(data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_every_state_is_named_precisely(http, fake_backend) -> None:
    settings = Settings().backend
    server = fake_backend("vllm", [FakeModel("served/one"), FakeModel("served/two")])
    port = {"port": server.port}
    online = await check_status(http, _entry(backend_config=port,
                                             served_model_id="served/two"), settings)
    assert online.state is ServerState.ONLINE and online.text == "online (served/two)"
    other = await check_status(http, _entry(backend_config=port, served_model_id="llava"),
                               settings)
    assert other.state is ServerState.OTHER_MODELS and not other.online
    assert other.served == ("served/one", "served/two")
    assert "does not serve 'llava'" in other.describe(_entry(served_model_id="llava"))
    alias = await check_status(http, _entry(backend_config=port,
                                            model_aliases=["nope", "served/one"]), settings)
    assert alias.text == "online (served/one)"
    down = _entry(backend_config={"port": _free_port()}, served_model_id="x")
    stopped = await check_status(http, down, settings)
    assert stopped.state is ServerState.NOT_RUNNING
    assert "Start it with: vllm serve" in stopped.describe(down)


async def test_loading_and_error_servers(http, fake_backend) -> None:
    settings = Settings().backend
    llama = fake_backend("llamacpp", [FakeModel("gemma")], loading_s=30)
    loading = await check_status(http, _entry("gguf", backend_config={"port": llama.port}),
                                 settings)
    assert loading.state is ServerState.LOADING and "Loading model" in loading.detail
    llama.set_loading(0)
    # llama-server answers for any name with its one model: online, showing what it serves.
    ready = await check_status(http, _entry("gguf", backend_config={"port": llama.port},
                                            served_model_id="whatever"), settings)
    assert ready.online and ready.text == "online (gemma)"
    ollama = fake_backend("ollama", [FakeModel("llava:7b")])
    # A server that answers, but not as an OpenAI-compatible one at that URL: an error.
    broken = await check_status(http, _entry(
        backend_config={"base_url": f"{ollama.url}/not-v1"}, served_model_id="llava:7b"),
        settings)
    assert broken.state is ServerState.ERROR and broken.detail


async def test_statuses_are_checked_together(http, fake_backend) -> None:
    server = fake_backend("vllm", [FakeModel("a")])
    entries = [_entry(name="one", backend_config={"port": server.port}, served_model_id="a"),
               _entry(name="two", backend_config={"port": _free_port()}, served_model_id="a")]
    found = await check_statuses(http, entries, Settings().backend)
    assert {n: s.state.value for n, s in found.items()} == {"one": "online",
                                                            "two": "not running"}


def test_endpoints_ports_and_start_commands() -> None:
    assert default_port("lmstudio") == 1234 and default_port("LLAMACPP") == 8080
    assert default_port("something-else") == 8000
    assert base_url_for(_entry("lmstudio")) == "http://127.0.0.1:1234/v1"
    ipv6 = _entry("ollama", backend_config={"host": "::1"})
    assert base_url_for(ipv6) == "http://[::1]:11434/v1" and host_port(ipv6) == "[::1]:11434"
    assert base_url_for(_entry(backend_config={"base_url": "http://gpu:9000/v1/"})) == (
        "http://gpu:9000/v1")
    hostile = _entry(served_model_id="-rf $(x) é", backend_config={
        "model_path": "/m/IMG[/x] é", "port": 8001})
    assert start_command(hostile) == ("vllm serve '/m/IMG[/x] é' --port 8001 "
                                      "--served-model-name '-rf $(x) é'")
    assert start_command(_entry("lmstudio")).startswith("lms server start --port 1234")
    assert start_command(_entry()).startswith("vllm serve <model path> --port 8000")


async def test_the_one_http_client_ignores_proxy_variables(monkeypatch, fake_backend) -> None:
    server = fake_backend("vllm", [FakeModel("a")])
    # A proxy that does not exist: a client honouring it could not reach the server.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{_free_port()}")
    async with make_http_client(Settings()) as client:
        status = await check_status(client, _entry(backend_config={"port": server.port},
                                                   served_model_id="a"), Settings().backend)
    assert status.online
