"""What "online" means, once: the server answers and serves this model; else a precise state.

The Models table, the Tagging role pickers and the CLI's ``probe`` all show a ``ServerStatus``
from here, so one model cannot be "online" in one place and "offline" in another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.endpoints import (
    choose_served_name,
    host_port,
    start_command,
)
from imageworks_gui.services.backends.errors import (
    BackendBusyError,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
)


class ServerState(StrEnum):
    """The state of an entry's server, as the user reads it."""

    ONLINE = "online"
    """The server answers and lists this model's served name."""
    NOT_RUNNING = "not running"
    """Nothing answers at the endpoint (or it did not answer in time)."""
    OTHER_MODELS = "serves other models"
    """The server answers but does not list this model."""
    LOADING = "loading"
    """The server answers that it is still loading (HTTP 503/429 while starting)."""
    ERROR = "error"
    """The server answers with an error (auth, not OpenAI-compatible, broken body)."""


@dataclass(frozen=True)
class ServerStatus:
    """A server state with the served name (when online), what is served and the reason."""

    state: ServerState
    endpoint: str
    served_name: str | None = None
    served: tuple[str, ...] = field(default_factory=tuple)
    detail: str = ""

    @property
    def online(self) -> bool:
        return self.state is ServerState.ONLINE

    @property
    def text(self) -> str:
        """A short cell text: ``online (served-name)`` or the state."""
        if self.online and self.served_name:
            return f"online ({self.served_name})"
        return self.state.value

    def describe(self, entry: RegistryEntry) -> str:
        """A full sentence for tooltips and messages, with what to do."""
        if self.online:
            return f"{self.endpoint} is online and serves {self.served_name!r}"
        if self.state is ServerState.NOT_RUNNING:
            return (f"{self.endpoint} is not running ({self.detail}). Start it with: "
                    f"{start_command(entry)}")
        if self.state is ServerState.OTHER_MODELS and self.served_name is None:
            return (f"{self.endpoint} answers (it serves: {', '.join(self.served) or 'nothing'}) "
                    f"but {entry.name!r} names no served model: set its served_model_id")
        if self.state is ServerState.OTHER_MODELS:
            return (f"{self.endpoint} answers but does not serve {self.served_name!r} (it "
                    f"serves: {', '.join(self.served) or 'nothing'}). Set served_model_id to "
                    f"one of those, or start this model's server: {start_command(entry)}")
        if self.state is ServerState.LOADING:
            return f"{self.endpoint} is still loading a model ({self.detail}): wait and retry"
        return f"{self.endpoint} answers with an error: {self.detail}"


def wanted_name(entry: RegistryEntry, served: Sequence[str]) -> str | None:
    """The name this entry is requested under (``endpoints.choose_served_name``), else its
    first alias, so a message can name what is missing."""
    choice = choose_served_name(entry, served)
    if choice is not None:
        return choice[0]
    return entry.model_aliases[0] if entry.model_aliases else None


def serves(entry: RegistryEntry, name: str | None, served: Sequence[str]) -> bool:
    """Whether a server listing ``served`` serves ``name`` for this entry.

    llama.cpp's ``llama-server`` answers for any requested name with its one loaded model, so
    a ``gguf`` server listing exactly one model serves it.
    """
    if name is not None and name in served:
        return True
    return entry.backend.lower() in ("gguf", "llamacpp") and len(served) == 1


def status_from_listing(entry: RegistryEntry, served: Sequence[str], *,
                        name: str | None = None) -> ServerStatus:
    """The status of an entry whose server answered ``/v1/models`` with ``served`` (``name``
    overrides the name the entry is requested under)."""
    name = name or wanted_name(entry, served)
    listed = tuple(served)
    if serves(entry, name, served):
        shown = name if name in served else served[0]
        return ServerStatus(ServerState.ONLINE, host_port(entry), shown, listed)
    return ServerStatus(ServerState.OTHER_MODELS, host_port(entry), name, listed)


def status_from_error(entry: RegistryEntry, exc: BackendError | TimeoutError) -> ServerStatus:
    """The status of an entry whose server could not list its models."""
    endpoint = host_port(entry)
    if isinstance(exc, TimeoutError):
        return ServerStatus(ServerState.NOT_RUNNING, endpoint, detail="no answer in time")
    if isinstance(exc, BackendUnavailableError):
        refused = exc.__cause__ is None or isinstance(exc.__cause__, httpx.ConnectError)
        if not refused:  # it answered, then dropped the connection
            return ServerStatus(ServerState.ERROR, endpoint, detail=exc.message)
        return ServerStatus(ServerState.NOT_RUNNING, endpoint, detail="nothing is listening")
    if isinstance(exc, BackendTimeoutError):
        return ServerStatus(ServerState.NOT_RUNNING, endpoint, detail="no answer in time")
    if isinstance(exc, BackendBusyError):
        return ServerStatus(ServerState.LOADING, endpoint, detail=exc.message)
    return ServerStatus(ServerState.ERROR, endpoint, detail=exc.message)


async def check_status(http: httpx.AsyncClient, entry: RegistryEntry, settings: BackendSettings,
                       timeout_s: float = 3.0) -> ServerStatus:
    """Ask the entry's server which models it serves (one request, no retries)."""
    client = BackendClient(http, entry, settings)
    try:
        async with asyncio.timeout(timeout_s):
            served = await client.list_models(retries=0)
    except (BackendError, TimeoutError) as exc:
        return status_from_error(entry, exc)
    except (httpx.HTTPError, ValueError) as exc:  # e.g. an invalid base_url
        return ServerStatus(ServerState.ERROR, host_port(entry), detail=str(exc))
    return status_from_listing(entry, served)


async def check_statuses(http: httpx.AsyncClient, entries: Sequence[RegistryEntry],
                         settings: BackendSettings,
                         timeout_s: float = 3.0) -> dict[str, ServerStatus]:
    """Entry name -> status, all entries checked concurrently."""
    results = await asyncio.gather(*(check_status(http, e, settings, timeout_s)
                                     for e in entries))
    return {e.name: s for e, s in zip(entries, results, strict=True)}
