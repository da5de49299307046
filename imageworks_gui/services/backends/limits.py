"""Request limits of backend endpoints: explicit timeouts and per-endpoint concurrency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.adapters import base_url_for


def timeout_from(settings: BackendSettings) -> httpx.Timeout:
    """The explicit request timeout built from settings (httpx's 5 s default is far too short)."""
    return httpx.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s,
                         write=settings.write_timeout_s, pool=settings.pool_timeout_s)


class EndpointLimits:
    """One semaphore per endpoint URL, so entries served by the same server share its slots."""

    def __init__(self, settings: BackendSettings) -> None:
        self._settings = settings
        self._sems: dict[str, asyncio.Semaphore] = {}
        self.limits: dict[str, int] = {}

    def for_entry(self, entry: RegistryEntry, override: int | None = None) -> asyncio.Semaphore:
        """The semaphore of ``entry``'s endpoint (created with the entry's or default limit)."""
        url = base_url_for(entry)
        if url not in self._sems:
            limit = override or entry.backend_config.max_concurrency or (
                self._settings.default_concurrency)
            self._sems[url] = asyncio.Semaphore(limit)
            self.limits[url] = limit
        return self._sems[url]

    @property
    def total_slots(self) -> int:
        return sum(self.limits.values())


TIMEOUT_SETTINGS: dict[type[httpx.TimeoutException], tuple[str, str]] = {
    httpx.ConnectTimeout: ("connect", "connect_timeout_s"),
    httpx.ReadTimeout: ("read", "read_timeout_s"),
    httpx.WriteTimeout: ("write", "write_timeout_s"),
    httpx.PoolTimeout: ("pool", "pool_timeout_s"),
}
"""Which httpx timeout maps to which setting, so a message names the limit that fired."""


def fired_timeout(exc: httpx.TimeoutException, settings: BackendSettings) -> tuple[str, str,
                                                                                 float]:
    """``(kind, setting name, seconds)`` of the httpx timeout ``exc`` (read when unknown)."""
    for cls, (kind, name) in TIMEOUT_SETTINGS.items():
        if isinstance(exc, cls):
            return kind, name, float(getattr(settings, name))
    return "read", "read_timeout_s", settings.read_timeout_s


class RequestBudget:
    """The overall deadline of one request: time on the wire summed over its attempts.

    Waiting for an endpoint slot and back-off sleeps are not charged, so a long queue of
    images never eats a request's deadline; a server trickling bytes is cut when it runs out.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0

    @property
    def remaining(self) -> float:
        return max(0.0, self.seconds - self.spent)

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0.0

    @asynccontextmanager
    async def on_wire(self) -> AsyncIterator[None]:
        """Run the body under the remaining deadline (``TimeoutError`` when it passes)."""
        start = time.monotonic()
        try:
            async with asyncio.timeout(max(0.001, self.remaining)):
                yield
        finally:
            self.spent += time.monotonic() - start
