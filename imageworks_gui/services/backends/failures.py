"""Actionable messages of failed backend requests, shared by the client's request paths."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.adapters import BackendAdapter
from imageworks_gui.services.backends.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    RequestDeadlineError,
    ResponseTooLargeError,
)
from imageworks_gui.services.backends.limits import RequestBudget, fired_timeout


class FailureMessages:
    """Mixin of ``BackendClient``: builds the typed error for each way a request fails."""

    adapter: BackendAdapter
    entry: RegistryEntry
    settings: BackendSettings

    @property
    def endpoint(self) -> str:
        """``host:port`` as shown in messages."""
        raise NotImplementedError

    @contextmanager
    def transport_errors(self, budget: RequestBudget) -> Iterator[None]:
        """Turn what the wire raises (deadline, timeouts, refused or dropped connections) into
        the typed, actionable errors below."""
        try:
            yield
        except TimeoutError as exc:
            raise self._deadline_passed(budget) from exc
        except httpx.TimeoutException as exc:
            raise self._timed_out(exc) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
                httpx.WriteError) as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> BackendUnavailableError:
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return BackendUnavailableError(
                f"the {self.adapter.label} server at {self.endpoint} dropped the connection "
                f"while answering for {self.entry.name!r}: check the server log (it may have "
                f"crashed or run out of memory)", endpoint=self.endpoint)
        return BackendUnavailableError(
            f"nothing is listening on {self.endpoint}: "
            f"{self.adapter.describe_start(self.entry.name)} or fix backend_config.port / "
            f"backend_config.base_url", endpoint=self.endpoint)

    def _timed_out(self, exc: httpx.TimeoutException) -> BackendTimeoutError:
        kind, name, seconds = fired_timeout(exc, self.settings)
        hint = {"connect": "is the host reachable? check backend_config.host/base_url",
                "pool": "too many requests wait for a connection; lower the concurrency",
                "write": "the request (image) could not be sent in time; lower "
                         "tagging.image_long_edge"}.get(
            kind, "it may be overloaded; lower the concurrency")
        return BackendTimeoutError(
            f"the {self.adapter.label} server at {self.endpoint} did not answer in time for "
            f"{self.entry.name!r}: the {kind} timeout of {seconds:g} s fired (settings "
            f"backend.{name}); {hint}, or raise that setting", endpoint=self.endpoint,
            timeout_kind=kind, timeout_s=seconds)

    def _deadline_passed(self, budget: RequestBudget) -> RequestDeadlineError:
        return RequestDeadlineError(
            f"the {self.adapter.label} server at {self.endpoint} did not finish answering for "
            f"{self.entry.name!r} within the request deadline of {budget.seconds:g} s (it "
            f"kept the connection open but answered too slowly): check the server, or raise "
            f"settings backend.request_deadline_s", endpoint=self.endpoint,
            timeout_kind="deadline", timeout_s=budget.seconds)

    def new_budget(self) -> RequestBudget:
        """A fresh overall deadline for one request (``settings.deadline_s``)."""
        return RequestBudget(self.settings.deadline_s)

    def _too_large(self, verb: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"the {self.adapter.label} server at {self.endpoint} {verb} more than "
            f"{self.settings.max_response_bytes} bytes for {self.entry.name!r}: lower "
            f"max_tokens or raise settings backend.max_response_bytes", endpoint=self.endpoint)

