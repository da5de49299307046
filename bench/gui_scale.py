"""Large-folder mode of bench/gui_responsiveness.py: open N photos with N saved reviews.

The N photos are hard links to five small JPEGs, made once into a cache folder (reused by later
runs); N proposals are saved in the review store first, so opening also restores them. Measures
the time to the first thumbnail, the time until every photo is listed and restored, event-loop
stalls (max / p99) meanwhile, resident memory, and the time to reopen the folder.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from gui_responsiveness import StallMeter, rss_mb, wait_until


def cached_photos(count: int) -> Path:
    """A folder of ``count`` JPEG hard links, made once per size in the temp folder."""
    from PIL import Image, ImageDraw

    folder = Path(tempfile.gettempdir()) / f"imageworks-bench-photos-{count}"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for i, colour in enumerate([(220, 30, 30), (30, 170, 60), (30, 60, 220), (235, 220, 40),
                                (240, 140, 20)]):
        img = Image.new("RGB", (320, 213), colour)
        ImageDraw.Draw(img).ellipse([40 + i * 10, 30, 200, 190], fill=(250, 250, 240))
        src = folder / f".source-{i}.jpg"
        img.save(src, "JPEG", quality=80)
        sources.append(src)
    for i in range(count):
        target = folder / f"IMG_{i:06d}.jpg"
        if not target.exists():
            try:
                os.link(sources[i % 5], target)
            except OSError:  # a file system without hard links
                target.write_bytes(sources[i % 5].read_bytes())
    done.touch()
    return folder


def seed_reviews(folder: Path, count: int) -> None:
    from imageworks_gui.core.review import PhotoReview
    from imageworks_gui.services.review_db import ReviewDb

    ReviewDb(folder).append(
        PhotoReview(path=str(folder.resolve() / f"IMG_{i:06d}.jpg"), state="proposed",
                    proposed_title=f"Photo {i}", proposed_keywords=["wall", "red", "street"])
        for i in range(count))


async def measure_scale(tmp: Path, photos: int) -> dict[str, Any]:
    from imageworks_gui.app import build_context
    from imageworks_gui.gui.main_window import MainWindow

    t0 = time.perf_counter()
    folder = cached_photos(photos)
    seed_reviews(folder, photos)
    print(f"prepared {photos} photos and reviews in {time.perf_counter() - t0:.1f} s",
          flush=True)
    small = tmp / "small"
    small.mkdir()
    registry = tmp / "model_registry.json"
    registry.write_text("[]", encoding="utf-8")
    context = build_context(registry)
    window = MainWindow(context)
    window.errors.dialogs_enabled = False
    context.registry.load()
    window.resize(1440, 900)
    window.show()
    ws = window.tagging
    results: dict[str, Any] = {"photos": photos, "memory_start_mb": round(rss_mb(), 1)}

    def restored() -> bool:  # cheap: polled every 5 ms on the GUI thread
        return len(ws.controller.session) == photos and ws.controller._discovery is None

    meter = StallMeter()
    try:
        meter.start()
        start = time.perf_counter()
        window.open_paths([folder])
        await wait_until(lambda: ws.loader.loaded >= 1, 600)
        results["first_thumbnail_ms"] = round((time.perf_counter() - start) * 1000, 1)
        await wait_until(restored, 1200)
        results["all_listed_s"] = round(time.perf_counter() - start, 2)
        await wait_until(lambda: ws.loader.idle, 300)
        bar = ws.grid.verticalScrollBar()
        for step in range(1, 11):
            bar.setValue(bar.maximum() * step // 10)
            await asyncio.sleep(0.03)
            await wait_until(lambda: ws.loader.idle, 300)
        results["open"] = meter.stop()
        results["memory_mb"] = round(rss_mb(), 1)

        # Filters and sorting: the longest stall of each switch, one at a time.
        switches = []
        for combo, value in ((ws.status_row.filter, "proposed"), (ws.status_row.filter, "all"),
                             (ws.status_row.sort, "date"), (ws.status_row.sort, "name")):
            meter.start()
            await asyncio.sleep(0.02)
            combo.setCurrentIndex(combo.findData(value))
            await asyncio.sleep(0.1)
            switches.append(meter.stop()["max_ms"])
        results["switch_max_ms"] = max(switches)

        window.open_paths([small])  # close the big folder (its reviews are saved)
        await wait_until(lambda: len(ws.controller.session) == 0, 300)
        await asyncio.sleep(0.2)
        meter.start()
        start = time.perf_counter()
        window.open_paths([folder])
        await wait_until(lambda: ws.model.rowCount() and ws.model.state_of(
            ws.model.path_at(0)) == "proposed", 600)
        results["reopen_first_screen_ms"] = round((time.perf_counter() - start) * 1000, 1)
        await wait_until(restored, 1200)
        results["reopen_s"] = round(time.perf_counter() - start, 2)
        results["reopen"] = meter.stop()
        results["restored_ok"] = ws.controller.session.counts().get("proposed", 0) == photos
    finally:
        await context.shutdown()
        await context.http.aclose()
        window._closing_confirmed = True
        window.close()
        window.deleteLater()
    return results


def report(r: dict[str, Any], targets: dict[str, int]) -> None:
    print(f"\nGUI responsiveness, {r['photos']} photos with saved reviews")
    print(f"  time to first thumbnail   {r['first_thumbnail_ms']:8.1f} ms")
    print(f"  all listed and restored   {r['all_listed_s']:8.2f} s")
    for key, label in (("open", "opening + scrolling"), ("reopen", "reopening")):
        print(f"  stall while {label:22s} max {r[key]['max_ms']:6.1f} ms  "
              f"p99 {r[key]['p99_ms']:5.1f} ms  (target max < {targets['max_stall_ms']} ms)")
    print(f"  resident memory           {r['memory_mb']:8.1f} MB   "
          f"(at start {r['memory_start_mb']} MB; target < {targets['memory_mb']} MB)")
    print(f"  filter/sort switch stall  {r['switch_max_ms']:8.1f} ms   (worst of four switches)")
    print(f"  reopen: first screen      {r['reopen_first_screen_ms']:8.1f} ms   restored")
    print(f"  reopen until restored     {r['reopen_s']:8.2f} s")
