"""Shared pytest fixtures for metadata tests: one ExifTool pool per module, private app dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter


@pytest.fixture(scope="module")
def pool() -> Iterator[ExifToolPool]:
    with ExifToolPool(size=2, timeout=20) as shared:
        yield shared


@pytest.fixture(autouse=True)
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private config/cache/data folders so tests never touch the user's."""
    for name in ("CONFIG", "CACHE", "DATA"):
        folder = tmp_path / "app" / name.lower()
        monkeypatch.setenv(f"IMAGEWORKS_{name}_DIR", str(folder))
    return tmp_path / "app"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    return folder


@pytest.fixture
def writer(pool: ExifToolPool) -> MetadataWriter:
    return MetadataWriter(pool, settings=MetadataSettings())
