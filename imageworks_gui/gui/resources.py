"""The one helper that finds bundled resources (icons, desktop entry) in any installation."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _candidates() -> list[Path]:
    found: list[Path] = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        # PyInstaller bundle: the recipe copies resources/ to <bundle>/resources.
        found.append(Path(frozen_root) / "resources")
    # Installed package (package data) or source tree (symlink into the repository folder).
    found.append(_PACKAGE_DIR / "data" / "resources")
    # Source checkout without the symlink (e.g. a Windows clone).
    found.append(_PACKAGE_DIR.parent / "resources")
    return found


@functools.cache
def resources_dir() -> Path:
    """The folder holding ``icons/`` and the desktop entry template.

    Raises FileNotFoundError naming every place searched when none exists (a broken install).
    """
    tried = _candidates()
    for path in tried:
        if (path / "icons").is_dir():
            return path
    raise FileNotFoundError(
        "Imageworks resources not found (looked in: " + ", ".join(map(str, tried))
        + "); reinstall the application")


@functools.cache
def icon(name: str) -> QIcon:
    """The icon ``icons/<name>.svg``; an empty icon when it does not exist."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()

