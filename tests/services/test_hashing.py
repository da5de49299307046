"""Hashing real files: determinism, symlinks, cache, progress, cancel; verification and locks."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

import pytest

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.resolution import RoleResolutionError, select_model
from imageworks_gui.services.hash_cache import HashCache
from imageworks_gui.services.hashing import (
    HashingCancelled,
    HashingError,
    NotHashableError,
    compute_artifact_hashes,
)
from imageworks_gui.services.verification import lock_entry, unlock_entry, verify_entry


def _snapshot(root: Path) -> dict[str, bytes]:
    files = {
        "config.json": b'{"model_type": "qwen2_5_vl"}',
        "model-00001-of-00002.safetensors": os.urandom(3 * 1024 * 1024 + 17),
        "model-00002-of-00002.safetensors": os.urandom(1024),
        "tokenizer/vocab.txt": "café\n".encode(),
        "empty.txt": b"",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for junk in (".git/HEAD", ".cache/huggingface/x.metadata", ".DS_Store", "x.bin.incomplete",
                 "model.safetensors:Zone.Identifier", ".gitattributes.lock"):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_bytes(b"ignored")
    return files


def _expected_aggregate(files: dict[str, bytes]) -> str:
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {rel}" for rel, data in files.items())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _entry(path: Path | str, **extra: object) -> RegistryEntry:
    return RegistryEntry.model_validate({
        "name": "m", "backend": "vllm", "roles": ["caption"],
        "backend_config": {"port": 8000, "model_path": str(path)},
        "capabilities": {"text": True, "vision": True}, **extra})


def test_hashes_are_deterministic_and_match_an_independent_computation(tmp_path: Path) -> None:
    files = _snapshot(tmp_path)
    result = compute_artifact_hashes(tmp_path)
    assert result.files == {rel: hashlib.sha256(d).hexdigest() for rel, d in sorted(files.items())}
    assert list(result.files) == sorted(files)
    assert result.aggregate == _expected_aggregate(files)
    assert result.total_bytes == sum(len(d) for d in files.values())
    again = compute_artifact_hashes(str(tmp_path), deep=True, workers=1)
    assert again.aggregate == result.aggregate


def test_symlinked_snapshot_files_are_followed(tmp_path: Path) -> None:
    blobs, snap = tmp_path / "blobs", tmp_path / "snapshots" / "abc"
    blobs.mkdir()
    snap.mkdir(parents=True)
    (blobs / "1234").write_bytes(b"weights")
    (blobs / "5678").write_bytes(b"{}")
    (snap / "model.safetensors").symlink_to(blobs / "1234")
    (snap / "config.json").symlink_to(blobs / "5678")
    (snap / "loop").symlink_to(snap, target_is_directory=True)  # folder links are not walked
    result = compute_artifact_hashes(snap)
    assert result.aggregate == _expected_aggregate({"model.safetensors": b"weights",
                                                    "config.json": b"{}"})
    (blobs / "1234").unlink()
    with pytest.raises(HashingError, match=r"model\.safetensors is a broken symlink"):
        compute_artifact_hashes(snap)


def test_include_exclude_and_single_file_paths(tmp_path: Path) -> None:
    files = _snapshot(tmp_path)
    only = compute_artifact_hashes(tmp_path, include=["*.safetensors"], exclude=["*-00002-of-*"])
    assert list(only.files) == ["model-00001-of-00002.safetensors"]
    single = compute_artifact_hashes(tmp_path / "config.json")
    assert single.aggregate == _expected_aggregate({"config.json": files["config.json"]})


@pytest.mark.parametrize(("model_path", "message"), [
    ("ollama:/qwen2.5vl:7b", "not a local folder"),
    ("", "model_path is empty"),
    (None, "model_path is empty"),
    ("/definitely/not/here", "does not exist"),
])
def test_non_local_paths_are_not_hashable(model_path: str | None, message: str) -> None:
    with pytest.raises(NotHashableError, match=message):
        compute_artifact_hashes(model_path)


def test_empty_folder_is_not_hashable(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("x")
    with pytest.raises(NotHashableError, match="no files to hash"):
        compute_artifact_hashes(tmp_path)


def test_cache_serves_unchanged_files_and_notices_changes(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    files = _snapshot(snap)
    first = compute_artifact_hashes(snap)
    assert first.cached_files == 0
    second = compute_artifact_hashes(snap)
    assert second.cached_files == len(files) and second.aggregate == first.aggregate
    assert compute_artifact_hashes(snap, deep=True).cached_files == 0
    # Same size and same mtime, but a new file (new inode): must be re-read.
    target = snap / "model-00002-of-00002.safetensors"
    st = target.stat()
    replacement = snap / "replacement.tmp"
    replacement.write_bytes(os.urandom(1024))
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, target)
    files["model-00002-of-00002.safetensors"] = target.read_bytes()
    third = compute_artifact_hashes(snap)
    assert third.aggregate == _expected_aggregate(files)
    assert third.cached_files == len(files) - 1


def test_cache_notices_a_same_size_edit_whose_mtime_was_restored(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    files = _snapshot(snap)
    first = compute_artifact_hashes(snap)
    # Edited in place (same inode, same size), then the modification time set back, as
    # `touch -r` does: only the inode change time still tells.
    target = snap / "model-00002-of-00002.safetensors"
    st = target.stat()
    with open(target, "r+b") as handle:
        handle.write(b"tampered")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns,
                                                                st.st_ino)
    files["model-00002-of-00002.safetensors"] = target.read_bytes()
    second = compute_artifact_hashes(snap)
    assert second.aggregate == _expected_aggregate(files) != first.aggregate
    assert second.cached_files == len(files) - 1


def test_a_cache_from_before_the_ctime_key_is_not_trusted(tmp_path: Path) -> None:
    import sqlite3

    snap = tmp_path / "snap"
    snap.mkdir()
    files = _snapshot(snap)
    cache_file = tmp_path / "cache.sqlite3"
    with sqlite3.connect(cache_file) as conn:  # the older layout, holding a wrong hash
        conn.execute("CREATE TABLE file_hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                     "mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, sha256 TEXT NOT NULL)")
        target = os.path.realpath(snap / "config.json")
        st = os.stat(target)
        conn.execute("INSERT INTO file_hashes VALUES (?, ?, ?, ?, ?)",
                     (target, st.st_size, st.st_mtime_ns, st.st_ino, "0" * 64))
    cache = HashCache(cache_file)
    result = compute_artifact_hashes(snap, cache=cache)
    assert result.aggregate == _expected_aggregate(files) and result.cached_files == 0
    assert cache.enabled
    assert compute_artifact_hashes(snap, cache=cache).cached_files == len(files)


def test_corrupt_cache_file_does_not_break_hashing(tmp_path: Path) -> None:
    (tmp_path / "snap").mkdir()
    files = _snapshot(tmp_path / "snap")
    bad = tmp_path / "cache.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    cache = HashCache(bad)
    result = compute_artifact_hashes(tmp_path / "snap", cache=cache)
    assert result.aggregate == _expected_aggregate(files)
    assert not cache.enabled


def test_progress_reports_bytes_up_to_the_total(tmp_path: Path) -> None:
    _snapshot(tmp_path)
    seen: list[tuple[int, int]] = []
    result = compute_artifact_hashes(tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (result.total_bytes, result.total_bytes)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    cached: list[tuple[int, int]] = []
    compute_artifact_hashes(tmp_path, progress=lambda d, t: cached.append((d, t)))
    assert cached[-1] == (result.total_bytes, result.total_bytes)


def test_cancel_stops_hashing(tmp_path: Path) -> None:
    _snapshot(tmp_path)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(HashingCancelled):
        compute_artifact_hashes(tmp_path, cancel=cancel)
    # Cancelled work leaves nothing behind in the cache.
    assert compute_artifact_hashes(tmp_path).cached_files == 0


# -- verification and locks -------------------------------------------------------------------

def test_verify_lock_then_drift_is_reported_recorded_and_blocks_selection(tmp_path: Path) -> None:
    files = _snapshot(tmp_path)
    first = verify_entry(_entry(tmp_path), lock=True)
    assert first.status == "verified" and first.actual == _expected_aggregate(files)
    vl = first.entry.version_lock
    assert vl is not None and vl.locked and vl.expected_aggregate_sha256 == first.actual
    assert vl.last_verified and vl.last_verified.endswith("Z")
    assert first.entry.artifacts is not None
    assert len(first.entry.artifacts.files) == len(files)

    (tmp_path / "config.json").write_bytes(b'{"model_type": "changed"}')
    (tmp_path / "empty.txt").unlink()
    (tmp_path / "extra.bin").write_bytes(b"new")
    drift = verify_entry(first.entry)
    assert drift.status == "drifted"
    assert (drift.changed, drift.added, drift.removed) == (("config.json",), ("extra.bin",),
                                                           ("empty.txt",))
    assert drift.expected == first.actual and drift.actual != first.actual
    assert drift.expected in drift.message and drift.actual in drift.message
    record = drift.entry.version_lock.last_verification  # type: ignore[union-attr]
    assert record is not None and record.status == "drifted"
    assert record.changed == ["config.json"] and record.actual_aggregate_sha256 == drift.actual
    # The locked file list is kept so the drift stays visible on the next verify.
    assert drift.entry.artifacts.aggregate_sha256 == first.actual  # type: ignore[union-attr]
    with pytest.raises(RoleResolutionError, match="verify m"):
        select_model([drift.entry], "caption", preferred="m")
    # --lock does not silently accept a drift.
    assert verify_entry(drift.entry, lock=True).status == "drifted"
    accepted = verify_entry(unlock_entry(drift.entry))
    assert accepted.status == "verified" and not accepted.entry.is_locked
    assert select_model([accepted.entry], "caption").entry.name == "m"


def test_restoring_the_files_clears_the_drift(tmp_path: Path) -> None:
    _snapshot(tmp_path)
    locked = verify_entry(_entry(tmp_path), lock=True).entry
    original = (tmp_path / "config.json").read_bytes()
    (tmp_path / "config.json").write_bytes(b"tampered")
    drifted = verify_entry(locked).entry
    (tmp_path / "config.json").write_bytes(original)
    again = verify_entry(drifted, deep=True)
    assert again.status == "verified" and not again.entry.verification_failed


def test_verify_errors(tmp_path: Path) -> None:
    ollama = _entry("ollama:/qwen2.5vl:7b")
    outcome = verify_entry(ollama)
    assert outcome.status == "error" and "not a local folder" in outcome.message
    assert outcome.entry == ollama  # unlocked entries are left as they were
    gone = tmp_path / "gone"
    gone.mkdir()
    _snapshot(gone)
    locked = verify_entry(_entry(gone), lock=True).entry
    shutil.rmtree(gone)
    failed = verify_entry(locked)
    assert failed.status == "error" and failed.entry.verification_failed


def test_lock_and_unlock_helpers(tmp_path: Path) -> None:
    _snapshot(tmp_path)
    with pytest.raises(ValueError, match="verify m --lock"):
        lock_entry(_entry(tmp_path))
    verified = verify_entry(_entry(tmp_path)).entry
    assert not verified.is_locked
    locked = lock_entry(verified)
    assert locked.is_locked
    assert locked.version_lock.expected_aggregate_sha256 == (  # type: ignore[union-attr]
        verified.artifacts.aggregate_sha256)  # type: ignore[union-attr]
    assert not unlock_entry(locked).is_locked


def test_include_patterns_stored_with_the_entry_are_used(tmp_path: Path) -> None:
    files = _snapshot(tmp_path)
    entry = _entry(tmp_path, artifacts={"include": ["*.json"]})
    outcome = verify_entry(entry)
    assert outcome.actual == _expected_aggregate({"config.json": files["config.json"]})
    assert outcome.entry.artifacts.include == ["*.json"]  # type: ignore[union-attr]


def test_concurrent_hashers_share_one_cache_safely(tmp_path: Path) -> None:
    snaps = []
    for i in range(4):
        snap = tmp_path / f"snap{i}"
        snap.mkdir()
        snaps.append((snap, _expected_aggregate(_snapshot(snap))))
    cache_file = tmp_path / "shared.sqlite3"
    errors: list[BaseException] = []

    def work(snap: Path, expected: str) -> None:
        try:
            for _ in range(3):
                assert compute_artifact_hashes(snap, cache=HashCache(cache_file)).aggregate == (
                    expected)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in snaps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(compute_artifact_hashes(s, cache=HashCache(cache_file)).cached_files
               for s, _ in snaps)
