"""Find running model servers on the default ports and describe what they serve."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

import httpx
from pydantic import BaseModel, Field

from imageworks_gui.core.registry import RegistryEntry

DEFAULT_DISCOVERY_PORTS: dict[int, str] = {
    8000: "vllm", 11434: "ollama", 23333: "lmdeploy", 8080: "gguf", 1234: "lmstudio",
}
"""Port -> backend guess used when the server does not say what it is."""
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
    """True/False when the server said (Ollama /api/show, llama.cpp /props), else None."""
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def suggested_name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.served_name.lower()).strip("-") or "model"
        return f"{slug}-{self.backend}"

    def to_registry_entry(self) -> RegistryEntry:
        """A candidate entry: capabilities as reported, vision roles only when vision is known."""
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
            "roles": ["caption", "keywords", "description"] if self.vision else [],
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


async def _probe_port(client: httpx.AsyncClient, host: str, port: int,
                      guess: str | None) -> list[DiscoveredModel]:
    root = f"http://{host}:{port}"
    ollama = await _probe_ollama(client, host, port, root)
    if ollama is not None:
        return ollama
    listing = await _json(client, "GET", f"{root}/v1/models")
    items = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(items, list):
        return []
    props = await _json(client, "GET", f"{root}/props")
    modalities = props.get("modalities") if isinstance(props, dict) else None
    found: list[DiscoveredModel] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        owner = str(item.get("owned_by") or "")
        kind = _OWNER_KIND.get(owner) or ("gguf" if isinstance(modalities, dict) else None)
        kind = kind or guess or "openai"
        vision = bool(modalities.get("vision")) if isinstance(modalities, dict) else None
        details = {"owned_by": owner} if owner else {}
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
