"""JSON text that is always valid UTF-8, even when it holds non-UTF-8 file names."""

from __future__ import annotations

import json
from typing import Any


def is_utf8_safe(text: str) -> bool:
    """False when ``text`` carries lone surrogates (a non-UTF-8 file name decoded by Python)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def dumps_utf8(data: Any, **options: Any) -> str:
    """``json.dumps`` keeping non-ASCII text readable, unless the result would not encode as
    UTF-8 (a lone surrogate from a name with bytes such as ``0xE9``): then ASCII-escaped, which
    ``json.loads`` reads back to exactly the same string."""
    text = json.dumps(data, ensure_ascii=False, **options)
    if not is_utf8_safe(text):
        text = json.dumps(data, ensure_ascii=True, **options)
    return text
