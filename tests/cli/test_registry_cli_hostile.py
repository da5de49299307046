"""`imageworks-model-registry` with hostile names and files: literal output, clean errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.registry import app, verify_cmds

SCRIPT = Path(sys.executable).parent / "imageworks-model-registry"
WIDE = {"COLUMNS": "400"}  # tables and error panels on one line each


@pytest.fixture(autouse=True)
def _no_registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGEWORKS_REGISTRY_PATH", raising=False)


def entry(name: str, model: Path | None = None, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"port": 8000}
    if model is not None:
        config["model_path"] = str(model)
    return {"name": name, "backend": "vllm", "backend_config": config,
            "capabilities": {"text": True, "vision": True}, "roles": ["caption"], **extra}


def write_registry(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps(list(entries), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def run(registry: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--registry-path", str(registry), *args], env=WIDE)


def saved(registry: Path, name: str) -> dict[str, Any]:
    return next(e for e in json.loads(registry.read_text(encoding="utf-8"))
                if e["name"] == name)


@pytest.fixture
def bracket_model(tmp_path: Path) -> Path:
    """A model folder holding ``sub[/]w.bin`` (a folder ``sub[`` with a file ``]w.bin``)."""
    model = tmp_path / "models" / "qwen"
    (model / "sub[").mkdir(parents=True)
    (model / "sub[" / "]w.bin").write_bytes(b"A" * 4096)
    (model / "config.json").write_text('{"vision_config": {}}')
    return model


def test_markup_like_names_print_literally_and_a_drift_is_recorded(
        tmp_path: Path, bracket_model: Path) -> None:
    registry = write_registry(
        tmp_path / "reg.json", entry("qwen[/vl]", bracket_model),
        entry("old [bold]vl", deprecated=True), entry("blind", capabilities={"text": True}),
        entry("backup-vl"))
    result = run(registry, "list")
    assert result.exit_code == 0, result.output
    assert "qwen[/vl]" in result.stdout and "old [bold]vl" in result.stdout
    result = run(registry, "lock", "qwen[/vl]")
    assert result.exit_code == 0, result.output
    assert "qwen[/vl]: verified (locked), 2 files" in result.stdout
    assert json.loads(run(registry, "show", "qwen[/vl]").stdout)["name"] == "qwen[/vl]"

    (bracket_model / "sub[" / "]w.bin").write_bytes(b"B" * 4096)  # same size
    result = run(registry, "verify", "qwen[/vl]")
    assert result.exit_code == 3, result.output
    assert "DRIFT qwen[/vl]: the model files differ from the lock" in result.stderr
    assert "  changed: sub[/]w.bin" in result.stderr
    record = saved(registry, "qwen[/vl]")["version_lock"]["last_verification"]
    assert record["status"] == "drifted" and record["changed"] == ["sub[/]w.bin"]

    result = run(registry, "select", "--role", "caption")
    assert result.exit_code == 0, result.output
    assert "model:       backup-vl (priority)" in result.stdout
    assert "skipped qwen[/vl] (is locked and its last verification found changed files" \
        in result.stderr
    assert "skipped old [bold]vl (deprecated)" in result.stderr
    assert "skipped blind (lacks vision)" in result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ('[{"name": 5, "backend": "vllm", "backend_config": {}, "capabilities": {}}]',
     "entry #1: field 'name': Input should be a valid string"),
    ('[{"name": "a", "backend": "vllm", "backend_config": {}, "capabilities": {}, '
     '"metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}]",
     "nested too deeply to be read"),
    ('[{"name": "a", "backend": "vllm", "backend_config": {}, "capabilities": {}, '
     '"metadata": {"x": ' + "[" * 500 + "]" * 500 + "}}]",
     "nested more than 100 levels deep"),
    ('[{"name": "a", "backend": "vllm", "backend_config": {}, "capabilities": {}, '
     '"metadata": {"x": ' + "7" * 5000 + "}}]",
     "unreadable JSON value: Exceeds the limit (4300 digits)"),
])
def test_unloadable_registries_give_a_message_and_stay_untouched(
        tmp_path: Path, text: str, message: str) -> None:
    registry = tmp_path / "reg.json"
    registry.write_text(text, encoding="utf-8")
    before = registry.read_bytes()
    for args in (["list"], ["show", "a"], ["lock", "a"]):
        result = run(registry, *args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit)  # no traceback
        assert message in result.stderr
    assert registry.read_bytes() == before


def test_a_lone_surrogate_survives_a_save(tmp_path: Path, bracket_model: Path) -> None:
    registry = tmp_path / "reg.json"
    text = json.dumps([entry("a", bracket_model, notes="half \ud800 pair")], indent=2) + "\n"
    registry.write_text(text, encoding="utf-8")
    assert "\\ud800" in text
    result = run(registry, "lock", "a")
    assert result.exit_code == 0, result.output
    saved_text = registry.read_text(encoding="utf-8")
    assert '"notes": "half \\ud800 pair"' in saved_text
    assert json.loads(saved_text)[0]["notes"] == "half \ud800 pair"
    assert saved(registry, "a")["version_lock"]["locked"] is True
    result = run(registry, "show", "a")
    assert result.exit_code == 0 and '"notes": "half \\ud800 pair"' in result.stdout


def test_undecodable_names_are_printed_escaped(tmp_path: Path) -> None:
    name = "qwen" + os.fsdecode(b"\xe9") + "[/vl]"  # as read from a non-UTF-8 file system
    registry = tmp_path / "reg.json"
    registry.write_text(json.dumps([entry(name)]), encoding="ascii")  # "\\udce9" escape
    for args in (["list"], ["show", "nope"], ["select", "--role", "caption"]):
        result = run(registry, *args)
        assert isinstance(result.exception, SystemExit) or result.exception is None, args
        assert "qwen\\xe9[/vl]" in result.output, args


def test_a_non_utf8_file_name_is_a_clear_error(tmp_path: Path, bracket_model: Path) -> None:
    (bracket_model / os.fsdecode(b"caf\xe9.bin")).write_bytes(b"x")
    registry = write_registry(tmp_path / "reg.json", entry("a", bracket_model))
    before = registry.read_bytes()
    result = run(registry, "lock", "a")
    assert result.exit_code == 1, result.output
    assert "caf\\xe9.bin" in result.stderr and "not valid UTF-8" in result.stderr
    assert registry.read_bytes() == before


def test_a_symlink_loop_is_reported_by_verify_and_sync(tmp_path: Path,
                                                        bracket_model: Path) -> None:
    (bracket_model / "a.bin").symlink_to("b.bin")
    (bracket_model / "b.bin").symlink_to("a.bin")
    registry = write_registry(tmp_path / "reg.json", entry("a", bracket_model))
    result = run(registry, "verify", "a")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "cannot follow this link (Too many levels of symbolic links)" in result.stderr
    manifest = tmp_path / "models.json"
    manifest.write_text(json.dumps({"k": {"model_name": "o/qwen", "path": str(bracket_model),
                                          "format_type": "safetensors"}}))
    before = registry.read_bytes()
    result = run(registry, "sync-downloader", str(manifest))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "cannot follow this link" in result.stdout
    assert registry.read_bytes() == before


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_fifo_named_config_json_is_never_opened(tmp_path: Path, bracket_model: Path,
                                                  dry_run: bool) -> None:
    (bracket_model / "config.json").unlink()
    os.mkfifo(bracket_model / "config.json")
    registry = write_registry(tmp_path / "reg.json", entry("a"))
    manifest = tmp_path / "models.json"
    manifest.write_text(json.dumps({"k": {"model_name": "o/qwen", "path": str(bracket_model),
                                          "format_type": "safetensors"}}))
    args = [str(SCRIPT), "--registry-path", str(registry), "sync-downloader", str(manifest)]
    # A read of the FIFO would block forever: the timeout turns that into a failure.
    proc = subprocess.run(args + (["--dry-run"] if dry_run else []), capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "1 created" in proc.stdout
    if not dry_run:
        created = json.loads(registry.read_text())[-1]
        assert [f["path"] for f in created["artifacts"]["files"]] == ["sub[/]w.bin"]


def test_manifest_files_outside_the_snapshot_and_system_folders_are_refused(
        tmp_path: Path, bracket_model: Path) -> None:
    registry = write_registry(tmp_path / "reg.json", entry("a"))
    before = registry.read_bytes()
    manifest = tmp_path / "models.json"
    manifest.write_text(json.dumps({
        "up": {"model_name": "o/up", "path": str(bracket_model), "files": ["../../x"]},
        "abs": {"model_name": "o/abs", "path": str(bracket_model),
                "files": ["sub[/]w.bin", "/etc/passwd"]},
        "etc": {"model_name": "o/etc", "path": "/etc"},
    }))
    result = run(registry, "sync-downloader", str(manifest), "--no-hash")
    assert result.exit_code == 1, result.output
    out = " ".join(result.stdout.split())
    assert "listed file '../../x' is outside the model folder" in out
    assert "listed file '/etc/passwd' is outside the model folder" in out
    assert "/etc is a system folder" in out
    assert "0 created, 0 updated, 0 unchanged, 3 errors" in out
    assert registry.read_bytes() == before
    etc = write_registry(tmp_path / "etc.json", entry("etc", Path("/etc")))
    result = run(etc, "lock", "etc")
    assert result.exit_code == 1 and "/etc is a system folder" in result.stderr
    assert saved(etc, "etc").get("version_lock") is None


@pytest.fixture
def restore_modes(tmp_path: Path) -> Iterator[list[Path]]:
    changed: list[Path] = []
    yield changed
    for path in changed:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_a_read_only_registry_is_never_replaced(tmp_path: Path, bracket_model: Path,
                                                restore_modes: list[Path]) -> None:
    registry = write_registry(tmp_path / "reg.json", entry("a", bracket_model),
                              entry("b", bracket_model, version_lock={"locked": True}))
    registry.chmod(0o444)
    restore_modes.append(registry)
    before = registry.read_bytes()
    for args in (["lock", "a"], ["verify", "a"], ["unlock", "b"]):
        result = run(registry, *args)
        assert result.exit_code == 1, (args, result.output)
        assert f"{registry}: the registry file is read-only, so it was not changed" \
            in result.stderr
        assert "verified (locked)" not in result.stdout
    assert registry.read_bytes() == before
    assert stat.S_IMODE(registry.stat().st_mode) == 0o444


def test_a_read_only_folder_gives_the_same_message_for_lock_verify_and_unlock(
        tmp_path: Path, bracket_model: Path, restore_modes: list[Path]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    registry = write_registry(folder / "reg.json", entry("a", bracket_model),
                              entry("b", bracket_model, version_lock={"locked": True}))
    folder.chmod(0o555)
    restore_modes.append(folder)
    messages = set()
    for args in (["lock", "a"], ["verify", "a"], ["unlock", "b"]):
        result = run(registry, *args)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), args
        messages.add(next(line for line in result.stderr.splitlines()
                          if line.startswith("error:")).split("; the results")[0])
    assert messages == {f"error: {registry}: the folder {folder} is read-only, so the registry "
                        "cannot be replaced safely and was not changed; make the folder "
                        "writable, or pass --registry-path with a copy in a writable folder"}
    assert sorted(p.name for p in folder.iterdir()) == ["reg.json"]


def test_an_entry_deleted_while_it_is_hashed_is_not_reported_as_locked(
        tmp_path: Path, bracket_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = write_registry(tmp_path / "reg.json", entry("a", bracket_model), entry("b"))
    real_verify = verify_cmds.verify_entry

    def verify_while_someone_deletes_the_entry(*args: Any, **kwargs: Any) -> Any:
        outcome = real_verify(*args, **kwargs)
        write_registry(registry, entry("b"))  # e.g. the GUI saved without "a" meanwhile
        return outcome

    monkeypatch.setattr(verify_cmds, "verify_entry", verify_while_someone_deletes_the_entry)
    after_delete = json.dumps([entry("b")], indent=2) + "\n"
    result = run(registry, "lock", "a")
    assert result.exit_code == 1, result.output
    assert "verified (locked)" not in result.output
    assert "a: the entry was removed from" in result.stderr
    assert "nothing was recorded for it" in result.stderr
    assert registry.read_text(encoding="utf-8") == after_delete


def test_registry_path_after_the_command_name(tmp_path: Path, bracket_model: Path) -> None:
    registry = write_registry(tmp_path / "reg.json", entry("a", bracket_model))
    runner = CliRunner(env=WIDE)
    result = runner.invoke(app, ["list", "--json", "--registry-path", str(registry)])
    assert result.exit_code == 0, result.output
    assert [e["name"] for e in json.loads(result.stdout)] == ["a"]
    result = runner.invoke(app, ["verify", "a", "--lock", "--registry-path", str(registry)])
    assert result.exit_code == 0, result.output
    assert saved(registry, "a")["version_lock"]["locked"] is True
    result = runner.invoke(app, ["--registry-path", str(registry), "show", "a",
                                 f"--registry-path={registry}"])
    assert result.exit_code == 0 and json.loads(result.stdout)["name"] == "a"
    result = runner.invoke(app, ["--registry-path", str(registry), "show", "a",
                                 "--registry-path", str(tmp_path / "other.json")])
    assert result.exit_code == 2
    assert "given more than once with different files" in result.output


def test_wrong_but_readable_types_are_kept_as_written_with_a_warning(
        tmp_path: Path, bracket_model: Path) -> None:
    registry = write_registry(tmp_path / "reg.json", entry(
        "a", bracket_model, capabilities={"text": True, "vision": "yes"},
        generation_defaults={"max_tokens": 512.0}))
    data = json.loads(registry.read_text())
    data[0]["backend_config"]["port"] = "18001"
    registry.write_text(json.dumps(data, indent=2) + "\n")
    result = run(registry, "select", "--role", "caption")
    assert result.exit_code == 0, result.output  # "yes" reads as true: the entry sees
    assert ("entry #1 ('a'): field 'capabilities.vision': \"yes\" is a JSON string, read as "
            "true; it is kept as written") in result.stderr
    assert "field 'backend_config.port': \"18001\" is a JSON string, read as 18001" \
        in result.stderr
    assert "field 'generation_defaults.max_tokens': 512.0 is a JSON number, read as 512" \
        in result.stderr
    assert "endpoint:    http://127.0.0.1:18001/v1" in result.stdout
    assert run(registry, "lock", "a").exit_code == 0
    written = saved(registry, "a")
    assert written["capabilities"]["vision"] == "yes"
    assert written["backend_config"]["port"] == "18001"
    assert written["generation_defaults"]["max_tokens"] == 512.0
    assert written["version_lock"]["locked"] is True


@pytest.mark.parametrize(("field", "value"), [("deprecated", "false"), ("locked", "true")])
def test_safety_flags_must_be_real_booleans(tmp_path: Path, field: str, value: str) -> None:
    extra = {"deprecated": value} if field == "deprecated" else {
        "version_lock": {"locked": value}}
    registry = write_registry(tmp_path / "reg.json", entry("a", **extra))
    before = registry.read_bytes()
    result = run(registry, "list")
    assert result.exit_code == 2
    where = "deprecated" if field == "deprecated" else "version_lock.locked"
    assert (f"field '{where}': \"{value}\" is a JSON string, but this field must be a JSON "
            f"boolean (other tools would read it differently); write {value} without quotes"
            ) in result.stderr
    assert registry.read_bytes() == before


def test_verify_all_notices_a_same_size_edit_whose_mtime_was_restored(
        tmp_path: Path, bracket_model: Path) -> None:
    registry = write_registry(tmp_path / "reg.json", entry("a", bracket_model))
    assert run(registry, "lock", "a").exit_code == 0
    weights = bracket_model / "sub[" / "]w.bin"
    st = weights.stat()
    with open(weights, "r+b") as handle:
        handle.write(b"B")
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `touch -r` would
    result = run(registry, "verify", "--all")
    assert result.exit_code == 3, result.output
    assert "DRIFT a: the model files differ from the lock" in result.stderr
    assert "  changed: sub[/]w.bin" in result.stderr


def test_server_provided_names_print_literally_in_probe_and_discover(
        tmp_path: Path, fake_backend: Any) -> None:
    from tests.support.fake_backend import FakeModel
    from tests.support.tagging import registry_entry

    server = fake_backend("vllm", [FakeModel("vl[/INST]")])
    registry = write_registry(tmp_path / "reg.json",
                              registry_entry(server.base_url, "vl[/INST]", name="m[/x]"))
    result = run(registry, "probe", "m[/x]", "--no-record")
    assert result.exit_code == 0, result.output
    assert f"m[/x] (vllm at 127.0.0.1:{server.port})" in result.stdout
    assert "served name:   vl[/INST] (listed: yes)" in result.stdout
    result = run(registry, "discover", "--port", str(server.port))
    assert result.exit_code == 0, result.output
    assert f"127.0.0.1:{server.port}  vl[/INST]  (vision unknown)" in result.stdout


def test_terminal_control_sequences_in_names_are_shown_escaped(tmp_path: Path) -> None:
    hostile = "qwen\x1b]0;owned\x07\x1b[2J\x9b31m"
    registry = write_registry(tmp_path / "r.json", entry(hostile))
    for args in (["list"], ["select", "--role", "caption"], ["show", "nope"]):
        result = run(registry, *args)
        assert result.exit_code in (0, 2), result.output
        assert "\x1b" not in result.output and "\x9b" not in result.output, args
        assert "qwen\\x1b]0;owned" in result.output, args
        assert "\\x1b[2J\\x9b31m" in result.output, args


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_registry_path_that_is_a_fifo_or_device_is_refused_without_reading(
        tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        registry = tmp_path / "registry.json"
        os.mkfifo(registry)
    else:
        registry = Path("/dev/zero")  # endless: reading it would fill the memory
        if not registry.exists():
            pytest.skip("needs /dev/zero")
    # Reading would block (FIFO) or never end (device): the timeout turns that into a failure.
    proc = subprocess.run([str(SCRIPT), "--registry-path", str(registry), "list"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr
