"""Preflight of every replica of an entry: each must serve the same model and see images.

A replica that does not answer is left out for a cool-down (it may come back during the run);
one that serves another model, another served name, a model whose listing describes other
files (vLLM's ``root``/``max_model_len``, llama.cpp's ``meta``), or that fails the text or
vision probe is refused for the whole run, so answers of a different model are never mixed in.
The registry's version lock hashes the files on this machine only; comparing what each replica
reports about its model is the check that can be made over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.errors import BackendError
from imageworks_gui.services.backends.probes import ProbeReport, probe_entry
from imageworks_gui.services.backends.replica_status import replica_entry
from imageworks_gui.services.backends.status import ServerState

IDENTITY_FIELDS = ("root", "parent", "max_model_len", "meta")
"""Fields of a ``/v1/models`` item that describe the model's files (the others, such as
``created`` and ``permission``, change with every listing)."""
NO_ANSWER = (ServerState.NOT_RUNNING.value, ServerState.LOADING.value)


def identity_of(item: dict[str, Any]) -> str:
    """What a listing item says about the model's files, as comparable text."""
    return json.dumps({k: item[k] for k in IDENTITY_FIELDS if k in item}, sort_keys=True,
                      default=str)


async def _identity(http: httpx.AsyncClient, client: BackendClient, report: ProbeReport,
                    base_url: str) -> str | None:
    """The identity of the served model at ``base_url`` (None: the listing failed)."""
    try:
        response = await http.get(f"{base_url}/models", timeout=client._timeout,
                                  headers=client._headers(client.pool.states[0].replica))
        items = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError, BackendError):
        return None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("id") == report.served_name:
            return identity_of(item)
    return None


async def probe_every_replica(http: httpx.AsyncClient, entry: RegistryEntry,
                              settings: Settings, *, check_vision: bool | None = None
                              ) -> ProbeReport:
    """The probes of ``entry``: of each replica, judged together, when it lists several
    (``probe`` in the CLI and the Models workspace); else of its one server."""
    client = BackendClient(http, entry, settings.backend)
    if len(client.pool.states) == 1:
        return await probe_entry(http, entry, settings, check_vision=check_vision,
                                 backend=client)
    return await preflight_replicas(http, client, settings, check_vision=check_vision)


async def preflight_replicas(http: httpx.AsyncClient, client: BackendClient,
                             settings: Settings, *, check_vision: bool | None = True
                             ) -> ProbeReport:
    """Probe each replica of ``client``'s entry, leave out or refuse the unfit ones in its
    pool, and return one report for the entry (``ok`` when at least one replica passed)."""
    entry = client.entry
    states = client.pool.states
    reports = await asyncio.gather(*(
        probe_entry(http, replica_entry(entry, s.replica), settings, check_vision=check_vision,
                    served_name=client.explicit_served_name) for s in states))
    passed = [i for i, r in enumerate(reports) if r.ok]
    identities = dict(zip(passed, await asyncio.gather(*(
        _identity(http, client, reports[i], states[i].replica.base_url) for i in passed)),
        strict=True))
    names = Counter(reports[i].served_name for i in passed)
    reference_name = max(names, key=lambda n: (names[n], -min(
        i for i in passed if reports[i].served_name == n))) if names else None
    known = Counter(identities[i] for i in passed if identities[i] is not None
                    and reports[i].served_name == reference_name)
    reference_id = max(known, key=lambda k: (known[k], -min(
        i for i in passed if identities[i] == k))) if known else None
    notes: list[str] = []
    usable: list[int] = []
    for i, (state, report) in enumerate(zip(states, reports, strict=True)):
        label = state.label
        if i in passed and report.served_name != reference_name:
            reason = (f"serves the model as {report.served_name!r}, the other replicas as "
                      f"{reference_name!r}: not the same model")
            client.pool.refuse(i, reason)
        elif i in passed and identities[i] is not None and reference_id is not None and (
                identities[i] != reference_id):
            reason = (f"reports other model files than the other replicas ({identities[i]} "
                      f"instead of {reference_id})")
            client.pool.refuse(i, reason)
        elif i in passed:
            usable.append(i)
            continue
        elif report.state in NO_ANSWER:
            reason = f"{report.state}: left out until it answers ({report.message})"
            client.pool.set_down(i, reason)
        else:
            reason = f"refused: {report.message}"
            client.pool.refuse(i, reason)
        notes.append(f"replica {label}: {reason}")
    if usable:
        merged = reports[usable[0]].model_copy()
        merged.endpoint = ", ".join(states[i].label for i in usable)
        merged.message = (f"model {entry.name!r}: {len(usable)} of {len(states)} replicas "
                          f"passed every probe")
    else:
        merged = reports[0].model_copy()
        merged.message = (f"model {entry.name!r}: none of its {len(states)} replicas can be "
                          f"used: " + "; ".join(notes))
        merged.online = False
    merged.replica_notes = notes
    return merged
