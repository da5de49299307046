"""CLI behaviour of the engine: deadlines, served names, odd servers, remote endpoints, the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.registry import app as registry_app
from imageworks_gui.cli.tagger import _register_commands
from imageworks_gui.cli.tagger import app as tagger_app
from imageworks_gui.services.logs import read_log
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner()
_register_commands()


def tagger(*args: object):
    return runner.invoke(tagger_app, [str(a) for a in args])


def registry_cli(*args: object):
    return runner.invoke(registry_app, [str(a) for a in args])


def write(path: Path, *entries: dict) -> Path:
    path.write_text(json.dumps(list(entries), indent=2) + "\n")
    return path


def settings(config_dir: Path, **backend: object) -> None:
    (config_dir / "settings.json").write_text(json.dumps({"backend": backend}))


def bare_entry(name: str, base_url: str) -> dict:
    """An entry with neither served_model_id nor model_aliases (its name is what is served)."""
    return {"name": name, "backend": "vllm", "backend_config": {"base_url": base_url},
            "capabilities": {"text": True, "vision": True},
            "roles": ["caption", "keywords", "description"]}


def test_a_stalled_two_photo_run_ends_with_the_deadline_named(tmp_path, fake_backend,
                                                              isolated_user_dirs):
    server = fake_backend("vllm", [FakeModel("vlm")], trickle_s=0.25)
    server.fail(*["trickle"] * 12)  # every request trickles one byte at a time
    settings(isolated_user_dirs["config"], read_timeout_s=1, max_retries=1)
    photos = make_photos(tmp_path / "photos", 2, size=(320, 240))
    registry = write(tmp_path / "r.json", registry_entry(server.base_url, "vlm"))
    result = tagger("run", "-i", tmp_path / "photos", "--registry-path", registry,
                    "--dry-run", "--skip-preflight")
    assert result.exit_code == 1, result.output
    assert "0 ok, 2 failed" in result.output
    assert "request deadline of 3 s" in result.output  # 3 x read_timeout_s by default
    assert "backend.request_deadline_s" in result.output
    assert all(p.exists() for p in photos)


def test_an_entry_named_like_the_served_model_passes_preflight(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("fake-vlm")])
    make_photos(tmp_path / "photos", 1, size=(320, 240))
    registry = write(tmp_path / "r.json", bare_entry("fake-vlm", server.base_url))
    result = tagger("run", "-i", tmp_path / "photos", "--registry-path", registry, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Set served_model_id" not in result.output
    assert "1 ok, 0 failed" in result.output
    chosen = [r for r in read_log() if r.get("event_type") == "served_name"]
    assert chosen and chosen[0]["served_name"] == "fake-vlm"


def test_the_cli_probe_accepts_a_server_that_ignores_streaming(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("m")], ignores_stream=True)
    registry = write(tmp_path / "r.json", registry_entry(server.base_url, "m"))
    result = registry_cli("--registry-path", registry, "probe", "m")
    assert result.exit_code == 0, result.output
    assert "streaming:     no" in result.stdout
    assert "did not stream" in result.stdout
    probes = [r for r in read_log() if r.get("event_type") == "probe"]
    assert probes and probes[-1]["streamed"] is False and probes[-1]["ok"] is True
    (saved,) = json.loads(registry.read_text())
    assert saved["performance"]["last_sample"]["streamed"] is False


@pytest.mark.parametrize("host,warned", [("192.0.2.10", True), ("gpu-box.example", True),
                                         ("localhost", False), ("::1", False),
                                         ("127.3.4.5", False)])
def test_show_warns_about_an_endpoint_off_this_machine(tmp_path, host, warned):
    entry = bare_entry("m", "http://x/v1")
    entry["backend_config"] = {"host": host, "port": 8000, "api_key_env": "MY_KEY"}
    registry = write(tmp_path / "r.json", entry)
    result = registry_cli("--registry-path", registry, "show", "m")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "m"  # stdout stays JSON
    assert ("not this machine" in result.stderr) is warned
    if warned:
        assert "MY_KEY travels unencrypted" in result.stderr


def test_probe_and_run_warn_once_about_a_remote_base_url(tmp_path, isolated_user_dirs):
    settings(isolated_user_dirs["config"], connect_timeout_s=0.3, max_retries=0)
    registry = write(tmp_path / "r.json", registry_entry("http://192.0.2.1:9/v1", "m"))
    result = registry_cli("--registry-path", registry, "probe", "m")
    assert result.exit_code == 1
    assert result.stderr.count("192.0.2.1, which is not this machine") == 1
    make_photos(tmp_path / "photos", 2, size=(320, 240))
    result = tagger("run", "-i", tmp_path / "photos", "--base-url", "http://192.0.2.1:9/v1",
                    "--caption-model", "m", "--keyword-model", "m", "--description-model",
                    "m", "--dry-run", "--skip-preflight")
    assert result.exit_code == 1, result.output
    assert result.stderr.count("which is not this machine") == 1  # once per run


def test_verbose_prints_role_resolutions_and_every_run_is_logged(tmp_path, fake_backend,
                                                                 isolated_user_dirs):
    server = fake_backend("vllm", [FakeModel("vlm")])
    make_photos(tmp_path / "photos", 1, size=(320, 240))
    registry = write(tmp_path / "r.json", registry_entry(server.base_url, "vlm"))
    quiet = tagger("run", "-i", tmp_path / "photos", "--registry-path", registry)
    assert quiet.exit_code == 0, quiet.output
    assert "role_resolution" not in quiet.stderr
    loud = tagger("-v", "run", "-i", tmp_path / "photos", "--registry-path", registry,
                  "--dry-run")
    assert loud.exit_code == 0, loud.output
    assert loud.stderr.count('"event_type": "role_resolution"') == 3  # one per stage

    log_file = isolated_user_dirs["log"] / "imageworks.jsonl"
    records = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    kinds = [r["event_type"] for r in records]
    for kind in ("session", "role_resolution", "probe", "run_started", "write",
                 "run_finished"):
        assert kind in kinds, kind
    resolution = next(r for r in records if r["event_type"] == "role_resolution")
    assert resolution["role"] == "caption" and resolution["model"] == "vlm"
    assert resolution["level"] == "info" and resolution["logger"] == "imageworks.resolution"
    verbose_registry = registry_cli("-v", "--registry-path", registry, "select", "--role",
                                    "caption")
    assert verbose_registry.exit_code == 0, verbose_registry.output


def test_verify_is_logged(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"weights")
    entry = bare_entry("m", "http://127.0.0.1:1/v1")
    entry["backend_config"]["model_path"] = str(folder)
    registry = write(tmp_path / "r.json", entry)
    result = registry_cli("-v", "--registry-path", registry, "verify", "m", "--lock")
    assert result.exit_code == 0, result.output
    assert "info: m: verified (locked)" in result.stderr  # -v prints the log records
    (record,) = [r for r in read_log() if r.get("event_type") == "verify"]
    assert record["entry"] == "m" and record["status"] == "verified" and record["lock"] is True
    assert record["actual_aggregate_sha256"]


def test_an_unusable_log_folder_never_stops_a_command(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv("IMAGEWORKS_LOG_DIR", str(blocker))
    registry = write(tmp_path / "r.json", bare_entry("m", "http://127.0.0.1:1/v1"))
    result = registry_cli("--registry-path", registry, "show", "m")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "m"
    assert "cannot open the log file" in result.stderr and "running without it" in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_log_file_that_cannot_be_written_warns_once_without_a_traceback(tmp_path,
                                                                          monkeypatch):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "imageworks.jsonl").symlink_to("/dev/full")  # every write: disk full
    monkeypatch.setenv("IMAGEWORKS_LOG_DIR", str(folder))
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"weights")
    entry = bare_entry("m", "http://127.0.0.1:1/v1")
    entry["backend_config"]["model_path"] = str(model)
    registry = write(tmp_path / "r.json", entry)
    result = registry_cli("--registry-path", registry, "verify", "m", "--lock")
    assert result.exit_code == 0, result.output
    assert "verified (locked)" in result.stdout
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr
    assert result.stderr.count("cannot write the log file") == 1, result.stderr
    assert "No space left on device" in result.stderr


def test_verbose_log_lines_show_terminal_control_characters_escaped(tmp_path, fake_backend,
                                                                     isolated_user_dirs):
    settings(isolated_user_dirs["config"], max_retries=0)
    server = fake_backend("vllm", [FakeModel("vlm")])
    server.error_message = "bad \x1b[2J\x1b]0;owned\x07 input"
    server.fail("500", "500", "500")
    photo = make_photos(tmp_path / "photos", 1, size=(320, 240))[0]
    registry = write(tmp_path / "r.json", registry_entry(server.base_url, "vlm"))
    result = tagger("-v", "run", "-i", photo, "--registry-path", registry, "--dry-run",
                    "--skip-preflight")
    assert result.exit_code == 1, result.output
    assert "bad \\x1b[2J\\x1b]0;owned" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    # The log file keeps the exact text (JSON-escaped).
    assert any("\x1b[2J" in r.get("message", "") for r in read_log())
