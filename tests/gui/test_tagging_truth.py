"""The Tagging workspace shows only what is true: prose stages, CLI undo, export, stale text."""

from __future__ import annotations

import functools
import json
import subprocess

import pytest

from imageworks_gui.app import build_context
from imageworks_gui.core import review as rv
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.pipeline.runner import TaggingPipeline
from tests.gui.tagging_support import exiftool_set, make_photos, write_registry
from tests.support.fake_backend import FakeModel


@pytest.fixture
def workspace_for(tmp_path, qtbot, run):
    made: list[TaggingWorkspace] = []

    def make(backend) -> TaggingWorkspace:
        registry = write_registry(tmp_path / "model_registry.json", backend)
        ctx = build_context(registry)
        ctx.settings.backend.max_retries = 0
        ctx.registry.load()
        ws = TaggingWorkspace(ctx)
        ws.controller._pipeline_factory = functools.partial(TaggingPipeline,
                                                            backoff_base_s=0.01)
        qtbot.addWidget(ws)
        ws.resize(1200, 800)
        ws.show()
        made.append(ws)
        return ws

    yield make
    for ws in made:
        run(ws.context.shutdown())
        run(ws.context.http.aclose())


def _read_texts(path) -> dict[str, str]:
    out = subprocess.run(["exiftool", "-j", "-G1", "-charset", "iptc=UTF8",
                          "-XMP-dc:Description", "-IPTC:Caption-Abstract", str(path)],
                         check=True, capture_output=True)
    return json.loads(out.stdout.decode("utf-8"))[0]


# -- prose stages ---------------------------------------------------------------------------
def test_a_json_description_is_proposed_and_written_as_its_prose(tmp_path, workspace_for,
                                                                 fake_backend, run):
    backend = fake_backend("vllm", [FakeModel("seeing-model", prose_style="json")])
    ws = workspace_for(backend)
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))
    exiftool_set(red, "-IPTC:By-line=Ann")  # a photo with IPTC gets IPTC written too

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        review = ctrl.session.get(str(red))
        assert review.proposed_description == ("A photograph filled mostly with red. It shows "
                                               "a plain red surface, café style.")
        ws.select_path(str(red))
        pane = ws.review_pane
        assert pane.description_edit.toPlainText() == review.proposed_description
        assert not pane.suspicious.isVisible()
        assert ctrl.approve(str(red))
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.written == 1

    run(flow())
    texts = _read_texts(red)
    for tag in ("XMP-dc:Description", "IPTC:Caption-Abstract"):
        assert "café style" in texts[tag] and "\\u00e9" not in texts[tag]


def test_a_description_that_is_data_fails_that_stage_and_says_why(tmp_path, workspace_for,
                                                                  fake_backend, run):
    backend = fake_backend("vllm", [FakeModel("seeing-model", prose_style="data")])
    ws = workspace_for(backend)
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")

    run(flow())
    review = ctrl.session.get(str(red))
    assert review.state == "proposed" and review.proposed_description is None
    assert review.proposed_title == "A red photograph"
    ws.select_path(str(red))
    message = ws.review_pane.message.text()
    assert "description" in message and "no description text" in message
    assert "{" not in ws.review_pane.description_edit.toPlainText()


def test_the_review_pane_marks_a_proposal_that_looks_like_data(tmp_path, workspace_for,
                                                               fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))
    run(ctrl.open_paths([tmp_path / "p"]))
    # A proposal saved by an older version, restored with the folder's review state.
    ctrl.put([rv.apply_result(rv.queue(ctrl.session.get(str(red))), TagResult(
        path=str(red), status="ok", caption="A red wall",
        description='{"objects": ["wall"], "note": "caf\\u00e9"}', keywords=["red"]))])
    ws.select_path(str(red))
    pane = ws.review_pane
    assert pane.suspicious.isVisible()
    assert "description looks wrong" in pane.suspicious.text()
    assert "title" not in pane.suspicious.text()
    pane.description_edit.setPlainText("A red wall in the sun.")
    pane.description_edit.editing_finished.emit()
    assert not pane.suspicious.isVisible()
