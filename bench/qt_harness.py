"""Runs a GUI benchmark coroutine on the app's event loop, per-user folders in a scratch dir."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any


def run_offscreen(measure: Callable[[Path], Coroutine[Any, Any, dict[str, Any]]]
                  ) -> dict[str, Any]:
    """``measure(work_dir)`` on a ThreadSafeQEventLoop; settings, caches, journals in work_dir."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from imageworks_gui.gui.event_loop import ThreadSafeQEventLoop

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="imageworks-bench-") as tmp:
        work = Path(tmp)
        for kind in ("CONFIG", "CACHE", "DATA"):
            os.environ[f"IMAGEWORKS_{kind}_DIR"] = str(work / kind.lower())
        os.environ["IMAGEWORKS_GUI_STATE"] = str(work / "gui.ini")
        loop = ThreadSafeQEventLoop(app)
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(measure(work))
        finally:
            loop.close()
            # Destroy the windows' widgets while Qt is still fully alive.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            gc.collect()
