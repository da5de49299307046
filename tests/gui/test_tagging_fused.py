"""The Tagging workspace asks once per photo when one model serves every stage (the setting)."""

from __future__ import annotations

import asyncio

from imageworks_gui.gui.settings_dialog import SettingsDialog
from tests.gui.tagging_support import COLOURS, make_photos
from tests.gui.test_tagging_run import workspace_for  # noqa: F401  (the shared fixture)
from tests.support.fake_backend import FakeModel


def tagging_requests(backend):
    """The requests of the run itself (the preflight's probes left out)."""
    return [r for r in backend.records
            if "colour" not in r.prompt.lower() and "single word OK" not in r.prompt]


def test_a_run_sends_one_request_per_photo(tmp_path, workspace_for, fake_backend,  # noqa: F811
                                           run):
    backend = fake_backend("vllm", [FakeModel("vlm", fused_style="bad_description")])
    ws = workspace_for(backend)
    ctrl = ws.controller
    folder = tmp_path / "p"
    make_photos(folder, COLOURS[:3])

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("untagged")
        await asyncio.sleep(0)

    run(flow())
    assert ctrl.session.counts()["proposed"] == 3
    # One combined request per photo, plus the description it had to ask again.
    sent = tagging_requests(backend)
    assert len(sent) == 6 and sum(r.fused for r in sent) == 3
    review = next(r for r in ctrl.session if r.path.endswith("IMG_0001.jpg"))
    assert review.proposed_title == f"A {COLOURS[0]} photograph"
    assert review.proposed_keywords[0] == COLOURS[0]
    assert "café style" in (review.proposed_description or "")


def test_the_setting_turns_it_off_for_the_next_run(tmp_path, qtbot, workspace_for,  # noqa: F811
                                                   fake_backend, run):
    backend = fake_backend("vllm", [FakeModel("vlm")])
    ws = workspace_for(backend)
    dialog = SettingsDialog(ws.context.settings)
    qtbot.addWidget(dialog)
    box = dialog.editors[("tagging", "fused")]
    assert box.isChecked()
    box.setChecked(False)
    ws.context.settings = dialog.result_settings()
    assert ws.context.settings.tagging.fused is False
    folder = tmp_path / "p"
    make_photos(folder, COLOURS[:2])

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("untagged")

    ctrl = ws.controller
    run(flow())
    assert ctrl.session.counts()["proposed"] == 2
    sent = tagging_requests(backend)
    assert len(sent) == 6 and not any(r.fused for r in sent)
