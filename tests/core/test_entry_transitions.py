"""Registry-entry transitions: lock to a measurement, accept a drift, measurements survive edits."""

from __future__ import annotations

from typing import Any

import pytest

from imageworks_gui.core.entry_transitions import (
    LockError,
    lock,
    lock_target,
    measurements,
    merge_discovered,
    reconcile,
    record_verification,
    record_verification_error,
    relock,
    unique_name,
    unlock,
    with_measurements,
)
from imageworks_gui.core.hashing import aggregate_sha256
from imageworks_gui.core.registry import RegistryEntry

FILES = {"config.json": "a" * 64, "weights.safetensors": "b" * 64}
CHANGED = {"config.json": "c" * 64, "weights.safetensors": "b" * 64, "extra.bin": "d" * 64}


def _entry(**extra: Any) -> RegistryEntry:
    data = {"name": "m", "backend": "vllm", "backend_config": {"port": 8000},
            "capabilities": {"text": True, "vision": True}, **extra}
    return RegistryEntry.model_validate(data)


def _locked() -> RegistryEntry:
    measured = record_verification(_entry(), FILES, aggregate_sha256(FILES),
                                   checked_at="2026-01-01T00:00:00Z").entry
    return lock(measured)


def _drifted() -> RegistryEntry:
    return record_verification(_locked(), CHANGED, aggregate_sha256(CHANGED),
                               checked_at="2026-01-02T00:00:00Z").entry


def test_a_lock_needs_a_measurement_and_takes_the_latest_one() -> None:
    with pytest.raises(LockError, match="no measured hash to lock to: verify it first"):
        lock(_entry())
    recorded = _entry(artifacts={"aggregate_sha256": "e" * 64})
    assert lock_target(recorded) == "e" * 64
    assert lock(recorded).version_lock.expected_aggregate_sha256 == "e" * 64
    locked = _locked()
    assert locked.is_locked and not locked.drifted
    assert locked.version_lock.expected_aggregate_sha256 == aggregate_sha256(FILES)
    assert locked.version_lock.last_verification.status == "verified"


def test_drift_is_recorded_with_the_files_and_accepted_only_by_relock() -> None:
    drifted = _drifted()
    record = drifted.version_lock.last_verification
    assert drifted.drifted and record.status == "drifted"
    assert (record.changed, record.added, record.removed) == (["config.json"], ["extra.bin"], [])
    assert "imageworks-model-registry lock m" in record.message
    # The locked file list is kept, so verifying again still names the changed files.
    assert drifted.artifacts.aggregate_sha256 == aggregate_sha256(FILES)
    with pytest.raises(LockError, match="has not drifted"):
        relock(_locked())
    accepted = relock(drifted)
    assert not accepted.drifted and accepted.is_locked
    assert accepted.version_lock.expected_aggregate_sha256 == aggregate_sha256(CHANGED)
    unlocked = unlock(drifted)
    assert not unlocked.is_locked and not unlocked.drifted
    assert unlocked.version_lock.expected_aggregate_sha256 == aggregate_sha256(FILES)


def test_status_is_derived_from_the_lock_the_user_set() -> None:
    drifted = _drifted()
    # Putting the old lock back (an undo of relock) brings the drift back.
    assert reconcile(relock(drifted)).version_lock.last_verification.status == "verified"
    back = with_measurements(_locked(), drifted)
    assert back.drifted
    assert back.version_lock.last_verification.added == ["extra.bin"]


def test_an_edit_or_undo_never_reverts_a_measurement() -> None:
    before_measure = _entry(display_name="Old", artifacts={"include": ["*.json"]})
    measured = record_verification(before_measure, FILES, aggregate_sha256(FILES),
                                   checked_at="2026-01-01T00:00:00Z").entry
    measured = RegistryEntry.model_validate({**measured.to_json_dict(),
                                             "probes": {"vision": {"vision_ok": False}}})
    undone = with_measurements(_entry(display_name="Older", artifacts={"include": ["*"]}),
                               measured)
    assert undone.display_name == "Older"
    assert undone.artifacts.include == ["*"]  # the user's field follows the edit
    assert measurements(undone) == measurements(measured)
    assert undone.probes.vision.vision_ok is False


def test_an_unhashable_entry_is_recorded_only_when_locked() -> None:
    ollama = _entry()
    assert record_verification_error(ollama, "not a local folder",
                                     checked_at="t").entry == ollama
    failed = record_verification_error(_locked(), "gone", checked_at="t").entry
    assert failed.verification_failed and not failed.drifted


def test_unique_names_and_merging_discovered_models() -> None:
    assert unique_name("m", ["m", "m-2"]) == "m-3"
    assert unique_name("IMG[/x] é", []) == "IMG[/x] é"
    existing = [_entry(served_model_id="a")]
    found = [_entry(served_model_id="a"), _entry(served_model_id="b"),
             _entry(served_model_id="c", backend_config={"port": 9000})]
    new = merge_discovered(existing, found)
    assert [(e.name, e.served_model_id) for e in new] == [("m-2", "b"), ("m-3", "c")]
