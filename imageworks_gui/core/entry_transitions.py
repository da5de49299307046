"""Registry-entry transitions: locks, recorded measurements, unique names, discovered models.

One rule for the GUI and the CLI. A lock is always taken on a measurement of the files:

* ``lock``: lock to the files as last measured (``lock_target``: the last verification's
  aggregate, else the recorded ``artifacts`` aggregate). With no measurement there is nothing to
  lock to (``LockError``): verify first (the GUI's lock cell and the CLI's ``lock`` do it).
* ``relock``: accept a drift, i.e. lock to the files the last verification measured.
* ``unlock``: keep the expected hash for reference; a drift no longer blocks the entry.

A measurement (files hashed, a probe run) is a fact: ``record_verification`` and
``with_measurements`` write it into an entry, and no user edit or undo ever reverts it; only the
status it implies is re-derived against the entry's current lock (``reconcile``).
Every function returns a new validated entry and leaves its argument unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from imageworks_gui.core.hashing import HashDiff, diff_hashes
from imageworks_gui.core.registry import RegistryEntry, replace_entry

VerifyStatus = Literal["verified", "drifted", "error"]

MEASURED_LOCK_FIELDS: tuple[str, ...] = ("last_verified", "last_verification")
"""``version_lock`` keys that record measurements (``locked`` and the expected hash are the
user's)."""
MEASURED_ARTIFACT_FIELDS: tuple[str, ...] = ("aggregate_sha256", "files")
"""``artifacts`` keys that record measurements (``include``/``exclude`` are the user's)."""
MEASURED_FIELDS: tuple[str, ...] = ("probes", "performance")
"""Top-level fields written only by measurements (probe results)."""


class LockError(ValueError):
    """A lock transition does not apply; the message says what to do instead."""


@dataclass(frozen=True)
class Verification:
    """A verification recorded into an entry: the new entry and what was found."""

    entry: RegistryEntry
    status: VerifyStatus
    expected: str | None
    actual: str | None
    diff: HashDiff
    message: str


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_unset=True) if model is not None else {}


# -- locks ----------------------------------------------------------------------------------------

def lock_target(entry: RegistryEntry) -> str | None:
    """The aggregate hash a lock takes: the last measured one, else the recorded artifacts'."""
    vl = entry.version_lock
    record = vl.last_verification if vl else None
    if record is not None and record.actual_aggregate_sha256:
        return record.actual_aggregate_sha256
    if entry.artifacts and entry.artifacts.aggregate_sha256:
        return entry.artifacts.aggregate_sha256
    return None


def reconcile(entry: RegistryEntry) -> RegistryEntry:
    """The entry with its last verification's status re-derived against its current lock.

    ``drifted`` when it is locked and the measured aggregate differs from the expected one,
    else ``verified``; an ``error`` record (nothing was measured) stays as it is.
    """
    vl = entry.version_lock
    record = vl.last_verification if vl else None
    if vl is None or record is None or record.status == "error":
        return entry
    if not record.actual_aggregate_sha256:
        return entry
    drift = bool(vl.locked and vl.expected_aggregate_sha256
                 and vl.expected_aggregate_sha256 != record.actual_aggregate_sha256)
    status = "drifted" if drift else "verified"
    if record.status == status:
        return entry
    lock = _dump(vl)
    lock["last_verification"] = {**lock["last_verification"], "status": status}
    return replace_entry(entry, version_lock=lock)


def lock(entry: RegistryEntry) -> RegistryEntry:
    """Lock to the files as last measured (``lock_target``); ``LockError`` without one."""
    target = lock_target(entry)
    if target is None:
        raise LockError(f"{entry.name} has no measured hash to lock to: verify it first "
                        f"(Verify in the app, or 'imageworks-model-registry lock "
                        f"{entry.name}', which hashes the files and locks them)")
    vl = {**_dump(entry.version_lock), "locked": True, "expected_aggregate_sha256": target}
    return reconcile(replace_entry(entry, version_lock=vl))


def relock(entry: RegistryEntry) -> RegistryEntry:
    """Accept a drift: lock to the files the last verification measured."""
    if not entry.drifted:
        raise LockError(f"{entry.name} has not drifted: there is nothing to accept")
    return lock(entry)


def unlock(entry: RegistryEntry) -> RegistryEntry:
    """Remove the lock (the expected hash is kept for reference; drift no longer blocks it)."""
    vl = {**_dump(entry.version_lock), "locked": False}
    return reconcile(replace_entry(entry, version_lock=vl))


def changed_files(entry: RegistryEntry) -> dict[str, list[str]]:
    """What the last verification found changed, added and removed (empty lists if nothing)."""
    vl = entry.version_lock
    record = vl.last_verification if vl else None
    if record is None:
        return {"changed": [], "added": [], "removed": []}
    return {"changed": list(record.changed), "added": list(record.added),
            "removed": list(record.removed)}


# -- recording measurements -----------------------------------------------------------------------

def _with_lock(entry: RegistryEntry, lock_changes: dict[str, Any],
               artifacts: dict[str, Any] | None = None) -> RegistryEntry:
    changes: dict[str, Any] = {"version_lock": {**_dump(entry.version_lock), **lock_changes}}
    if artifacts is not None:
        changes["artifacts"] = artifacts
    return replace_entry(entry, **changes)


def record_verification(entry: RegistryEntry, files: Mapping[str, str], aggregate: str, *,
                        checked_at: str) -> Verification:
    """Record that the entry's files hash to ``files`` (relative path -> sha256) now.

    Unlocked, or locked and matching: ``verified``, ``artifacts`` becomes the measured files.
    Locked and different: ``drifted``; ``artifacts`` keeps the locked file list so the
    difference stays visible on the next verify, and role resolution refuses the entry until
    the files are restored or the drift is accepted with ``relock``.
    """
    artifacts = entry.artifacts
    previous = {f.path: f.sha256 for f in artifacts.files} if artifacts else {}
    expected = entry.version_lock.expected_aggregate_sha256 if entry.version_lock else None
    diff = diff_hashes(previous, dict(files))
    record: dict[str, Any] = {"status": "verified", "checked_at": checked_at,
                              "actual_aggregate_sha256": aggregate}
    if entry.is_locked and expected != aggregate:
        detail = ("the recorded file list matches, but the lock expects other files"
                  if diff.is_empty and previous else diff.summary())
        message = (f"{entry.name}: DRIFT: expected aggregate {expected}, actual {aggregate}; "
                   f"{detail}. Restore the files and verify again, or accept them: Re-lock to "
                   f"Current in the app, or 'imageworks-model-registry lock {entry.name}'")
        record.update(status="drifted", changed=list(diff.changed), added=list(diff.added),
                      removed=list(diff.removed), message=message)
        return Verification(_with_lock(entry, {"last_verification": record}), "drifted",
                            expected, aggregate, diff, message)
    if not diff.is_empty and previous:
        record.update(changed=list(diff.changed), added=list(diff.added),
                      removed=list(diff.removed))
    new_artifacts = {**_dump(artifacts), "aggregate_sha256": aggregate,
                     "files": [{"path": p, "sha256": s} for p, s in files.items()]}
    state = "locked" if entry.is_locked else "unlocked"
    message = (f"{entry.name}: verified ({state}), {len(files)} files, aggregate {aggregate}"
               + (f"; since the last record: {diff.summary()}"
                  if previous and not diff.is_empty else ""))
    updated = _with_lock(entry, {"last_verified": checked_at, "last_verification": record},
                         new_artifacts)
    return Verification(updated, "verified", expected, aggregate, diff, message)


def record_verification_error(entry: RegistryEntry, error: str, *,
                              checked_at: str) -> Verification:
    """Record that the files could not be hashed (kept on locked entries only, which selection
    then refuses; an unlocked entry, e.g. an Ollama model, is returned unchanged)."""
    expected = entry.version_lock.expected_aggregate_sha256 if entry.version_lock else None
    message = f"{entry.name}: cannot verify: {error}"
    updated = entry
    if entry.is_locked:
        record = {"status": "error", "checked_at": checked_at, "message": error}
        updated = _with_lock(entry, {"last_verification": record})
    return Verification(updated, "error", expected, None, HashDiff(), message)


def measurements(entry: RegistryEntry) -> dict[str, Any]:
    """The measured part of an entry (hash records and probe results), as JSON data."""
    vl, art = _dump(entry.version_lock), _dump(entry.artifacts)
    data: dict[str, Any] = {f"version_lock.{k}": vl.get(k) for k in MEASURED_LOCK_FIELDS}
    data.update({f"artifacts.{k}": art.get(k) for k in MEASURED_ARTIFACT_FIELDS})
    full = entry.to_json_dict()
    data.update({k: full.get(k) for k in MEASURED_FIELDS})
    return data


def with_measurements(edited: RegistryEntry, measured: RegistryEntry) -> RegistryEntry:
    """The user's fields of ``edited`` with the measurements of ``measured``, reconciled.

    Used when an edit or an undo lands after a measurement: the measurement survives and only
    its status is re-derived against the lock the edit sets.
    """
    data = edited.model_dump(mode="json", exclude_unset=True)
    src = measured.model_dump(mode="json", exclude_unset=True)
    for section, keys in (("version_lock", MEASURED_LOCK_FIELDS),
                          ("artifacts", MEASURED_ARTIFACT_FIELDS)):
        theirs = src.get(section) or {}
        if not any(k in theirs for k in keys) and section not in data:
            continue
        mine = dict(data.get(section) or {})
        for key in keys:
            if key in theirs:
                mine[key] = theirs[key]
            else:
                mine.pop(key, None)
        if section == "version_lock" or mine:
            data[section] = mine
        else:
            data.pop(section, None)
    for key in MEASURED_FIELDS:
        if key in src:
            data[key] = src[key]
        else:
            data.pop(key, None)
    return reconcile(RegistryEntry.model_validate(data))


# -- names and discovered models ------------------------------------------------------------------

def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base`` if unused, else ``base-2``, ``base-3``, ..."""
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def _endpoint_key(entry: RegistryEntry) -> tuple[str, int | None, str | None, str]:
    cfg = entry.backend_config
    return (cfg.host or "127.0.0.1", cfg.port, cfg.base_url, entry.served_model_id or entry.name)


def merge_discovered(entries: Iterable[RegistryEntry],
                     candidates: Iterable[RegistryEntry]) -> list[RegistryEntry]:
    """The discovered candidates to add: those not already in the registry (same host, port
    and served name), renamed ``name-2``, ... where a name is taken. Order is kept."""
    existing = list(entries)
    known = {_endpoint_key(e) for e in existing}
    taken = {e.name for e in existing}
    new: list[RegistryEntry] = []
    for candidate in candidates:
        key = _endpoint_key(candidate)
        if key in known:
            continue
        known.add(key)
        name = unique_name(candidate.name, taken)
        taken.add(name)
        new.append(candidate if name == candidate.name else replace_entry(candidate, name=name))
    return new
