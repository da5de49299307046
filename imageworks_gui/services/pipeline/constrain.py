"""The keyword request of one photo: its JSON schema in the server's shape and the prompt hint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imageworks_gui.core.keyword_constraint import KeywordConstraint, keywords_schema
from imageworks_gui.services.backends.adapters import BackendAdapter, response_format_for


@dataclass(frozen=True)
class KeywordRequest:
    """What a keyword request adds to the stage prompt and the payload."""

    schema: dict[str, Any]
    """The answer's JSON schema (keyword items are an enum of vocabulary terms when
    constrained); a combined request can embed ``schema["properties"]["keywords"]``."""
    response_format: dict[str, Any] | None
    """``schema`` in the server's ``response_format`` shape; None when it takes no schema."""
    hint: str
    """Text appended to the user prompt (the vocabulary's terms), or ""."""
    min_keywords: int
    max_keywords: int
    constraint: str
    """``enum``, ``shortlist`` or ``none`` (see ``KeywordConstraint.kind``)."""


def keyword_request(adapter: BackendAdapter, max_keywords: int, min_keywords: int = 1,
                    constraint: KeywordConstraint | None = None) -> KeywordRequest:
    """The keyword request for a server of ``adapter``'s kind.

    With an enum the schema asks for no more items than terms are in it (a repeated term is
    dropped anyway), and the prompt's counts follow; a server that takes no schema gets the
    hint only.
    """
    enum = constraint.enum if constraint is not None else None
    high = min(max_keywords, len(enum)) if enum else max_keywords
    low = min(min_keywords, high)
    schema = keywords_schema(enum, low, high)
    fmt = response_format_for(adapter, schema, "keywords")
    kind = constraint.kind if constraint is not None else "none"
    if enum is not None and fmt is None:
        kind = "shortlist"  # listed in the prompt, but nothing enforces it
    hint = constraint.prompt_hint() if constraint is not None else ""
    return KeywordRequest(schema=schema, response_format=fmt, hint=hint, min_keywords=low,
                          max_keywords=high, constraint=kind)


def with_hint(messages: list[dict[str, Any]], hint: str) -> list[dict[str, Any]]:
    """``messages`` with ``hint`` appended to the last user message's text (added after the
    prompt's placeholders were filled, so a term like ``{caption}`` stays literal)."""
    if not hint:
        return messages
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = f"{content} {hint}"
            return messages
        for part in content or []:
            if part.get("type") == "text":
                part["text"] = f"{part['text']} {hint}"
                return messages
        content.insert(0, {"type": "text", "text": hint})
        return messages
    messages.append({"role": "user", "content": hint})
    return messages
