"""Typed backend failures whose messages say what failed, why, and what to do."""

from __future__ import annotations


class BackendError(Exception):
    """Base class: a model backend request failed. ``retryable`` marks transient failures."""

    retryable: bool = False

    def __init__(self, message: str, *, endpoint: str | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message


class BackendUnavailableError(BackendError):
    """Nothing answers at the endpoint (connection refused, DNS, dropped connection)."""

    retryable = True


class BackendTimeoutError(BackendError):
    """The backend did not answer within the configured timeout.

    ``timeout_kind`` names the limit that fired (connect, read, write, pool or deadline) and
    ``timeout_s`` its value.
    """

    retryable = True

    def __init__(self, message: str, *, endpoint: str | None = None,
                 status_code: int | None = None, timeout_kind: str = "read",
                 timeout_s: float | None = None) -> None:
        super().__init__(message, endpoint=endpoint, status_code=status_code)
        self.timeout_kind = timeout_kind
        self.timeout_s = timeout_s


class RequestDeadlineError(BackendTimeoutError):
    """The request's overall deadline passed (e.g. a server trickling its answer byte by byte);
    not retried, since the deadline already covers every attempt."""

    retryable = False


class BackendBusyError(BackendError):
    """429 or 503: the server is loading a model, its queue is full, or it asks to slow down."""

    retryable = True

    def __init__(self, message: str, *, endpoint: str | None = None,
                 status_code: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message, endpoint=endpoint, status_code=status_code)
        self.retry_after_s = retry_after_s


class BackendServerError(BackendError):
    """5xx other than 503: the server failed while handling the request."""

    retryable = True


class ModelNotServedError(BackendError):
    """404 or a 'model does not exist' error: the name is not what the server serves."""

    def __init__(self, message: str, *, endpoint: str | None = None,
                 status_code: int | None = None, served: list[str] | None = None) -> None:
        super().__init__(message, endpoint=endpoint, status_code=status_code)
        self.served = served or []


class ModelNotPulledError(ModelNotServedError):
    """Ollama does not have the model locally: it must be pulled first."""


class BackendAuthError(BackendError):
    """401/403: the API key is missing or wrong."""


class BackendRequestError(BackendError):
    """400/422: the server refused the request as invalid (not retried)."""


class BackendResponseError(BackendError):
    """The server answered with something that is not a usable chat completion."""

    retryable = True


class ResponseTooLargeError(BackendResponseError):
    """The response exceeded the configured size cap."""

    retryable = False


class VisionProbeError(BackendError):
    """The model answered but did not prove that it sees images."""
