"""Benchmark: does the Tagging workspace keep the UI thread free while it opens and tags photos?

Drives the real main window offscreen. A precise 5 ms Qt timer records every event-loop stall
(the time a tick arrived late) while the app:
  1. opens a folder of N photos (time to the first thumbnails, stalls while thumbnails decode),
  2. tags all of them against the protocol-faithful test server (stalls during the run),
  3. opens a larger folder and scrolls through it (resident memory with M photos open).
The baseline, measured in the same run, is what a naive grid does: decode the first screen of
thumbnails on the UI thread. It prints figures and the stall ratio baseline/ours; it asserts
nothing.

    QT_QPA_PLATFORM=offscreen python bench/gui_responsiveness.py            # 2,000 / 10,000
    QT_QPA_PLATFORM=offscreen python bench/gui_responsiveness.py --quick    # 200 / 1,000
    QT_QPA_PLATFORM=offscreen python bench/gui_responsiveness.py --photos 100000
        (20,000 photos or more: open and reopen only, see bench/gui_scale.py)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qt_harness import run_offscreen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SCALE_FROM = 20_000
"""From this many photos, only opening and reopening are measured (no tagging run)."""
TARGETS = {"first_thumbnails_ms": 300, "max_stall_ms": 50, "memory_mb": 1024}


class StallMeter:
    """Records how late each tick of a 5 ms timer arrives (the UI thread was busy meanwhile)."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000
        self.stalls: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.stalls.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def start(self) -> None:
        self.stalls.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        data = sorted(self.stalls) or [0.0]
        p99 = data[min(len(data) - 1, int(len(data) * 0.99))]
        return {"max_ms": round(data[-1] * 1000, 1), "p99_ms": round(p99 * 1000, 1),
                "ticks": len(data)}


def make_photos(folder: Path, count: int, size: tuple[int, int] = (1600, 1067)) -> None:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    colours = [(220, 30, 30), (30, 170, 60), (30, 60, 220), (235, 220, 40), (240, 140, 20)]
    template = {}
    for i, colour in enumerate(colours):
        img = Image.new("RGB", size, colour)
        ImageDraw.Draw(img).ellipse([200 + i * 40, 150, 700, 650], fill=(250, 250, 240))
        template[i] = img
    for i in range(count):
        template[i % len(colours)].save(folder / f"IMG_{i:05d}.jpg", "JPEG", quality=85)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def wait_until(condition: Callable[[], Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def measure(tmp: Path, photos: int, big: int) -> dict[str, Any]:
    from PySide6.QtGui import QImage

    from imageworks_gui.app import build_context
    from imageworks_gui.gui.main_window import MainWindow
    from imageworks_gui.services.thumbnails import ThumbnailCache

    results: dict[str, Any] = {"photos": photos, "memory_photos": big}
    folder, big_folder = tmp / "photos", tmp / "big"
    t0 = time.perf_counter()
    make_photos(folder, photos)
    make_photos(big_folder, big, size=(800, 533))
    print(f"generated {photos + big} photos in {time.perf_counter() - t0:.1f} s", flush=True)

    # The model server runs in its own process, as a real one does: its work must not count
    # against our UI thread.
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_backend", "--latency", "0.02", "--slots",
         "4"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    ready = server.stdout.readline().split()
    if len(ready) != 2 or ready[0] != "READY":
        raise RuntimeError(f"the test model server did not start (said {ready!r})")
    base_url = f"http://127.0.0.1:{ready[1]}/v1"
    registry = tmp / "model_registry.json"
    registry.write_text(json.dumps([{
        "name": "bench-vision", "backend": "vllm",
        "backend_config": {"base_url": base_url, "max_concurrency": 4},
        "capabilities": {"text": True, "vision": True}, "served_model_id": "seeing-model",
        "roles": ["caption", "keywords", "description"]}]), encoding="utf-8")
    context = build_context(registry)
    window = MainWindow(context)
    window.errors.dialogs_enabled = False
    context.registry.load()
    window.resize(1440, 900)
    window.show()
    ws = window.tagging
    meter = StallMeter()
    try:
        # Baseline: decode one screen of thumbnails on the UI thread, as a naive grid does.
        cache = ThumbnailCache(root=tmp / "naive-cache", size=168)
        files = sorted(folder.iterdir())[:40]
        meter.start()
        await asyncio.sleep(0.05)

        def naive() -> None:
            for f in files:
                thumb = cache.load(f)
                QImage(thumb.rgb, thumb.width, thumb.height, QImage.Format.Format_RGB888).copy()

        asyncio.get_running_loop().call_soon(naive)
        await asyncio.sleep(0.2)
        results["baseline_ui_decode"] = meter.stop()

        # 1. Open the folder.
        meter.start()
        start = time.perf_counter()
        window.open_paths([folder])
        await wait_until(lambda: ws.loader.loaded >= 1, 60)
        results["first_thumbnail_ms"] = round((time.perf_counter() - start) * 1000, 1)
        await wait_until(lambda: len(ws.controller.session) == photos, 300)
        await asyncio.sleep(0.1)  # let the view ask for every visible thumbnail
        await wait_until(lambda: ws.loader.idle, 300)
        results["open_visible_thumbnails_s"] = round(time.perf_counter() - start, 2)
        bar = ws.grid.verticalScrollBar()
        for step in range(1, 11):  # scroll down the folder while thumbnails decode
            bar.setValue(bar.maximum() * step // 10)
            await asyncio.sleep(0.03)
        await wait_until(lambda: ws.loader.idle, 300)
        results["open"] = meter.stop()

        # 2. Tag them all.
        meter.start()
        start = time.perf_counter()
        ok = await ws.controller.run("all")
        results["run_s"] = round(time.perf_counter() - start, 2)
        results["run_ok"] = ok and ws.controller.session.counts()["proposed"] == photos
        results["run"] = meter.stop()
        results["images_per_s"] = round(photos / max(results["run_s"], 1e-6), 1)

        # 3. A big folder: open it, scroll through, measure memory.
        meter.start()
        window.open_paths([big_folder])
        await wait_until(lambda: len(ws.controller.session) == big, 300)
        bar = ws.grid.verticalScrollBar()
        for fraction in (0.25, 0.5, 0.75, 1.0):
            bar.setValue(int(bar.maximum() * fraction))
            await asyncio.sleep(0.05)
            await wait_until(lambda: ws.loader.idle, 120)
        results["big_folder"] = meter.stop()
        results["memory_mb"] = round(rss_mb(), 1)
    finally:
        await context.shutdown()
        await context.http.aclose()
        window._closing_confirmed = True
        window.close()
        window.deleteLater()
        server.terminate()
        server.wait(10)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 + 1,000 photos (smoke run)")
    parser.add_argument("--photos", type=int, default=None)
    parser.add_argument("--memory-photos", type=int, default=None)
    args = parser.parse_args()
    photos = args.photos or (200 if args.quick else 2000)
    if photos >= SCALE_FROM:
        from gui_scale import measure_scale, report

        scale = run_offscreen(lambda work: measure_scale(work, photos))
        report(scale, TARGETS)
        print(json.dumps(scale), flush=True)
        return 0
    big = args.memory_photos or (1000 if args.quick else 10000)

    r = run_offscreen(lambda work: measure(work, photos, big))

    base = r["baseline_ui_decode"]["max_ms"]
    worst = max(r["open"]["max_ms"], r["run"]["max_ms"], r["big_folder"]["max_ms"])
    print(f"\nGUI responsiveness ({photos} photos tagged, {big} photos open)")
    print(f"  time to first thumbnail   {r['first_thumbnail_ms']:8.1f} ms   "
          f"(target < {TARGETS['first_thumbnails_ms']} ms)")
    print(f"  visible grid filled in    {r['open_visible_thumbnails_s']:8.2f} s")
    for key, label in (("open", "opening + scrolling"), ("run", "tagging run"),
                       ("big_folder", f"scrolling {big} photos")):
        print(f"  stall while {label:22s} max {r[key]['max_ms']:6.1f} ms  "
              f"p99 {r[key]['p99_ms']:5.1f} ms")
    print(f"  tagging run               {r['run_s']:8.2f} s  ({r['images_per_s']} images/s, "
          f"all proposed: {r['run_ok']})")
    print(f"  resident memory           {r['memory_mb']:8.1f} MB   "
          f"(target < {TARGETS['memory_mb']} MB)")
    print(f"  baseline: 40 thumbnails decoded on the UI thread stall it {base:.1f} ms; "
          f"worst stall here {worst:.1f} ms; ratio {base / max(worst, 0.1):.1f}x "
          f"(target max stall < {TARGETS['max_stall_ms']} ms)")
    print(json.dumps(r), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
