"""Renders README screenshots of the Tagging workspace (grid mid-run, review pane, write summary).

``render(out_dir)`` builds the real main window offscreen on generated photos in a temporary
folder, with user folders redirected there too, so nothing of the user's is read or changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from imageworks_gui.gui.event_loop import ThreadSafeQEventLoop
from imageworks_gui.gui.render_env import isolated_env, show_window
from imageworks_gui.services.backends.status import ServerState, ServerStatus

SCENES: list[tuple[str, tuple[int, int, int], tuple[int, int, int], list[str]]] = [
    ("Harbour at dusk", (250, 170, 90), (40, 70, 110), ["harbour", "boats", "dusk", "sea"]),
    ("Pine forest", (170, 210, 235), (40, 90, 50), ["forest", "pine trees", "path"]),
    ("Alpine lake", (150, 195, 240), (60, 120, 150), ["lake", "mountains", "reflection"]),
    ("Desert dunes", (245, 215, 160), (210, 150, 80), ["desert", "dunes", "sand"]),
    ("City at night", (20, 25, 60), (60, 50, 90), ["city", "night", "lights", "street"]),
    ("Autumn park", (200, 220, 240), (190, 110, 40), ["autumn", "park", "leaves"]),
    ("Snowy village", (210, 225, 240), (235, 240, 245), ["snow", "village", "winter"]),
    ("Lavender field", (180, 200, 240), (130, 90, 170), ["lavender", "field", "summer"]),
]



def make_scene(path: Path, sky: tuple[int, int, int], ground: tuple[int, int, int],
               seed: int) -> None:
    """A simple landscape-like JPEG: sky gradient, a sun, hills."""
    w, h = 900, 600
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        colour = tuple(int(s * (1 - t * 0.5) + g * t * 0.2) for s, g in zip(sky, ground,
                                                                          strict=True))
        draw.line([(0, y), (w, y)], fill=colour)
    sun_x = 150 + (seed * 97) % 600
    draw.ellipse([sun_x, 80, sun_x + 90, 170], fill=(255, 236, 180))
    for layer in range(3):
        base = int(h * (0.55 + layer * 0.13))
        shade = tuple(max(0, int(c * (0.7 + layer * 0.15))) for c in ground)
        points = [(0, h)]
        for x in range(0, w + 30, 30):
            points.append((x, base - int(40 * math.sin((x + seed * 50 + layer * 80) / 90))))
        points.append((w, h))
        draw.polygon(points, fill=shade)
    img.save(path, "JPEG", quality=88)


def _registry(path: Path) -> Path:
    entries = [{
        "name": "qwen2.5-vl-7b", "display_name": "Qwen2.5-VL 7B", "backend": "vllm",
        "backend_config": {"port": 8000, "base_url": "http://127.0.0.1:8000/v1"},
        "capabilities": {"text": True, "vision": True},
        "roles": ["caption", "keywords", "description"],
        "version_lock": {"locked": True},
        "probes": {"vision": {"vision_ok": True}},
    }]
    path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    return path


async def _wait(condition: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def _dim_with_dialog(window: Any, dialog: Any) -> Any:
    """The window dimmed, with ``dialog`` drawn in its middle (a QPixmap)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QPainter

    shot = window.grab()
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 90))
    picture = dialog.grab()
    x = (shot.width() - picture.width()) // 2
    y = (shot.height() - picture.height()) // 2
    painter.fillRect(QRect(x - 1, y - 1, picture.width() + 2, picture.height() + 2),
                     QColor(Qt.GlobalColor.darkGray))
    painter.drawPixmap(x, y, picture)
    painter.end()
    return shot


async def _render(root: Path, out_dir: Path) -> list[Path]:
    from imageworks_gui.core import review as rv
    from imageworks_gui.core.settings import Settings
    from imageworks_gui.core.tagging import Progress, TagResult
    from imageworks_gui.gui.context import AppContext
    from imageworks_gui.gui.models.document import RegistryDocument
    from imageworks_gui.gui.tagging.state import RunState
    from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
    from imageworks_gui.services.backends.endpoints import make_http_client

    folder = root / "Holiday 2025"
    folder.mkdir(parents=True)
    photos = []
    for i in range(24):
        title, sky, ground, _ = SCENES[i % len(SCENES)]
        path = folder / f"DSC_{4101 + i:04d}.jpg"
        make_scene(path, sky, ground, i)
        photos.append(path)
    registry = _registry(root / "model_registry.json")
    settings = Settings()
    context = AppContext(settings=settings, registry_path=registry,
                         http=make_http_client(settings), registry=RegistryDocument(registry))
    window = show_window(context)
    ws = window.tagging
    assert isinstance(ws, TaggingWorkspace)
    # The run below is staged (no model server): keep the pickers on the staged states.
    ws.backend_states.automatic = False
    window.tabs.setCurrentWidget(ws)
    ctrl = ws.controller
    saved: list[Path] = []
    try:
        await ctrl.open_paths([folder])
        ws.backend_states.online = {"qwen2.5-vl-7b": ServerStatus(
            ServerState.ONLINE, "127.0.0.1:8000", "Qwen/Qwen2.5-VL-7B-Instruct")}
        ws._populate_roles()
        models = {"caption": {"name": "qwen2.5-vl-7b", "backend": "vllm"},
                  "keywords": {"name": "qwen2.5-vl-7b", "backend": "vllm"},
                  "description": {"name": "qwen2.5-vl-7b", "backend": "vllm"}}
        reviews = []
        for i, path in enumerate(photos):
            title, _sky, _ground, keywords = SCENES[i % len(SCENES)]
            review = ctrl.session.get(str(path))
            if i < 10:
                result = TagResult(path=str(path), status="ok", caption=title,
                                   keywords=[*keywords, "landscape", "outdoors"],
                                   description=f"{title}, photographed in soft light.",
                                   models=models)
                review = rv.apply_result(rv.queue(review), result)
                review = rv.set_existing(review, None, None, ["Holiday 2025"])
                if i in (0, 1, 3, 4):
                    review = rv.approve(review)
                if i == 2:
                    review = rv.reject(review)
            elif i == 10:
                review = rv.apply_result(rv.queue(review), TagResult(
                    path=str(path), status="failed", errors={
                        "caption": "the vLLM server at 127.0.0.1:8000 is not running: start "
                                   "it or change backend_config.port"}))
            elif i < 14:
                review = rv.queue(review)
            reviews.append(review)
        ctrl.put(reviews)
        ctrl.runner._set_state(RunState.RUNNING)
        ws._show_progress(Progress(done=11, total=24, failed=1, elapsed_s=42.0, eta_s=50.0,
                                   in_flight=3))
        ws.show_notice("info", "Tagging 24 photo(s): review proposals as they arrive.")
        ws.select_path(str(photos[5]))
        await _wait(lambda: ws.loader.loaded >= 12 and ws.loader.idle)
        await _wait(lambda: ws.review_pane.preview.image is not None
                    and ws.review_pane.preview.image.width() > 300)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / "tagging-grid.png"
        window.grab().save(str(target))
        saved.append(target)

        # Review pane: a photo that already holds metadata, one keyword rejected, one added.
        ctrl.runner._set_state(RunState.IDLE)
        ws.status_row.progress.hide()
        ws.status_row.progress_label.clear()
        ws.notice_bar.hide()
        path = str(photos[7])
        ctrl.put([rv.set_existing(ctrl.session.get(path), "Provence, July",
                                  "Field near Valensole", ["Holiday 2025", "France", "summer"])])
        ws.select_path(path)
        ctrl.reject_keyword(path, "outdoors")
        ctrl.add_keyword(path, "Provence")
        ctrl.edit_title(path, "Lavender rows near Valensole")
        await _wait(lambda: ws.review_pane.preview.image is not None
                    and ws.review_pane.preview.image.width() > 300)
        target = out_dir / "tagging-review.png"
        window.grab().save(str(target))
        saved.append(target)

        from imageworks_gui.gui.tagging.vocabulary_shots import render_vocabulary

        saved += await render_vocabulary(window, photos[9], root, out_dir, _wait,
                                         _dim_with_dialog)
        from imageworks_gui.gui.prompt_profiles_shots import render_prompt_profiles

        saved += await render_prompt_profiles(window, photos[9], out_dir, _wait)
        from imageworks_gui.gui.tagging.compare_shots import render_compare

        saved += await render_compare(window, photos, out_dir)
        ws.select_path(path)

        # Write summary of a real write: ExifTool writes the approved photos; one approved
        # photo is read-only, so the summary shows how a failure is reported.
        ws.controller.writer.set_dry_run(False)
        locked = photos[4]
        locked.chmod(0o444)
        try:
            summary = await ctrl.writer.write_approved()
        finally:
            locked.chmod(0o644)
        if summary is None:
            raise RuntimeError("the screenshot write did not run: " + repr(ws.notices[-1:]))
        await _wait(lambda: ws.summary_dialog is not None and ws.summary_dialog.isVisible())
        dialog = ws.summary_dialog
        assert dialog is not None
        dialog.resize(760, 330)
        await asyncio.sleep(0.1)
        target = out_dir / "tagging-write-summary.png"
        _dim_with_dialog(window, dialog).save(str(target))
        saved.append(target)
        dialog.close()
    finally:
        await context.shutdown()
        await context.http.aclose()
        window._closing_confirmed = True
        window.close()
    return saved


def shipped_registry() -> Path:
    """``configs/model_registry.json`` of the source tree (or of the current folder)."""
    local = Path.cwd() / "configs" / "model_registry.json"
    if local.is_file():
        return local
    return Path(__file__).resolve().parents[3] / "configs" / "model_registry.json"


async def _render_first_run(root: Path, out_dir: Path) -> list[Path]:
    """A new user on the shipped registry with no model server running clicks Run all."""
    import shutil

    from imageworks_gui.gui.context import build_context
    from imageworks_gui.gui.tagging.workspace import TaggingWorkspace

    folder = root / "First photos"
    folder.mkdir(parents=True)
    for i in range(6):
        _title, sky, ground, _ = SCENES[(i * 3) % len(SCENES)]
        make_scene(folder / f"IMG_{2201 + i:04d}.jpg", sky, ground, i + 7)
    registry = root / "first-run" / "model_registry.json"
    registry.parent.mkdir(parents=True)
    shutil.copyfile(shipped_registry(), registry)
    context = build_context(registry)
    window = show_window(context)
    ws = window.tagging
    assert isinstance(ws, TaggingWorkspace)
    saved: list[Path] = []
    try:
        await window.models.controller.check_online()  # what app.py runs at start-up
        await ws.controller.open_paths([folder])
        window.tabs.setCurrentWidget(ws)
        ws.actions_.run_all.trigger()
        await _wait(lambda: any(level == "error" for level, _ in ws.notices), timeout=60)
        await _wait(lambda: ws.loader.loaded >= 6 and ws.loader.idle)
        await _wait(lambda: ws.review_pane.preview.image is not None
                    and ws.review_pane.preview.image.width() > 300)
        await asyncio.sleep(0.4)  # role pickers pick up the offline states
        target = out_dir / "first-run-no-backend.png"
        window.grab().save(str(target))
        saved.append(target)
    finally:
        await context.shutdown()
        await context.http.aclose()
        window._closing_confirmed = True
        window.close()
    return saved


def render(out_dir: Path) -> list[Path]:
    """Save the Tagging screenshots (1440x900 PNGs) into ``out_dir``; returns their paths."""
    from PySide6.QtWidgets import QApplication

    from imageworks_gui.gui.palette import apply_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_palette(app, "light")
    out_dir = Path(out_dir).absolute()
    with tempfile.TemporaryDirectory(prefix="imageworks-shots-") as tmp, \
            isolated_env(Path(tmp)):
        loop = ThreadSafeQEventLoop(app)
        previous = None
        with contextlib.suppress(RuntimeError):
            previous = asyncio.get_event_loop_policy().get_event_loop()
        asyncio.set_event_loop(loop)
        try:
            saved = loop.run_until_complete(_render(Path(tmp), out_dir))
            # A first run has written nothing yet: its own user folders, no write to undo.
            with isolated_env(Path(tmp) / "first-run-user"):
                return saved + loop.run_until_complete(_render_first_run(Path(tmp), out_dir))
        finally:
            loop.close()
            asyncio.set_event_loop(previous)


if __name__ == "__main__":
    for shot in render(Path(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshots")):
        print(shot)
