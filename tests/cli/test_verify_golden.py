"""`verify NAME --golden` after a simulated drift: old vs new figures and the CI exit code."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from imageworks_gui.cli.registry import app
from imageworks_gui.core.golden import GoldenPhoto
from imageworks_gui.services.golden_store import GoldenStore
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port
from tests.support.tagging import make_photos, registry_entry


def _setup(tmp_path, base_url, truth):
    model = tmp_path / "models" / "vlm"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    entry = registry_entry(base_url, "vlm")
    entry["backend_config"]["model_path"] = str(model)
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([entry]))
    [photo] = make_photos(tmp_path / "p", 1, size=(320, 240))  # red
    GoldenStore().save("keywords", "reds", [GoldenPhoto(
        path=str(photo), truth_keywords=truth, baseline_keywords=truth)])
    return registry, model


def invoke(registry, *args):
    return CliRunner().invoke(app, ["--registry-path", str(registry), *args])


def test_gate_passes_then_fails_after_drift(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm")])
    registry, model = _setup(tmp_path, server.base_url, ["red", "red tones", "test pattern"])
    assert invoke(registry, "verify", "vlm", "--lock").exit_code == 0
    (model / "config.json").write_text('{"changed": true}')  # the snapshot drifts
    result = invoke(registry, "verify", "vlm", "--golden")
    assert "DRIFT" in result.output and "PASS" in result.output, result.output
    assert result.exit_code == 0
    # The user kept only "red": the new proposals hold 1 of 3, a drop of 0.667.
    GoldenStore().save("keywords", "reds", [GoldenPhoto(
        path=GoldenStore().list_sets()[0].photos[0].path, truth_keywords=["red"],
        baseline_keywords=["red"])])
    result = invoke(registry, "verify", "vlm", "--golden", "--margin", "0.1")
    assert result.exit_code == 1 and "FAIL" in result.output, result.output
    assert len(GoldenStore().runs("keywords", "reds")) == 1  # replaced set: its runs went too


def test_errors_exit_2(tmp_path, fake_backend):
    registry, _model = _setup(tmp_path, f"http://127.0.0.1:{closed_port()}", ["red"])
    result = invoke(registry, "verify", "vlm", "--golden")
    assert result.exit_code == 2 and "server running" in result.output, result.output
    result = invoke(registry, "verify", "vlm", "--golden", "--set", "nope")
    assert result.exit_code == 2 and "no golden set named 'nope'" in result.output


def test_mark_list_remove_from_a_folder(tmp_path):
    from imageworks_gui.core.review import PhotoReview
    from imageworks_gui.services.review_store import ReviewStore

    folder = tmp_path / "photos"
    folder.mkdir()
    ReviewStore(folder).append([
        PhotoReview(path=str(folder / "a.jpg"), state="approved", proposed_keywords=["fox"]),
        PhotoReview(path=str(folder / "b.jpg"), state="proposed", proposed_keywords=["x"])])
    registry = tmp_path / "r.json"
    registry.write_text("[]")
    result = invoke(registry, "golden", "mark", "keywords", "foxes", str(folder))
    assert result.exit_code == 0 and "1 photo(s), 1 not approved skipped" in result.output
    listed = invoke(registry, "golden", "list").output.split()
    assert listed == ["keywords", "foxes", "1", "photo(s)"]
    assert invoke(registry, "golden", "remove", "keywords", "foxes").exit_code == 0
    assert invoke(registry, "golden", "remove", "keywords", "foxes").exit_code == 2
