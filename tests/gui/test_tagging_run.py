"""Run control in the Tagging workspace: pause/resume/cancel, a dying backend, preflight, roles."""

from __future__ import annotations

import asyncio
import functools

import pytest

from imageworks_gui.app import build_context
from imageworks_gui.gui.tagging.grid_model import ERROR_ROLE, STATE_ROLE
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.pipeline.runner import TaggingPipeline
from tests.gui.tagging_support import COLOURS, make_photos, shut_down, wait_until, write_registry
from tests.support.fake_backend import FakeModel
from tests.support.ports import closed_port


@pytest.fixture
def workspace_for(tmp_path, qtbot, run):
    made: list[TaggingWorkspace] = []

    def make(backend, **registry_args) -> TaggingWorkspace:
        registry = write_registry(tmp_path / "model_registry.json", backend, **registry_args)
        ctx = build_context(registry)
        ctx.settings.backend.max_retries = 0
        ctx.settings.backend.read_timeout_s = 10  # a lost request fails the photo, not the test
        ctx.registry.load()
        ws = TaggingWorkspace(ctx)
        # Fast retries keep the failure tests short; everything else is the real pipeline.
        ws.controller._pipeline_factory = functools.partial(TaggingPipeline,
                                                            backoff_base_s=0.01)
        qtbot.addWidget(ws, before_close_func=shut_down(run))
        ws.resize(1200, 800)
        ws.show()
        made.append(ws)
        return ws

    yield make
    for ws in made:
        run(ws.context.shutdown())
        run(ws.context.http.aclose())


def test_pause_resume_and_progress_with_eta(tmp_path, workspace_for, fake_backend, run):
    backend = fake_backend("vllm", latency_s=0.03)
    ws = workspace_for(backend, max_concurrency=1)
    ctrl = ws.controller
    folder = tmp_path / "p"
    make_photos(folder, COLOURS * 2)

    async def flow() -> None:
        await ctrl.open_paths([folder])
        task = asyncio.ensure_future(ctrl.run("untagged"))
        await wait_until(lambda: ctrl.session.counts()["proposed"] >= 2)
        ws.actions_.pause.trigger()
        assert ctrl.run_state == "paused"
        assert ws.actions_.pause.text() == "Resume"
        await asyncio.sleep(0.3)                 # requests in flight settle
        settled = ctrl.session.counts()["proposed"]
        await asyncio.sleep(0.4)
        assert ctrl.session.counts()["proposed"] == settled   # nothing new while paused
        assert settled < 12
        assert "paused" in ws.status_row.progress_label.text()
        ws.actions_.pause.trigger()              # Resume
        assert ctrl.run_state == "running"
        assert await task
        assert ctrl.session.counts()["proposed"] == 12
        label = ws.status_row.progress_label.text()
        assert label.startswith("12 of 12") and "ETA" in label
        assert ws.status_row.progress.value() == 12

    run(flow())


def test_cancel_keeps_finished_proposals_and_unqueues_the_rest(tmp_path, workspace_for,
                                                               fake_backend, run):
    backend = fake_backend("vllm", latency_s=0.05)
    ws = workspace_for(backend, max_concurrency=1)
    ctrl = ws.controller
    folder = tmp_path / "p"
    make_photos(folder, COLOURS * 2)

    async def flow() -> None:
        await ctrl.open_paths([folder])
        task = asyncio.ensure_future(ctrl.run("all"))
        await wait_until(lambda: ctrl.session.counts()["proposed"] >= 1)
        assert ctrl.session.counts()["queued"] > 0
        ws.actions_.cancel.trigger()
        assert await task
        counts = ctrl.session.counts()
        assert counts["queued"] == 0
        assert counts["proposed"] >= 1 and counts["untagged"] >= 1
        assert counts["proposed"] + counts["untagged"] == 12
        assert "cancelled" in ws.notices[-1][1]
        assert ws.actions_.run_untagged.isEnabled()

    run(flow())


def test_backend_dying_mid_run_gives_failed_badges_and_the_run_finishes(
        tmp_path, workspace_for, fake_backend, run):
    backend = fake_backend("vllm", latency_s=0.03)
    ws = workspace_for(backend, max_concurrency=1)
    ctrl = ws.controller
    folder = tmp_path / "p"
    make_photos(folder, COLOURS * 2)

    async def flow() -> None:
        await ctrl.open_paths([folder])
        task = asyncio.ensure_future(ctrl.run("all"))
        await wait_until(lambda: ctrl.session.counts()["proposed"] >= 2)
        backend.fail(*["drop"] * 200)            # live connections hang up...
        backend.stop()                           # ...and new ones are refused
        assert await asyncio.wait_for(task, 60)
        counts = ctrl.session.counts()
        assert counts["proposed"] >= 2 and counts["failed"] >= 1
        assert counts["proposed"] + counts["failed"] == 12
        failed = ctrl.session.in_state("failed")[0]
        assert failed.error and "127.0.0.1" in failed.error
        row = ws.model.row_of(failed.path)
        index = ws.model.index(row)
        assert index.data(STATE_ROLE) == "failed"
        assert index.data(ERROR_ROLE) == failed.error
        assert failed.error in ws.model.data(index, 3)  # the tooltip names the reason
        assert ws.notices[-1][0] == "warning" and "failed" in ws.notices[-1][1]
        ws.status_row.filter.setCurrentIndex(ws.status_row.filter.findData("failed"))
        assert ws.proxy.rowCount() == counts["failed"]

    run(flow())


def test_preflight_failure_is_reported_and_nothing_is_queued(tmp_path, workspace_for,
                                                            fake_backend, run):
    backend = fake_backend("vllm", models=[FakeModel("blind", sees=False)])
    ws = workspace_for(backend)
    ctrl = ws.controller
    folder = tmp_path / "p"
    make_photos(folder, ("red",))

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert not await ctrl.run("all")
        level, text = ws.notices[-1]
        assert level == "error" and "Cannot start tagging" in text
        assert "vision probe" in text
        assert ctrl.session.counts()["untagged"] == 1
        assert ctrl.run_state == "idle"

    run(flow())


def test_role_pickers_show_resolved_model_state_and_choice(tmp_path, workspace_for,
                                                          fake_backend, run):
    backend = fake_backend("vllm")
    other = {"name": "offline-model", "backend": "vllm",
             "backend_config": {"base_url": f"http://127.0.0.1:{closed_port()}/v1"},
             "capabilities": {"vision": True}, "roles": ["keywords"],
             "probes": {"vision": {"vision_ok": False}},
             "version_lock": {"locked": True}}
    ws = workspace_for(backend, extra=[other])
    combo = ws.roles.combos["keywords"]
    assert combo.itemText(0).startswith("Automatic: Fake Vision (not checked")
    assert combo.count() == 3

    async def flow() -> None:
        await ws.check_backends()

    run(flow())
    combo = ws.roles.combos["keywords"]
    assert combo.itemText(0) == "Automatic: Fake Vision (online (seeing-model))"
    assert combo.itemText(2) == "offline-model (not running, locked, vision probe failed)"
    assert ws.roles.combos["caption"].count() == 2
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    assert ws.controller.preferred["keywords"] == "offline-model"
    pipeline = ws.controller.make_pipeline()
    assert pipeline.resolve()["keywords"].entry.name == "offline-model"


def test_run_selection_tags_only_the_selected_photos(tmp_path, workspace_for, fake_backend,
                                                     run):
    backend = fake_backend("vllm")
    ws = workspace_for(backend)
    ctrl = ws.controller
    folder = tmp_path / "p"
    photos = make_photos(folder, COLOURS[:4])

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert not ws.actions_.run_selection.isEnabled() or ws.selected_paths()
        ws.select_path(str(photos[1]))
        assert ws.actions_.run_selection.isEnabled()
        ws.actions_.run_selection.trigger()
        await wait_until(lambda: ctrl.session.get(str(photos[1])).state == "proposed")
        await wait_until(lambda: ctrl.run_state == "idle")
        assert ctrl.session.counts()["proposed"] == 1
        assert ctrl.session.get(str(photos[1])).proposed_keywords[0] == "green"
        ws.actions_.run_untagged.trigger()
        await wait_until(lambda: ctrl.session.counts()["proposed"] == 4)
        assert any(a is ws.actions_.approve for a in ws.menu_actions())

    run(flow())
