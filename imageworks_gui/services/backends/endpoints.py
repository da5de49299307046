"""Where a backend lives and how it starts: base URL, default port, start command, HTTP client.

The GUI and both CLIs take these facts from here only. The port table itself is
``core.registry.DEFAULT_PORTS`` because the schema's known-backend check and the downloader plan
(pure ``core`` code) need it too; this module is the one that turns it into URLs and commands.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from imageworks_gui.core.registry import DEFAULT_PORTS, RegistryEntry, ReplicaEndpoint
from imageworks_gui.core.settings import Settings

LOOPBACK = "127.0.0.1"
"""Host used when ``backend_config.host`` is unset."""
FALLBACK_PORT = 8000
"""Port of an unknown backend string (the OpenAI-compatible servers' usual one)."""


def default_port(backend: str) -> int:
    """The port a backend's server listens on unless told otherwise."""
    return DEFAULT_PORTS.get(backend.lower(), FALLBACK_PORT)


def url_host(host: str) -> str:
    """``host`` as written in a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def base_url_for(entry: RegistryEntry) -> str:
    """The entry's (first) server: its first replica when ``backend_config.endpoints`` is set,
    else ``backend_config.base_url``, else ``http://{host or 127.0.0.1}:{port}/v1``."""
    cfg = entry.backend_config
    if cfg.endpoints:
        return _replica_url(entry, cfg.endpoints[0])
    if cfg.base_url:
        return cfg.base_url.rstrip("/")
    port = cfg.port or default_port(entry.backend)
    return f"http://{url_host(cfg.host or LOOPBACK)}:{port}/v1"


@dataclass(frozen=True)
class Replica:
    """One server of an entry, with the entry's defaults filled in."""

    index: int
    base_url: str
    max_concurrency: int | None
    api_key_env: str | None

    @property
    def label(self) -> str:
        """``host:port`` as shown in messages."""
        url = httpx.URL(self.base_url)
        return f"{url_host(url.host)}:{url.port or (443 if url.scheme == 'https' else 80)}"


def _replica_url(entry: RegistryEntry, replica: ReplicaEndpoint) -> str:
    if replica.base_url:
        return replica.base_url.rstrip("/")
    cfg = entry.backend_config
    host = replica.host or cfg.host or LOOPBACK
    port = replica.port or cfg.port or default_port(entry.backend)
    return f"http://{url_host(host)}:{port}/v1"


def replicas_for(entry: RegistryEntry) -> list[Replica]:
    """Every server of ``entry``: its ``backend_config.endpoints``, else its one endpoint.

    A replica's unset ``max_concurrency`` and ``api_key_env`` are the entry's.
    """
    cfg = entry.backend_config
    if not cfg.endpoints:
        return [Replica(0, base_url_for(entry), cfg.max_concurrency, cfg.api_key_env)]
    return [Replica(i, _replica_url(entry, r), r.max_concurrency or cfg.max_concurrency,
                    r.api_key_env or cfg.api_key_env)
            for i, r in enumerate(cfg.endpoints)]


def host_port(entry: RegistryEntry) -> str:
    """``host:port`` of the entry's server as shown in messages."""
    url = httpx.URL(base_url_for(entry))
    return f"{url_host(url.host)}:{url.port or (443 if url.scheme == 'https' else 80)}"


def _quote(text: str) -> str:
    return text if text.startswith("<") else shlex.quote(text)


def start_command(entry: RegistryEntry) -> str:
    """The shell command that starts this entry's server (shown when it is not running)."""
    cfg = entry.backend_config
    port = cfg.port or default_port(entry.backend)
    served = _quote(entry.served_model_id or entry.name)
    path = _quote(cfg.model_path or "<model path>")
    extra = (" " + shlex.join(cfg.extra_args)) if cfg.extra_args else ""
    backend = entry.backend.lower()
    if backend == "vllm":
        return f"vllm serve {path} --port {port} --served-model-name {served}{extra}"
    if backend == "ollama":
        return f"ollama serve   (then: ollama pull {served})"
    if backend == "lmdeploy":
        return f"lmdeploy serve api_server {path} --server-port {port} --model-name {served}{extra}"
    if backend in ("gguf", "llamacpp"):
        # The extra args may already name the .gguf file (model_path is then its folder).
        model = "" if {"-m", "--model"} & set(cfg.extra_args) else f" -m {path}"
        return f"llama-server{model} --port {port} --alias {served}{extra}"
    if backend == "lmstudio":
        return (f"lms server start --port {port}   (then: lms load {served}; or enable the "
                f"local server in LM Studio's Developer tab)")
    return f"start the {entry.backend} server on port {port}"


def make_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client factory of the app and the CLIs, with the settings' timeouts.

    Proxy environment variables are ignored (``trust_env=False``) everywhere: model servers
    are local, and a proxy in the environment would otherwise intercept loopback requests in
    one front end and not in the other.
    """
    b = settings.backend
    timeout = httpx.Timeout(connect=b.connect_timeout_s, read=b.read_timeout_s,
                            write=b.write_timeout_s, pool=b.pool_timeout_s)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    return httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False)


def choose_served_name(entry: RegistryEntry, served: Sequence[str] | None
                       ) -> tuple[str, str] | None:
    """The name to request ``entry`` under and why, given what the server lists (``None``:
    the listing failed), or ``None`` when nothing fits.

    Order: the entry's own ``name`` when the server lists it (admins often start vLLM with
    ``--served-model-name`` equal to the registry name), ``served_model_id``, the first of
    ``model_aliases`` that is listed, else (explicit-mode entries only) the server's one model.
    An explicit selection by the caller comes before all of these and is the caller's business.
    """
    if served is not None and entry.name in served:
        return entry.name, "the entry's own name is served"
    if entry.served_model_id:
        return entry.served_model_id, "served_model_id"
    listed = served or []
    match = next((a for a in entry.model_aliases if a in listed), None)
    if match is not None:
        return match, "model_aliases"
    if entry.metadata.get("explicit_mode") and len(listed) == 1:
        return listed[0], "the server's only model (explicit mode)"
    return None
