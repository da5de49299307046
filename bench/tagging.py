"""Tagging throughput: our pipeline vs the original's sequential whole-file requests.

The test server runs in its own process with a fixed latency and a slot limit; its "seeing"
model decodes every image it receives, as real servers do. Photos are generated 24 MP JPEGs
(hard links to a few sources, so a 5,000-photo run costs no disk). Prints images/s, slot
utilisation, preparation CPU per image, peak RSS of the tagging process and the ratio against
the baseline run in the same command. Targets are printed next to the figures, never asserted.
Combined requests (title, keywords and description in one answer) are then compared with three
requests per photo on the same photos and server. A burst-heavy folder (groups of five frames)
then reports model requests per photo with burst grouping against the same folder tagged photo
by photo (see bench/tagging_bursts.py).

    python bench/tagging.py --quick     # about 30 s
    python bench/tagging.py             # 5,000 photos: several minutes on a quiet machine
    python bench/tagging.py --replicas 3    # one entry over three servers (tagging_replicas.py)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from imageworks_gui.core.registry import parse_entries  # noqa: E402
from imageworks_gui.core.settings import Settings  # noqa: E402
from imageworks_gui.core.tagging import TagResult  # noqa: E402
from imageworks_gui.services.pipeline import TaggingPipeline  # noqa: E402
from imageworks_gui.services.prompt_profiles import load_prompt_profile  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tagging_bursts  # noqa: E402
import tagging_replicas  # noqa: E402

SOURCE_COLOURS = [(200, 60, 40), (40, 120, 200), (60, 170, 80)]


def generate_sources(folder: Path, count: int, size: tuple[int, int]) -> None:
    """Photo-like JPEGs: gradients, shapes and grain (run in a child process: big buffers)."""
    import random

    from PIL import Image, ImageDraw

    w, h = size
    rnd = random.Random(1)
    for i in range(count):
        tint = Image.new("RGB", (w, h), SOURCE_COLOURS[i % len(SOURCE_COLOURS)])
        gradient = Image.linear_gradient("L").resize((w, h)).convert("RGB")
        img = Image.blend(tint, gradient, 0.35)
        draw = ImageDraw.Draw(img)
        for _ in range(250):
            x, y, s = rnd.randrange(w), rnd.randrange(h), rnd.randrange(20, w // 10)
            draw.ellipse((x, y, x + s, y + s), fill=tuple(rnd.randrange(256) for _ in range(3)))
        # Grain brings the file to a camera-like size (about 8-9 MB at 24 MP).
        grain = Image.effect_noise((w, h), 40).convert("RGB")
        photo = Image.blend(img, grain, 0.2)
        photo.save(folder / f"source-{i}.jpg", quality=92)
        if i == 0:  # the same photo as a camera writes it, with a large MPF preview
            preview = photo.resize((1620, round(1620 * h / w)), Image.Resampling.BILINEAR)
            photo.save(folder / "camera.jpg", "MPO", save_all=True, append_images=[preview],
                       quality=92)


def small_sources(folder: Path, count: int = 3) -> list[Path]:
    """Phone-sized photos (1600 x 1200) for the request-mode comparison: their preparation is
    cheap, so the figure measures the server's per-request work, not decoding."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        tint = Image.new("RGB", (1600, 1200), SOURCE_COLOURS[i % len(SOURCE_COLOURS)])
        grain = Image.effect_noise((1600, 1200), 30).convert("RGB")
        path = folder / f"small-{i}.jpg"
        Image.blend(tint, grain, 0.2).save(path, quality=90)
        paths.append(path)
    return paths


def link_photos(sources: list[Path], folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        target = folder / f"IMG_{i:05d}.jpg"
        os.link(sources[i % len(sources)], target)
        paths.append(target)
    return paths


def start_server(latency: float, slots: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_backend", "--latency", str(latency),
         "--slots", str(slots), "--model", "vlm"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"the test server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{line.split()[1]}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_entries(url: str, slots: int) -> list:
    entries, _ = parse_entries([{
        "name": "vlm", "backend": "vllm", "served_model_id": "vlm",
        "backend_config": {"base_url": f"{url}/v1", "max_concurrency": slots},
        "capabilities": {"vision": True}, "roles": ["caption", "keywords", "description"]}])
    return entries


async def run_pipeline(url: str, photos: list[Path], slots: int,
                       fused: bool = True) -> dict[str, float]:
    entries = bench_entries(url, slots)
    prep_cpu: list[float] = []
    failed = 0
    last_print = time.monotonic()

    def on_result(result: TagResult) -> None:
        nonlocal failed, last_print
        if result.status != "ok":
            failed += 1
        if "prepare_cpu" in result.timings_ms:
            prep_cpu.append(result.timings_ms["prepare_cpu"])
        if time.monotonic() - last_print > 10:
            last_print = time.monotonic()
            print(f"  ... {len(prep_cpu)}/{len(photos)} images, peak RSS "
                  f"{peak_rss_mb():.0f} MB", flush=True)

    async with httpx.AsyncClient() as http:
        await http.post(f"{url}/_reset")
        pipeline = TaggingPipeline(http, entries, Settings(), fused=fused)
        start = time.perf_counter()
        outcome = await pipeline.run(iter(photos), on_result=on_result)
        elapsed = time.perf_counter() - start
        stats = (await http.get(f"{url}/_stats")).json()
    prep_cpu.sort()
    return {"images": outcome.total, "failed": failed, "seconds": elapsed,
            "rate": outcome.total / elapsed, "utilisation": stats["utilisation"],
            "max_active": stats["max_active"], "prep_cpu_mean": statistics.fmean(prep_cpu),
            "per_photo": stats["requests"] / max(1, outcome.total),
            "prep_cpu_p95": prep_cpu[int(len(prep_cpu) * 0.95) - 1 if len(prep_cpu) > 1 else 0]}


def run_baseline(url: str, photos: list[Path]) -> dict[str, float]:
    """One image and one stage at a time, the whole file sent (as the original did)."""
    profile = load_prompt_profile("default")
    start = time.perf_counter()
    # TCP_NODELAY as on the asyncio side, so neither run pays for delayed ACKs.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(timeout=httpx.Timeout(300, connect=5), transport=transport) as http:
        for path in photos:
            for stage in ("caption", "keywords", "description"):
                prompt = profile.stage(stage)
                data = base64.b64encode(path.read_bytes()).decode("ascii")
                payload = {"model": "vlm", "max_tokens": prompt.max_tokens, "messages": [
                    {"role": "user", "content": [
                        {"type": "text", "text": prompt.render(max_keywords=25)},
                        {"type": "image_url",
                         "image_url": {"url": f"data:image/jpeg;base64,{data}"}}]}]}
                http.post(f"{url}/v1/chat/completions", json=payload).raise_for_status()
    elapsed = time.perf_counter() - start
    return {"images": len(photos), "seconds": elapsed, "rate": len(photos) / elapsed}


def full_decode_cpu_ms(path: Path) -> float:
    from PIL import Image

    start = time.thread_time()
    with Image.open(path) as img:
        img.load()
    return (time.thread_time() - start) * 1000


def camera_prep_cpu_ms(path: Path) -> float:
    from imageworks_gui.services.images import prepare_image

    return min(prepare_image(path).cpu_ms for _ in range(3))


def replicas_only(args: argparse.Namespace) -> None:
    """``--replicas N``: the replica measurements on phone-sized photos."""
    count = args.images or (60 if args.quick else 360)
    with tempfile.TemporaryDirectory(prefix="imageworks-bench-") as tmp:
        folder = Path(tmp)
        photos = link_photos(small_sources(folder / "small"), folder / "photos", count)
        figures = tagging_replicas.measure(start_server, photos, args.replicas, args.latency,
                                           args.slots)
    tagging_replicas.report(figures, args.replicas, args.latency, args.slots)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (about 30 s)")
    parser.add_argument("--images", type=int, help="photos for the pipeline run")
    parser.add_argument("--baseline-images", type=int, help="photos for the baseline run")
    parser.add_argument("--latency", type=float, default=0.2, help="server latency (s)")
    parser.add_argument("--slots", type=int, default=4, help="server slots")
    parser.add_argument("--megapixels", type=int, default=24, choices=(12, 24, 45))
    parser.add_argument("--mode-images", type=int, help="photos for the fused vs separate "
                        "comparison (0 skips it)")
    parser.add_argument("--burst-groups", type=int, help="bursts of 5 in the burst-heavy "
                        "folder (0 skips it)")
    parser.add_argument("--replicas", type=int, help="only measure one entry spread over "
                        "this many servers against one server (and with one killed)")
    parser.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replicas:
        replicas_only(args)
        return
    size = {12: (4240, 2832), 24: (6000, 4000), 45: (8256, 5504)}[args.megapixels]
    if args.generate:
        generate_sources(Path(args.generate), int(os.environ["BENCH_SOURCES"]), size)
        return
    n_images = args.images or (16 if args.quick else 5000)
    n_base = args.baseline_images or (2 if args.quick else 20)
    n_sources = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="imageworks-bench-") as tmp:
        folder = Path(tmp)
        print(f"Generating {n_sources} {args.megapixels} MP source photo(s)...", flush=True)
        subprocess.run([sys.executable, __file__, "--generate", str(folder)], check=True,
                       env={**os.environ, "BENCH_SOURCES": str(n_sources)})
        sources = sorted(folder.glob("source-*.jpg"))
        photos = link_photos(sources, folder / "run", n_images)
        baseline_photos = link_photos(sources, folder / "baseline", n_base)
        proc, url = start_server(args.latency, args.slots)
        try:
            print(f"Pipeline: {n_images} photos, server latency {args.latency * 1000:.0f} ms, "
                  f"{args.slots} slots", flush=True)
            ours = asyncio.run(run_pipeline(url, photos, args.slots))
            rss = peak_rss_mb()
            print(f"Baseline: {n_base} photos, sequential, whole files", flush=True)
            base = run_baseline(url, baseline_photos)
            n_modes = args.mode_images if args.mode_images is not None else (
                80 if args.quick else 400)
            modes = None
            if n_modes:
                print(f"Fused vs separate: {n_modes} photos (1600 x 1200) each", flush=True)
                mode_photos = link_photos(small_sources(folder / "small"), folder / "modes",
                                          n_modes)
                modes = (asyncio.run(run_pipeline(url, mode_photos, args.slots, fused=True)),
                         asyncio.run(run_pipeline(url, mode_photos, args.slots, fused=False)))
            n_bursts = args.burst_groups if args.burst_groups is not None else (
                4 if args.quick else 40)
            bursts = asyncio.run(tagging_bursts.measure(
                url, bench_entries(url, args.slots), folder / "bursts",
                n_bursts)) if n_bursts else None
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        decode = min(full_decode_cpu_ms(sources[0]) for _ in range(2))
        camera = camera_prep_cpu_ms(folder / "camera.jpg")
        mb = sources[0].stat().st_size / 1e6
    ratio = ours["rate"] / base["rate"]
    print()
    print(f"photo size                   {args.megapixels} MP JPEG, {mb:.1f} MB")
    print(f"pipeline                     {ours['images']:.0f} images in {ours['seconds']:.1f} s"
          f" = {ours['rate']:.2f} images/s ({ours['failed']:.0f} failed)")
    print(f"baseline (sequential, whole) {base['images']:.0f} images in {base['seconds']:.1f} s"
          f" = {base['rate']:.3f} images/s")
    print(f"speed-up                     {ratio:.1f}x   (target >= 10x)")
    print(f"slot utilisation             {ours['utilisation']:.2f}   (target >= 0.9; max "
          f"in flight {ours['max_active']:.0f}/{args.slots})")
    print(f"preparation CPU per image    mean {ours['prep_cpu_mean']:.1f} ms, p95 "
          f"{ours['prep_cpu_p95']:.1f} ms   (target <= 30 ms; a full decode of the same "
          f"photo takes {decode:.0f} ms here: {ours['prep_cpu_mean'] / decode:.2f}x)")
    print(f"  same photo with a camera's MPF preview: {camera:.1f} ms")
    print(f"peak RSS (tagging process)   {rss:.0f} MB for {ours['images']:.0f} photos   "
          f"(target < 500 MB for 5,000)")
    if modes is not None:
        fused, separate = modes
        print(f"fused (one request per photo) {fused['rate']:.2f} images/s, "
              f"{fused['per_photo']:.2f} requests per photo ({fused['failed']:.0f} failed)")
        print(f"separate (one per stage)     {separate['rate']:.2f} images/s, "
              f"{separate['per_photo']:.2f} requests per photo")
        print(f"  fused / separate           {fused['rate'] / separate['rate']:.2f}x images/s"
              f"   (target >= 2.5x)")
    if bursts is not None:
        tagging_bursts.report(bursts)


if __name__ == "__main__":
    main()
