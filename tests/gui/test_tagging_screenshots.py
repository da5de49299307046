"""`make screenshots` renders every documented state from the real window."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

EXPECTED = [
    "models-drifted-details.png", "manifest-import-preview.png", "backend-discovery.png",
    "settings-dialog.png", "models-dark.png", "tagging-grid.png", "tagging-review.png",
    "tagging-write-summary.png", "first-run-no-backend.png", "settings-vocabulary.png",
    "tagging-vocabulary.png",
]
SIZED = {"models-1024x700.png": (1024, 700), "models-1920x1080.png": (1920, 1080),
         "tagging-vocabulary-1024x700.png": (1024, 700),
         "tagging-vocabulary-1920x1080.png": (1920, 1080),
         "settings-prompt-profiles-1024x700.png": (1024, 700),
         "settings-prompt-profiles-errors.png": (1024, 700),
         "settings-prompt-profiles-1920x1200.png": (1920, 1200),
         "models-replicas-1024x700.png": (1024, 700),
         "models-replicas-1920x1200.png": (1920, 1200),
         "tagging-compare-1024x700.png": (1024, 700),
         "tagging-compare-1920x1200.png": (1920, 1200)}
"""The Models table and the review pane at the smallest and the largest supported size."""


def test_screenshot_command_renders_every_state(tmp_path):
    # A separate process, exactly as `make screenshots` runs it: the renderer builds whole
    # windows, contexts and event loops of its own, which must not share this test process.
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "imageworks_gui.gui.screenshots", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted([*EXPECTED, *SIZED])
    for name in [*EXPECTED, *SIZED]:
        image = QImage(str(out / name))
        width, height = SIZED.get(name, (1440, 900))
        assert (image.width(), image.height()) == (width, height), name
        # Not a blank render: a real window has many distinct colours.
        colours = {image.pixel(x, y) for x in range(0, width, 13) for y in range(0, height, 11)}
        assert len(colours) > 20, name
