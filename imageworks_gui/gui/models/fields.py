"""Text parsers and formatters for the details form; each parse error says what is expected."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

Parser = Callable[[str], Any]
Formatter = Callable[[Any], str]


def opt_text(text: str) -> str | None:
    value = text.strip()
    return value or None


def req_text(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def opt_int(low: int | None = None, high: int | None = None) -> Parser:
    def parse(text: str) -> int | None:
        value = text.strip()
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if low is not None and number < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and number > high:
            raise ValueError(f"must be at most {high}")
        return number
    return parse


def opt_float(text: str) -> float | None:
    value = text.strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number (use a dot for decimals)") from None


def url(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


def comma_list(text: str) -> list[str]:
    return list(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))


def shell_args(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split into arguments: {exc} (check the quotes)") from None


def json_object(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object ({...})")
    return value


def fmt_text(value: Any) -> str:
    return "" if value is None else str(value)


def fmt_list(value: Any) -> str:
    return ", ".join(value or [])


def fmt_args(value: Any) -> str:
    return shlex.join(value or [])


def fmt_json(value: Any) -> str:
    return json.dumps(value or {}, indent=2, ensure_ascii=False)


def get_path(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def set_path(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set a nested key, creating parents; ``None`` for a missing key leaves it missing."""
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            if value is None:
                return
            child = node[key] = {}
        node = child
    if value is None and path[-1] not in node:
        return
    if value is None or (value == [] and path[-1] not in node):
        node.pop(path[-1], None)
        return
    node[path[-1]] = value
