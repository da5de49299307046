"""Turn an HTTP status and error body into the typed error with an actionable message."""

from __future__ import annotations

import email.utils
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


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), None when absent."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, parsed.timestamp() - time.time())


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
