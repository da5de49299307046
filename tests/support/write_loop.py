"""Helper process for crash tests: keeps adding keywords to the given photos until killed."""

from __future__ import annotations

import sys
import threading
import time

from imageworks_gui.core.metadata import Proposal
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter, WriteOutcome

_lock = threading.Lock()


def report(outcome: WriteOutcome) -> None:
    with _lock:  # outcomes arrive from several worker threads
        sys.stdout.write(f"{outcome.status}\n")
        sys.stdout.flush()


def main(paths: list[str]) -> None:
    with ExifToolPool(size=2) as pool:
        writer = MetadataWriter(pool)
        print("ready", flush=True)
        while True:
            round_no = time.time_ns() // 1000  # grows across killed and restarted runs
            proposals = [Proposal(path=p, keywords=[f"k{round_no}"]) for p in paths]
            writer.write_batch(proposals, on_result=report)


if __name__ == "__main__":
    main(sys.argv[1:])
