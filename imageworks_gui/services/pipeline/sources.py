"""Pipeline inputs: any iterable of paths as one async stream, and the CPUs to decode on."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, AsyncIterable, Iterable
from pathlib import Path


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, e.g. in a container), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not available on macOS and Windows
        return max(1, os.cpu_count() or 1)


async def aiter_paths(paths: Iterable[Path] | AsyncIterable[Path]) -> AsyncGenerator[Path, None]:
    """``paths`` (a list, a generator or an async stream) as one async stream, closed after."""
    if isinstance(paths, AsyncIterable):
        try:
            async for path in paths:
                yield path
        finally:
            close = getattr(paths, "aclose", None)
            if close is not None:
                await close()
    else:
        for path in paths:
            yield path
            await asyncio.sleep(0)
