"""Turn an HTTP status and error body into the typed error with an actionable message."""

from __future__ import annotations

import email.utils
import re
import time

import httpx

from imageworks_gui.services.backends.errors import (
    BackendAuthError,
    BackendBusyError,
    BackendError,
    BackendRequestError,
    BackendServerError,
    ModelNotPulledError,
    ModelNotServedError,
)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(value: str) -> float | None:
    """delta-seconds (``"7"``), an HTTP date, or a duration such as ``"1m30s"``/``"250ms"``."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if parts and "".join(n + u for n, u in parts) == value.replace(" ", ""):
        return sum(float(n) * _UNIT_S[u] for n, u in parts)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def retry_after_seconds(response: httpx.Response) -> float | None:
    """How long the server asks to wait before the next request, None when it does not say.

    ``Retry-After`` (seconds or an HTTP date) first; then what routers and hosted APIs send
    instead: LiteLLM's ``llm_provider-retry-after``, ``retry-after-ms``, and the reset time of an
    exhausted ``x-ratelimit-*`` request budget (``x-ratelimit-remaining-requests: 0``).
    """
    headers = response.headers
    for name in ("retry-after", "llm_provider-retry-after"):
        value = headers.get(name)
        if value:
            seconds = _seconds(value)
            if seconds is not None:
                return seconds
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    if headers.get("x-ratelimit-remaining-requests", "").strip() == "0":
        reset = headers.get("x-ratelimit-reset-requests")
        if reset:
            return _seconds(reset)
    return None


def error_for_status(status: int, detail: str, *, label: str, endpoint: str, entry_name: str,
                     model: str | None, retry_after: float | None = None) -> BackendError:
    """The error for a failed request; ``detail`` is the server's own message."""
    where = f"the {label} server at {endpoint}"
    if "try pulling it first" in detail or "ollama pull" in detail:
        name = model or entry_name
        return ModelNotPulledError(
            f"Ollama at {endpoint} does not have model {name!r}: run 'ollama pull {name}' "
            f"and retry", endpoint=endpoint, status_code=status)
    lowered = detail.lower()
    if status == 404 or ("model" in lowered and ("not exist" in lowered
                                                 or "not found" in lowered)):
        return ModelNotServedError(
            f"{where} answered {status} for model {model!r} ({detail}): either a different "
            f"server runs on that port or the model is not served there; set served_model_id "
            f"of {entry_name!r} to a served name", endpoint=endpoint, status_code=status)
    if status in (401, 403):
        return BackendAuthError(
            f"{where} refused the request ({status}: {detail}): set the API key in the "
            f"environment variable named by backend_config.api_key_env",
            endpoint=endpoint, status_code=status)
    if status in (429, 503):
        what = "is still loading the model" if "load" in lowered else (
            "is busy (queue full or rate limit)")
        return BackendBusyError(
            f"{where} {what} ({status}: {detail}): wait for it or lower the concurrency",
            endpoint=endpoint, status_code=status, retry_after_s=retry_after)
    if status >= 500:
        return BackendServerError(
            f"{where} failed with {status} ({detail}) for {entry_name!r}: check the server log",
            endpoint=endpoint, status_code=status)
    return BackendRequestError(
        f"{where} refused the request for {entry_name!r} ({status}: {detail}): check "
        f"generation_defaults and the model's capabilities", endpoint=endpoint,
        status_code=status)
