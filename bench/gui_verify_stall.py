"""Event-loop stalls while the Models workspace verifies a multi-GB snapshot.

A 5 ms QTimer records the gap between its ticks while verification hashes the snapshot in the
background; the script prints the max and p99 stall, and the same figures for an idle loop
measured in the same run as the baseline.

    QT_QPA_PLATFORM=offscreen python bench/gui_verify_stall.py [--size-gb 4] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from qt_harness import run_offscreen

TICK_MS = 5


def make_snapshot(root: Path, size_bytes: int, files: int = 4) -> Path:
    """A model folder of sparse weight files (no disk space used; reads return zeros)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text('{"architectures": ["Bench"]}', encoding="utf-8")
    per_file = size_bytes // files
    for i in range(files):
        with open(root / f"model-{i + 1:05d}-of-{files:05d}.safetensors", "wb") as handle:
            handle.truncate(per_file)
    return root


class StallMeter:
    """Measures how late a periodic timer fires; lateness is time the loop was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = 0.0
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now

    def summary(self) -> tuple[float, float, int]:
        if not self.gaps:
            return 0.0, 0.0, 0
        ordered = sorted(self.gaps)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return max(ordered), p99, len(ordered)


async def measure(size_bytes: int, work: Path) -> dict[str, float]:
    from imageworks_gui.gui.context import build_context
    from imageworks_gui.gui.main_window import MainWindow

    snapshot = make_snapshot(work / "snapshot", size_bytes)
    registry = work / "model_registry.json"
    registry.write_text(json.dumps([{
        "name": "bench-model", "backend": "vllm",
        "backend_config": {"port": 8000, "model_path": str(snapshot)},
        "capabilities": {"text": True, "vision": True}, "roles": ["caption"]}]),
        encoding="utf-8")
    context = build_context(registry)
    window = MainWindow(context)
    window.errors.dialogs_enabled = False
    context.registry.load()
    window.resize(1440, 900)
    window.show()
    meter = StallMeter()
    try:
        # Baseline: the same timer on an idle loop for a fixed time.
        meter.start()
        await asyncio.sleep(1.0)
        meter.stop()
        idle_max, idle_p99, _ = meter.summary()

        meter.start()
        started = time.perf_counter()
        await window.models.controller.verify(["bench-model"], deep=True)
        elapsed = time.perf_counter() - started
        meter.stop()
        busy_max, busy_p99, ticks = meter.summary()
        status = context.registry.entry("bench-model").version_lock.last_verification.status
    finally:
        window._closing_confirmed = True
        window.close()
        await context.shutdown()
        await context.http.aclose()
    return {"idle_max": idle_max, "idle_p99": idle_p99, "busy_max": busy_max,
            "busy_p99": busy_p99, "ticks": ticks, "seconds": elapsed,
            "gb_per_s": size_bytes / elapsed / 1e9, "status_ok": float(status == "verified")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=4.0, help="snapshot size (default 4)")
    parser.add_argument("--quick", action="store_true", help="0.25 GB snapshot for a smoke run")
    args = parser.parse_args()
    size = int((0.25 if args.quick else args.size_gb) * 1e9)
    r = run_offscreen(lambda work: measure(size, work))
    print(f"snapshot: {size / 1e9:.2f} GB hashed in {r['seconds']:.2f} s "
          f"({r['gb_per_s']:.2f} GB/s), {int(r['ticks'])} timer ticks")
    print(f"idle loop   : max stall {r['idle_max']:6.1f} ms, p99 {r['idle_p99']:6.1f} ms")
    print(f"verifying   : max stall {r['busy_max']:6.1f} ms, p99 {r['busy_p99']:6.1f} ms")
    base = max(r["idle_max"], 0.1)
    print(f"ratio (verify max / idle max): {r['busy_max'] / base:.2f}x; "
          f"target: max stall under 50 ms -> {'met' if r['busy_max'] < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
