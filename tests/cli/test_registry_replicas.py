"""`show` lists each replica with its state; `list` shows how many replicas an entry has."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from imageworks_gui.cli.registry import app
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port


def test_show_and_list_replicas(tmp_path: Path, fake_backend) -> None:
    up = fake_backend("vllm", [FakeModel("m")])
    closed = closed_port()
    path = tmp_path / "registry.json"
    text = json.dumps([{"name": "m", "backend": "vllm", "capabilities": {"text": True},
                         "backend_config": {"endpoints": [
        f"http://127.0.0.1:{up.port}/v1", {"port": closed, "note": "spare [b]"}]}}])
    path.write_text(text)
    runner = CliRunner()
    shown = runner.invoke(app, ["--registry-path", str(path), "show", "m"])
    assert shown.exit_code == 0, shown.output
    assert f"127.0.0.1:{up.port}: online" in shown.output
    assert f"127.0.0.1:{closed}: offline" in shown.output
    listed = runner.invoke(app, ["--registry-path", str(path), "list"])
    assert "2 replicas" in listed.output
    assert path.read_text() == text


def _replicated(path: Path, *urls: str) -> Path:
    path.write_text(json.dumps([{
        "name": "m", "backend": "vllm", "served_model_id": "m",
        "capabilities": {"text": True, "vision": True}, "roles": ["keywords"],
        "backend_config": {"endpoints": list(urls)}}]))
    return path


def test_probe_checks_every_replica_and_names_the_unfit_ones(tmp_path: Path,
                                                            fake_backend) -> None:
    good = [fake_backend("vllm", [FakeModel("m")]) for _ in range(2)]
    other = fake_backend("vllm", [FakeModel("other-model")])
    path = _replicated(tmp_path / "registry.json", good[0].base_url, other.base_url,
                       good[1].base_url)
    result = CliRunner().invoke(app, ["--registry-path", str(path), "probe", "m",
                                      "--no-record"])
    assert result.exit_code == 0, result.output
    assert "model 'm': 2 of 3 replicas passed every probe" in result.output
    assert f"replica 127.0.0.1:{other.port}: refused" in result.output
    assert "other-model" in result.output
    # Each fit replica answered the vision probe itself.
    assert all(s.chat_count() >= 3 for s in good) and other.chat_count() == 0


def test_probe_fails_when_no_replica_passes(tmp_path: Path, fake_backend) -> None:
    blind = fake_backend("vllm", [FakeModel("m", sees=False)])
    path = _replicated(tmp_path / "registry.json", blind.base_url,
                       f"http://127.0.0.1:{closed_port()}/v1")
    result = CliRunner().invoke(app, ["--registry-path", str(path), "probe", "m",
                                      "--no-record"])
    assert result.exit_code == 1, result.output
    assert "none of its 2 replicas can be used" in result.output
    assert "vision probe" in result.output and "not running" in result.output
