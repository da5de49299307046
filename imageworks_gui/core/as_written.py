"""Registry model base: unknown keys kept, wrong-but-readable JSON types saved as written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)

_SCALARS = (bool, int, float, str)


class OpenModel(BaseModel):
    """Base for every registry model: unknown keys are kept, assignment is validated.

    A value of a readable but wrong JSON type (``"vision": "yes"``, ``"port": "18001"``) is
    used as its typed meaning, remembered as written, and saved back exactly as written while
    it keeps that meaning (``parse_entries`` reports it); an edit that changes it saves the new,
    typed value.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=True, populate_by_name=True)

    _as_written: dict[str, tuple[Any, Any]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_as_written(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, OpenModel):
            found = {}
            for key in cls.model_fields:
                if key not in data:
                    continue
                raw, typed = data[key], getattr(model, key)
                if (isinstance(raw, _SCALARS) and isinstance(typed, _SCALARS)
                        and type(raw) is not type(typed)):
                    found[key] = (raw, typed)
            if found:
                model._as_written = found
        return model

    @model_serializer(mode="wrap")
    def _save_as_written(self, handler: SerializerFunctionWrapHandler,
                         info: SerializationInfo) -> Any:
        data = handler(self)
        if info.mode == "json" and self._as_written and isinstance(data, dict):
            for key, (raw, typed) in self._as_written.items():
                if key in data and _unchanged(getattr(self, key, None), typed):
                    data[key] = raw
        return data

    def as_written(self, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
        """``(field path, value as written, value as read)`` for every retyped value inside."""
        for key, (raw, typed) in self._as_written.items():
            if _unchanged(getattr(self, key, None), typed):
                yield f"{prefix}{key}", raw, typed
        for key in type(self).model_fields:
            value = getattr(self, key, None)
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, item in items:
                if isinstance(item, OpenModel):
                    where = f"{prefix}{key}" + (f".{index}" if index is not None else "")
                    yield from item.as_written(where + ".")


def nesting_depth(data: Any) -> int:
    """How deeply JSON lists and objects nest in ``data`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else (
            value if isinstance(value, list) else None)
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _unchanged(current: Any, typed: Any) -> bool:
    """True while a retyped field still holds the value it was read as (``1`` is not ``True``)."""
    return type(current) is type(typed) and current == typed


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, for messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__
