"""Per-backend differences: ports, health endpoints, start hints and error body shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imageworks_gui.services.backends.endpoints import base_url_for, default_port

__all__ = ["ADAPTERS", "BackendAdapter", "adapter_for", "base_url_for", "error_message_from_body",
           "flat_error_code", "root_url"]


@dataclass(frozen=True)
class BackendAdapter:
    """What differs between OpenAI-compatible servers."""

    kind: str
    label: str
    default_port: int
    health_path: str
    start_hint: str
    supports_json_schema: bool = True

    def describe_start(self, entry_name: str) -> str:
        return f"start the {self.label} server for {entry_name!r} ({self.start_hint})"


ADAPTERS: dict[str, BackendAdapter] = {
    "vllm": BackendAdapter("vllm", "vLLM", default_port("vllm"), "/health",
                           "e.g. 'vllm serve MODEL --port 8000'"),
    "lmdeploy": BackendAdapter("lmdeploy", "LMDeploy", default_port("lmdeploy"), "/v1/models",
                               "e.g. 'lmdeploy serve api_server MODEL --server-port 23333'"),
    "gguf": BackendAdapter("gguf", "llama.cpp", default_port("gguf"), "/health",
                           "e.g. 'llama-server -m MODEL.gguf --mmproj MMPROJ.gguf --port 8080'"),
    "ollama": BackendAdapter("ollama", "Ollama", default_port("ollama"), "/api/version",
                             "e.g. 'ollama serve'"),
    "lmstudio": BackendAdapter("lmstudio", "LM Studio", default_port("lmstudio"), "/v1/models",
                               "e.g. 'lms server start --port 1234', or enable the local "
                               "server in LM Studio's Developer tab"),
}
ADAPTERS["llamacpp"] = ADAPTERS["gguf"]
_GENERIC = BackendAdapter("openai", "OpenAI-compatible", 8000, "/v1/models",
                          "check backend_config.base_url")


def adapter_for(backend: str) -> BackendAdapter:
    """The adapter of a registry ``backend`` string (a generic one for unknown strings)."""
    return ADAPTERS.get(backend.lower(), _GENERIC)


def root_url(base_url: str) -> str:
    """The server root (base URL without a trailing ``/v1``) for health and native endpoints."""
    base = base_url.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def error_message_from_body(body: bytes | str | Any) -> str | None:
    """The error text of any known error body shape, or None when it is not an error body.

    Shapes: nested ``{"error": {"message": ...}}`` (vLLM, llama.cpp, Ollama /v1), flat
    ``{"object": "error", "message": ...}`` (LMDeploy, sometimes with HTTP 200), Ollama native
    ``{"error": "..."}`` and FastAPI ``{"detail": ...}``.
    """
    data = body
    if isinstance(body, (bytes, str)):
        try:
            data = json.loads(body)
        except ValueError:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            text = text.strip()
            return text[:300] if text else None
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, dict):
        msg = err.get("message") or err.get("msg") or err.get("type")
        return str(msg) if msg else json.dumps(err)[:300]
    if isinstance(err, str) and err:
        return err
    if data.get("object") == "error":
        return str(data.get("message") or data.get("msg") or "unknown error")
    detail = data.get("detail")
    if detail:
        return detail if isinstance(detail, str) else json.dumps(detail)[:300]
    return None


def flat_error_code(data: Any) -> int | None:
    """The ``code`` of a flat LMDeploy error body (which may arrive with HTTP 200)."""
    if isinstance(data, dict) and data.get("object") == "error":
        code = data.get("code")
        try:
            return int(code) if code is not None else 400
        except (TypeError, ValueError):
            return 400
    return None
