"""Bursts in the Tagging workspace: badges, one request per burst, approving a whole burst."""

from __future__ import annotations

import asyncio
import functools
import shutil
from datetime import timedelta

import pytest

from imageworks_gui.app import build_context
from imageworks_gui.gui.tagging.grid_model import GROUP_ROLE
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.pipeline.runner import TaggingPipeline
from tests.gui.conftest import wait_for
from tests.gui.tagging_support import exiftool_read, write_registry
from tests.support.bursts import T0, burst
from tests.support.tagging import make_photos

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")


@pytest.fixture
def shoot(tmp_path):
    """Two bursts of three frames with real EXIF times, and one photo without a time."""
    folder = tmp_path / "shoot [é]"
    first = burst(folder, "-A ", seed=1, count=3)
    second = burst(folder, "B_", seed=2, count=3, start=T0 + timedelta(seconds=60))
    single = make_photos(folder, 1, size=(640, 480))
    return folder, first, second, single


@pytest.fixture
def workspace(tmp_path, qtbot, run, fake_backend):
    made = []

    def make(grouping: bool = True):
        backend = fake_backend("vllm")
        ctx = build_context(write_registry(tmp_path / "model_registry.json", backend))
        ctx.settings.backend.max_retries = 0
        ctx.settings.grouping.enabled = grouping
        ctx.registry.load()
        ws = TaggingWorkspace(ctx)
        ws.controller._pipeline_factory = functools.partial(TaggingPipeline, backoff_base_s=0.01)
        qtbot.addWidget(ws)
        ws.resize(1200, 800)
        ws.show()
        made.append(ws)
        return ws, backend

    yield make
    for ws in made:
        run(ws.context.shutdown())
        run(ws.context.http.aclose())


def badges(ws):
    model = ws.model
    return {model.path_at(r).rsplit("/", 1)[-1]: model.data(model.index(r, 0), GROUP_ROLE)
            for r in range(model.rowCount())}


def test_bursts_get_badges_are_tagged_once_and_approved_as_one_step(shoot, workspace, run):
    folder, first, second, single = shoot
    ws, backend = workspace()
    ctrl = ws.controller

    async def flow() -> None:
        assert await ctrl.open_paths([folder]) == 7
        await wait_for(lambda: len(ctrl.bursts.bursts) == 2, timeout=30)
        shown = badges(ws)
        assert [shown[p.name] for p in first] == ["1/3", "2/3", "3/3"]
        assert [shown[p.name] for p in second] == ["1/3", "2/3", "3/3"]
        assert shown[single[0].name] is None
        assert "burst" in ws.model.data(ws.model.index(ws.model.row_of(str(first[0])), 0),
                                        0x03)  # the tooltip says what the badge means
        assert await ctrl.run("all")
        chats = [r for r in backend.records if r.image_bytes and "colour" not in r.prompt.lower()]
        assert len(chats) == 3  # two bursts and one single photo, one request each
        reviews = {p: ctrl.session.get(str(p)) for p in [*first, *second, *single]}
        assert all(r.state == "proposed" and r.has_proposal for r in reviews.values())
        assert len({tuple(reviews[p].proposed_keywords) for p in first}) == 1

        stack = ctrl.undo_stack
        depth = stack.count()
        ws.select_row(ws.model.row_of(str(first[1])))
        await wait_for(lambda: ws.current_path() == str(first[1]))
        button = ws.review_pane.approve_group_button
        assert button.isVisible() and button.text() == "Approve group (3)"
        button.click()
        assert stack.count() == depth + 1 and "Approve group (3)" in stack.undoText()
        assert {ctrl.session.get(str(p)).state for p in first} == {"approved"}
        assert {ctrl.session.get(str(p)).state for p in second} == {"proposed"}
        assert not button.isVisible()  # nothing left to approve in this burst
        stack.undo()  # one step brings the whole burst back
        assert {ctrl.session.get(str(p)).state for p in first} == {"proposed"}
        stack.redo()
        ctrl.reject(str(second[0]))  # one member edited alone: the others stay as they were
        assert [ctrl.session.get(str(p)).state for p in second] == ["rejected", "proposed",
                                                                     "proposed"]
        summary = await ctrl.writer.write_approved()
        assert summary is not None
        for path in first:
            written = exiftool_read(path)
            assert written["keywords"] and written["title"]
        assert not exiftool_read(second[1])["keywords"]

    run(flow())


def test_grouping_off_tags_every_photo_and_shows_no_badge(shoot, workspace, run):
    folder, *_ = shoot
    ws, backend = workspace(grouping=False)
    ctrl = ws.controller

    async def flow() -> None:
        assert await ctrl.open_paths([folder]) == 7
        assert await ctrl.run("all")
        await asyncio.sleep(0)
        assert ctrl.bursts.bursts == [] and set(badges(ws).values()) == {None}
        ws.select_row(0)
        assert not ws.review_pane.approve_group_button.isVisible()
        chats = [r for r in backend.records if r.image_bytes and "colour" not in r.prompt.lower()]
        assert len(chats) == 7  # every photo, one request each

    run(flow())


def test_collapse_shows_one_card_per_burst_and_expand_shows_every_frame(shoot, workspace, run):
    folder, first, second, _single = shoot
    ws, _backend = workspace()
    ctrl = ws.controller

    def shown() -> dict[str, str | None]:
        proxy = ws.proxy
        return {proxy.index(r, 0).data(0x0100 + 1).rsplit("/", 1)[-1]:
                proxy.index(r, 0).data(GROUP_ROLE) for r in range(proxy.rowCount())}

    async def flow() -> None:
        await ctrl.open_paths([folder])
        await wait_for(lambda: len(ctrl.bursts.bursts) == 2, timeout=30)
        assert len(shown()) == 7
        collapse = ws.actions_.collapse_bursts
        assert collapse in ws.grid.menu_for([]).actions()  # also in the grid's context menu
        collapse.setChecked(True)
        cards = shown()
        reps = {name for name, label in cards.items() if label}
        assert len(cards) == 3 and set(cards.values()) == {"▣ 3", None}
        assert reps <= {p.name for p in [*first, *second]} and len(reps) == 2
        ws.proxy.set_filter("untagged")  # filters keep working on the collapsed grid
        assert len(shown()) == 3
        collapse.setChecked(False)
        assert len(shown()) == 7 and shown()[first[0].name] == "1/3"

    run(flow())
