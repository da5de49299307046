"""Composition root: builds settings, services and the main window, and shuts them down."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from imageworks_gui.gui.context import build_context

__all__ = ["build_context", "main", "parse_args", "run_app"]

log = logging.getLogger("imageworks.app")

def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="imageworks-gui",
        description="Curate local vision-language models and tag photos with reviewed "
                    "metadata.")
    parser.add_argument("--registry-path", type=Path, default=None,
                        help="model_registry.json to open (default: $IMAGEWORKS_REGISTRY_PATH, "
                             "./configs/model_registry.json, or the one in the user config "
                             "folder)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print the structured log records on stderr")
    parser.add_argument("--quit-after", type=float, default=None, metavar="SECONDS",
                        help=argparse.SUPPRESS)  # smoke tests: close the window after a delay
    parser.add_argument("paths", nargs="*", type=Path,
                        help="photos or folders to open in the Tagging workspace")
    # Qt's own options (-platform, -style, ...) are left for QApplication.
    args, _unknown = parser.parse_known_args(argv)
    return args


async def run_app(args: argparse.Namespace) -> int:
    """Build the window, wait for it to close, then clean up in order."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from imageworks_gui.gui.main_window import MainWindow
    from imageworks_gui.gui.palette import follow_system_palette
    from imageworks_gui.services.blocking import shutdown_executor

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    follow_system_palette(app)
    context = build_context(args.registry_path)
    context.add_cleanup(context.http.aclose)
    window = MainWindow(context)
    window.errors.install()
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    context.registry.load()
    for message in context.startup_messages:
        window.errors.report("Settings not loaded", message)
    window.show()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, ctx: window.errors.report(
        "Unexpected error", str(ctx.get("exception") or ctx.get("message"))))
    if not context.registry.read_only and len(context.registry):
        context.spawn(window.models.controller.check_online(), "Backend check")
    log.info("window shown on registry %s (%d entries)", context.registry.path,
             len(context.registry))
    if args.paths:
        window.open_paths([p.expanduser() for p in args.paths])
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    await closed.wait()
    window.errors.uninstall()
    await context.shutdown()
    shutdown_executor()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Start the desktop application (``imageworks-gui`` and ``python -m imageworks_gui``)."""
    from PySide6.QtWidgets import QApplication

    from imageworks_gui.services.logs import setup_logging

    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    setup_logging("imageworks-gui", verbose=args.verbose)
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Imageworks")
    app.setOrganizationName("Imageworks")
    app.setDesktopFileName("imageworks-gui")
    # The window closing must not stop the loop before the async cleanup has run.
    app.setQuitOnLastWindowClosed(False)
    from imageworks_gui.gui.event_loop import ThreadSafeQEventLoop

    loop = ThreadSafeQEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return int(loop.run_until_complete(run_app(args)))
    except asyncio.CancelledError:
        return 1
    finally:
        loop.close()
        asyncio.set_event_loop(None)
