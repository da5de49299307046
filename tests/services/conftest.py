"""Fixtures shared by the service tests: the application's kind of shared HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """One ``httpx.AsyncClient`` per test, as the application shares one per process."""
    async with httpx.AsyncClient() as client:
        yield client
