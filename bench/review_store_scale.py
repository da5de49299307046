"""Benchmark: review store for a folder of N photos, JSONL journal (baseline) vs SQLite.

For each store: save N proposals in one burst, save 50 edits (a review burst) 20 times, reopen
(load everything), and report the file size. The JSONL journal is the baseline measured in the
same run; the ratios are baseline / SQLite. It asserts nothing.

    python bench/review_store_scale.py                 # 100,000 photos
    python bench/review_store_scale.py --photos 10000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _reviews(folder: Path, count: int) -> list[Any]:
    from imageworks_gui.core.review import PhotoReview

    return [PhotoReview(path=f"{folder}/IMG_{i:06d}.jpg", state="proposed",
                        proposed_title=f"A red wall number {i}",
                        proposed_description="Brick wall in afternoon light, a bicycle.",
                        proposed_keywords=["wall", "brick", "bicycle", "red", "street"])
            for i in range(count)]


def measure(store_cls: type, tmp: Path, count: int) -> dict[str, float]:
    from imageworks_gui.core import review as rv

    folder = tmp / "photos"
    reviews = _reviews(folder, count)
    store = store_cls(folder)
    t0 = time.perf_counter()
    store.append(reviews)
    first = time.perf_counter() - t0
    bursts = []
    for b in range(20):
        edits = [rv.approve(r) for r in reviews[b * 50:(b + 1) * 50]]
        t0 = time.perf_counter()
        store.append(edits)
        bursts.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    loaded = store_cls(folder).load()
    reopen = time.perf_counter() - t0
    assert len(loaded) == count
    size = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
    return {"save_all_s": round(first, 3), "burst_median_ms": round(
        statistics.median(bursts) * 1000, 2), "burst_max_ms": round(max(bursts) * 1000, 2),
        "reopen_s": round(reopen, 3), "disk_mb": round(size / 2**20, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    args = parser.parse_args()
    from imageworks_gui.services.review_db import ReviewDb
    from imageworks_gui.services.review_store import ReviewStore

    results: dict[str, dict[str, float]] = {}
    for name, cls in (("jsonl", ReviewStore), ("sqlite", ReviewDb)):
        with tempfile.TemporaryDirectory(prefix="imageworks-bench-") as tmp:
            os.environ["IMAGEWORKS_DATA_DIR"] = str(Path(tmp) / "data")
            results[name] = measure(cls, Path(tmp), args.photos)
    j, s = results["jsonl"], results["sqlite"]
    print(f"\nReview store, {args.photos} photos (baseline JSONL journal / SQLite)")
    for key, label in (("save_all_s", "save all proposals (s)"),
                       ("burst_median_ms", "save 50 edits, median (ms)"),
                       ("burst_max_ms", "save 50 edits, max (ms)"),
                       ("reopen_s", "reopen: load all (s)"), ("disk_mb", "on disk (MB)")):
        ratio = j[key] / max(s[key], 1e-9)
        print(f"  {label:28s} {j[key]:10.3f} {s[key]:10.3f}   ratio {ratio:5.2f}x")
    print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
