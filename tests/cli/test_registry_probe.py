"""`imageworks-model-registry probe` and `discover` against the test server."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from imageworks_gui.cli.registry import app
from tests.support.fake_backend import FakeModel
from tests.support.tagging import registry_entry

runner = CliRunner()


def setup_registry(tmp_path, server):
    path = tmp_path / "registry.json"
    seeing = registry_entry(server.base_url, "seeing", custom_key={"kept": True})
    blind = registry_entry(server.base_url, "blind")
    path.write_text(json.dumps([seeing, blind], indent=2) + "\n")
    return path


def invoke(registry, *args):
    result = runner.invoke(app, ["--registry-path", str(registry), *map(str, args)])
    return result.exit_code, result.output


def test_probe_records_vision_and_performance(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("seeing"), FakeModel("blind", sees=False)])
    registry = setup_registry(tmp_path, server)
    code, output = invoke(registry, "probe", "seeing")
    assert code == 0, output
    assert "passed every probe" in output and "TTFT" in output
    saved = json.loads(registry.read_text())
    assert saved[0]["probes"]["vision"]["vision_ok"] is True
    assert saved[0]["performance"]["rolling_samples"] == 1
    assert saved[0]["custom_key"] == {"kept": True}
    assert "probes" not in saved[1]


def test_probe_of_a_blind_model_fails_and_is_recorded(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("seeing"), FakeModel("blind", sees=False)])
    registry = setup_registry(tmp_path, server)
    code, output = invoke(registry, "probe", "blind")
    assert code == 1
    assert "did not pass the vision probe" in output
    assert json.loads(registry.read_text())[1]["probes"]["vision"]["vision_ok"] is False


def test_probe_without_recording_and_with_the_server_down(tmp_path, fake_backend,
                                                          isolated_user_dirs):
    (isolated_user_dirs["config"] / "settings.json").write_text(
        json.dumps({"backend": {"max_retries": 0}}))
    server = fake_backend("vllm", [FakeModel("seeing")])
    registry = setup_registry(tmp_path, server)
    before = registry.read_text()
    assert invoke(registry, "probe", "seeing", "--no-record")[0] == 0
    assert registry.read_text() == before
    server.stop()
    code, output = invoke(registry, "probe", "seeing")
    assert code == 1 and "nothing is listening" in output
    assert registry.read_text() == before


def test_probe_unknown_entry(tmp_path, fake_backend):
    registry = setup_registry(tmp_path, fake_backend("vllm"))
    code, output = invoke(registry, "probe", "nope")
    assert code == 2 and "no registry entry named 'nope'" in output


def test_discover_lists_and_adds(tmp_path, fake_backend):
    server = fake_backend("ollama", [FakeModel("llava:7b"), FakeModel("seeing")])
    registry = setup_registry(tmp_path, fake_backend("vllm", [FakeModel("seeing")]))
    code, output = invoke(registry, "discover", "--port", server.port)
    assert code == 0 and "llava:7b" in output and "(vision)" in output
    code, output = invoke(registry, "discover", "--port", server.port, "--add")
    assert code == 0 and "Added 2 entries" in output
    names = [e["name"] for e in json.loads(registry.read_text())]
    assert names[-2:] == ["llava-7b-ollama", "seeing-ollama"]
    assert "Added 0 entries" in invoke(registry, "discover", "--port", server.port, "--add")[1]


def test_discover_adds_lm_studio_models_with_roles_only_after_a_vision_probe(tmp_path,
                                                                             fake_backend):
    studio = fake_backend("lmstudio", [FakeModel("qwen2-vl"), FakeModel("fake-vlm", sees=False)])
    registry = setup_registry(tmp_path, fake_backend("vllm", [FakeModel("seeing")]))
    code, output = invoke(registry, "discover", "--port", studio.port, "--add")
    assert code == 0, output
    assert "qwen2-vl-lmstudio: passed the vision probe" in output
    assert "fake-vlm-lmstudio: no vision roles" in output
    saved = {e["name"]: e for e in json.loads(registry.read_text())}
    assert saved["qwen2-vl-lmstudio"]["backend"] == "lmstudio"
    assert saved["qwen2-vl-lmstudio"]["roles"] == ["caption", "keywords", "description"]
    assert saved["fake-vlm-lmstudio"]["roles"] == []
    assert saved["fake-vlm-lmstudio"]["capabilities"]["vision"] is False
    code, output = invoke(registry, "list")
    assert code == 0 and "unknown backend" not in output


def test_probe_names_a_server_that_serves_other_models(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("other")])
    registry = setup_registry(tmp_path, server)
    code, output = invoke(registry, "probe", "seeing")
    assert code == 1
    assert "status:        serves other models" in output
    assert "does not serve 'seeing'" in output and "other" in output
    assert "online:" not in output


def test_probe_connects_directly_whatever_the_proxy_variables_say(tmp_path, fake_backend,
                                                                  monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{dead}")
    server = fake_backend("vllm", [FakeModel("seeing")])
    code, output = invoke(setup_registry(tmp_path, server), "probe", "seeing", "--no-record")
    assert code == 0, output
    assert "status:        online (seeing)" in output
