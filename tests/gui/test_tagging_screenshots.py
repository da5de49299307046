"""The Tagging screenshots render at 1440x900 from the real window."""

from __future__ import annotations

from PySide6.QtGui import QImage

from imageworks_gui.gui.tagging.screenshots import render


def test_render_saves_the_tagging_and_first_run_screenshots(tmp_path, qapp):
    saved = render(tmp_path / "shots")
    assert [p.name for p in saved] == ["tagging-grid.png", "tagging-review.png",
                                       "tagging-write-summary.png", "first-run-no-backend.png"]
    for path in saved:
        image = QImage(str(path))
        assert (image.width(), image.height()) == (1440, 900)
