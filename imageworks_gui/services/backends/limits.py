"""Request limits of backend endpoints: explicit timeouts and per-server-URL concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.endpoints import Replica, replicas_for


def timeout_from(settings: BackendSettings) -> httpx.Timeout:
    """The explicit request timeout built from settings (httpx's 5 s default is far too short)."""
    return httpx.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s,
                         write=settings.write_timeout_s, pool=settings.pool_timeout_s)


class Slots:
    """The request slots of one server URL: how many requests it takes at once, and how many
    are in flight (shared by every entry and replica pointing at that URL)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    @property
    def free(self) -> bool:
        return self.in_flight < self.limit

    @property
    def load(self) -> float:
        """Requests in flight relative to the limit (what least-loaded choice compares)."""
        return self.in_flight / self.limit


class EndpointLimits:
    """The slots of every server URL of a run, so entries served by the same server share its
    slots, and one change signal that wakes every request waiting for a slot."""

    def __init__(self, settings: BackendSettings) -> None:
        self._settings = settings
        self._slots: dict[str, Slots] = {}
        self._changed = asyncio.Event()

    def slots(self, url: str, limit: int | None = None) -> Slots:
        """The slots of ``url``, created on first use with ``limit`` (else the default)."""
        if url not in self._slots:
            self._slots[url] = Slots(limit or self._settings.default_concurrency)
        return self._slots[url]

    def for_entry(self, entry: RegistryEntry, override: int | None = None) -> list[
            tuple[Replica, Slots]]:
        """Every replica of ``entry`` with its slots (``override`` beats each replica's own
        ``max_concurrency``, which beats the entry's, which beats the default)."""
        return [(r, self.slots(r.base_url, override or r.max_concurrency))
                for r in replicas_for(entry)]

    @property
    def limits(self) -> dict[str, int]:
        """URL -> its number of slots."""
        return {url: s.limit for url, s in self._slots.items()}

    @property
    def total_slots(self) -> int:
        """Slots over every server URL known so far (every replica counts)."""
        return sum(s.limit for s in self._slots.values())

    def notify(self) -> None:
        """Wake every waiter: a slot was freed or a replica's state changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self, timeout: float | None) -> None:
        """Wait for the next ``notify()`` (or ``timeout`` seconds, when given)."""
        event = self._changed
        if timeout is None:
            await event.wait()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()


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
