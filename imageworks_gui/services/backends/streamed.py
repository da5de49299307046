"""Streamed chat completions (time to first token), tolerant of servers that do not stream."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

from imageworks_gui.services.backends.adapters import flat_error_code
from imageworks_gui.services.backends.endpoints import Replica
from imageworks_gui.services.backends.sse import SseCollector, is_json_reply

if TYPE_CHECKING:
    from imageworks_gui.services.backends.client import BackendClient, ChatResult


async def capped_lines(client: BackendClient, response: httpx.Response) -> AsyncIterator[str]:
    """The body's lines, counting raw bytes so that even one endless line hits the cap."""
    cap = client.settings.max_response_bytes
    received = 0
    pending = b""
    async for chunk in response.aiter_bytes():
        received += len(chunk)
        if received > cap:
            raise client._too_large("streamed")
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r").decode("utf-8", "replace")
    if pending:
        yield pending.rstrip(b"\r").decode("utf-8", "replace")


async def streamed_chat(client: BackendClient, replica: Replica, payload: dict[str, Any],
                        model: str) -> ChatResult:
    """Send a ``"stream": true`` chat to ``replica`` and collect it.

    Token usage comes from the final ``usage`` chunk when the server sends one, else the
    number of content chunks is used as the token count. A server that ignores
    ``"stream": true`` and answers with one JSON body is accepted (``streamed=False``).
    """
    from imageworks_gui.services.backends.client import ChatResult

    start = time.perf_counter()
    budget = client.new_budget()
    events = SseCollector(start)

    def whole(data: Any) -> ChatResult:
        return ChatResult(text=client._content(data), model=model,
                          usage=data.get("usage") or {}, streamed=False,
                          latency_ms=(time.perf_counter() - start) * 1000)

    with client.transport_errors(budget):
        async with budget.on_wire(), client.http.stream(
                "POST", f"{replica.base_url}/chat/completions", json=payload,
                headers=client._headers(replica), timeout=client._timeout) as response:
            if response.status_code >= 400 or is_json_reply(response):
                return whole(client._decode(response, await client._capped_body(response),
                                            model))
            async for line in capped_lines(client, response):
                chunk = events.feed(line)
                if chunk is not None and (flat_error_code(chunk) is not None
                                          or "error" in chunk):
                    client._raise_for_error(flat_error_code(chunk) or 500,
                                            json.dumps(chunk).encode(), chunk, response, model)
    body = events.unstreamed_body()
    if body is not None:  # one JSON body under a content type that did not say so
        return whole(client._decode(response, json.dumps(body).encode(), model))
    return ChatResult(text=events.text, model=model, usage=events.usage_or_count(),
                      latency_ms=(time.perf_counter() - start) * 1000,
                      ttft_ms=events.ttft_ms, streamed=True)
