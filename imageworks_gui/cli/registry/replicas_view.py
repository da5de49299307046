"""How the registry CLI shows an entry's replicas: a count in `list`, each state in `show`."""

from __future__ import annotations

import asyncio

from imageworks_gui.cli.registry._common import endpoint, err_console
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.endpoints import make_http_client
from imageworks_gui.services.backends.replica_status import ReplicaState, replica_states


def endpoint_cell(entry: RegistryEntry) -> str:
    """The entry's URL, or ``N replicas`` for an entry that lists several."""
    count = len(entry.backend_config.endpoints or [])
    if not count:
        return endpoint(entry)
    return f"{count} replica" + ("" if count == 1 else "s")


async def _states(entry: RegistryEntry, settings: Settings) -> list[ReplicaState]:
    async with make_http_client(settings) as http:
        return await replica_states(entry, http, settings.backend)


def print_replica_states(entry: RegistryEntry) -> None:
    """One line per replica with its state, on stderr (stdout stays the entry's JSON)."""
    if not entry.backend_config.endpoints:
        return
    from imageworks_gui.cli.registry.probe_cmd import _settings

    states = asyncio.run(_states(entry, _settings()))
    err_console.print(f"replicas of {entry.name}:", markup=False, highlight=False)
    for state in states:
        err_console.print(f"  {state.line}   {state.url}", markup=False, highlight=False)
