"""Registry schema: round trips keep what the user wrote; bad entries are named precisely."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from imageworks_gui.core.registry import (
    RegistryValidationError,
    dump_entries,
    find_entry,
    parse_entries,
    replace_entry,
)


def _entry(name: str = "m", **extra: object) -> dict[str, object]:
    return {"name": name, "backend": "vllm",
            "backend_config": {"port": 8000, "model_path": "/m"},
            "capabilities": {"text": True, "vision": True}, **extra}


def _round_trip(data: list[dict[str, object]]) -> list[dict[str, object]]:
    entries, _ = parse_entries(data)
    return dump_entries(entries)


def test_unknown_keys_survive_at_the_same_place() -> None:
    raw = _entry(custom_top={"a": [1, 2]}, roles=["caption"])
    raw["backend_config"] = {"port": 8000, "model_path": "/m", "gpu": "0,1"}
    raw["capabilities"] = {"text": True, "vision": True, "video": False}
    raw["version_lock"] = {"locked": False, "note": "keep"}
    out = _round_trip([raw])[0]
    assert out["custom_top"] == {"a": [1, 2]}
    assert out["backend_config"]["gpu"] == "0,1"
    assert out["capabilities"] == {"text": True, "vision": True, "video": False}
    assert out["version_lock"] == {"locked": False, "note": "keep"}
    assert list(out) == ["name", "backend", "backend_config", "capabilities", "version_lock",
                         "roles", "custom_top"]


def test_null_served_model_id_stays_null_and_absent_stays_absent() -> None:
    out = _round_trip([_entry("a", served_model_id=None), _entry("b")])
    assert out[0]["served_model_id"] is None
    assert "served_model_id" not in out[1]
    entries, _ = parse_entries([_entry("a", served_model_id=None)])
    assert entries[0].served_model_id is None


def test_capabilities_stay_exactly_as_written() -> None:
    raw = _entry()
    raw["capabilities"] = {"vision": True}
    entries, _ = parse_entries([raw])
    assert dump_entries(entries)[0]["capabilities"] == {"vision": True}
    assert entries[0].capabilities.has("vision")
    assert not entries[0].capabilities.has("text")


def test_numbers_keep_their_json_form() -> None:
    raw = _entry(generation_defaults={"max_tokens": 10, "temperature": 1, "top_p": 0.95},
                 performance={"ttft_ms_avg": 12, "throughput_toks_per_s_avg": 3.5})
    text = json.dumps(_round_trip([raw]))
    assert '"temperature": 1,' in text
    assert '"top_p": 0.95' in text
    assert '"ttft_ms_avg": 12,' in text


def test_entry_order_is_preserved() -> None:
    names = [e["name"] for e in _round_trip([_entry("z"), _entry("a"), _entry("m")])]
    assert names == ["z", "a", "m"]


@pytest.mark.parametrize(("data", "expected"), [
    ({"models": []}, "root must be a JSON list of entries, found a JSON object"),
    ("text", "root must be a JSON list"),
])
def test_non_list_root_is_rejected(data: object, expected: str) -> None:
    with pytest.raises(RegistryValidationError, match=expected):
        parse_entries(data, source="reg.json")


def test_invalid_entry_names_index_name_field_and_reason() -> None:
    bad = _entry("broken")
    bad["backend_config"] = {"port": "eighty"}
    with pytest.raises(RegistryValidationError) as info:
        parse_entries([_entry("ok"), bad], source="reg.json")
    issue = info.value.issues[0]
    assert (issue.index, issue.name, issue.field) == (1, "broken", "backend_config.port")
    text = str(info.value)
    assert "reg.json" in text and "entry #2 ('broken')" in text
    assert "backend_config.port" in text and "integer" in text


def test_missing_required_field_is_named() -> None:
    raw = _entry("nocaps")
    del raw["capabilities"]
    with pytest.raises(RegistryValidationError, match=r"field 'capabilities': Field required"):
        parse_entries([raw])


def test_entry_that_is_not_an_object() -> None:
    with pytest.raises(RegistryValidationError, match="entry #1: must be a JSON object"):
        parse_entries(["just a string"])


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(RegistryValidationError, match=r"duplicate name 'twin' \(first used by "
                       r"entry #1\)"):
        parse_entries([_entry("twin"), _entry("twin")])


@pytest.mark.parametrize("name", ["", "   ", " padded "])
def test_empty_or_padded_name_is_rejected(name: str) -> None:
    with pytest.raises(RegistryValidationError, match="field 'name'"):
        parse_entries([_entry(name)])


def test_unknown_backend_loads_with_a_warning() -> None:
    raw = _entry("x")
    raw["backend"] = "tgi"
    entries, warnings = parse_entries([raw])
    assert entries[0].backend == "tgi"
    assert len(warnings) == 1 and "unknown backend 'tgi'" in warnings[0]


def test_replace_entry_validates_and_keeps_unknown_keys() -> None:
    entries, _ = parse_entries([_entry("a", extra_key=1)])
    changed = replace_entry(entries[0], roles=["caption"])
    assert changed.roles == ["caption"] and changed.to_json_dict()["extra_key"] == 1
    with pytest.raises(ValidationError):
        replace_entry(entries[0], backend_config={"port": 70000})


def test_find_entry_lists_known_names() -> None:
    entries, _ = parse_entries([_entry("a"), _entry("b")])
    with pytest.raises(KeyError, match="known entries: a, b"):
        find_entry(entries, "c")


def test_a_boolean_where_a_number_belongs_is_an_error_not_port_1():
    raw = _entry("a")
    raw["backend_config"] = {"port": True}
    with pytest.raises(RegistryValidationError) as info:
        parse_entries([raw])
    assert "field 'backend_config.port': true is a JSON boolean" in str(info.value)
