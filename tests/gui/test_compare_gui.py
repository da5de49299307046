"""Compare… in the Tagging workspace: two test-server models, keys 1/2/3, summary, saving, roles."""

from __future__ import annotations

import html
import json
import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt

from imageworks_gui.core.compare import Combination
from imageworks_gui.gui.context import build_context
from imageworks_gui.gui.tagging.actions import TaggingActions
from imageworks_gui.gui.tagging.compare_dialog import CompareDialog
from imageworks_gui.gui.tagging.compare_view import CompareView, highlighted_words
from imageworks_gui.services.quality_db import quality_db_path
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry


def _context(tmp_path: Path, base_url: str):
    registry = tmp_path / "model_registry.json"
    registry.write_text(json.dumps([registry_entry(base_url, "vlm"),
                                    registry_entry(base_url, "blind"),
                                    registry_entry(base_url, "vlm", name="captioner",
                                                   roles=["caption"])]), encoding="utf-8")
    context = build_context(registry)
    context.registry.load()
    return context


def test_compare_run_marks_summary_save_and_use_for_role(tmp_path, fake_backend, qtbot, run):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("blind", sees=False)])
    photos = make_photos(tmp_path / "photos", 3, size=(300, 200))
    before = {p: p.read_bytes() for p in photos}
    context = _context(tmp_path, server.base_url)
    try:
        paths = [str(p) for p in photos]
        setup = CompareDialog(["vlm", "blind", "captioner"], paths, [], profiles=["default"])
        qtbot.addWidget(setup)
        setup.size.setValue(3)
        setup.seed.setValue(7)
        assert setup.combinations() == [Combination("vlm"), Combination("blind")]
        assert setup.sample().note == "3 of 3 photo(s) drawn at random, seed 7"
        assert setup.problem() is None

        view = CompareView(context, setup.combinations(), setup.sample())
        qtbot.addWidget(view)
        view.show()
        run(view.run())
        assert list(view.proposals) == paths  # path order: red, green, blue
        assert view.progress.value() == 6
        green = view.proposals[paths[1]]
        assert green[0].caption == "A green photograph"
        assert green[1].caption == "A red photograph"  # the blind model always says red

        # Red photo: both say red; key 2 makes the blind model the winner, then it moves on.
        qtbot.keyClick(view, Qt.Key.Key_2)
        assert view.index == 1
        # Green photo: "green" is only in the first column, "red" only in the second.
        assert 'background-color:#ffe08a;color:#000000;">green' in \
            view.columns[0].fields["caption"].text()
        assert 'font-weight:bold;">red<' in view.columns[1].fields["keywords"].text()
        qtbot.keyClick(view, Qt.Key.Key_1)
        qtbot.keyClick(view, Qt.Key.Key_1)
        assert view.index == 2  # the last photo stays current
        view.go(-2)
        view.columns[0].buttons["keywords"].click()  # red: keep the first model's keywords

        a, b = view.summaries()
        assert (a.wins, b.wins, a.ties, a.field_wins, b.field_wins) == (2, 1, 0, 1, 0)
        # Kept keywords are the first model's everywhere: A overlaps 100 %. B: red photo
        # identical (1.0); green/blue share only "test pattern" of {colour, colour tones,
        # test pattern} each, 1/5 = 0.2; mean (1 + 0.2 + 0.2) / 3 = 0.4667.
        assert a.kept_overlap == 1.0
        assert round(b.kept_overlap, 4) == 0.4667
        assert view.table.item(1, 4).text() == "47%"
        assert view.table.item(0, 1).text() == "2"
        assert a.seconds_per_photo is not None and a.failed == b.failed == 0

        saved = run(view.save())
        with sqlite3.connect(quality_db_path()) as conn:
            row = conn.execute("SELECT sample_note, seed, photos, combinations FROM comparisons "
                               "WHERE id = ?", (saved,)).fetchone()
            marks = sorted(conn.execute("SELECT path, field, winner FROM comparison_marks"))
        assert row[:3] == ("3 of 3 photo(s) drawn at random, seed 7", 7, 3)
        assert [c["model"] for c in json.loads(row[3])] == ["vlm", "blind"]
        assert marks == sorted([(paths[0], "photo", "1"), (paths[0], "keywords", "0"),
                                (paths[1], "photo", "0"), (paths[2], "photo", "0")])

        # Use for role: "blind" goes before "vlm" for keywords; one undo restores the order.
        order = [e.name for e in context.registry.entries]
        assert view.use_for_role(1, "keywords")
        assert [e.name for e in context.registry.entries] == ["blind", "vlm", "captioner"]
        context.registry.undo_stack.undo()
        assert [e.name for e in context.registry.entries] == order
        assert not view.use_for_role(0, "keywords")  # already first
        view.combinations[1] = Combination("blind", "default")
        view.use_profile(1)
        assert context.settings.tagging.prompt_profile == "default"
        assert {p: p.read_bytes() for p in photos} == before
    finally:
        run(context.shutdown())
        run(context.http.aclose())


def test_untrusted_text_is_escaped_and_bad_setups_are_refused(qtbot, tmp_path):
    text = highlighted_words("<b>bold</b> & <script>", ["plain"])
    assert "<b>" not in text and "<script>" not in text
    assert html.escape("<script>") in text
    photos = [str(p) for p in make_photos(tmp_path / "p", 2, size=(50, 50))]
    setup = CompareDialog(["only-model"], photos, [photos[1]], profiles=["default"])
    qtbot.addWidget(setup)
    assert setup.use_selection.isChecked()
    assert setup.sample().paths == (photos[1],)
    setup.accept()  # A and B are the same model with the same profile
    assert "same" in setup.error.text() and setup.result() == 0
    setup.profiles[1].setCurrentIndex(1)
    assert setup.problem() is None


def test_compare_action_is_offered(qtbot):
    from PySide6.QtWidgets import QWidget

    host = QWidget()
    qtbot.addWidget(host)
    actions = TaggingActions(host)
    assert actions.compare.text() == "Compare…"
