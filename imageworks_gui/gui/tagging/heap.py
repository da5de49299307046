"""Keeps interpreter housekeeping (full garbage collections, lazy imports) off busy UI moments."""

from __future__ import annotations

import contextlib
import gc
import importlib
import threading
from collections.abc import Iterator

LAZY_HTTP_MODULES = ("anyio._backends._asyncio", "anyio.streams.tls", "anyio.to_thread")
"""What httpx's async backend imports on the first request of the process (about 25 modules)."""


def settle_long_lived_objects() -> None:
    """Exclude every object alive now from future full garbage collections.

    A full (oldest-generation) collection walks every tracked object: with the application's
    modules, Qt wrappers and a 10,000-photo review session that is 50-100 ms on the UI thread,
    several times during a tagging run. The objects alive once a folder is open mostly live
    until it is closed, so they are moved to the collector's permanent generation
    (``gc.freeze``): collections then only walk what was created since. Objects freed by
    reference counting (replaced reviews, a closed folder's rows) are still freed at once; only
    reference cycles among the frozen objects would wait, and the app creates none on purpose.
    """
    gc.freeze()


def preload_http_backend() -> None:
    """Import the HTTP client's lazily loaded modules now, while the window is being built.

    Otherwise the first request of a tagging run imports them on the UI thread, and PySide6's
    import hook reads each module's source: a one-off 40 ms stall mid-run.
    """
    for name in LAZY_HTTP_MODULES:
        with contextlib.suppress(ImportError):  # another HTTP backend layout: nothing to warm
            importlib.import_module(name)


_pauses = 0
_was_enabled = True
_pause_lock = threading.Lock()


@contextlib.contextmanager
def paused_collection() -> Iterator[None]:
    """No automatic garbage collection inside; what was made meanwhile is settled on exit.

    Opening 100,000 photos makes about a million long-lived objects (reviews, rows, listing
    entries). Each time the objects promoted since the last full collection reach a quarter
    of those already old, the collector walks all of them, on whichever thread allocates:
    dozens of passes of 20-200 ms, each holding the interpreter lock, so the UI thread stalls
    and the load takes four times as long. Nothing made while opening is garbage in a cycle,
    so collection waits until the folder is open; the survivors are then settled
    (``gc.freeze``) and collection resumes. Nested and overlapping uses are counted.
    """
    global _pauses, _was_enabled
    with _pause_lock:
        _pauses += 1
        if _pauses == 1:
            _was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0:
                gc.freeze()
                if _was_enabled:
                    gc.enable()
