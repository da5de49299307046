"""Per-user folders redirected to a scratch folder while screenshots are rendered."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def isolated_env(root: Path) -> Iterator[None]:
    """Point every per-user folder at ``root`` so rendering never touches real settings."""
    names = {"IMAGEWORKS_CONFIG_DIR": root / "config", "IMAGEWORKS_CACHE_DIR": root / "cache",
             "IMAGEWORKS_DATA_DIR": root / "data", "IMAGEWORKS_GUI_STATE": root / "gui.ini"}
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
