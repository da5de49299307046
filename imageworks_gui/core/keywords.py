"""Keyword answers: parse what a model returned and normalise it into a clean keyword list."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

from imageworks_gui.core.metadata_tags import clean_line

_THINK_RE = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_OPEN_THINK_RE = re.compile(r"^.*</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE_RE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*•·]+|\d+[.)\]:]|\(\d+\)|#)\s*")
_LABEL_RE = re.compile(r"^\s*(?:keywords?|tags?)\s*:\s*", re.IGNORECASE)
_KEYWORD_KEYS = ("keywords", "keyword", "tags", "labels")
_MAX_KEYWORD_CHARS = 64


class KeywordParseError(ValueError):
    """The answer held no keywords at all."""


def strip_reasoning(text: str) -> str:
    """Remove ``<think>...</think>`` blocks (and an unclosed preamble ending in ``</think>``)."""
    text = _THINK_RE.sub("", text)
    if re.search(r"</think(?:ing)?>", text, re.IGNORECASE):
        text = _OPEN_THINK_RE.sub("", text)
    return text.strip()


def strip_code_fences(text: str) -> str:
    """The content of the first fenced block, or the text itself when there is none."""
    match = _FENCE_RE.search(text)
    return match.group(1).strip() if match else text.strip()


def _try_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    # A JSON object or array embedded in prose: take the outermost bracketed span.
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = text.find(opener), text.rfind(closer)
        if 0 <= start < end:
            try:
                return json.loads(text[start:end + 1])
            except (ValueError, RecursionError):
                continue
    return None


def _from_json(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
    if isinstance(value, dict):
        for key in _KEYWORD_KEYS:
            for actual, inner in value.items():
                if actual.lower() == key:
                    found = _from_json(inner)
                    if found is not None:
                        return found
                    if isinstance(inner, str):
                        return _split_list(inner)
    return None


def _split_list(text: str) -> list[str]:
    text = _LABEL_RE.sub("", text.strip())
    lines = [ln for ln in text.splitlines() if ln.strip()]
    items: list[str] = []
    for line in lines:
        line = _LABEL_RE.sub("", _LIST_MARKER_RE.sub("", line))
        parts = re.split(r"[,;]", line) if ("," in line or ";" in line) else [line]
        items.extend(parts)
    return items


def parse_keywords(text: str) -> list[str]:
    """Raw keyword strings from a model answer (not yet normalised).

    Accepts a JSON object (``{"keywords": [...]}``), a JSON array, either inside a code fence or
    after a ``<think>`` block, and comma-, semicolon-, newline- or numbered/bulleted lists.
    Raises ``KeywordParseError`` when nothing usable is found.
    """
    body = strip_code_fences(strip_reasoning(text or ""))
    decoded = _try_json(body)
    items = _from_json(decoded) if decoded is not None else None
    if items is None:
        items = _split_list(body)
    items = [i for i in items if i.strip()]
    if not items:
        raise KeywordParseError("the model's answer contained no keywords")
    return items


@functools.lru_cache(maxsize=65536)
def normalise_keyword(raw: str) -> str:
    """One keyword: NFC, control characters, quotes/trailing punctuation and surplus white
    space removed.

    Memoised: a folder's reviews repeat the same few thousand keywords, and review views
    normalise each of them many times (a pure function of the text).
    """
    text = clean_line(raw)
    previous = None
    while text != previous:
        previous = text
        text = text.strip("\"'`“”‘’").strip().rstrip(".!?:;").strip()
    return text


def normalise_keywords(
    items: Iterable[str],
    max_count: int | None = None,
    banned: Iterable[str] = (),
) -> list[str]:
    """Clean, case-insensitively deduplicated keywords keeping each first spelling.

    No stemming or de-pluralising: "trees" and "tree" are different keywords. Banned words are
    compared case-insensitively; over-long entries (a sentence, not a keyword) are dropped.
    """
    banned_keys = {normalise_keyword(b).casefold() for b in banned if b.strip()}
    seen: set[str] = set()
    out: list[str] = []
    for raw in items:
        keyword = normalise_keyword(raw)
        key = keyword.casefold()
        if not keyword or key in seen or key in banned_keys:
            continue
        if len(keyword) > _MAX_KEYWORD_CHARS:
            continue
        seen.add(key)
        out.append(keyword)
        if max_count is not None and len(out) >= max_count:
            break
    return out


def keywords_from_answer(
    text: str, max_count: int | None = None, banned: Iterable[str] = ()
) -> list[str]:
    """Parse and normalise in one step; ``KeywordParseError`` when nothing usable remains."""
    result = normalise_keywords(parse_keywords(text), max_count=max_count, banned=banned)
    if not result:
        raise KeywordParseError("every keyword in the model's answer was empty or banned")
    return result
