"""Verify a registry entry's files against its recorded hashes and version lock."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from imageworks_gui.core.hashing import HashDiff, diff_hashes
from imageworks_gui.core.registry import RegistryEntry, replace_entry
from imageworks_gui.services.hash_cache import HashCache
from imageworks_gui.services.hashing import (
    ArtifactHashes,
    HashingError,
    ProgressCallback,
    compute_artifact_hashes,
)
from imageworks_gui.services.logs import log_event

log = logging.getLogger("imageworks.verify")
VerifyStatus = Literal["verified", "drifted", "error"]


def utc_now_iso() -> str:
    """The current time as ISO-8601 UTC with a ``Z`` suffix, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class VerifyOutcome:
    """The result of verifying one entry; ``entry`` is the updated entry to save."""

    entry: RegistryEntry
    status: VerifyStatus
    expected: str | None
    actual: str | None
    diff: HashDiff
    message: str
    hashes: ArtifactHashes | None = None

    @property
    def changed(self) -> tuple[str, ...]:
        return self.diff.changed

    @property
    def added(self) -> tuple[str, ...]:
        return self.diff.added

    @property
    def removed(self) -> tuple[str, ...]:
        return self.diff.removed

    @property
    def ok(self) -> bool:
        return self.status == "verified"


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_unset=True) if model is not None else {}


def _with_record(entry: RegistryEntry, lock_changes: dict[str, Any], record: dict[str, Any],
                 artifacts: dict[str, Any] | None = None) -> RegistryEntry:
    lock = {**_dump(entry.version_lock), **lock_changes, "last_verification": record}
    changes: dict[str, Any] = {"version_lock": lock}
    if artifacts is not None:
        changes["artifacts"] = artifacts
    return replace_entry(entry, **changes)


def verify_entry(
    entry: RegistryEntry,
    *,
    lock: bool = False,
    deep: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cache: HashCache | None = None,
) -> VerifyOutcome:
    """``_verify_entry``, with the outcome logged as an ``event_type=verify`` record."""
    outcome = _verify_entry(entry, lock=lock, deep=deep, progress=progress, cancel=cancel,
                            cache=cache)
    log_event(log, "verify", outcome.message, entry=entry.name, status=outcome.status,
              deep=deep, lock=lock, expected_aggregate_sha256=outcome.expected,
              actual_aggregate_sha256=outcome.actual)
    return outcome


def _verify_entry(
    entry: RegistryEntry,
    *,
    lock: bool = False,
    deep: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cache: HashCache | None = None,
) -> VerifyOutcome:
    """Hash the entry's files and compare them with its lock.

    * unlocked: ``verified``; ``artifacts`` records the current files (the diff against the
      previous record is reported for information); with ``lock`` the entry becomes locked on
      the current aggregate.
    * locked and matching: ``verified`` (``last_verified`` is refreshed).
    * locked and different: ``drifted``; ``artifacts`` keeps the locked file list so the
      difference stays visible, and role resolution refuses the entry until it is verified
      again or unlocked. ``lock`` does not re-lock a drifted entry: unlock it first to accept.
    * not hashable or unreadable: ``error`` (recorded on locked entries only).

    The outcome is recorded in ``version_lock.last_verification``. ``HashingCancelled``
    propagates (nothing is recorded).
    """
    artifacts = entry.artifacts
    previous = {f.path: f.sha256 for f in artifacts.files} if artifacts else {}
    was_locked = entry.is_locked
    expected = entry.version_lock.expected_aggregate_sha256 if entry.version_lock else None
    now = utc_now_iso()
    try:
        hashes = compute_artifact_hashes(
            entry.backend_config.model_path,
            artifacts.include if artifacts else None,
            artifacts.exclude if artifacts else None,
            deep=deep, progress=progress, cancel=cancel, cache=cache)
    except HashingError as exc:
        # Recorded only on locked entries (selection then refuses them); an unlocked entry is
        # returned unchanged, so verifying an Ollama entry does not touch the registry.
        message = f"{entry.name}: cannot verify: {exc}"
        record = {"status": "error", "checked_at": now, "message": str(exc)}
        updated = _with_record(entry, {}, record) if was_locked else entry
        return VerifyOutcome(updated, "error", expected, None, HashDiff(), message)
    actual = hashes.aggregate
    diff = diff_hashes(previous, hashes.files)
    new_artifacts = {**_dump(artifacts), "aggregate_sha256": actual,
                     "files": [{"path": p, "sha256": s} for p, s in hashes.files.items()]}
    record: dict[str, Any] = {"status": "verified", "checked_at": now,
                              "actual_aggregate_sha256": actual}
    if was_locked and expected != actual:
        if diff.is_empty and previous:
            # The recorded files match but the lock was taken on another state.
            message_detail = "the recorded file list matches, but the lock expects other files"
        else:
            message_detail = diff.summary()
        message = (f"{entry.name}: DRIFT: expected aggregate {expected}, actual {actual}; "
                   f"{message_detail}. Restore the files and verify again, or run "
                   f"'imageworks-model-registry unlock {entry.name}' to accept the change")
        record.update(status="drifted", changed=list(diff.changed), added=list(diff.added),
                      removed=list(diff.removed), message=message)
        return VerifyOutcome(_with_record(entry, {}, record), "drifted", expected, actual, diff,
                             message, hashes)
    lock_changes: dict[str, Any] = {"last_verified": now}
    if lock and not was_locked:
        lock_changes.update(locked=True, expected_aggregate_sha256=actual)
        expected = actual
    if not diff.is_empty and previous:
        record.update(changed=list(diff.changed), added=list(diff.added),
                      removed=list(diff.removed))
    state = "locked" if (lock or was_locked) else "unlocked"
    message = (f"{entry.name}: verified ({state}), {len(hashes.files)} files, aggregate {actual}"
               + (f"; since the last record: {diff.summary()}"
                  if previous and not diff.is_empty else ""))
    updated = _with_record(entry, lock_changes, record, new_artifacts)
    return VerifyOutcome(updated, "verified", expected, actual, diff, message, hashes)


def lock_entry(entry: RegistryEntry) -> RegistryEntry:
    """Lock the entry on its recorded aggregate (run ``verify_entry`` first to record one)."""
    aggregate = entry.artifacts.aggregate_sha256 if entry.artifacts else None
    if not aggregate:
        raise ValueError(f"{entry.name}: no recorded aggregate hash to lock on; run "
                         f"'imageworks-model-registry verify {entry.name} --lock' instead")
    lock = {**_dump(entry.version_lock), "locked": True,
            "expected_aggregate_sha256": aggregate}
    return replace_entry(entry, version_lock=lock)


def unlock_entry(entry: RegistryEntry) -> RegistryEntry:
    """Unlock the entry (the expected hash is kept for reference; drift no longer blocks it)."""
    lock = {**_dump(entry.version_lock), "locked": False}
    return replace_entry(entry, version_lock=lock)
