"""Per-user folders (config, cache, data, logs) with environment overrides for tests."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

_DIRS = PlatformDirs(appname="imageworks", appauthor=False)


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """User config folder (registry copy, settings.json, prompt profile overrides)."""
    return _dir("IMAGEWORKS_CONFIG_DIR", _DIRS.user_config_dir)


def cache_dir() -> Path:
    """User cache folder (hash cache, thumbnails): safe to delete."""
    return _dir("IMAGEWORKS_CACHE_DIR", _DIRS.user_cache_dir)


def data_dir() -> Path:
    """User data folder (write/undo journals, review state): not safe to delete."""
    return _dir("IMAGEWORKS_DATA_DIR", _DIRS.user_data_dir)


def log_dir() -> Path:
    """User log folder (the structured JSON-lines log of runs, probes, verifies and writes)."""
    return _dir("IMAGEWORKS_LOG_DIR", _DIRS.user_log_dir)
