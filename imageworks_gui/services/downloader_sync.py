"""Import the downloader's models.json into the registry (the sync-downloader command)."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from imageworks_gui.core.downloader import (
    ManifestItem,
    SnapshotFacts,
    SyncPlan,
    apply_plan,
    build_plan,
    config_has_vision,
    parse_manifest,
)
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.services.hash_cache import HashCache
from imageworks_gui.services.hashing import (
    HashingError,
    ProgressCallback,
    compute_artifact_hashes,
    list_tracked_files,
    system_folder_problem,
)
from imageworks_gui.services.registry_store import RegistryStore

__all__ = ["ManifestLoadError", "SyncPlan", "apply_sync", "gather_facts", "load_manifest",
           "plan_sync", "sync_downloader"]


class ManifestLoadError(Exception):
    """The manifest file cannot be read or is not valid JSON."""


CONFIG_LIMIT = 16 * 1024 * 1024
"""Largest config.json read for vision hints (real ones are a few KB)."""
MANIFEST_LIMIT = 256 * 1024 * 1024
"""Largest downloader manifest read."""


def read_regular_file(path: Path, limit: int = CONFIG_LIMIT) -> bytes | None:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes, else None.

    Opened without blocking and checked after opening, so a FIFO or device named like a
    config file is never read (reading a FIFO would wait forever for a writer).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        return handle.read(limit + 1)


def load_manifest(path: Path) -> Any:
    """Decoded manifest JSON; ``ManifestLoadError`` with file, line and column otherwise."""
    if not Path(path).exists():
        raise ManifestLoadError(f"{path}: manifest not found; pass the path of the "
                                "downloader's models.json")
    raw = read_regular_file(Path(path), MANIFEST_LIMIT)
    if raw is None:
        raise ManifestLoadError(f"{path}: not a readable regular file of at most "
                                f"{MANIFEST_LIMIT // 2**20} MB; pass the downloader's "
                                "models.json itself")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestLoadError(f"{path}: the manifest is not UTF-8 text (bad byte at offset "
                                f"{exc.start}); nothing was imported") from exc
    except json.JSONDecodeError as exc:
        raise ManifestLoadError(f"{path}:{exc.lineno}:{exc.colno}: malformed JSON in the "
                                f"manifest: {exc.msg}; fix the file (nothing was imported)"
                                ) from exc
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ManifestLoadError(f"{path}: unreadable JSON in the manifest ({why}); fix the "
                                "file (nothing was imported)") from exc


def _read_json(path: Path) -> Mapping[str, Any] | None:
    raw = read_regular_file(path)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, Mapping) else None


def gather_facts(item: ManifestItem, *, hash_files: bool = True, deep: bool = False,
                 progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
                 cache: HashCache | None = None) -> SnapshotFacts:
    """Look at one snapshot on disk: files and sizes, vision hints, and (optionally) hashes."""
    if item.is_ollama:
        return SnapshotFacts()
    root = Path(item.path).expanduser()
    if not root.is_dir():
        return SnapshotFacts(error=f"path {item.path} does not exist or is not a folder; "
                             "re-download the model or remove the record from the manifest")
    problem = system_folder_problem(root)
    if problem:
        return SnapshotFacts(error=problem)
    try:
        tracked = list_tracked_files(root)
    except HashingError as exc:
        return SnapshotFacts(error=str(exc))
    names = list(item.files) or list(tracked)
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        return SnapshotFacts(error=f"{len(missing)} listed file(s) missing in {item.path} "
                             f"(e.g. {missing[0]}); the download is incomplete: re-download it")
    sizes = {n: (root / n).stat().st_size for n in sorted(names)}
    ggufs = sorted(n for n in tracked if n.endswith(".gguf"))
    mmproj = next((n for n in ggufs if n.rsplit("/", 1)[-1].startswith("mmproj")), None)
    model = next((n for n in ggufs if n != mmproj), None)
    vision = (config_has_vision(_read_json(root / "config.json"))
              or (root / "preprocessor_config.json").is_file() or mmproj is not None)
    hashes: dict[str, str] | None = None
    aggregate = None
    if hash_files:
        try:
            result = compute_artifact_hashes(root, deep=deep, progress=progress, cancel=cancel,
                                             cache=cache)
        except HashingError as exc:
            return SnapshotFacts(error=str(exc))
        hashes, aggregate = result.files, result.aggregate
    return SnapshotFacts(file_sizes=sizes, file_hashes=hashes, aggregate_sha256=aggregate,
                         has_vision=vision, gguf_model=model, gguf_mmproj=mmproj)


def plan_sync(entries: Sequence[RegistryEntry], manifest: Any | Path, *,
              hash_files: bool = True, deep: bool = False,
              progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
              cache: HashCache | None = None) -> SyncPlan:
    """The per-entry plan (create / update with changed fields / unchanged / error).

    ``manifest`` is the decoded JSON or a path to it. Without ``hash_files`` nothing is read
    beyond file sizes and config files (dry runs).
    """
    data = load_manifest(manifest) if isinstance(manifest, Path) else manifest
    items, errors = parse_manifest(data)
    facts = {item.key: gather_facts(item, hash_files=hash_files, deep=deep, progress=progress,
                                    cancel=cancel, cache=cache) for item in items}
    return build_plan(entries, items, facts, errors)


def apply_sync(entries: Sequence[RegistryEntry], plan: SyncPlan) -> list[RegistryEntry]:
    """The registry entries after applying ``plan`` (nothing is written)."""
    return apply_plan(entries, plan)


def sync_downloader(store: RegistryStore, manifest_path: Path, *, dry_run: bool = False,
                    hash_files: bool = True, progress: ProgressCallback | None = None,
                    cancel: threading.Event | None = None) -> SyncPlan:
    """Load the registry, plan the import, and save it unless ``dry_run`` (which hashes nothing).

    Returns the plan; the registry file is untouched when nothing changes.
    """
    entries = store.load()
    manifest = load_manifest(manifest_path)
    plan = plan_sync(entries, manifest, hash_files=hash_files and not dry_run,
                     progress=progress, cancel=cancel)
    if not dry_run and plan.has_changes:
        store.save(apply_sync(entries, plan))
    return plan
