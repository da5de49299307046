"""Verify a registry entry's files against its recorded hashes and version lock."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from imageworks_gui.core.entry_transitions import (
    VerifyStatus,
    record_verification,
    record_verification_error,
)
from imageworks_gui.core.entry_transitions import lock as lock_entry
from imageworks_gui.core.hashing import HashDiff
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.services.hash_cache import HashCache
from imageworks_gui.services.hashing import (
    ArtifactHashes,
    HashingError,
    ProgressCallback,
    compute_artifact_hashes,
)
from imageworks_gui.services.logs import log_event

log = logging.getLogger("imageworks.verify")


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
    """Hash the entry's files now and record the result (``core.entry_transitions``).

    With ``lock`` an unlocked entry that verified is then locked on the measured files; a
    locked entry that drifted stays drifted (verifying never accepts a drift: ``relock`` does).
    ``HashingCancelled`` propagates (nothing is recorded).
    """
    artifacts = entry.artifacts
    now = utc_now_iso()
    try:
        hashes = compute_artifact_hashes(
            entry.backend_config.model_path,
            artifacts.include if artifacts else None,
            artifacts.exclude if artifacts else None,
            deep=deep, progress=progress, cancel=cancel, cache=cache)
    except HashingError as exc:
        failed = record_verification_error(entry, str(exc), checked_at=now)
        return VerifyOutcome(failed.entry, "error", failed.expected, None, failed.diff,
                             failed.message)
    result = record_verification(entry, hashes.files, hashes.aggregate, checked_at=now)
    updated, expected, message = result.entry, result.expected, result.message
    if lock and result.status == "verified" and not entry.is_locked:
        updated = lock_entry(updated)
        expected = hashes.aggregate
        message = message.replace("(unlocked)", "(locked)", 1)
    return VerifyOutcome(updated, result.status, expected, result.actual, result.diff, message,
                         hashes)
