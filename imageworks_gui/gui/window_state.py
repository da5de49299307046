"""Where the GUI remembers window geometry and view state (an INI file tests can redirect)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from imageworks_gui.services.paths import config_dir


def gui_state_path() -> Path:
    """The INI file: ``IMAGEWORKS_GUI_STATE`` if set, else ``<config dir>/gui-state.ini``."""
    override = os.environ.get("IMAGEWORKS_GUI_STATE")
    return Path(override) if override else config_dir() / "gui-state.ini"


def gui_state() -> QSettings:
    """A QSettings over the GUI state file (never the platform registry or ~/.config/Qt)."""
    return QSettings(str(gui_state_path()), QSettings.Format.IniFormat)
