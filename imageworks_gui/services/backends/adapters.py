"""Per-backend differences: ports, health endpoints, start hints and error body shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from imageworks_gui.services.backends.endpoints import base_url_for, default_port

__all__ = ["ADAPTERS", "BackendAdapter", "SchemaStyle", "adapter_for", "base_url_for",
           "error_message_from_body", "flat_error_code", "response_format_for", "root_url"]

SchemaStyle = Literal["json_schema", "json_object_schema"]
"""How a server takes a JSON schema on ``/v1/chat/completions``:

``json_schema``: ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}``
(OpenAI's structured outputs). ``json_object_schema``: ``{"type": "json_object", "schema":
{...}}``, the only shape llama-cpp-python's server accepts (its ``response_format.type`` is
``text`` or ``json_object``; a ``json_schema`` one fails with HTTP 500, a validation error,
in 0.3.x); llama.cpp's own ``llama-server`` accepts it too and turns it into a grammar.
"""


@dataclass(frozen=True)
class BackendAdapter:
    """What differs between OpenAI-compatible servers."""

    kind: str
    label: str
    default_port: int
    health_path: str
    start_hint: str
    supports_json_schema: bool = True
    schema_style: SchemaStyle = "json_schema"
    """The ``response_format`` shape that carries a schema (see ``SchemaStyle``). Each server
    enforces it with constrained decoding, so an ``enum`` limits the answer to its values:
    vLLM (xgrammar/guidance; ``structured_outputs: {"json": ...}`` is its native field,
    ``guided_json`` was removed in 0.12), LMDeploy (PyTorch and TurboMind engines), LM Studio,
    Ollama 0.5+ on ``/v1`` (its native ``/api/chat`` takes the schema as ``format``; the
    client talks ``/v1`` only) and llama.cpp (see above). A server that accepts a schema and
    ignores it is still safe: every answer is mapped onto the vocabulary afterwards."""

    def describe_start(self, entry_name: str) -> str:
        return f"start the {self.label} server for {entry_name!r} ({self.start_hint})"


ADAPTERS: dict[str, BackendAdapter] = {
    "vllm": BackendAdapter("vllm", "vLLM", default_port("vllm"), "/health",
                           "e.g. 'vllm serve MODEL --port 8000'"),
    "lmdeploy": BackendAdapter("lmdeploy", "LMDeploy", default_port("lmdeploy"), "/v1/models",
                               "e.g. 'lmdeploy serve api_server MODEL --server-port 23333'"),
    "gguf": BackendAdapter("gguf", "llama.cpp", default_port("gguf"), "/health",
                           "e.g. 'llama-server -m MODEL.gguf --mmproj MMPROJ.gguf --port 8080'",
                           schema_style="json_object_schema"),
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


def response_format_for(adapter: BackendAdapter, schema: dict[str, Any],
                        name: str) -> dict[str, Any] | None:
    """The ``response_format`` carrying ``schema`` in the adapter's shape (None: no schemas)."""
    if not adapter.supports_json_schema:
        return None
    if adapter.schema_style == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


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
