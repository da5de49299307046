"""Shared pytest fixtures: isolated user folders and the fake model backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from imageworks_gui.services.logs import teardown_logging
from tests.support.fake_backend import FakeBackend, FakeModel, start_fake_backend


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Point config/cache/data folders at fresh temporary folders for every test."""
    root = tmp_path_factory.mktemp("userdirs")
    dirs = {}
    for kind in ("CONFIG", "CACHE", "DATA", "LOG"):
        path = root / kind.lower()
        path.mkdir()
        monkeypatch.setenv(f"IMAGEWORKS_{kind}_DIR", str(path))
        dirs[kind.lower()] = path
    yield dirs
    teardown_logging()  # a CLI run in this test pointed the log at this test's folder


@pytest.fixture
def fake_backend() -> Iterator[Callable[..., FakeBackend]]:
    """Factory: ``fake_backend("ollama", [FakeModel("llava")], latency_s=0.1, slots=2)``.

    Every server started through it is stopped at the end of the test.
    """
    started: list[FakeBackend] = []

    def factory(flavour: str = "vllm", models: list[FakeModel] | None = None,
                **kwargs: Any) -> FakeBackend:
        server = start_fake_backend(flavour, models, **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
