"""The real main window, offscreen, that opens a folder and clicks "Tag untagged" (kill tests).

    python -m tests.support.gui_tagging_app REGISTRY FOLDER

Builds the app's objects as ``imageworks-gui`` does (context, main window), opens FOLDER in
the Tagging workspace, waits until it is listed, triggers the toolbar's "Tag untagged" action
and prints ``RUNNING``; then it keeps running until it is killed. User folders come from the
environment (``IMAGEWORKS_*_DIR``), as for the app.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def _start(window: object, folder: Path) -> None:
    from imageworks_gui.gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    ws = window.tagging
    listed = asyncio.Event()
    ws.controller.discovery_finished.connect(lambda _count: listed.set())
    window.open_paths([folder])
    await listed.wait()
    while not ws.actions_.run_untagged.isEnabled():
        await asyncio.sleep(0.01)
    ws.actions_.run_untagged.trigger()
    print("RUNNING", flush=True)
    await asyncio.Event().wait()  # until the test kills this process


def main(argv: list[str]) -> int:
    registry, folder = Path(argv[0]), Path(argv[1])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from imageworks_gui.app import build_context
    from imageworks_gui.gui.event_loop import ThreadSafeQEventLoop
    from imageworks_gui.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    loop = ThreadSafeQEventLoop(app)
    asyncio.set_event_loop(loop)
    context = build_context(registry)
    window = MainWindow(context)
    window.errors.dialogs_enabled = False
    context.registry.load()
    window.show()
    loop.run_until_complete(_start(window, folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
