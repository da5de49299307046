"""Request limits of backend endpoints: explicit timeouts and per-endpoint concurrency."""

from __future__ import annotations

import asyncio

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
