"""Find running model servers on the default ports and describe what they serve."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

import httpx
from pydantic import BaseModel, Field

from imageworks_gui.core.registry import DEFAULT_PORTS, RegistryEntry, replace_entry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.endpoints import url_host
from imageworks_gui.services.backends.probes import entry_with_probe_results, probe_entry

DEFAULT_DISCOVERY_PORTS: dict[int, str] = {
    port: backend for backend, port in DEFAULT_PORTS.items() if backend != "llamacpp"}
"""Port -> backend guess used when the server does not say what it is (vLLM 8000, Ollama
11434, LMDeploy 23333, llama.cpp 8080, LM Studio 1234)."""
DISCOVERED_VISION_ROLES: tuple[str, ...] = ("caption", "keywords", "description")
"""Roles a discovered model is offered once its vision probe passed."""
_OWNER_KIND = {"vllm": "vllm", "lmdeploy": "lmdeploy", "llamacpp": "gguf",
               "organization_owner": "lmstudio"}
_TIMEOUT = httpx.Timeout(2.0)


class DiscoveredModel(BaseModel):
    """One model a running server lists, with whatever capability information it gave."""

    backend: str
    host: str
    port: int
    served_name: str
    vision: bool | None = None
    """True/False when the server said (Ollama /api/show, LM Studio /api/v0/models, llama.cpp
    /props), else None (unknown: vLLM and LMDeploy do not tell)."""
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}/v1"

    def suggested_name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.served_name.lower()).strip("-") or "model"
        return f"{slug}-{self.backend}"

    def to_registry_entry(self) -> RegistryEntry:
        """A candidate entry: capabilities as reported, and no roles: vision roles are offered
        only once a vision probe has passed (``with_vision_checked``)."""
        caps: dict[str, bool] = {"text": True}
        if self.vision is not None:
            caps["vision"] = self.vision
        data: dict[str, Any] = {
            "name": self.suggested_name(),
            "display_name": self.served_name,
            "backend": self.backend,
            "backend_config": {"port": self.port, "host": self.host},
            "capabilities": caps,
            "served_model_id": self.served_name,
            "roles": [],
            "metadata": {"discovered": self.details} if self.details else {},
        }
        return RegistryEntry.model_validate(data)


async def _json(client: httpx.AsyncClient, method: str, url: str,
                payload: Any = None) -> Any | None:
    try:
        response = await client.request(method, url, json=payload, timeout=_TIMEOUT)
    except httpx.HTTPError:
        return None
    if response.status_code >= 400:
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def _probe_ollama(client: httpx.AsyncClient, host: str, port: int,
                        root: str) -> list[DiscoveredModel] | None:
    version = await _json(client, "GET", f"{root}/api/version")
    if not isinstance(version, dict) or "version" not in version:
        return None
    tags = await _json(client, "GET", f"{root}/api/tags") or {}
    found: list[DiscoveredModel] = []
    for model in tags.get("models", []) if isinstance(tags, dict) else []:
        name = model.get("name") or model.get("model")
        if not name:
            continue
        show = await _json(client, "POST", f"{root}/api/show", {"model": name})
        caps = show.get("capabilities") if isinstance(show, dict) else None
        vision = ("vision" in caps) if isinstance(caps, list) else None
        found.append(DiscoveredModel(
            backend="ollama", host=host, port=port, served_name=name, vision=vision,
            details={"ollama_version": version["version"],
                     "capabilities": caps or [], **(model.get("details") or {})}))
    return found


async def _lmstudio_types(client: httpx.AsyncClient, root: str) -> dict[str, str]:
    """Model id -> LM Studio model type (``llm``, ``vlm``, ``embeddings``) from its native API."""
    native = await _json(client, "GET", f"{root}/api/v0/models")
    items = native.get("data") if isinstance(native, dict) else None
    return {str(m["id"]): str(m.get("type") or "") for m in items or []
            if isinstance(m, dict) and m.get("id")}


def _lmstudio_vision(kind: str | None) -> bool | None:
    return {"vlm": True, "llm": False, "embeddings": False}.get(kind or "")


async def _probe_port(client: httpx.AsyncClient, host: str, port: int,
                      guess: str | None) -> list[DiscoveredModel]:
    root = f"http://{url_host(host)}:{port}"
    ollama = await _probe_ollama(client, host, port, root)
    if ollama is not None:
        return ollama
    listing = await _json(client, "GET", f"{root}/v1/models")
    items = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(items, list):
        return []
    owners = {str(i.get("owned_by") or "") for i in items if isinstance(i, dict)}
    lmstudio = (await _lmstudio_types(client, root)
                if "organization_owner" in owners or guess == "lmstudio" else {})
    props = None if lmstudio else await _json(client, "GET", f"{root}/props")
    modalities = props.get("modalities") if isinstance(props, dict) else None
    found: list[DiscoveredModel] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        owner = str(item.get("owned_by") or "")
        kind = _OWNER_KIND.get(owner) or ("gguf" if isinstance(modalities, dict) else None)
        kind = kind or ("lmstudio" if lmstudio else None) or guess or "openai"
        vision = bool(modalities.get("vision")) if isinstance(modalities, dict) else None
        details: dict[str, Any] = {"owned_by": owner} if owner else {}
        if str(item["id"]) in lmstudio:
            vision = _lmstudio_vision(lmstudio[str(item["id"])])
            details["lmstudio_type"] = lmstudio[str(item["id"])]
        found.append(DiscoveredModel(backend=kind, host=host, port=port,
                                     served_name=str(item["id"]), vision=vision,
                                     details=details))
    return found


async def discover_backends(client: httpx.AsyncClient, host: str = "127.0.0.1",
                            ports: Iterable[int] | None = None) -> list[DiscoveredModel]:
    """Probe ``ports`` (default: vLLM 8000, Ollama 11434, LMDeploy 23333, llama.cpp 8080,
    LM Studio 1234) concurrently; return every listed model, ports in the order given.

    Ports where nothing answers are skipped silently; each probe has a 2 s timeout.
    """
    port_list = list(ports) if ports is not None else list(DEFAULT_DISCOVERY_PORTS)
    results = await asyncio.gather(*(
        _probe_port(client, host, p, DEFAULT_DISCOVERY_PORTS.get(p)) for p in port_list))
    return [model for group in results for model in group]


async def with_vision_checked(client: httpx.AsyncClient, candidate: RegistryEntry,
                              settings: Settings) -> tuple[RegistryEntry, str]:
    """The candidate after a vision probe, and a one-line note of what was found.

    Vision roles are offered only when the probe passed (whatever the server claims); a model
    that fails it is recorded as not seeing images. The server saying "no vision" skips it.
    """
    if candidate.capabilities.vision is False:
        return candidate, f"{candidate.name}: no vision (as the server reports); no roles given"
    report = await probe_entry(client, candidate, settings, check_vision=True)
    entry = entry_with_probe_results(candidate, report)
    caps = entry.capabilities.model_dump(mode="json", exclude_unset=True)
    if report.vision_ok:
        caps["vision"] = True
        entry = replace_entry(entry, capabilities=caps, roles=list(DISCOVERED_VISION_ROLES))
        return entry, (f"{candidate.name}: passed the vision probe; roles "
                       f"{', '.join(DISCOVERED_VISION_ROLES)}")
    if report.vision_ok is False:
        caps["vision"] = False
        entry = replace_entry(entry, capabilities=caps)
    return entry, f"{candidate.name}: no vision roles ({report.failure})"
