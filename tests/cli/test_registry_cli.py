"""`imageworks-model-registry` end to end: list/show/select, verify and locks, sync, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.registry import app

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "imageworks-model-registry"


@pytest.fixture(autouse=True)
def _no_registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEWORKS_REGISTRY_PATH", raising=False)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    model = tmp_path / "models" / "vl"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"vision_config": {}}')
    (model / "weights.safetensors").write_bytes(b"\x00" * 2048)
    entries: list[dict[str, Any]] = [
        {"name": "vl", "backend": "vllm", "backend_config": {"port": 8000,
                                                             "model_path": str(model)},
         "capabilities": {"text": True, "vision": True}, "served_model_id": "Org/VL",
         "roles": ["caption", "keywords"]},
        {"name": "tools-vl", "backend": "vllm", "backend_config": {"port": 8001,
                                                                   "host": "gpu-box"},
         "capabilities": {"vision": True, "tools": True}, "model_aliases": ["tv"],
         "roles": ["caption"]},
        {"name": "ollama-vl", "backend": "ollama",
         "backend_config": {"port": 11434, "model_path": "ollama:/qwen2.5vl:7b"},
         "capabilities": {"vision": True}, "roles": ["keywords"]},
    ]
    path = tmp_path / "model_registry.json"
    path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    return path


def run(registry: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--registry-path", str(registry), *args])


def test_list_show_and_json(registry: Path) -> None:
    result = run(registry, "list")
    assert result.exit_code == 0 and "ollama-vl" in result.stdout
    result = run(registry, "list", "--role", "caption", "--json")
    assert [e["name"] for e in json.loads(result.stdout)] == ["vl", "tools-vl"]
    result = run(registry, "show", "tools-vl")
    assert json.loads(result.stdout)["backend_config"]["host"] == "gpu-box"
    result = run(registry, "show", "nope")
    assert result.exit_code == 2
    assert "no registry entry named 'nope'; known entries: vl, tools-vl" in result.stderr


def test_select_prints_endpoint_and_served_name(registry: Path) -> None:
    result = run(registry, "select", "--role", "caption")
    assert result.exit_code == 0
    assert "model:       vl (priority)" in result.stdout
    assert "endpoint:    http://127.0.0.1:8000/v1" in result.stdout
    assert "served name: Org/VL" in result.stdout
    result = run(registry, "select", "--role", "caption", "--require", "tools")
    assert "tools-vl" in result.stdout and "http://gpu-box:8001/v1" in result.stdout
    assert "served name: tv" in result.stdout
    result = run(registry, "select", "--role", "description")
    assert result.exit_code == 1
    assert "Failed to resolve role 'description'" in result.stderr


def test_verify_lock_drift_and_unlock(registry: Path, tmp_path: Path) -> None:
    result = run(registry, "verify", "vl", "--lock")
    assert result.exit_code == 0, result.output
    saved = json.loads(registry.read_text())[0]
    expected = saved["version_lock"]["expected_aggregate_sha256"]
    assert saved["version_lock"]["locked"] is True
    assert saved["artifacts"]["aggregate_sha256"] == expected
    assert run(registry, "verify", "--all").exit_code == 0

    (tmp_path / "models" / "vl" / "weights.safetensors").write_bytes(b"\x01" * 2048)
    (tmp_path / "models" / "vl" / "extra.bin").write_bytes(b"x")
    result = run(registry, "verify", "vl")
    assert result.exit_code == 3
    assert f"expected aggregate: {expected}" in result.stderr
    assert "actual aggregate:" in result.stderr
    assert "changed: weights.safetensors" in result.stderr
    assert "added: extra.bin" in result.stderr
    saved = json.loads(registry.read_text())[0]
    assert saved["version_lock"]["last_verification"]["status"] == "drifted"
    assert run(registry, "verify", "--all").exit_code == 3
    result = run(registry, "select", "--role", "caption", "--prefer", "vl")
    assert result.exit_code == 1 and "unlock vl" in result.stderr

    assert run(registry, "unlock", "vl").exit_code == 0
    assert run(registry, "verify", "vl").exit_code == 0
    result = run(registry, "verify", "--all")
    assert result.exit_code == 0 and "no locked entries" in result.stdout
    assert run(registry, "lock", "vl").exit_code == 0
    assert json.loads(registry.read_text())[0]["version_lock"]["locked"] is True


def test_lock_means_the_same_as_in_the_app(registry: Path, tmp_path: Path) -> None:
    # Never measured: lock hashes the files first, then locks on them.
    result = run(registry, "lock", "vl")
    assert result.exit_code == 0, result.output
    first = json.loads(registry.read_text())[0]["version_lock"]
    assert first["locked"] is True and first["last_verification"]["status"] == "verified"
    (tmp_path / "models" / "vl" / "extra.bin").write_bytes(b"x")
    assert run(registry, "verify", "vl").exit_code == 3
    # verify --lock never accepts a drift ...
    assert run(registry, "verify", "vl", "--lock").exit_code == 3
    # ... lock does: it re-locks to the files the verify measured, naming what it accepts,
    # exactly like Re-lock to Current in the app.
    result = run(registry, "lock", "vl")
    assert result.exit_code == 0 and "accepted added: extra.bin" in result.stdout
    saved = json.loads(registry.read_text())[0]["version_lock"]
    assert saved["expected_aggregate_sha256"] == saved["last_verification"][
        "actual_aggregate_sha256"] != first["expected_aggregate_sha256"]
    assert saved["last_verification"]["status"] == "verified"
    assert run(registry, "verify", "vl").exit_code == 0
    assert "already locked" in run(registry, "lock", "vl").stdout


def test_an_lmstudio_entry_loads_without_a_warning_and_entries_count_from_one(
        registry: Path) -> None:
    data = json.loads(registry.read_text())
    data.append({"name": "studio", "backend": "lmstudio", "backend_config": {},
                 "capabilities": {"text": True}})
    data.append({"name": "odd", "backend": "mystery", "backend_config": {},
                 "capabilities": {"text": True}})
    registry.write_text(json.dumps(data))
    result = run(registry, "list")
    assert result.exit_code == 0
    assert "'studio'" not in result.stderr and "'lmstudio'" not in result.stderr
    assert f"entry #{len(data)} ('odd'): unknown backend 'mystery'" in result.stderr


def test_verify_of_a_non_local_model_says_so(registry: Path) -> None:
    before = registry.read_bytes()
    result = run(registry, "verify", "ollama-vl")
    assert result.exit_code == 1 and "not a local folder" in result.stderr
    assert registry.read_bytes() == before


@pytest.mark.parametrize("args", [["verify"], ["verify", "vl", "--all"],
                                  ["verify", "--all", "--lock"], ["verify", "ghost"]])
def test_verify_usage_errors(registry: Path, args: list[str]) -> None:
    assert run(registry, *args).exit_code == 2


def test_bad_registry_files_exit_2_and_stay_untouched(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"name": "a",,}\n]\n', encoding="utf-8")
    result = run(bad, "verify", "--all")
    assert result.exit_code == 2 and f"{bad}:2:16" in result.stderr
    assert bad.read_text(encoding="utf-8") == '[\n  {"name": "a",,}\n]\n'
    result = run(tmp_path / "missing.json", "list")
    assert result.exit_code == 2 and "does not exist" in result.stderr
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps([{"name": "a", "backend": "vllm", "backend_config": {},
                                "capabilities": {}}] * 2), encoding="utf-8")
    result = run(dup, "list")
    assert result.exit_code == 2 and "duplicate name 'a'" in result.stderr


def test_unknown_backend_is_listed_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "reg.json"
    path.write_text(json.dumps([{"name": "a", "backend": "tgi", "backend_config": {},
                                 "capabilities": {}}]), encoding="utf-8")
    result = run(path, "list", "--json")
    assert result.exit_code == 0 and "unknown backend 'tgi'" in result.stderr


def test_sync_downloader_dry_run_then_idempotent_runs(registry: Path, tmp_path: Path) -> None:
    snap = tmp_path / "hf" / "Llama-3.2-3B-Instruct"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text('{"model_type": "llama"}')
    manifest = tmp_path / "models.json"
    manifest.write_text(json.dumps({
        "meta_llama_3b": {"model_name": "meta-llama/Llama-3.2-3B-Instruct", "path": str(snap),
                          "format_type": "safetensors", "files": ["config.json"]},
        "broken": {"model_name": "x/y"}}), encoding="utf-8")
    before = registry.read_bytes()
    result = run(registry, "sync-downloader", str(manifest), "--dry-run")
    assert result.exit_code == 1  # the broken record is an error
    assert "1 created, 0 updated, 0 unchanged, 1 errors (dry run)" in result.stdout
    assert registry.read_bytes() == before
    result = run(registry, "sync-downloader", str(manifest))
    assert "1 created, 0 updated" in result.stdout
    after = registry.read_bytes()
    assert json.loads(after)[-1]["name"] == "llama-3.2-3b-instruct"
    result = run(registry, "sync-downloader", str(manifest))
    assert "0 created, 0 updated, 1 unchanged" in result.stdout
    assert registry.read_bytes() == after
    manifest.write_text("{nope", encoding="utf-8")
    result = run(registry, "sync-downloader", str(manifest))
    assert result.exit_code == 2 and "malformed JSON" in result.stderr


def test_console_script_uses_the_environment_registry(registry: Path) -> None:
    env = {**os.environ, "IMAGEWORKS_REGISTRY_PATH": str(registry)}
    proc = subprocess.run([str(SCRIPT), "list", "--json"], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert [e["name"] for e in json.loads(proc.stdout)] == ["vl", "tools-vl", "ollama-vl"]
    proc = subprocess.run([str(SCRIPT), "--registry-path", str(registry), "verify", "vl"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0 and "verified (unlocked)" in proc.stdout
