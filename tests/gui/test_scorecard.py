"""Every review action records its decision; undo records the retraction (pytest-qt)."""

from __future__ import annotations

from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.scorecard import events_for, figures
from imageworks_gui.gui.tagging.controller import TaggingController
from imageworks_gui.services import scorecard_store


def _proposal(path: str) -> PhotoReview:
    return PhotoReview.model_validate({
        "path": path, "state": "proposed", "tagged_at": "2026-01-01T00:00:00Z",
        "models": {"keywords": {"name": "vl", "aggregate_sha256": "h1"}},
        "proposed_keywords": ["fox", "snow", "tree", "sky", "rock"]})


def test_review_actions_and_undo_are_recorded(context, run) -> None:
    ctrl = TaggingController(context)
    path = "/photos/a [1].jpg"
    ctrl.put([_proposal(path)], save=False)

    async def scenario() -> None:
        assert ctrl.reject_keyword(path, "sky")
        assert ctrl.add_keyword(path, "hare")
        assert ctrl.approve(path)
        await ctrl.decisions.flush()
        (row,) = scorecard_store.scorecard()
        assert (row.keywords_kept, row.keywords_proposed, row.added_per_photo) == (4, 5, 1.0)
        ctrl.undo_stack.undo()  # back to proposed: the approval is retracted
        await ctrl.decisions.flush()
        assert scorecard_store.scorecard() == []
        ctrl.undo_stack.redo()
        await ctrl.decisions.flush()
        assert scorecard_store.scorecard()[0].keyword_precision == 0.8
        assert ctrl.reject(path)
        await ctrl.decisions.flush()
        assert scorecard_store.scorecard()[0].photos_rejected == 1

    run(scenario())


def test_quality_snapshot_and_column_text() -> None:
    from imageworks_gui.core.registry import RegistryEntry
    from imageworks_gui.core.scorecard import quality_snapshot
    from imageworks_gui.gui.models.quality_column import quality_text, quality_tooltip
    from tests.core.test_scorecard import _review

    review = _review("/p/a.jpg", "approved", proposed_keywords=list("abcde"),
                     rejected_keywords=["a"])
    snap = quality_snapshot(figures(events_for(review, "t1")), "vl", "2026-01-02")
    assert snap["keywords"]["summary"] == "keywords 80% kept, 1 photo"
    assert snap["caption"]["summary"] == "titles 100% accepted, 1 photo"
    entry = RegistryEntry.model_validate({"name": "vl", "backend": "vllm", "backend_config": {},
                                          "capabilities": {}, "performance": {"quality": snap}})
    assert quality_text(entry) in {"keywords 80% kept, 1 photo", "titles 100% accepted, 1 photo"}
    assert "keywords: keywords 80% kept, 1 photo (version h1)" in quality_tooltip(entry)


def test_panel_shows_an_upgrade_as_a_new_row(qapp, tmp_path) -> None:
    from imageworks_gui.gui.models.scorecard_panel import ScorecardPanel
    from tests.core.test_scorecard import _review

    old = _review("/p/a.jpg", "approved", proposed_keywords=list("abcde"),
                  rejected_keywords=["a"])
    new = _review("/p/b.jpg", "approved", proposed_keywords=list("abcd"),
                  models={"keywords": {"name": "vl", "aggregate_sha256": "h2"}})
    panel = ScorecardPanel()
    panel.set_rows(figures(events_for(old, "t1") + events_for(new, "t2")))
    table = panel.tables["keywords"]
    assert table.rowCount() == 2 and table.item(1, 1).text() == "h2"
    assert table.item(0, 4).text() == "80%" and table.item(1, 4).text() == "100%"
    for w, h in ((1024, 700), (1920, 1200)):
        panel.resize(w, h)
        assert panel.grab().save(str(tmp_path / f"scorecard-panel-{w}x{h}.png"))


def test_scorecard_window_from_the_models_workspace(window, run, qtbot) -> None:
    # Two versions of one model judged by the user: the window shows one row for each.
    first = _proposal("/photos/a.jpg")
    upgraded = PhotoReview.model_validate({
        **_proposal("/photos/b.jpg").model_dump(),
        "models": {"keywords": {"name": "vl", "aggregate_sha256": "h2"}}})
    events = [*events_for(first.model_copy(update={"state": "approved"}), "2026-01-02T00:00:00Z"),
              *events_for(upgraded.model_copy(update={"state": "rejected"}),
                          "2026-01-03T00:00:00Z")]
    scorecard_store.append(events)
    window.models.scorecard_action.trigger()
    dialog = window.models.scorecard_dialog

    async def loaded() -> None:
        from tests.gui.conftest import wait_for
        await wait_for(lambda: "keywords" in dialog.panel.tables)

    run(loaded())
    table = dialog.panel.tables["keywords"]
    assert table.rowCount() == 2
    assert "2 model version(s)" in dialog.status.text()
    dialog.close()


def test_store_in_registry_puts_the_figures_in_performance_quality_as_one_undo_step(
        window, run) -> None:
    review = PhotoReview.model_validate({
        **_proposal("/photos/a.jpg").model_dump(),
        "models": {"keywords": {"name": "vision-a", "aggregate_sha256": "h1"}},
        "state": "approved", "rejected_keywords": ["rock"]})
    scorecard_store.append(events_for(review, "2026-01-02T00:00:00Z"))
    ws = window.models
    ws.scorecard_action.trigger()
    dialog = ws.scorecard_dialog

    async def loaded() -> None:
        from tests.gui.conftest import wait_for
        await wait_for(lambda: dialog.store_button.isEnabled())

    run(loaded())
    dialog.store_button.click()
    quality = ws.doc.entry("vision-a").performance.model_dump()["quality"]["keywords"]
    assert quality["photos"] == 1 and quality["keyword_precision"] == 0.8  # 4 of 5 kept
    assert quality["hash"] == "h1" and "Store" in ws.undo_stack.undoText()
    assert "Stored the figures in 1 registry entry" in dialog.status.text()
    assert ws.doc.entry("text-b").performance is None or "quality" not in (
        ws.doc.entry("text-b").performance.model_dump())
    dialog.store_button.click()  # the same figures again: nothing changes
    assert "nothing changed" in dialog.status.text()
    ws.undo_stack.undo()
    perf = ws.doc.entry("vision-a").performance
    assert perf is None or "quality" not in perf.model_dump()
    dialog.close()
