"""GUI test fixtures: isolated GUI state, a sample registry with a real snapshot, a qasync loop."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from imageworks_gui.gui.context import AppContext, build_context
from imageworks_gui.gui.event_loop import ThreadSafeQEventLoop
from imageworks_gui.gui.main_window import MainWindow
from tests.support.ports import closed_port


@pytest.fixture(autouse=True)
def isolated_gui_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Window geometry and view state go to a temporary INI file."""
    path = tmp_path / "gui-state.ini"
    monkeypatch.setenv("IMAGEWORKS_GUI_STATE", str(path))
    monkeypatch.delenv("IMAGEWORKS_REGISTRY_PATH", raising=False)
    return path


def make_snapshot(root: Path, files: dict[str, bytes] | None = None) -> Path:
    """A small model folder with a few files."""
    root.mkdir(parents=True, exist_ok=True)
    files = files or {"config.json": b'{"architectures": ["Qwen2VL"]}',
                      "model-00001.safetensors": b"\x01" * 4096,
                      "tokenizer.json": b'{"version": "1.0"}'}
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def free_port() -> int:
    """A loopback port nothing listens on (so "offline" does not depend on the machine)."""
    return closed_port()


def sample_entries(snapshot: Path) -> list[dict[str, Any]]:
    return [
        {"name": "vision-a", "display_name": "Vision A", "backend": "vllm",
         "backend_config": {"port": free_port(), "model_path": str(snapshot),
                            "extra_args": []},
         "capabilities": {"text": True, "vision": True},
         "served_model_id": None,
         "roles": ["caption", "keywords"], "custom_key": {"kept": True}},
        {"name": "text-b", "backend": "ollama",
         "backend_config": {"port": free_port()},
         "capabilities": {"text": True},
         "roles": []},
        {"name": "old-c", "backend": "gguf",
         "backend_config": {"port": free_port(), "model_path": "/nonexistent/model.gguf"},
         "capabilities": {"text": True, "vision": True},
         "roles": ["caption"], "deprecated": True},
    ]


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    return make_snapshot(tmp_path / "snapshots" / "vision-a")


@pytest.fixture
def registry_file(tmp_path: Path, snapshot: Path) -> Path:
    path = tmp_path / "model_registry.json"
    path.write_text(json.dumps(sample_entries(snapshot), indent=2) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the test QApplication (tests drive it with ``run``)."""
    loop = ThreadSafeQEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run(qloop: asyncio.AbstractEventLoop) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """Run a coroutine to completion on the qasync loop (Qt events are processed meanwhile)."""
    return qloop.run_until_complete


async def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll ``condition`` while the event loop runs; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest.fixture
def context(registry_file: Path, qloop: asyncio.AbstractEventLoop) -> Iterator[AppContext]:
    ctx = build_context(registry_file)
    ctx.settings.backend.max_retries = 0  # offline checks answer at once
    yield ctx
    qloop.run_until_complete(ctx.shutdown())
    qloop.run_until_complete(ctx.http.aclose())


@pytest.fixture
def window(context: AppContext, qtbot: Any,
           qloop: asyncio.AbstractEventLoop) -> Iterator[MainWindow]:
    win = MainWindow(context)
    win.errors.dialogs_enabled = False
    context.registry.load()
    win.show()
    qtbot.waitExposed(win)
    yield win
    # Not registered with qtbot: its teardown would close the window before this one and
    # ask about unsaved changes. Shut down first: no task may run while the window is deleted.
    qloop.run_until_complete(context.shutdown())
    win._closing_confirmed = True
    win.close()
    win.deleteLater()
