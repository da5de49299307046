"""Benchmark: keyword writes with the ExifTool pool against one ExifTool process per step.

Writes the same keywords to N JPEGs twice in one run:
  * ours: MetadataWriter on an ExifToolPool (read, plan, journal, write a temp copy, read it
    back, fsync, atomic rename), and
  * baseline: what the original did, a new ``exiftool`` process to read each file and another
    to write it.
Prints files/s for both and the ratio. ``--quick`` runs a small sample for smoke checks;
``--hierarchy`` proposes vocabulary paths (``A|B|C``, one under a container), so the pool run
also writes ``lr:hierarchicalSubject`` and ``digiKam:TagsList``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imageworks_gui.core.metadata import Proposal
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter

KEYWORDS = ["tree", "café", "Zürich", "東京", "sunset", "river"]
HIERARCHY = ["Places|Europe|Zürich", "Animals|Birds|Grey heron", "People|Family|Anna", "tree",
             "café", "東京"]
CONTAINERS = ["People"]


def make_jpegs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "template.jpg"
    Image.effect_noise((1024, 768), 40).convert("RGB").save(template, "JPEG", quality=88)
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-XMP-dc:Subject=Existing",
                    "-IPTC:Keywords=Existing", "-IPTC:CodedCharacterSet=UTF8", str(template)],
                   check=True)
    paths = []
    for i in range(count):
        path = folder / f"IMG_{i:04d}.jpg"
        shutil.copyfile(template, path)
        paths.append(path)
    template.unlink()
    return paths


def run_pool(paths: list[Path], workers: int | None, hierarchy: bool = False) -> float:
    keywords, containers = (HIERARCHY, CONTAINERS) if hierarchy else (KEYWORDS, [])
    with ExifToolPool(size=workers) as pool:
        writer = MetadataWriter(pool)
        pool.execute(["-ver"])  # process start-up is a one-off cost, not per file
        start = time.perf_counter()
        result = writer.write_batch([Proposal(path=str(p), keywords=keywords,
                                              containers=containers) for p in paths])
        elapsed = time.perf_counter() - start
    bad = [o for o in result.outcomes if o.status != "written"]
    if bad:
        raise SystemExit(f"pool run failed for {len(bad)} file(s): {bad[0].reason}")
    return elapsed


def run_spawning(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        subprocess.run(["exiftool", "-j", "-G1", "-XMP:all", "-IPTC:all", str(path)],
                       capture_output=True, check=True)
        args = [a for k in KEYWORDS for a in (f"-XMP-dc:Subject-={k}", f"-XMP-dc:Subject+={k}")]
        subprocess.run(["exiftool", "-overwrite_original", *args, str(path)],
                       capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sample (smoke check)")
    parser.add_argument("--files", type=int, default=None, help="files for the pool run")
    parser.add_argument("--workers", type=int, default=None, help="ExifTool processes")
    parser.add_argument("--hierarchy", action="store_true",
                        help="propose keyword paths (writes both hierarchy fields too)")
    args = parser.parse_args()
    count = args.files or (40 if args.quick else 500)
    baseline_count = max(5, count // 10) if args.quick else count
    with tempfile.TemporaryDirectory(prefix="imageworks-bench-") as tmp:
        os.environ.setdefault("IMAGEWORKS_DATA_DIR", str(Path(tmp) / "data"))
        ours = make_jpegs(Path(tmp) / "pool", count)
        theirs = make_jpegs(Path(tmp) / "spawn", baseline_count)
        pool_s = run_pool(ours, args.workers, args.hierarchy)
        spawn_s = run_spawning(theirs)
    pool_rate = count / pool_s
    spawn_rate = baseline_count / spawn_s
    print(f"pool (read + write + read-back, journaled, atomic): {count} files in "
          f"{pool_s:.2f} s = {pool_rate:.1f} files/s ({1000 * pool_s / count:.1f} ms/file)")
    print(f"baseline (one exiftool per read and per write): {baseline_count} files in "
          f"{spawn_s:.2f} s = {spawn_rate:.1f} files/s ({1000 * spawn_s / baseline_count:.0f} "
          "ms/file)")
    print(f"ratio: {pool_rate / spawn_rate:.1f}x faster (targets: >= 20x and >= 50 files/s)")


if __name__ == "__main__":
    main()
