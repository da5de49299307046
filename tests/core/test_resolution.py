"""Role resolution order: preferred, priority, deprecated, drift."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from imageworks_gui.core.registry import RegistryEntry, parse_entries
from imageworks_gui.core.resolution import RoleResolutionError, select_model


def _e(name: str, roles: list[str], vision: bool = True, **extra: Any) -> dict[str, Any]:
    return {"name": name, "backend": "vllm", "backend_config": {"port": 8000},
            "capabilities": {"text": True, "vision": vision}, "roles": roles, **extra}


def _load(*raw: dict[str, Any]) -> list[RegistryEntry]:
    return parse_entries(list(raw))[0]


DRIFTED = {"locked": True, "expected_aggregate_sha256": "a" * 64,
           "last_verification": {"status": "drifted", "changed": ["w.bin"]}}


def test_first_usable_entry_in_file_order_wins() -> None:
    entries = _load(_e("text-only", ["caption"], vision=False), _e("old", ["caption"],
                    deprecated=True), _e("first", ["caption"]), _e("second", ["caption"]))
    res = select_model(entries, "caption")
    assert res.entry.name == "first" and res.reason == "priority"
    assert res.required_capabilities == ("vision",)


def test_preferred_model_wins_when_it_qualifies() -> None:
    entries = _load(_e("first", ["caption"]), _e("second", ["caption"]))
    assert select_model(entries, "caption", preferred="second").entry.name == "second"


def test_deprecated_entry_only_when_named_and_then_with_a_warning() -> None:
    entries = _load(_e("old", ["caption"], deprecated=True))
    with pytest.raises(RoleResolutionError, match=r"Failed to resolve role 'caption'.*old "
                       r"\(deprecated\)"):
        select_model(entries, "caption")
    res = select_model(entries, "caption", preferred="old")
    assert res.entry.name == "old" and "deprecated" in res.warnings[0]


@pytest.mark.parametrize(("preferred", "why"), [
    ("text", "lacks the capabilities vision"),
    ("other-role", "does not advertise role 'caption'"),
    ("ghost", "is not in the registry"),
])
def test_unqualified_preferred_falls_back_to_priority_with_a_warning(preferred: str,
                                                                     why: str) -> None:
    entries = _load(_e("text", ["caption"], vision=False), _e("other-role", ["title"]),
                    _e("good", ["caption"]))
    res = select_model(entries, "caption", preferred=preferred)
    assert res.entry.name == "good" and res.reason == "priority"
    assert why in res.warnings[0]


def test_extra_required_capability() -> None:
    entries = _load(_e("plain", ["caption"]),
                    {**_e("tooly", ["caption"]), "capabilities": {"vision": True,
                                                                  "tools": True}})
    assert select_model(entries, "caption", ["tools"]).entry.name == "tooly"


def test_text_roles_do_not_need_vision() -> None:
    entries = _load(_e("writer", ["keyword_cleanup"], vision=False))
    assert select_model(entries, "keyword_cleanup").entry.name == "writer"


def test_locked_drifted_entry_is_refused() -> None:
    entries = _load(_e("drifted", ["caption"], version_lock=DRIFTED), _e("backup", ["caption"]))
    assert select_model(entries, "caption").entry.name == "backup"
    with pytest.raises(RoleResolutionError, match=r"run 'imageworks-model-registry verify "
                       r"drifted'.*unlock drifted"):
        select_model(entries, "caption", preferred="drifted")
    unlocked = _load(_e("drifted", ["caption"], version_lock={**DRIFTED, "locked": False}))
    assert select_model(unlocked, "caption").entry.name == "drifted"


def test_locked_entry_whose_verification_errored_is_refused() -> None:
    lock = {**DRIFTED, "last_verification": {"status": "error", "message": "missing"}}
    entries = _load(_e("gone", ["caption"], version_lock=lock))
    with pytest.raises(RoleResolutionError, match="could not read its files"):
        select_model(entries, "caption")


def test_nothing_matches_gives_an_actionable_error() -> None:
    with pytest.raises(RoleResolutionError, match=r"Failed to resolve role 'caption'.*no entry "
                       r"lists it.*Add 'caption' to the roles"):
        select_model(_load(_e("x", ["title"])), "caption")


def test_resolution_is_logged_as_a_structured_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="imageworks.resolution")
    select_model(_load(_e("m", ["caption"])), "caption")
    records = [json.loads(r.getMessage()) for r in caplog.records
               if r.getMessage().startswith("{")]
    assert records[0]["event_type"] == "role_resolution"
    assert records[0]["model"] == "m" and records[0]["role"] == "caption"
