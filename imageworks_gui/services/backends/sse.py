"""Reading streamed chat completions: server-sent event lines into text, usage and TTFT."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx


def is_json_reply(response: httpx.Response) -> bool:
    """True when a reply to a streamed request is one JSON body (the server did not stream)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class SseCollector:
    """Collects ``data:`` events of a chat completion stream as they arrive."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.parts: list[str] = []
        self.usage: dict[str, Any] = {}
        self.chunks = 0
        self.ttft_ms: float | None = None
        self.events = 0
        """``data:`` lines seen, content or not."""
        self.other: list[str] = []
        """Lines that are not server-sent-event fields: a server that ignored ``"stream"``
        and sent one JSON body under another content type (``text/plain``, say)."""

    def feed(self, line: str) -> dict[str, Any] | None:
        """Take one line; returns the decoded event (None for comments, ``[DONE]``, junk)."""
        if not line.startswith("data:"):
            if line.strip() and not line.startswith((":", "event:", "id:", "retry:")):
                self.other.append(line)
            return None
        self.events += 1
        data = line[5:].strip()
        if data == "[DONE]":
            return None
        try:
            chunk = json.loads(data)
        except ValueError:
            return None
        if not isinstance(chunk, dict):
            return None
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content") if isinstance(
                choice, dict) else None
            if piece:
                if self.ttft_ms is None:
                    self.ttft_ms = (time.perf_counter() - self.start) * 1000
                self.chunks += 1
                self.parts.append(piece)
        return chunk

    def unstreamed_body(self) -> dict[str, Any] | None:
        """The JSON object the server sent instead of events, if that is what came."""
        if self.events or not self.other:
            return None
        try:
            data = json.loads("\n".join(self.other))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def usage_or_count(self) -> dict[str, Any]:
        """The server's usage, else the number of content chunks as the token count."""
        if not self.usage and self.chunks:
            return {"completion_tokens": self.chunks}
        return self.usage
