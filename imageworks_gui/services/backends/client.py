"""Async client for one model entry on a shared httpx.AsyncClient: retries, limits, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.adapters import (
    adapter_for,
    base_url_for,
    error_message_from_body,
    flat_error_code,
    root_url,
)
from imageworks_gui.services.backends.endpoints import Replica, choose_served_name
from imageworks_gui.services.backends.error_mapping import error_for_status, retry_after_seconds
from imageworks_gui.services.backends.errors import (
    BackendAuthError,
    BackendBusyError,
    BackendError,
    BackendResponseError,
    ModelNotServedError,
)
from imageworks_gui.services.backends.failures import FailureMessages
from imageworks_gui.services.backends.limits import (
    EndpointLimits,
    RequestBudget,
    timeout_from,
)
from imageworks_gui.services.backends.replicas import ReplicaPool, ReplicaState
from imageworks_gui.services.backends.streamed import streamed_chat
from imageworks_gui.services.logs import log_event

log = logging.getLogger("imageworks.backends")

__all__ = ["BackendClient", "ChatResult", "EndpointLimits", "timeout_from"]

MAX_RETRY_AFTER_S = 60.0
"""Longest ``Retry-After`` honoured; longer waits fail instead of stalling the run."""

_REPLICA: ContextVar[Replica | None] = ContextVar("imageworks_replica", default=None)
"""The replica the current request attempt talks to (named in its error messages)."""


@dataclass
class ChatResult:
    """One chat completion: text, token usage and timings."""

    text: str
    model: str
    usage: dict[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    attempts: int = 1
    streamed: bool | None = None
    """For streamed requests: False when the server ignored ``"stream": true`` and sent one
    JSON body instead of server-sent events."""

    @property
    def completion_tokens(self) -> int | None:
        value = self.usage.get("completion_tokens")
        return int(value) if isinstance(value, (int, float)) else None


class BackendClient(FailureMessages):
    """Talks to the server of one registry entry.

    ``http`` is the application's shared ``httpx.AsyncClient``; ``limits`` holds the slots of
    every server URL of a run (see ``EndpointLimits``), shared by the entries on one server;
    ``concurrency`` overrides each replica's ``max_concurrency``. Requests are spread over the
    entry's replicas (``ReplicaPool``). Transient failures (connection errors, timeouts, 429,
    503, 5xx, malformed bodies) move to another replica at once when one is usable, else are
    retried ``settings.max_retries`` times with exponential backoff and jitter, honouring
    ``Retry-After``; 400/401/404 are never retried.
    """

    def __init__(self, http: httpx.AsyncClient, entry: RegistryEntry, settings: BackendSettings,
                 *, limits: EndpointLimits | None = None, concurrency: int | None = None,
                 served_name: str | None = None,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 20.0) -> None:
        self.http = http
        self.entry = entry
        self.settings = settings
        self.adapter = adapter_for(entry.backend)
        self.base_url = base_url_for(entry)
        self.root_url = root_url(self.base_url)
        self.limits = limits or EndpointLimits(settings)
        self.pool = ReplicaPool(self.limits, self.limits.for_entry(entry, concurrency), settings,
                                health=self._healthy)
        self.explicit_served_name = served_name
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._served_name: str | None = None
        self._timeout = timeout_from(settings)

    # ----------------------------------------------------------------- descriptions
    @property
    def served_name(self) -> str | None:
        """The served model name once resolved (None before the first request)."""
        return self._served_name

    @property
    def endpoint(self) -> str:
        """``host:port`` as shown in messages: the replica of the attempt under way, else the
        entry's first server."""
        replica = _REPLICA.get()
        return replica.label if replica is not None else self.pool.states[0].label

    def _headers(self, replica: Replica | None = None) -> dict[str, str]:
        env = (replica or self.pool.states[0].replica).api_key_env
        if not env:
            return {}
        key = os.environ.get(env)
        if not key:
            raise BackendAuthError(
                f"model {self.entry.name!r} needs an API key from the environment variable "
                f"{env} (backend_config.api_key_env), which is not set: export {env}=... and "
                f"retry", endpoint=self.endpoint)
        return {"Authorization": f"Bearer {key}"}

    # ----------------------------------------------------------------- raw requests
    async def _healthy(self, replica: Replica) -> bool:
        """Health check of a cooled-down replica: ``GET /v1/models`` answers 200."""
        try:
            response = await self.http.get(f"{replica.base_url}/models",
                                           headers=self._headers(replica),
                                           timeout=self._timeout)
        except (httpx.HTTPError, BackendError):
            return False
        return response.status_code == 200

    async def _capped_body(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large("sent")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _once(self, method: str, path: str, payload: Any, model: str | None,
                    limited: bool, budget: RequestBudget, tried: set[int]) -> Any:
        """One attempt on one replica (recorded in ``tried``); its outcome goes to the pool."""
        async with self.pool.attempt(limited, tried) as state:
            tried.add(state.replica.index)
            with self._reporting(state):
                data, response = await self._on_replica(method, path, payload, model, budget,
                                                        state)
            self.pool.succeeded(state, response)
            return data

    @contextmanager
    def _reporting(self, state: ReplicaState) -> Iterator[None]:
        """Name ``state``'s replica in the messages of the attempt, and count its failure."""
        token = _REPLICA.set(state.replica)
        try:
            yield
        except BackendError as exc:
            self.pool.failed(state, exc)
            raise
        finally:
            _REPLICA.reset(token)

    async def _on_replica(self, method: str, path: str, payload: Any, model: str | None,
                          budget: RequestBudget, state: ReplicaState
                          ) -> tuple[Any, httpx.Response]:
        with self.transport_errors(budget):
            async with budget.on_wire(), self.http.stream(
                    method, state.replica.base_url + path, json=payload,
                    headers=self._headers(state.replica), timeout=self._timeout) as response:
                body = await self._capped_body(response)
        return self._decode(response, body, model), response

    def _decode(self, response: httpx.Response, body: bytes, model: str | None) -> Any:
        status = response.status_code
        data: Any = None
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                data = None
        code = flat_error_code(data) if status < 400 else None
        if status >= 400 or code is not None:
            self._raise_for_error(code or status, body, data, response, model)
        if data is None:
            raise BackendResponseError(
                f"the {self.adapter.label} server at {self.endpoint} sent a malformed or "
                f"truncated JSON body ({len(body)} bytes) for {self.entry.name!r}: check the "
                f"server log", endpoint=self.endpoint, status_code=status)
        return data

    def _raise_for_error(self, status: int, body: bytes, data: Any, response: httpx.Response,
                         model: str | None) -> None:
        detail = error_message_from_body(data if data is not None else body) or (
            f"HTTP {status}")
        raise error_for_status(status, detail, label=self.adapter.label, endpoint=self.endpoint,
                               entry_name=self.entry.name, model=model,
                               retry_after=retry_after_seconds(response))

    async def request(self, method: str, path: str, payload: Any = None, *,
                      model: str | None = None, limited: bool = False,
                      retries: int | None = None) -> tuple[Any, int]:
        """Send ``path`` (under the base URL, e.g. ``/models``) with retries; returns
        ``(decoded JSON, attempts)`` or raises ``BackendError``.

        Every attempt shares one overall deadline (``settings.deadline_s``), so neither a
        trickling server nor retries can stretch a request past it. A transient failure moves
        to a replica not yet tried for this request at once (without counting as a retry);
        once every usable replica has been tried, retries back off.
        """
        attempts = backoffs = 0
        max_retries = self.settings.max_retries if retries is None else retries
        budget = self.new_budget()
        tried: set[int] = set()
        while True:
            attempts += 1
            try:
                return (await self._once(method, path, payload, model, limited, budget, tried),
                        attempts)
            except BackendError as exc:
                if not exc.retryable:
                    raise
                if budget.exhausted:
                    raise self._deadline_passed(budget) from exc
                if self.pool.has_alternative(tried) and attempts <= max_retries + len(
                        self.pool.states):
                    log.info("sending %s %s to another replica after: %s", method, path, exc)
                    continue
                backoffs += 1
                tried.clear()
                if backoffs > max_retries:
                    raise
                delay = min(self.backoff_max_s,
                            self.backoff_base_s * (2 ** (backoffs - 1)))
                delay += random.uniform(0, delay / 2)
                if isinstance(exc, BackendBusyError) and exc.retry_after_s is not None:
                    if exc.retry_after_s > MAX_RETRY_AFTER_S:
                        raise
                    delay = exc.retry_after_s
                log.info("retrying %s %s in %.2f s after: %s", method, path, delay, exc)
                await asyncio.sleep(delay)

    # ----------------------------------------------------------------- API
    async def list_models(self, *, retries: int | None = 0) -> list[str]:
        """Names listed by ``GET /v1/models`` (in server order)."""
        data, _ = await self.request("GET", "/models", retries=retries)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BackendResponseError(
                f"the server at {self.endpoint} answered /v1/models without a 'data' list: is "
                f"it really an OpenAI-compatible server?", endpoint=self.endpoint)
        return [str(m["id"]) for m in items if isinstance(m, dict) and m.get("id")]

    async def resolve_served_name(self) -> str:
        """The model name to send, cached for the client's lifetime.

        Order: the explicit selection (a served name the caller gave, else the entry's own
        ``name`` when the server lists it), ``served_model_id``, the first of
        ``model_aliases`` that the server lists, else ``ModelNotServedError`` listing what is
        served. The choice is logged as an ``event_type=served_name`` record.
        """
        if self._served_name:
            return self._served_name
        if self.explicit_served_name:
            self._choose(self.explicit_served_name, "explicit selection")
            return self.explicit_served_name
        try:
            served = await self.list_models()
        except BackendError:
            if not self.entry.served_model_id:
                raise
            served = None  # the chat request itself will say what is wrong
        choice = choose_served_name(self.entry, served)
        if choice is None:
            listed = served or []
            raise ModelNotServedError(
                f"cannot tell which model to request for {self.entry.name!r} at "
                f"{self.endpoint}: its served_model_id is unset and none of its "
                f"model_aliases ({', '.join(self.entry.model_aliases) or 'none'}) is "
                f"served; served: {', '.join(listed) or 'nothing'}. Set served_model_id",
                endpoint=self.endpoint, served=listed)
        self._choose(*choice)
        return self._served_name or ""

    def _choose(self, name: str, reason: str) -> None:
        self._served_name = name
        log_event(log, "served_name", f"{self.entry.name!r} is requested as {name!r} at "
                  f"{self.endpoint} ({reason})", entry=self.entry.name, served_name=name,
                  reason=reason, endpoint=self.endpoint)

    async def chat(self, messages: list[dict[str, Any]], *, max_tokens: int | None = None,
                   temperature: float | None = None, top_p: float | None = None,
                   response_format: dict[str, Any] | None = None,
                   retries: int | None = None) -> ChatResult:
        """One non-streaming chat completion, holding an endpoint slot per attempt."""
        model = await self.resolve_served_name()
        payload = self._payload(model, messages, max_tokens, temperature, top_p,
                                response_format)
        start = time.perf_counter()
        try:
            data, attempts = await self.request("POST", "/chat/completions", payload,
                                                model=model, limited=True, retries=retries)
        except ModelNotServedError as exc:
            raise await self._with_served_list(exc) from exc
        latency = (time.perf_counter() - start) * 1000
        return ChatResult(text=self._content(data), model=model,
                          usage=data.get("usage") or {}, latency_ms=latency, attempts=attempts)

    async def _with_served_list(self, exc: ModelNotServedError) -> ModelNotServedError:
        """The same error, naming what the server does serve (when it can list models)."""
        try:
            served = await self.list_models(retries=0)
        except BackendError:
            return exc
        return type(exc)(f"{exc.message}; served there: {', '.join(served) or 'nothing'}",
                         endpoint=exc.endpoint, status_code=exc.status_code, served=served)

    def _payload(self, model: str, messages: list[dict[str, Any]], max_tokens: int | None,
                 temperature: float | None, top_p: float | None,
                 response_format: dict[str, Any] | None) -> dict[str, Any]:
        gen = self.entry.generation_defaults
        payload: dict[str, Any] = {
            "model": model,
            "messages": messages,
            # Always sent: Ollama /v1 forces 1.0 when they are omitted.
            "temperature": temperature if temperature is not None else (
                gen.temperature if gen and gen.temperature is not None else 0.2),
            "top_p": top_p if top_p is not None else (
                gen.top_p if gen and gen.top_p is not None else 0.9),
            "max_tokens": max_tokens or (gen.max_tokens if gen and gen.max_tokens else 512),
        }
        if response_format and self.adapter.supports_json_schema:
            payload["response_format"] = response_format
        return payload

    def _content(self, data: Any) -> str:
        try:
            message = data["choices"][0]["message"]
            content = message.get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise BackendResponseError(
                f"the server at {self.endpoint} answered without choices[0].message for "
                f"{self.entry.name!r}: is it an OpenAI-compatible chat endpoint?",
                endpoint=self.endpoint) from None
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content if isinstance(content, str) else ""

    async def chat_streamed(self, messages: list[dict[str, Any]], *,
                            max_tokens: int = 32) -> ChatResult:
        """A streaming chat completion that measures time to first token (used by probes);
        see ``services.backends.streamed``."""
        model = await self.resolve_served_name()
        payload = self._payload(model, messages, max_tokens, 0.0, 1.0, None)
        payload.update(stream=True, stream_options={"include_usage": True})
        async with self.pool.attempt(True, set()) as state:
            with self._reporting(state):
                result = await streamed_chat(self, state.replica, payload, model)
            self.pool.succeeded(state, None)
            return result
