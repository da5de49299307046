"""Memory of a long tagging run: RSS sampled every 1,000 photos, then a ``--resume`` replay.

Tags N photos (hard links of a few small JPEGs) through the test server (its own process,
no latency) with a journal, reading VmRSS from /proc/self/status every 1,000 photos; prints
RSS at 10%, 50% and 100% of the run and the ratio last/first (flat is about 1.0). The same
journal is then resumed over the same photos (every photo skipped from the journal) and its
RSS ratio printed too. Figures are printed, never asserted.

    python bench/tagging_scale.py              # 5,000 photos
    python bench/tagging_scale.py --images 100000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
from tagging import bench_entries, link_photos, small_sources, start_server  # noqa: E402

from imageworks_gui.core.settings import Settings  # noqa: E402
from imageworks_gui.core.tagging import TagResult  # noqa: E402
from imageworks_gui.services.pipeline import TaggingPipeline  # noqa: E402

SAMPLE_EVERY = 1000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def tag(url: str, photos: list[Path], journal: Path, resume: bool) -> list[float]:
    samples: list[float] = []
    seen = 0

    def on_result(_result: TagResult) -> None:
        nonlocal seen
        seen += 1
        if seen % SAMPLE_EVERY == 0 or seen == len(photos):
            samples.append(rss_mb())

    async with httpx.AsyncClient() as http:
        pipeline = TaggingPipeline(http, bench_entries(url, 4), Settings(), journal_path=journal,
                                   resume=resume)
        outcome = await pipeline.run(iter(photos), on_result=on_result)
    print(f"  {outcome.total} photos: {outcome.ok} ok, {outcome.failed} failed, "
          f"{outcome.skipped} skipped in {outcome.elapsed_s:.0f} s")
    return samples


def report(name: str, samples: list[float]) -> None:
    def at(share: float) -> float:
        return samples[max(0, round(len(samples) * share) - 1)]
    print(f"{name}: RSS at 10% {at(0.1):.0f} MB, 50% {at(0.5):.0f} MB, 100% {at(1.0):.0f} MB; "
          f"last/first {samples[-1] / samples[0]:.2f} (flat = ~1.0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000, help="photos to tag")
    args = parser.parse_args()
    server, url = start_server(0.0, 4)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sources = small_sources(Path(tmp) / "sources")
            photos = link_photos(sources, Path(tmp) / "photos", args.images)
            journal = Path(tmp) / "run.jsonl"
            print(f"Tagging {args.images} photos (samples every {SAMPLE_EVERY}):")
            report("run", asyncio.run(tag(url, photos, journal, resume=False)))
            print("Resuming the finished journal over the same photos:")
            report("resume", asyncio.run(tag(url, photos, journal, resume=True)))
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
