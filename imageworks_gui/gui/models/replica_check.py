"""Checks each replica of the entries that list several and records their states for the table."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.services.backends.replica_status import replica_states


async def check_replicas(context: Any, doc: Any, entries: Sequence[RegistryEntry],
                         timeout_s: float) -> None:
    """Record ``ReplicaState``s of every entry with ``backend_config.endpoints``."""
    multi = [e for e in entries if e.backend_config.endpoints]
    if not multi:
        return
    results = await asyncio.gather(*(replica_states(e, context.http, context.settings.backend,
                                                    timeout_s) for e in multi))
    for entry, states in zip(multi, results, strict=True):
        if doc.entry(entry.name) is not None:
            doc.set_runtime(entry.name, replicas=tuple(states))
