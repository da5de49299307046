"""Golden sets in the app: Mark as Golden Set… in Tagging, Run Golden Sets… in Models."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.context import build_context
from imageworks_gui.gui.models.golden_dialog import GoldenRunDialog
from imageworks_gui.gui.tagging.golden_mark import GoldenMarkDialog, save_golden
from imageworks_gui.gui.tagging.state import Severity
from imageworks_gui.services.golden_store import GoldenStore
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry


class _Notices:
    """The part of the Tagging workspace that save_golden talks to: its notice bar."""

    def __init__(self) -> None:
        self.notices: list[tuple[Severity, str]] = []

    def show_notice(self, severity: Severity, text: str) -> None:
        self.notices.append((severity, text))


def _review(path: Path, state: str, kept: list[str], rejected: list[str],
            model: str = "vlm") -> PhotoReview:
    return PhotoReview(path=str(path), state=state, proposed_keywords=kept + rejected,
                       rejected_keywords=rejected, proposed_title="A photograph",
                       models={"keywords": {"name": model, "aggregate_sha256": "a" * 64}})


def test_mark_dialog_keeps_only_finished_photos_and_saves_them(tmp_path, qtbot, run):
    photos = make_photos(tmp_path / "photos", 3, size=(120, 80))
    selected = [_review(photos[0], "approved", ["red"], ["blue"]),
                _review(photos[1], "proposed", ["green"], [])]
    folder = [*selected, _review(photos[2], "written", ["blue"], [], model="other")]
    dialog = GoldenMarkDialog(selected, folder, "photos")
    qtbot.addWidget(dialog)
    assert "(1; 1 not finished are left out)" in dialog.use_selected.text()
    assert dialog.use_selected.isChecked() and dialog.role.currentData() == "keywords"
    assert [r.path for r in dialog.reviews()] == [str(photos[0])]
    dialog.name.setText("   ")
    dialog.accept()
    assert dialog.error.text() == "Give the set a name." and dialog.result() == 0
    dialog.name.setText("  studio   shots ")
    dialog.use_folder.setChecked(True)
    assert dialog.problem() is None and dialog.set_name() == "studio shots"

    notices = _Notices()
    assert run(save_golden(notices, "keywords", dialog.set_name(), dialog.reviews()))
    (golden,) = GoldenStore().list_sets("keywords")
    assert golden.name == "studio shots"
    assert sorted(p.path for p in golden.photos) == [str(photos[0]), str(photos[2])]
    red = next(p for p in golden.photos if p.path == str(photos[0]))
    assert red.truth_keywords == ["red"] and red.baseline_keywords == ["red", "blue"]
    # Both models that made the reviewed proposals are named, not only the first photo's.
    assert golden.baseline_model == {"models": {"keywords": [
        {"name": "other", "aggregate_sha256": "a" * 64, "photos": 1},
        {"name": "vlm", "aggregate_sha256": "a" * 64, "photos": 1}]}}
    assert notices.notices[0][0] is Severity.INFO
    assert "'studio shots' for role keywords: 2 photo(s)" in notices.notices[0][1]


def test_nothing_finished_cannot_be_marked(tmp_path, qtbot):
    photos = make_photos(tmp_path / "photos", 1, size=(120, 80))
    dialog = GoldenMarkDialog([], [_review(photos[0], "proposed", ["red"], [])], "x")
    qtbot.addWidget(dialog)
    assert not dialog.use_selected.isEnabled() and not dialog.use_folder.isEnabled()
    dialog.accept()
    assert "No approved or written photo" in dialog.error.text()


def test_run_golden_sets_shows_old_and_new_and_records_the_run(tmp_path, fake_backend, qtbot,
                                                                 run):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("blind", sees=False)])
    photos = make_photos(tmp_path / "photos", 2, size=(300, 200))
    registry = tmp_path / "model_registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm"),
                                    registry_entry(server.base_url, "blind")]),
                        encoding="utf-8")
    context = build_context(registry)
    context.registry.load()
    try:
        # Ground truth: the photo's colour. The blind model always answers "red".
        reviews = [_review(photos[0], "approved", ["red"], []),
                   _review(photos[1], "approved", ["green"], [])]
        assert run(save_golden(_Notices(), "keywords", "colours", reviews))
        results = {}
        for name in ("vlm", "blind"):
            dialog = GoldenRunDialog(context, [name])
            qtbot.addWidget(dialog)
            assert dialog.relock_button is None  # not drifted: it only measures
            run(dialog.run())
            assert dialog.table.rowCount() == 1
            assert dialog.table.item(0, 1).text() == "colours (keywords)"
            assert dialog.table.item(0, 2).text() == "2 of 2"
            (verdict,) = dialog.verdicts().values()
            assert verdict is not None and verdict.new.photos == 2
            results[name] = (verdict, [dialog.table.item(0, j).text() for j in range(8)],
                             dialog.status.text())
        good, blind = results["vlm"], results["blind"]
        # Old figures are the reviewed proposals' (each kept its only keyword): 100 %.
        assert good[0].old.precision == blind[0].old.precision == 1.0
        assert good[1][3].startswith("100% → ") and blind[1][3].startswith("100% → ")
        assert blind[0].new.precision < good[0].new.precision
        assert blind[0].status == "fail" and blind[1][7] == "FAIL"
        assert "0 of 1 golden set(s) passed" in blind[2]
        assert blind[1][7] != good[1][7] or good[0].status == "fail"
        runs = GoldenStore().runs("keywords", "colours")
        assert [entry for entry, _sha, _v in runs] == ["vlm", "blind"]
        assert runs[1][2] == blind[0]
    finally:
        run(context.shutdown())


def test_run_golden_sets_says_how_to_make_one_when_there_is_none(tmp_path, qtbot, run):
    registry = tmp_path / "model_registry.json"
    registry.write_text(json.dumps([registry_entry("http://127.0.0.1:9", "vlm")]),
                        encoding="utf-8")
    context = build_context(registry)
    context.registry.load()
    try:
        dialog = GoldenRunDialog(context, ["vlm"])
        qtbot.addWidget(dialog)
        run(dialog.run())
        assert dialog.table.rowCount() == 0
        assert "Mark as Golden Set" in dialog.status.text()
        assert dialog.status.textFormat() == Qt.TextFormat.PlainText
    finally:
        run(context.shutdown())
