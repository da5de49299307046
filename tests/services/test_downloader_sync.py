"""sync-downloader: creates usable entries, is idempotent, never overwrites admin fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from imageworks_gui.core.registry import RegistryEntry, find_entry
from imageworks_gui.services.downloader_sync import (
    ManifestLoadError,
    load_manifest,
    plan_sync,
    sync_downloader,
)
from imageworks_gui.services.hashing import compute_artifact_hashes
from imageworks_gui.services.registry_store import RegistryStore


def _write_files(root: Path, files: dict[str, bytes]) -> list[str]:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return sorted(files)


def _record(model: str, path: Path | str, fmt: str, files: list[str]) -> dict[str, Any]:
    return {"model_name": model, "path": str(path), "size_bytes": 1234, "format_type": fmt,
            "checksum": "0123456789abcdef", "files": files,
            "downloaded_at": "2026-01-02T03:04:05Z", "last_accessed": "2026-01-03T00:00:00Z",
            "location": "linux_wsl", "metadata": {}}


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Any]:
    vl = tmp_path / "weights" / "Qwen2.5-VL-7B-Instruct-AWQ"
    text = tmp_path / "weights" / "Qwen2.5-7B-Instruct"
    gguf = tmp_path / "gguf" / "gemma-3-4b-it-GGUF"
    manifest = {
        "qwen_qwen2.5-vl-7b-instruct-awq_safetensors_linux": _record(
            "Qwen/Qwen2.5-VL-7B-Instruct-AWQ", vl, "awq", _write_files(vl, {
                "config.json": json.dumps({"vision_config": {"depth": 32}}).encode(),
                "model.safetensors": b"\x00" * 4096})),
        "qwen_qwen2.5-7b-instruct_safetensors_linux": _record(
            "Qwen/Qwen2.5-7B-Instruct", text, "safetensors", _write_files(text, {
                "config.json": b'{"model_type": "qwen2"}', "model.safetensors": b"\x01" * 10})),
        "ggml-org_gemma-3-4b-it-gguf_gguf_linux": _record(
            "ggml-org/gemma-3-4b-it-GGUF", gguf, "gguf", _write_files(gguf, {
                "gemma-3-4b-it-Q4_K_M.gguf": b"GGUF1", "mmproj-model-f16.gguf": b"GGUF2"})),
        "ollama_qwen2.5vl_7b": {"model_name": "qwen2.5vl:7b", "path": "ollama:/qwen2.5vl:7b",
                                "format_type": "ollama", "metadata": {
                                    "capabilities": ["completion", "vision"]}},
    }
    registry = tmp_path / "model_registry.json"
    registry.write_text("[]\n", encoding="utf-8")
    manifest_path = tmp_path / "models.json"
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return {"registry": registry, "manifest": manifest_path, "data": manifest, "vl": vl,
            "text": text}


def _entries(path: Path) -> list[RegistryEntry]:
    return RegistryStore(path).load()


def test_first_run_creates_usable_entries(setup: dict[str, Any]) -> None:
    plan = sync_downloader(RegistryStore(setup["registry"]), setup["manifest"])
    assert plan.totals == {"create": 4, "update": 0, "unchanged": 0, "error": 0}
    entries = _entries(setup["registry"])
    vl = find_entry(entries, "qwen2.5-vl-7b-instruct-awq")
    assert (vl.backend, vl.backend_config.port) == ("vllm", 8000)
    assert vl.capabilities.as_dict() == {"text": True, "vision": True}
    assert vl.roles == [] and vl.model_aliases == ["Qwen/Qwen2.5-VL-7B-Instruct-AWQ"]
    assert vl.source is not None and vl.source.huggingface_id == "Qwen/Qwen2.5-VL-7B-Instruct-AWQ"
    assert {f.path: f.size for f in vl.source.files} == {"config.json": 32,
                                                         "model.safetensors": 4096}
    hashes = compute_artifact_hashes(setup["vl"])
    assert vl.artifacts is not None and vl.artifacts.aggregate_sha256 == hashes.aggregate
    assert {f.path: f.sha256 for f in vl.source.files} == hashes.files
    text = find_entry(entries, "qwen2.5-7b-instruct")
    assert text.capabilities.as_dict() == {"text": True, "vision": False}
    gguf = find_entry(entries, "gemma-3-4b-it-gguf")
    assert (gguf.backend, gguf.backend_config.port) == ("gguf", 8080)
    assert gguf.capabilities.has("vision") and "--mmproj" in gguf.backend_config.extra_args
    ollama = find_entry(entries, "qwen2.5vl-7b-ollama")
    assert (ollama.backend, ollama.backend_config.port) == ("ollama", 11434)
    assert ollama.served_model_id == "qwen2.5vl:7b" and ollama.capabilities.has("vision")
    assert ollama.artifacts is None


def test_second_run_is_a_byte_identical_no_op(setup: dict[str, Any]) -> None:
    sync_downloader(RegistryStore(setup["registry"]), setup["manifest"])
    before = setup["registry"].read_bytes()
    mtime = setup["registry"].stat().st_mtime_ns
    plan = sync_downloader(RegistryStore(setup["registry"]), setup["manifest"])
    assert plan.totals == {"create": 0, "update": 0, "unchanged": 4, "error": 0}
    assert setup["registry"].read_bytes() == before
    assert setup["registry"].stat().st_mtime_ns == mtime
    no_hash = sync_downloader(RegistryStore(setup["registry"]), setup["manifest"],
                              hash_files=False)
    assert no_hash.totals["unchanged"] == 4  # earlier hashes are kept, not dropped
    assert setup["registry"].read_bytes() == before


def test_admin_fields_are_never_overwritten(setup: dict[str, Any]) -> None:
    registry = setup["registry"]
    sync_downloader(RegistryStore(registry), setup["manifest"])
    data = json.loads(registry.read_text(encoding="utf-8"))
    data[0].update(roles=["caption"], display_name="My Qwen", notes_by_admin="keep me")
    data[0]["capabilities"] = {"vision": True, "tools": True}
    data[0]["backend_config"].update(port=9000, extra_args=["--quantization", "awq"])
    data[1]["version_lock"] = {"locked": True, "expected_aggregate_sha256":
                               data[1]["artifacts"]["aggregate_sha256"]}
    registry.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (setup["vl"] / "model.safetensors").write_bytes(b"\x02" * 5000)
    (setup["text"] / "model.safetensors").write_bytes(b"\x03" * 11)
    plan = sync_downloader(RegistryStore(registry), setup["manifest"])
    actions = {a.name: a for a in plan.actions}
    vl_action = actions["qwen2.5-vl-7b-instruct-awq"]
    assert vl_action.kind == "update"
    assert set(vl_action.changed_fields) == {"artifacts.aggregate_sha256", "artifacts.files",
                                             "source.files"}
    text_action = actions["qwen2.5-7b-instruct"]
    assert text_action.changed_fields == ("source.files",)  # locked: artifacts left alone
    after = json.loads(registry.read_text(encoding="utf-8"))
    assert after[0]["roles"] == ["caption"] and after[0]["display_name"] == "My Qwen"
    assert after[0]["capabilities"] == {"vision": True, "tools": True}
    assert after[0]["backend_config"]["port"] == 9000 and after[0]["notes_by_admin"] == "keep me"
    assert after[1]["artifacts"] == data[1]["artifacts"]
    assert after[1]["version_lock"] == data[1]["version_lock"]


def test_dry_run_hashes_and_writes_nothing(setup: dict[str, Any],
                                           isolated_user_dirs: dict[str, Path]) -> None:
    before = setup["registry"].read_bytes()
    plan = sync_downloader(RegistryStore(setup["registry"]), setup["manifest"], dry_run=True)
    assert plan.totals["create"] == 4
    assert all(a.entry is not None and a.entry.artifacts is None for a in plan.actions)
    assert setup["registry"].read_bytes() == before
    assert list(isolated_user_dirs["cache"].iterdir()) == []  # no hash cache touched


def test_bad_records_are_reported_and_good_ones_still_import(setup: dict[str, Any],
                                                            tmp_path: Path) -> None:
    data = dict(setup["data"])
    data["no_path"] = {"model_name": "x/y", "format_type": "awq"}
    data["not_there"] = _record("x/gone", tmp_path / "nope", "awq", ["config.json"])
    data["not_an_object"] = ["oops"]
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    data["incomplete"] = _record("x/partial", partial, "awq", ["config.json", "model.bin"])
    setup["manifest"].write_text(json.dumps(data), encoding="utf-8")
    plan = sync_downloader(RegistryStore(setup["registry"]), setup["manifest"])
    errors = {a.key: a.message for a in plan.actions if a.kind == "error"}
    assert "missing path" in errors["no_path"]
    assert "does not exist" in errors["not_there"]
    assert "not a JSON object" in errors["not_an_object"]
    assert "model.bin" in errors["incomplete"] and "incomplete" in errors["incomplete"]
    assert plan.totals["create"] == 4 and len(_entries(setup["registry"])) == 4


def test_malformed_manifest_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "models.json"
    bad.write_text('{\n  "a": {"path": }\n}', encoding="utf-8")
    with pytest.raises(ManifestLoadError, match=r"models\.json:2:17: malformed JSON"):
        load_manifest(bad)
    with pytest.raises(ManifestLoadError, match="manifest not found"):
        load_manifest(tmp_path / "missing.json")


def test_non_object_manifest_is_one_error() -> None:
    plan = plan_sync([], ["not", "an", "object"])
    assert plan.totals["error"] == 1 and "JSON object" in plan.actions[0].message


def test_name_clash_with_another_copy_gets_a_format_suffix(setup: dict[str, Any],
                                                          tmp_path: Path) -> None:
    other = tmp_path / "other-copy"
    _write_files(other, {"model.gguf": b"GGUF"})
    data = {"a": setup["data"]["qwen_qwen2.5-7b-instruct_safetensors_linux"],
            "b": _record("Qwen/Qwen2.5-7B-Instruct", other, "gguf", ["model.gguf"])}
    plan = plan_sync([], data, hash_files=False)
    assert [a.name for a in plan.actions] == ["qwen2.5-7b-instruct", "qwen2.5-7b-instruct-gguf"]


def test_existing_entry_with_a_tilde_path_is_updated_not_duplicated(
        setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    admin = {"name": "my-qwen", "backend": "vllm", "roles": ["caption"],
             "backend_config": {"port": 8000, "model_path": "~/weights/Qwen2.5-VL-7B-Instruct-AWQ"},
             "capabilities": {"vision": True},
             "source": {"path": "~/weights/Qwen2.5-VL-7B-Instruct-AWQ"}}
    setup["registry"].write_text(json.dumps([admin]), encoding="utf-8")
    plan = sync_downloader(RegistryStore(setup["registry"]), setup["manifest"])
    first = plan.actions[0]
    assert (first.kind, first.name) == ("update", "my-qwen")
    entry = find_entry(_entries(setup["registry"]), "my-qwen")
    assert entry.roles == ["caption"] and entry.backend_config.port == 8000
    assert entry.source is not None and entry.source.huggingface_id is not None


def test_dry_run_of_a_grown_snapshot_says_the_artifacts_need_rehashing(
        setup: dict[str, Any]) -> None:
    store = RegistryStore(setup["registry"])
    sync_downloader(store, setup["manifest"])
    assert sync_downloader(store, setup["manifest"], dry_run=True).totals["unchanged"] == 4
    (setup["vl"] / "model.safetensors").write_bytes(b"\x00" * 8192)
    before = setup["registry"].read_bytes()
    plan = sync_downloader(store, setup["manifest"], dry_run=True)
    action = next(a for a in plan.actions if a.kind == "update")
    assert action.name == "qwen2.5-vl-7b-instruct-awq"
    assert "source.files" in action.changed_fields
    assert "artifacts need re-hashing" in (action.message or "")
    assert plan.totals == {"create": 0, "update": 1, "unchanged": 3, "error": 0}
    assert setup["registry"].read_bytes() == before
    # The real run re-hashes, and then nothing is stale.
    plan = sync_downloader(store, setup["manifest"])
    action = next(a for a in plan.actions if a.kind == "update")
    assert "artifacts.aggregate_sha256" in action.changed_fields
    assert "re-hashing" not in (action.message or "")
