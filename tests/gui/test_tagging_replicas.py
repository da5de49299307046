"""A run from the Tagging workspace over an entry with replicas: spread, and unfit ones named."""

from __future__ import annotations

import functools
import json

from imageworks_gui.app import build_context
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.pipeline.runner import TaggingPipeline
from tests.gui.tagging_support import COLOURS, make_photos, shut_down
from tests.support.fake_backend import FakeModel


def test_a_run_uses_every_fit_replica_and_names_the_one_left_out(tmp_path, qtbot, run,
                                                                 fake_backend):
    good = [fake_backend("vllm", [FakeModel("vlm")], latency_s=0.02) for _ in range(2)]
    other = fake_backend("vllm", [FakeModel("another-model")])
    registry = tmp_path / "model_registry.json"
    registry.write_text(json.dumps([{
        "name": "pool", "display_name": "Pool", "backend": "vllm", "served_model_id": "vlm",
        "backend_config": {"max_concurrency": 2,
                           "endpoints": [good[0].base_url, other.base_url, good[1].base_url]},
        "capabilities": {"text": True, "vision": True},
        "roles": ["caption", "keywords", "description"]}]), encoding="utf-8")
    ctx = build_context(registry)
    ctx.registry.load()
    ws = TaggingWorkspace(ctx)
    ws.controller._pipeline_factory = functools.partial(TaggingPipeline, backoff_base_s=0.01)
    qtbot.addWidget(ws, before_close_func=shut_down(run))
    ws.resize(1200, 800)
    ws.show()
    folder = tmp_path / "p"
    make_photos(folder, COLOURS * 2)
    ctrl = ws.controller

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("all")
        assert ctrl.session.counts()["proposed"] == 2 * len(COLOURS)

    try:
        run(flow())
        label = other.url.split("//")[1]
        (start,) = [(lv, t) for lv, t in ws.notices if t.startswith("Tagging 12 photo")]
        assert start[0] == "warning" and "Not used: pool: replica " + label in start[1]
        assert "another-model" in start[1]
        level, finished = ws.notices[-1]  # the last word still says it
        assert level == "warning" and finished.startswith("Tagging finished: 12 proposed")
        assert "not used: pool: replica " + label in finished
        assert all(len(s.records) > 0 for s in good)
        assert other.chat_count() == 0
    finally:
        run(ctx.shutdown())
        run(ctx.http.aclose())
