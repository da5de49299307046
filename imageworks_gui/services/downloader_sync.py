"""Import the downloader's models.json into the registry (the sync-downloader command)."""

from __future__ import annotations

import json
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
)
from imageworks_gui.services.registry_store import RegistryStore

__all__ = ["ManifestLoadError", "SyncPlan", "apply_sync", "gather_facts", "load_manifest",
           "plan_sync", "sync_downloader"]


class ManifestLoadError(Exception):
    """The manifest file cannot be read or is not valid JSON."""


def load_manifest(path: Path) -> Any:
    """Decoded manifest JSON; ``ManifestLoadError`` with file, line and column otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestLoadError(f"{path}: manifest not found; pass the path of the "
                                "downloader's models.json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestLoadError(f"{path}: cannot read the manifest: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestLoadError(f"{path}:{exc.lineno}:{exc.colno}: malformed JSON in the "
                                f"manifest: {exc.msg}; fix the file (nothing was imported)"
                                ) from exc


def _read_json(path: Path) -> Mapping[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
