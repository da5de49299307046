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
