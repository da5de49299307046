"""Helpers for the Tagging workspace tests: photo folders, a registry on the fake backend."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from tests.support.fake_backend import PALETTE, FakeBackend

COLOURS = ("red", "green", "blue", "yellow", "orange", "purple")


def make_photos(folder: Path, colours: tuple[str, ...] = COLOURS[:4],
                prefix: str = "IMG_") -> list[Path]:
    """Solid-colour JPEGs (the fake backend answers with the colour it sees)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, colour in enumerate(colours, 1):
        path = folder / f"{prefix}{i:04d}.jpg"
        Image.new("RGB", (640, 480), PALETTE[colour]).save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def exiftool_set(path: Path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *args, str(path)], check=True)


def exiftool_read(path: Path) -> dict[str, Any]:
    out = subprocess.run(["exiftool", "-j", "-G1", "-XMP-dc:Title", "-XMP-dc:Description",
                          "-XMP-dc:Subject", str(path)], check=True, capture_output=True)
    data = json.loads(out.stdout)[0]
    subject = data.get("XMP-dc:Subject", [])
    if isinstance(subject, str):
        subject = [subject]
    return {"title": data.get("XMP-dc:Title"), "description": data.get("XMP-dc:Description"),
            "keywords": subject}


def write_registry(path: Path, backend: FakeBackend, name: str = "fake-vision",
                   max_concurrency: int | None = None, extra: list[dict] | None = None) -> Path:
    config: dict[str, Any] = {"base_url": backend.base_url, "port": backend.port}
    if max_concurrency:
        config["max_concurrency"] = max_concurrency
    entries = [{
        "name": name, "display_name": "Fake Vision", "backend": "vllm",
        "backend_config": config,
        "capabilities": {"text": True, "vision": True},
        "served_model_id": backend.models[0].name,
        "roles": ["caption", "keywords", "description"],
    }, *(extra or [])]
    path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    return path


async def wait_until(condition: Callable[[], Any], timeout: float = 15.0) -> None:
    """Poll ``condition`` while the qasync loop keeps Qt and asyncio running."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def shut_down(run: Callable[[Any], Any]) -> Callable[[Any], None]:
    """A ``before_close_func`` for ``qtbot.addWidget``: shut the widget's context down (tasks,
    ExifTool, the journal watcher) before pytest-qt closes and deletes the widget, so no task
    or callback outlives the widgets it updates."""
    def before_close(widget: Any) -> None:
        run(widget.context.shutdown())
    return before_close
