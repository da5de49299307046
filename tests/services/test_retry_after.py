"""The wait a server or router asks for, in each header the field uses."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from imageworks_gui.services.backends.error_mapping import retry_after_seconds


def wait(headers: dict[str, str]) -> float | None:
    return retry_after_seconds(httpx.Response(429, headers=headers))


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"Retry-After": "0"}, 0.0),
    ({"Retry-After": "-3"}, 0.0),
    # LiteLLM's proxy puts its rate-limit wait here, not in Retry-After.
    ({"llm_provider-retry-after": "60"}, 60.0),
    ({"retry-after-ms": "250"}, 0.25),
    ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m30s"}, 90.0),
    ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "250ms"}, 0.25),
    ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2"}, 2.0),
    # Budget left: the reset time is no reason to wait.
    ({"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "1s"}, None),
    ({"Retry-After": "soon"}, None),
    ({}, None),
])
def test_wait_from_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert wait(headers) == seconds


def test_retry_after_as_http_date() -> None:
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    value = wait({"Retry-After": later})
    assert value is not None and 3000 < value <= 3600
    assert wait({"Retry-After": email.utils.formatdate(0, usegmt=True)}) == 0.0
