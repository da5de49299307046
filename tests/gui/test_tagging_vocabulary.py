"""The Tagging workspace with a vocabulary: mapped chips, the new-terms lane, strict mode."""

from __future__ import annotations

import functools

import pytest
from PySide6.QtGui import QTextDocument

from imageworks_gui.app import build_context
from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_text
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.pipeline.runner import TaggingPipeline
from imageworks_gui.services.vocabulary_store import VocabularyStore
from tests.gui.tagging_support import make_photos, shut_down, wait_until, write_registry

NAME = "<i>colours</i> é"
"""Looks like markup on purpose: it must be shown as typed."""
TERMS = "Colours|Warm|Crimson = red\nColours|Cool|Blue\nCharts|Test patern\n"


@pytest.fixture
def workspace(tmp_path, qtbot, run, fake_backend):
    backend = fake_backend("vllm")
    registry = write_registry(tmp_path / "model_registry.json", backend)
    VocabularyStore().add(Vocabulary(name=NAME, format="text", terms=parse_text(TERMS)))
    ctx = build_context(registry)
    ctx.settings.backend.max_retries = 0
    ctx.registry.load()
    ws = TaggingWorkspace(ctx)
    ws.controller._pipeline_factory = functools.partial(TaggingPipeline, backoff_base_s=0.01)
    qtbot.addWidget(ws, before_close_func=shut_down(run))
    ws.resize(1200, 800)
    ws.show()
    yield ws
    run(ctx.shutdown())
    run(ctx.http.aclose())


def shown(tooltip: str) -> str:
    """A tooltip as the user reads it (Qt renders rich text)."""
    document = QTextDocument()
    document.setHtml(tooltip)
    return document.toPlainText()


def _tag_one(ws: TaggingWorkspace, tmp_path, run) -> str:
    folder = tmp_path / "photos"
    photo = str(make_photos(folder, ("red",))[0])
    ctrl = ws.controller

    async def flow() -> None:
        await ctrl.open_paths([folder])
        assert await ctrl.run("all")
        await wait_until(lambda: ctrl.session.get(photo).state == "proposed")
        await wait_until(lambda: ctrl.run_idle)

    run(flow())
    ws.select_path(photo)
    return photo


def test_suggest_mode_maps_chips_and_shows_new_terms_in_their_own_row(workspace, tmp_path,
                                                                      run):
    ws = workspace
    photo = _tag_one(ws, tmp_path, run)
    review = ws.controller.session.get(photo)
    # The model said red, "red tones", "test pattern" (and RED, the same as red).
    assert [m.method for m in review.keyword_mapping] == ["synonym", "new", "fuzzy"]
    assert review.accepted_keywords == ["Crimson", "red tones", "Test patern"]
    pane = ws.review_pane
    assert [c.keyword for c in pane.chips.chips] == ["Crimson", "Test patern"]
    crimson = shown(pane.chips.chip("Crimson").toolTip())
    assert f"In your vocabulary '{NAME}': Colours|Warm|Crimson" in crimson  # literally
    assert "Mapped by synonym on 'red'; the model said 'red'" in crimson
    fuzzy = shown(pane.chips.chip("Test patern").toolTip())
    assert "Charts|Test patern" in fuzzy and "fuzzy 9" in fuzzy
    assert "the model said 'test pattern'" in fuzzy
    assert pane.lane.isVisible() and pane.lane_legend.isVisible()
    assert [(c.keyword, c.kind) for c in pane.lane.chips] == [("red tones", "new")]
    assert any("mapped onto your vocabulary" in text and NAME in text
               for _s, text in ws.notices)

    pane.lane.chip("red tones").click()  # reject the new term
    review = ws.controller.session.get(photo)
    assert "red tones" not in review.accepted_keywords
    assert pane.lane.chip("red tones").kind == "removed"
    ws.undo_stack.undo()
    assert "red tones" in ws.controller.session.get(photo).accepted_keywords
    assert pane.lane.chip("red tones").kind == "new"


def test_strict_mode_offers_new_terms_greyed_and_one_click_accepts(workspace, tmp_path, run):
    ws = workspace
    ws.context.settings.vocabulary.mode = "strict"
    photo = _tag_one(ws, tmp_path, run)
    pane = ws.review_pane
    assert ws.controller.session.get(photo).accepted_keywords == ["Crimson", "Test patern"]
    chip = pane.lane.chip("red tones")
    assert chip is not None and chip.kind == "available"
    assert "strict mode" in shown(chip.toolTip())
    chip.click()
    review = ws.controller.session.get(photo)
    assert review.accepted_keywords == ["Crimson", "Test patern", "red tones"]
    assert pane.lane.chip("red tones").kind == "added"
    assert "Accept new term" in ws.undo_stack.undoText()
    ws.undo_stack.undo()
    assert "red tones" not in ws.controller.session.get(photo).accepted_keywords
    assert pane.lane.chip("red tones").kind == "available"


def test_add_to_vocabulary_stores_the_term_and_accepts_it(workspace, tmp_path, run):
    ws = workspace
    ws.context.settings.vocabulary.mode = "strict"
    photo = _tag_one(ws, tmp_path, run)
    menu = ws.review_pane.lane_menu("red tones")
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Accept for this photo", f"Add to vocabulary “{NAME}”"]
    menu.actions()[1].trigger()
    run(wait_until(lambda: "red tones" in ws.controller.session.get(photo).accepted_keywords))
    stored = VocabularyStore().get(NAME)
    assert ("red tones",) in [t.path for t in stored.terms]
    assert any("Added “red tones”" in text for _s, text in ws.notices)


def test_without_an_active_vocabulary_keywords_are_unmapped(workspace, tmp_path, run):
    ws = workspace
    VocabularyStore().set_active(NAME, False)
    photo = _tag_one(ws, tmp_path, run)
    review = ws.controller.session.get(photo)
    assert review.keyword_mapping == []
    assert review.accepted_keywords == ["red", "red tones", "test pattern"]
    assert not ws.review_pane.lane.isVisible()


def test_an_unreadable_vocabulary_is_named_and_the_others_still_map(workspace, tmp_path, run,
                                                                    isolated_user_dirs):
    broken = isolated_user_dirs["config"] / "vocabularies" / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    ws = workspace
    photo = _tag_one(ws, tmp_path, run)
    assert ws.controller.session.get(photo).accepted_keywords[0] == "Crimson"
    assert any(str(broken) in text and "not used" in text for _s, text in ws.notices)
