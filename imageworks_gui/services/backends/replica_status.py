"""The state of each replica of an entry, using the one definition of "online" in ``status``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.endpoints import Replica, replicas_for
from imageworks_gui.services.backends.status import ServerState, ServerStatus, check_status

ONLINE = "online"
OFFLINE = "offline"
WRONG_MODEL = "wrong model"
AUTH = "auth"


@dataclass(frozen=True)
class ReplicaState:
    """One replica as the user reads it: ``label`` (host:port), its URL, state and why."""

    label: str
    url: str
    state: str
    detail: str

    @property
    def line(self) -> str:
        """``host:port: state (detail)`` for tooltips and the CLI."""
        return f"{self.label}: {self.state}" + (f" ({self.detail})" if self.detail else "")


def replica_entry(entry: RegistryEntry, replica: Replica) -> RegistryEntry:
    """``entry`` as a single-endpoint entry pointing at ``replica`` (with its key variable)."""
    data = entry.to_json_dict()
    cfg = dict(data.get("backend_config") or {})
    cfg.pop("endpoints", None)
    cfg["base_url"] = replica.base_url
    for key in ("api_key_env", "max_concurrency"):
        value = getattr(replica, key)
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    data["backend_config"] = cfg
    return RegistryEntry.model_validate(data)


def _state(status: ServerStatus) -> str:
    if status.online:
        return ONLINE
    if status.state is ServerState.OTHER_MODELS:
        return WRONG_MODEL
    if status.state is ServerState.ERROR and any(
            word in status.detail.lower() for word in ("401", "403", "auth", "api key")):
        return AUTH
    return OFFLINE


def _detail(status: ServerStatus) -> str:
    if status.online:
        return f"serves {status.served_name}" if status.served_name else ""
    if status.state is ServerState.OTHER_MODELS:
        return "serves " + (", ".join(status.served) or "nothing")
    return status.detail or status.state.value


async def replica_states(entry: RegistryEntry, http: httpx.AsyncClient,
                         settings: BackendSettings,
                         timeout_s: float = 3.0) -> list[ReplicaState]:
    """The state of every replica of ``entry`` (one for a single-endpoint entry), checked
    concurrently, in the order the entry lists them."""
    replicas = replicas_for(entry)
    statuses = await asyncio.gather(*(check_status(http, replica_entry(entry, r), settings,
                                                   timeout_s) for r in replicas))
    return [ReplicaState(r.label, r.base_url, _state(s), _detail(s))
            for r, s in zip(replicas, statuses, strict=True)]


def summary(states: list[ReplicaState]) -> str:
    """``3 replicas: 2 online, 1 offline`` (counts in a fixed order, zeros left out)."""
    counts = [(n, s) for s in (ONLINE, WRONG_MODEL, AUTH, OFFLINE)
              if (n := sum(1 for r in states if r.state == s))]
    head = f"{len(states)} replica" + ("" if len(states) == 1 else "s")
    return head + (": " + ", ".join(f"{n} {s}" for n, s in counts) if counts else "")
