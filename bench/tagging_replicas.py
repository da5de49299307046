"""Tagging over several replicas of one entry vs one server, and with one replica killed.

Used by ``python bench/tagging.py --replicas 3``. Each test server is its own process (fixed
latency, ``--slots`` slots). Three runs on the same photos, phone-sized so that preparing them
is not what limits the rate:
  1. one server alone (the baseline),
  2. N servers as replicas of one registry entry (``backend_config.endpoints``): images/s
     against the baseline and the slot utilisation of every server,
  3. the same with one replica SIGKILLed once half the photos are done: photos lost and
     duplicated (each photo must be delivered exactly once, ok) and the survivors' images/s
     after the kill against their capacity (slots x survivors / latency).
Prints figures and targets; asserts nothing.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from imageworks_gui.core.registry import parse_entries
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.pipeline import TaggingPipeline


def replica_entries(urls: list[str], slots: int) -> list:
    entries, _ = parse_entries([{
        "name": "vlm", "backend": "vllm", "served_model_id": "vlm",
        "backend_config": {"max_concurrency": slots, "endpoints": [f"{u}/v1" for u in urls]},
        "capabilities": {"vision": True}, "roles": ["caption", "keywords", "description"]}])
    return entries


async def _stats(http: httpx.AsyncClient, urls: list[str]) -> list[dict[str, Any]]:
    return [(await http.get(f"{u}/_stats")).json() for u in urls]


async def tag(urls: list[str], photos: list[Path], slots: int,
              kill: Any = None) -> dict[str, Any]:
    """Tag ``photos`` over ``urls``; ``kill`` (a Popen) is SIGKILLed at half-way."""
    delivered: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    half = len(photos) // 2
    killed_at: float | None = None
    done_after_kill = 0
    survivors = [u for u in urls if kill is None or not u.endswith(f":{kill.port}")]

    async with httpx.AsyncClient() as http:
        for u in urls:
            await http.post(f"{u}/_reset")

        def on_result(result: TagResult) -> None:
            nonlocal killed_at, done_after_kill
            delivered[result.path] += 1
            statuses[result.status] += 1
            if killed_at is not None:
                done_after_kill += 1
            elif kill is not None and sum(delivered.values()) == half:
                kill.proc.send_signal(signal.SIGKILL)
                killed_at = time.perf_counter()
                reset_survivors.append(asyncio.ensure_future(asyncio.gather(
                    *(http.post(f"{u}/_reset") for u in survivors))))

        reset_survivors: list[asyncio.Future[Any]] = []
        settings = Settings()
        settings.backend.replica_cooldown_s = 60.0  # a killed replica stays out of this run
        pipeline = TaggingPipeline(http, replica_entries(urls, slots), settings, fused=True)
        start = time.perf_counter()
        outcome = await pipeline.run(iter(photos), on_result=on_result)
        end = time.perf_counter()
        for future in reset_survivors:
            await future
        stats = await _stats(http, survivors)
    return {"seconds": end - start, "rate": outcome.total / (end - start),
            "ok": statuses["ok"], "failed": statuses["failed"], "total": len(photos),
            "lost": sum(1 for p in photos if delivered[str(p)] == 0),
            "duplicated": sum(1 for n in delivered.values() if n > 1),
            "utilisation": [s["utilisation"] for s in stats],
            "after_kill_rate": (done_after_kill / (end - killed_at)) if killed_at else None,
            "survivors": len(survivors)}


class Server:
    """A started test server process and its port."""

    def __init__(self, proc: Any, url: str) -> None:
        self.proc, self.url = proc, url
        self.port = url.rsplit(":", 1)[1]


def measure(start_server: Any, photos: list[Path], replicas: int, latency: float,
            slots: int) -> dict[str, Any]:
    """Run the three measurements; each run gets fresh servers."""
    figures: dict[str, Any] = {}

    def servers(n: int) -> list[Server]:
        return [Server(*start_server(latency, slots)) for _ in range(n)]

    for name, count, kill in (("one", 1, False), ("replicas", replicas, False),
                              ("killed", replicas, True)):
        started = servers(count)
        try:
            print(f"  {name}: {count} server(s), {len(photos)} photos", flush=True)
            figures[name] = asyncio.run(tag([s.url for s in started], photos, slots,
                                            kill=started[1] if kill else None))
        finally:
            for s in started:
                s.proc.kill()
                s.proc.wait(timeout=10)
    return figures


def report(figures: dict[str, Any], replicas: int, latency: float, slots: int) -> None:
    one, many, killed = figures["one"], figures["replicas"], figures["killed"]
    print()
    print(f"replicas                     {replicas} test servers x {slots} slots, latency "
          f"{latency * 1000:.0f} ms, {many['total']} photos, one request per photo")
    print(f"one server                   {one['rate']:.2f} images/s "
          f"(utilisation {one['utilisation'][0]:.2f})")
    print(f"{replicas} replicas                   {many['rate']:.2f} images/s = "
          f"{many['rate'] / one['rate']:.2f}x one server   (target >= {0.9 * replicas:.1f}x)")
    shown = ", ".join(f"{u:.2f}" for u in many["utilisation"])
    mean = sum(many["utilisation"]) / len(many["utilisation"])
    print(f"  slot utilisation           {shown} (mean {mean:.2f})   (target >= 0.9)")
    print(f"  failed                     {many['failed']}")
    capacity = killed["survivors"] * slots / latency
    print(f"one replica killed half-way  {killed['ok']} of {killed['total']} ok, "
          f"{killed['failed']} failed, {killed['lost']} lost, {killed['duplicated']} "
          f"duplicated   (target 0 lost, 0 duplicated)")
    if killed["after_kill_rate"] is not None:
        print(f"  survivors after the kill   {killed['after_kill_rate']:.2f} images/s of "
              f"{capacity:.2f} capacity = {killed['after_kill_rate'] / capacity:.2f}   "
              f"(target >= 0.9); their utilisation "
              + ", ".join(f"{u:.2f}" for u in killed["utilisation"]))
