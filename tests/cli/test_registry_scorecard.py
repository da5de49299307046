"""`imageworks-model-registry scorecard` prints the figures from the recorded decisions."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from imageworks_gui.cli.registry import app
from imageworks_gui.core.scorecard import DecisionEvent
from imageworks_gui.services import scorecard_store


def test_scorecard_json_and_table() -> None:
    runner = CliRunner()
    assert "No review decisions" in runner.invoke(app, ["scorecard"]).output
    scorecard_store.append([DecisionEvent(at="t", path="/p/a.jpg", role="keywords",
                                          model="[bold]vl", model_hash="h1",
                                          decision="approved", proposed=10, kept=8)])
    data = json.loads(runner.invoke(app, ["scorecard", "--json"]).output)
    assert data[0]["keyword_precision"] == 0.8 and data[0]["model"] == "[bold]vl"
    out = runner.invoke(app, ["scorecard", "--role", "keywords"],
                         env={"COLUMNS": "200"}).output
    assert "[bold]vl" in out and "80%" in out


def test_update_registry_keeps_unknown_keys(tmp_path) -> None:
    reg = tmp_path / "model_registry.json"
    reg.write_text(json.dumps([{"name": "vl", "backend": "vllm", "backend_config": {"port": 8000},
                                "capabilities": {"vision": True}, "roles": ["keywords"],
                                "x_custom": {"keep": 1}}]), encoding="utf-8")
    scorecard_store.append([DecisionEvent(at="t", path="/p/a.jpg", role="keywords", model="vl",
                                          model_hash="h1", decision="approved", proposed=4,
                                          kept=3)])
    result = CliRunner().invoke(app, ["--registry-path", str(reg), "scorecard",
                                      "--update-registry", "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(reg.read_text(encoding="utf-8"))
    assert entry["x_custom"] == {"keep": 1}
    quality = entry["performance"]["quality"]["keywords"]
    assert quality["summary"] == "keywords 75% kept, 1 photo" and quality["hash"] == "h1"
