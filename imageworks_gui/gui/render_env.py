"""Per-user folders redirected to a scratch folder while screenshots are rendered."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imageworks_gui.gui.context import AppContext
    from imageworks_gui.gui.main_window import MainWindow

SIZE = (1440, 900)
"""Screenshot size: a common desktop window."""


@contextlib.contextmanager
def isolated_env(root: Path) -> Iterator[None]:
    """Point every per-user folder at ``root`` so rendering never touches real settings."""
    names = {"IMAGEWORKS_CONFIG_DIR": root / "config", "IMAGEWORKS_CACHE_DIR": root / "cache",
             "IMAGEWORKS_DATA_DIR": root / "data", "IMAGEWORKS_LOG_DIR": root / "log",
             "IMAGEWORKS_GUI_STATE": root / "gui.ini"}
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update({k: str(v) for k, v in names.items()})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def show_window(context: AppContext) -> MainWindow:
    """A main window on ``context``'s registry, shown at screenshot size, error dialogs off."""
    from imageworks_gui.gui.main_window import MainWindow

    window = MainWindow(context)
    window.errors.dialogs_enabled = False
    context.registry.load()
    window.resize(*SIZE)
    window.show()
    return window
