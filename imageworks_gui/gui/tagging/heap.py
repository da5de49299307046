"""Keeps interpreter housekeeping (full garbage collections, lazy imports) off busy UI moments."""

from __future__ import annotations

import contextlib
import gc
import importlib

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
