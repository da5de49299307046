"""Registry store: location, canonical atomic saves, conflicts, bad files; settings store."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from imageworks_gui.core.registry import RegistryValidationError, parse_entries
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.registry_store import (
    RegistryConflictError,
    RegistryLoadError,
    RegistryStore,
    packaged_default_registry,
    resolve_registry_path,
)
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "configs" / "model_registry.json"


@pytest.fixture(autouse=True)
def _no_registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEWORKS_REGISTRY_PATH", raising=False)


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _entry(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "backend": "vllm", "backend_config": {"port": 8000},
            "capabilities": {"vision": True}, **extra}


# -- shipped registry -------------------------------------------------------------------------

def test_packaged_default_is_identical_to_configs() -> None:
    assert packaged_default_registry() == SHIPPED.read_text(encoding="utf-8")


def test_shipped_registry_round_trips_byte_identically(tmp_path: Path) -> None:
    copy = tmp_path / "reg.json"
    copy.write_bytes(SHIPPED.read_bytes())
    store = RegistryStore(copy)
    entries = store.load()
    assert store.warnings == []
    store.save(entries, force=True)
    assert copy.read_bytes() == SHIPPED.read_bytes()


def test_shipped_registry_has_the_typical_models() -> None:
    entries, _ = parse_entries(json.loads(SHIPPED.read_text(encoding="utf-8")))
    by_backend = {(e.backend, e.backend_config.port) for e in entries}
    assert {("vllm", 8000), ("ollama", 11434), ("gguf", 8080), ("lmdeploy", 23333)} <= by_backend
    assert any(e.deprecated for e in entries)
    assert any(e.capabilities.as_dict().get("vision") is False for e in entries)
    gguf = next(e for e in entries if e.backend == "gguf")
    assert "--mmproj" in gguf.backend_config.extra_args
    ollama = next(e for e in entries if e.backend == "ollama")
    assert ollama.served_model_id == "qwen2.5vl:7b"
    assert all(e.roles for e in entries)


# -- location ---------------------------------------------------------------------------------

def test_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             isolated_user_dirs: dict[str, Path]) -> None:
    monkeypatch.chdir(tmp_path)
    user_copy = isolated_user_dirs["config"] / "model_registry.json"
    # Nothing else configured: the user copy is seeded from the packaged default.
    assert resolve_registry_path(None) == user_copy
    assert user_copy.read_text(encoding="utf-8") == packaged_default_registry()
    user_copy.write_text("[]\n", encoding="utf-8")
    assert resolve_registry_path(None) == user_copy
    assert user_copy.read_text(encoding="utf-8") == "[]\n"  # seeded only once
    local = tmp_path / "configs" / "model_registry.json"
    local.parent.mkdir()
    local.write_text("[]\n", encoding="utf-8")
    assert resolve_registry_path(None) == local
    monkeypatch.setenv("IMAGEWORKS_REGISTRY_PATH", str(tmp_path / "env.json"))
    assert resolve_registry_path(None) == tmp_path / "env.json"
    assert resolve_registry_path(tmp_path / "cli.json") == tmp_path / "cli.json"


# -- round trips and saving -------------------------------------------------------------------

def test_unknown_keys_and_nulls_survive_load_save(tmp_path: Path) -> None:
    path = _write(tmp_path / "reg.json", [
        _entry("é-model", served_model_id=None, backend_config={"port": 1, "numa": [0]},
               zzz_custom={"nested": True})])
    before = path.read_bytes()
    store = RegistryStore(path)
    assert store.save(store.load()) is False  # nothing to change: file not even rewritten
    assert path.read_bytes() == before
    assert "é-model" in path.read_text(encoding="utf-8")  # not \u-escaped


def test_save_is_canonical_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "reg.json"
    path.write_text(json.dumps([_entry("a", extra=1)]), encoding="utf-8")  # one line
    os.chmod(path, 0o600)
    store = RegistryStore(path)
    store.save(store.load())
    text = path.read_text(encoding="utf-8")
    assert text.startswith('[\n  {\n    "name": "a",') and text.endswith("}\n]\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["reg.json"]  # no temp file left


def test_conflict_when_changed_on_disk(tmp_path: Path) -> None:
    path = _write(tmp_path / "reg.json", [_entry("a")])
    store = RegistryStore(path)
    entries = store.load()
    assert not store.changed_on_disk()
    _write(path, [_entry("a"), _entry("edited-elsewhere")])
    assert store.changed_on_disk()
    with pytest.raises(RegistryConflictError, match=str(path)):
        store.save(entries)
    assert "edited-elsewhere" in path.read_text(encoding="utf-8")
    store.save(entries, force=True)
    assert "edited-elsewhere" not in path.read_text(encoding="utf-8")
    assert not store.changed_on_disk()
    assert [e.name for e in store.reload()] == ["a"]


def test_saving_over_a_file_that_was_never_loaded_is_a_conflict(tmp_path: Path) -> None:
    path = _write(tmp_path / "reg.json", [_entry("a")])
    entries = RegistryStore(path).load()
    with pytest.raises(RegistryConflictError):
        RegistryStore(path).save(entries)
    new = RegistryStore(tmp_path / "new.json")
    new.save(entries)
    assert RegistryStore(tmp_path / "new.json").load()[0].name == "a"


def test_save_refuses_duplicate_names(tmp_path: Path) -> None:
    path = _write(tmp_path / "reg.json", [_entry("a")])
    store = RegistryStore(path)
    entries = store.load()
    with pytest.raises(RegistryValidationError, match="duplicate name 'a'"):
        store.save(entries + entries)


# -- bad files --------------------------------------------------------------------------------

def test_malformed_json_reports_line_and_column_and_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "reg.json"
    path.write_text('[\n  {"name": "a",\n   "backend": }\n]\n', encoding="utf-8")
    before = path.read_bytes()
    store = RegistryStore(path)
    with pytest.raises(RegistryLoadError) as info:
        store.load()
    assert (info.value.line, info.value.column) == (3, 15)
    assert f"{path}:3:15" in str(info.value) and "malformed JSON" in str(info.value)
    for force in (False, True):
        with pytest.raises(RegistryConflictError, match="failed to load"):
            store.save([], force=force)
    assert path.read_bytes() == before


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(RegistryLoadError, match="does not exist"):
        RegistryStore(tmp_path / "nope.json").load()
    path = tmp_path / "latin1.json"
    path.write_bytes(b'[{"name": "caf\xe9"}]')
    with pytest.raises(RegistryLoadError, match="not UTF-8"):
        RegistryStore(path).load()


@pytest.mark.parametrize(("data", "message"), [
    ({"entries": []}, "root must be a JSON list"),
    ([_entry("a", backend_config={"port": "x"})], "entry 0 ('a'): field 'backend_config.port'"),
    ([_entry("a"), _entry("a")], "duplicate name 'a'"),
    ([_entry("")], "name must not be empty"),
])
def test_invalid_content_is_reported_and_file_untouched(tmp_path: Path, data: object,
                                                        message: str) -> None:
    path = _write(tmp_path / "reg.json", data)
    before = path.read_bytes()
    store = RegistryStore(path)
    with pytest.raises(RegistryValidationError) as info:
        store.load()
    assert message in str(info.value) and str(path) in str(info.value)
    with pytest.raises(RegistryConflictError):
        store.save([], force=True)
    assert path.read_bytes() == before


def test_unknown_backend_loads_with_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path / "reg.json", [{**_entry("a"), "backend": "tgi"}])
    store = RegistryStore(path)
    assert store.load()[0].backend == "tgi"
    assert "unknown backend 'tgi'" in store.warnings[0]


# -- settings ---------------------------------------------------------------------------------

def test_settings_defaults_round_trip_and_bad_files(tmp_path: Path,
                                                    isolated_user_dirs: dict[str, Path]) -> None:
    store = SettingsStore()
    assert store.path == isolated_user_dirs["config"] / "settings.json"
    assert store.load() == Settings()
    settings = Settings.model_validate({"tagging": {"max_keywords": 12}, "future": {"x": 1}})
    store.save(settings)
    loaded = store.load()
    assert loaded.tagging.max_keywords == 12 and loaded.model_extra == {"future": {"x": 1}}
    for text, message in (("{oops", "malformed JSON at line 1, column 2"),
                          ("[]", "root must be a JSON object"),
                          ('{"tagging": {"max_keywords": 0}}', "tagging.max_keywords")):
        store.path.write_text(text, encoding="utf-8")
        with pytest.raises(SettingsLoadError, match=message):
            store.load()
        assert store.path.read_text(encoding="utf-8") == text


def test_failed_write_leaves_the_original_intact(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "reg.json", [_entry("a")])
    before = path.read_bytes()
    store = RegistryStore(path)
    entries = store.load()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.save([*entries, entries[0].model_validate(
            {**entries[0].to_json_dict(), "name": "b"})])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["reg.json"]


def test_symlinked_registry_is_written_through(tmp_path: Path) -> None:
    real = _write(tmp_path / "real.json", [_entry("a")])
    link = tmp_path / "link.json"
    link.symlink_to(real)
    store = RegistryStore(link)
    entries = store.load()
    store.save([*entries, entries[0].model_validate({**entries[0].to_json_dict(), "name": "b"})])
    assert link.is_symlink()
    assert [e["name"] for e in json.loads(real.read_text())] == ["a", "b"]


# -- values as written, read-only files --------------------------------------------------------

def test_retyped_values_survive_edits_and_saves_until_the_user_changes_them(
        tmp_path: Path) -> None:
    from imageworks_gui.core.registry import replace_entry

    path = _write(tmp_path / "reg.json", [{
        "name": "a", "backend": "vllm", "backend_config": {"port": "18001"},
        "capabilities": {"vision": "yes", "text": 1}, "roles": ["caption"]}])
    store = RegistryStore(path)
    [entry] = store.load()
    assert entry.backend_config.port == 18001 and entry.capabilities.has("vision")
    assert len(store.warnings) == 3 and all("kept as written" in w for w in store.warnings)
    # An unrelated edit (as the GUI makes them) keeps every value as the admin wrote it.
    store.save([replace_entry(entry, roles=["caption", "keywords"])])
    saved = json.loads(path.read_text(encoding="utf-8"))[0]
    assert saved["backend_config"] == {"port": "18001"}
    assert saved["capabilities"] == {"vision": "yes", "text": 1}
    assert saved["roles"] == ["caption", "keywords"]
    # Changing the value itself saves the new, typed value.
    [entry] = store.load()
    caps = {**entry.capabilities.model_dump(mode="json", exclude_unset=True), "vision": False}
    store.save([replace_entry(entry, capabilities=caps)])
    saved = json.loads(path.read_text(encoding="utf-8"))[0]
    assert saved["capabilities"] == {"vision": False, "text": 1}
    assert saved["backend_config"] == {"port": "18001"}


def test_a_read_only_registry_file_is_refused_even_when_the_folder_is_writable(
        tmp_path: Path) -> None:
    from imageworks_gui.services.registry_store import RegistryReadOnlyError

    path = _write(tmp_path / "reg.json", [_entry("a")])
    store = RegistryStore(path)
    entries = store.load()
    path.chmod(0o444)
    before = path.read_bytes()
    try:
        with pytest.raises(RegistryReadOnlyError, match="read-only, so it was not changed"):
            store.save([*entries, *parse_entries([_entry("b")])[0]])
        assert path.read_bytes() == before
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.json"]
    finally:
        path.chmod(0o644)
