"""Prose answers (caption, description): the text a model meant, or why it is unusable."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from imageworks_gui.core.keywords import strip_code_fences, strip_reasoning

PROSE_KEYS: dict[str, tuple[str, ...]] = {
    "caption": ("caption", "title", "headline", "text", "answer", "content"),
    "description": ("description", "caption", "text", "answer", "content", "summary"),
}
"""Per stage, the JSON fields a model may put its text in, most specific first."""

_ESCAPE_RE = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_FENCE_MARK_RE = re.compile(r"```")
_JSON_FIELD_RE = re.compile(r"\{\s*\"[A-Za-z_][\w -]*\"\s*:")
"""The start of a JSON object: ``{"key":``."""


class ProseError(ValueError):
    """The answer holds no usable prose; the message says what the model sent instead."""


def decode_escapes(text: str) -> str:
    """Turn literal ``\\u00e9`` escapes (and surrogate pairs) into the characters they name."""

    def run(match: re.Match[str]) -> str:
        decoded: str = json.loads(f'"{match.group(0)}"')
        # A lone surrogate cannot be written as UTF-8: it becomes U+FFFD.
        return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")

    return _ESCAPE_RE.sub(run, text)


def _text_in(value: Any, keys: tuple[str, ...], depth: int = 0) -> str | None:
    """The prose a decoded JSON value holds: a named field first, then a lone string."""
    if isinstance(value, str):
        return value.strip() or None
    if depth > 3:
        return None
    if isinstance(value, Mapping):
        lowered = {str(k).strip().lower(): v for k, v in value.items()}
        for key in keys:
            if key in lowered:
                found = _text_in(lowered[key], keys, depth + 1)
                if found:
                    return found
        strings = [v for v in value.values() if isinstance(v, str) and v.strip()]
        if len(strings) == 1 and len(value) == 1:
            return strings[0].strip()
        for inner in value.values():
            if isinstance(inner, Mapping):
                found = _text_in(inner, keys, depth + 1)
                if found:
                    return found
        return None
    if isinstance(value, list) and len(value) == 1:
        return _text_in(value[0], keys, depth + 1)
    return None


def _embedded_text(text: str, keys: tuple[str, ...]) -> str | None:
    """The text field of a JSON object inside prose ("Here you go: {...}")."""
    start, end = text.find("{"), text.rfind("}")
    if not 0 <= start < end:
        return None
    try:
        decoded = json.loads(text[start:end + 1])
    except (ValueError, RecursionError):
        return None
    return _text_in(decoded, keys)


def prose_from_answer(answer: str, stage: str) -> str:
    """The text of a caption or description answer.

    Reasoning blocks, code fences and wrapping quotes are removed; a JSON answer gives the
    field the stage asked for (``{"description": "..."}``). An answer that is JSON without such
    a field, or broken JSON, raises ``ProseError``: it is never passed on as prose.
    """
    text = strip_code_fences(strip_reasoning(answer))
    stripped = text.strip()
    if stripped == "null":
        raise ProseError(f"the {stage} is a JSON null: the model gave no text")
    if _looks_like_json(stripped) or (stripped[:1] == '"' and stripped[-1:] == '"'):
        try:
            decoded = json.loads(stripped)
        except (ValueError, RecursionError):
            raise ProseError(f"the {stage} is broken JSON instead of prose "
                             f"({_snippet(stripped)!r})") from None
        found = _text_in(decoded, PROSE_KEYS.get(stage, ("text",)))
        if found is None:
            shape = (f"keys {', '.join(sorted(map(str, decoded)))}"
                     if isinstance(decoded, Mapping) else type(decoded).__name__)
            raise ProseError(f"the {stage} is a JSON value with no {stage} text in it "
                             f"({shape})")
        stripped = found
    elif _JSON_FIELD_RE.search(stripped):
        embedded = _embedded_text(stripped, PROSE_KEYS.get(stage, ("text",)))
        if embedded is None:
            raise ProseError(f"the {stage} mixes prose with JSON data "
                             f"({_snippet(stripped)!r})")
        stripped = embedded
    stripped = decode_escapes(stripped).strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'":
        stripped = stripped[1:-1].strip()
    if _FENCE_MARK_RE.search(stripped):
        raise ProseError(f"the {stage} contains an unclosed code fence "
                         f"({_snippet(stripped)!r})")
    return stripped


def prose_warning(text: str | None) -> str | None:
    """Why a proposed text looks like code or data rather than prose (None when it looks fine)."""
    if not text:
        return None
    stripped = text.strip()
    if _FENCE_MARK_RE.search(stripped):
        return "it contains a code fence (```)"
    if _looks_like_json(stripped) or _JSON_FIELD_RE.search(stripped):
        return "it looks like JSON data"
    if _ESCAPE_RE.search(stripped):
        return r"it contains escape codes (\u…) instead of characters"
    if re.search(r"</?think", stripped, re.IGNORECASE):
        return "it contains the model's reasoning tags"
    return None


def _looks_like_json(text: str) -> bool:
    """An object (even one cut short) or a whole array; "[Untitled] A dog" is prose."""
    return text[:1] == "{" or (text[:1] == "[" and text[-1:] == "]")


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:80] + ("..." if len(flat) > 80 else "")
