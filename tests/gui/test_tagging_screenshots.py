"""`make screenshots` renders every documented state at 1440x900 from the real window."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

EXPECTED = [
    "models-drifted-details.png", "manifest-import-preview.png", "backend-discovery.png",
    "settings-dialog.png", "models-dark.png", "tagging-grid.png", "tagging-review.png",
    "tagging-write-summary.png", "first-run-no-backend.png",
]


def test_screenshot_command_renders_every_state(tmp_path):
    # A separate process, exactly as `make screenshots` runs it: the renderer builds whole
    # windows, contexts and event loops of its own, which must not share this test process.
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "imageworks_gui.gui.screenshots", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted(EXPECTED)
    for name in EXPECTED:
        image = QImage(str(out / name))
        assert (image.width(), image.height()) == (1440, 900), name
        # Not a blank render: a real window has many distinct colours.
        colours = {image.pixel(x, y) for x in range(0, 1440, 37) for y in range(0, 900, 29)}
        assert len(colours) > 20, name
