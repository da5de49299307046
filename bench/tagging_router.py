"""Tagging throughput through a LiteLLM proxy over three test servers vs direct requests.

Three test servers (own processes, 4 slots, fixed latency) serve ``vlm``. The same photos are
tagged: direct to one server, direct to all three as replicas of one registry entry
(``backend_config.endpoints``), and through ``litellm --config`` routing one model name over
the three. Prints images/s and ratios against the one-server run of the same command.

    python bench/tagging_router.py --images 120
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import tagging  # noqa: E402

from imageworks_gui.core.registry import parse_entries  # noqa: E402
from imageworks_gui.core.settings import Settings  # noqa: E402
from imageworks_gui.services.pipeline import TaggingPipeline  # noqa: E402
from tests.support.litellm_proxy import (  # noqa: E402
    MASTER_KEY,
    POOL_NAME,
    litellm_proxy,
    proxy_config,
)

KEY_ENV = "IMAGEWORKS_BENCH_LITELLM_KEY"


def entry(config: dict, served: str) -> list:
    entries, _ = parse_entries([{
        "name": "pool", "backend": "vllm", "served_model_id": served, "backend_config": config,
        "capabilities": {"vision": True}, "roles": ["caption", "keywords", "description"]}])
    return entries


def direct_three_config(urls: list[str], slots: int) -> dict:
    """Hook for replicas of one entry (``backend_config.endpoints``)."""
    return {"base_url": f"{urls[0]}/v1", "max_concurrency": slots,
            "endpoints": [f"{u}/v1" for u in urls]}


async def run(entries: list, photos: list[Path]) -> tuple[float, int]:
    async with httpx.AsyncClient() as http:
        pipeline = TaggingPipeline(http, entries, Settings(), fused=False)
        start = time.perf_counter()
        outcome = await pipeline.run(iter(photos))
        elapsed = time.perf_counter() - start
    return outcome.total / elapsed, outcome.failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--latency", type=float, default=0.2, help="server latency (s)")
    parser.add_argument("--slots", type=int, default=4, help="slots per server")
    args = parser.parse_args()
    os.environ[KEY_ENV] = MASTER_KEY
    servers = [tagging.start_server(args.latency, args.slots) for _ in range(3)]
    urls = [url for _, url in servers]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            photos = tagging.link_photos(tagging.small_sources(folder / "src"),
                                         folder / "photos", args.images)
            figures: dict[str, tuple[float, int]] = {}
            figures["direct, one server"] = asyncio.run(run(entry(
                {"base_url": f"{urls[0]}/v1", "max_concurrency": args.slots}, "vlm"), photos))
            figures["direct, three replicas"] = asyncio.run(run(entry(
                direct_three_config(urls, args.slots), "vlm"), photos))
            cfg = proxy_config([f"{u}/v1" for u in urls], "vlm")
            with litellm_proxy(folder, cfg) as proxy:
                figures["LiteLLM proxy, three servers"] = asyncio.run(run(entry(
                    {"base_url": proxy, "max_concurrency": 3 * args.slots,
                     "api_key_env": KEY_ENV}, POOL_NAME), photos))
    finally:
        for proc, _ in servers:
            proc.kill()
    base = figures["direct, one server"][0]
    print(f"{args.images} photos x 3 requests, latency {args.latency} s, {args.slots} slots")
    for name, (rate, failed) in figures.items():
        print(f"  {name:32s} {rate:7.2f} images/s  x{rate / base:4.2f}  failed {failed}")
    direct3 = figures["direct, three replicas"][0]
    proxy_rate = figures["LiteLLM proxy, three servers"][0]
    print(f"  router overhead vs three replicas: {100 * (1 - proxy_rate / direct3):.0f} % fewer "
          "images/s")


if __name__ == "__main__":
    main()
