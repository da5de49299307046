"""Plan the import of a downloader manifest (REFERENCE section 3) into registry entries.

Pure planning: the service layer reads the snapshot folders and hashes files, then hands the
facts to ``build_plan``. A plan is plain data (one ``SyncAction`` per manifest item) so the CLI
prints it and the GUI shows it as a preview table before anything is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from imageworks_gui.core.registry import DEFAULT_PORTS, RegistryEntry, replace_entry

SyncKind = Literal["create", "update", "unchanged", "error"]

VISION_CONFIG_KEYS: tuple[str, ...] = (
    "vision_config", "visual", "vision_tower", "mm_vision_tower", "vision_encoder",
)
"""config.json keys (top level) that mark a model with an image encoder."""


@dataclass(frozen=True)
class ManifestItem:
    """One valid manifest record."""

    key: str
    model_name: str
    path: str
    format_type: str | None = None
    size_bytes: int | None = None
    checksum: str | None = None
    files: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_ollama(self) -> bool:
        return self.path.startswith("ollama:")


@dataclass(frozen=True)
class SnapshotFacts:
    """What the service layer found on disk for one manifest item."""

    error: str | None = None
    file_sizes: Mapping[str, int] = field(default_factory=dict)
    """Size of every file to record in ``source.files`` (relative POSIX path -> bytes)."""
    file_hashes: Mapping[str, str] | None = None
    """SHA-256 of every tracked file, or None when hashing was skipped."""
    aggregate_sha256: str | None = None
    has_vision: bool = False
    gguf_model: str | None = None
    gguf_mmproj: str | None = None


@dataclass(frozen=True)
class SyncAction:
    """The plan for one manifest item."""

    key: str
    kind: SyncKind
    name: str | None = None
    changed_fields: tuple[str, ...] = ()
    message: str = ""
    entry: RegistryEntry | None = None
    """The entry to write (create/update), None otherwise."""


@dataclass(frozen=True)
class SyncPlan:
    """Per-item actions in manifest order, plus totals."""

    actions: tuple[SyncAction, ...] = ()

    def count(self, kind: SyncKind) -> int:
        return sum(1 for a in self.actions if a.kind == kind)

    @property
    def totals(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in ("create", "update", "unchanged", "error")}

    @property
    def has_changes(self) -> bool:
        return any(a.kind in ("create", "update") for a in self.actions)


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def outside_folder(name: str) -> bool:
    """True for a listed file name that leaves its folder: absolute, a drive, or with ``..``."""
    parts = name.replace("\\", "/").split("/")
    return (not name or name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name))
            or ".." in parts)


def parse_manifest(data: Any) -> tuple[list[ManifestItem], list[SyncAction]]:
    """Valid items and per-item errors (missing ``path``/``model_name``, wrong types)."""
    if not isinstance(data, Mapping):
        return [], [SyncAction("(manifest)", "error", message="the manifest root must be a JSON "
                               "object keyed by download id")]
    items: list[ManifestItem] = []
    errors: list[SyncAction] = []
    for key, raw in data.items():
        if not isinstance(raw, Mapping):
            errors.append(SyncAction(str(key), "error", message="not a JSON object"))
            continue
        path, model_name = _str(raw.get("path")), _str(raw.get("model_name"))
        missing = [n for n, v in (("path", path), ("model_name", model_name)) if v is None]
        if missing:
            errors.append(SyncAction(str(key), "error", message=f"missing {' and '.join(missing)}"
                                     "; fix the manifest record or re-download the model"))
            continue
        files = raw.get("files") or []
        outside = next((f for f in files if isinstance(f, str) and outside_folder(f)),
                       None) if isinstance(files, list) else None
        if outside is not None:
            errors.append(SyncAction(str(key), "error", message=f"listed file {outside!r} is "
                                     "outside the model folder (absolute or with '..'); file "
                                     "names must be relative to 'path': fix the manifest record"))
            continue
        size = raw.get("size_bytes")
        metadata = raw.get("metadata")
        items.append(ManifestItem(
            key=str(key), model_name=model_name or "", path=path or "",
            format_type=_str(raw.get("format_type")),
            size_bytes=size if isinstance(size, int) and not isinstance(size, bool) else None,
            checksum=_str(raw.get("checksum")),
            files=tuple(f for f in files if isinstance(f, str)) if isinstance(files, list) else (),
            metadata=metadata if isinstance(metadata, Mapping) else {}))
    return items, errors


def backend_for(item: ManifestItem) -> str:
    """``ollama:`` paths -> ollama, GGUF -> gguf (llama.cpp), anything else -> vllm."""
    if item.is_ollama:
        return "ollama"
    if (item.format_type or "").lower() == "gguf" or any(f.endswith(".gguf") for f in item.files):
        return "gguf"
    return "vllm"


def slugify(text: str) -> str:
    """Lower-case name made of ``[a-z0-9._-]``."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "model"


def base_name(item: ManifestItem) -> str:
    """Entry name from the Hugging Face id (repo part) or the Ollama tag."""
    if item.is_ollama:
        return slugify(item.path.split(":", 1)[1].lstrip("/")) + "-ollama"
    return slugify(item.model_name.rsplit("/", 1)[-1])


def config_has_vision(config: Mapping[str, Any] | None) -> bool:
    """True when a Hugging Face config.json describes an image encoder."""
    if not config:
        return False
    return any(key in config for key in VISION_CONFIG_KEYS)


def _source(item: ManifestItem, facts: SnapshotFacts,
            old: Mapping[str, Any] | None) -> dict[str, Any]:
    old_files = {f.get("path"): f for f in (old or {}).get("files", []) if isinstance(f, dict)}
    files = []
    for rel, size in facts.file_sizes.items():
        record: dict[str, Any] = {"path": rel, "size": size}
        if facts.file_hashes is not None and rel in facts.file_hashes:
            record["sha256"] = facts.file_hashes[rel]
        else:  # hashing skipped: keep a hash recorded earlier for the same path and size
            prior = old_files.get(rel)
            if prior and prior.get("size") == size and prior.get("sha256"):
                record["sha256"] = prior["sha256"]
        merged = {**(old_files.get(rel) or {}), **record}
        if "sha256" not in record:
            merged.pop("sha256", None)
        files.append(merged)
    fresh: dict[str, Any] = {
        "huggingface_id": None if item.is_ollama else item.model_name,
        "format": item.format_type, "path": item.path, "size_bytes": item.size_bytes,
        "directory_checksum": item.checksum, "files": files,
    }
    fresh = {k: v for k, v in fresh.items() if v is not None}
    return {**(old or {}), **fresh}


def _artifacts(facts: SnapshotFacts, old: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if facts.file_hashes is None:
        return None
    return {**(old or {}), "aggregate_sha256": facts.aggregate_sha256,
            "files": [{"path": p, "sha256": s} for p, s in sorted(facts.file_hashes.items())]}


def new_entry_data(item: ManifestItem, facts: SnapshotFacts, name: str) -> dict[str, Any]:
    """The JSON of a freshly imported entry (no roles: those are the admin's decision)."""
    backend = backend_for(item)
    config: dict[str, Any] = {"port": DEFAULT_PORTS[backend], "model_path": item.path,
                              "extra_args": []}
    if backend == "gguf" and facts.gguf_model:
        config["extra_args"] = ["--model", f"{item.path.rstrip('/')}/{facts.gguf_model}"]
        if facts.gguf_mmproj:
            config["extra_args"] += ["--mmproj", f"{item.path.rstrip('/')}/{facts.gguf_mmproj}"]
    caps: dict[str, Any] = {"text": True, "vision": facts.has_vision}
    if item.is_ollama:
        listed = item.metadata.get("capabilities")
        caps["vision"] = isinstance(listed, list) and "vision" in listed
    data: dict[str, Any] = {
        "name": name, "display_name": item.model_name, "backend": backend,
        "backend_config": config, "capabilities": caps,
    }
    artifacts = _artifacts(facts, None)
    if artifacts is not None:
        data["artifacts"] = artifacts
    if item.is_ollama:
        data["served_model_id"] = item.path.split(":", 1)[1].lstrip("/")
    data["model_aliases"] = [item.model_name]
    data["roles"] = []
    data["source"] = _source(item, facts, None)
    data["metadata"] = {"downloader_id": item.key}
    return data


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    changed: list[str] = []
    for key in dict.fromkeys([*old, *new]):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            changed += [f"{key}.{sub}" for sub in dict.fromkeys([*before, *after])
                        if before.get(sub) != after.get(sub)]
        else:
            changed.append(key)
    return tuple(changed)


def _needs_rehash(old_source: Mapping[str, Any] | None, facts: SnapshotFacts) -> bool:
    """True when hashing was skipped although the snapshot's files or sizes changed."""
    if facts.file_hashes is not None:
        return False
    before = {f.get("path"): f.get("size") for f in (old_source or {}).get("files", [])
              if isinstance(f, dict)}
    return before != dict(facts.file_sizes)


def _same_path(a: str, b: str) -> bool:
    """Paths equal after ``~`` expansion and normalisation (no file system access)."""
    def norm(p: str) -> str:
        return p if p.startswith("ollama:") else os.path.normpath(os.path.expanduser(p))
    return norm(a) == norm(b)


def _find_existing(entries: Sequence[RegistryEntry], item: ManifestItem) -> RegistryEntry | None:
    for entry in entries:
        if entry.source is not None and entry.source.path and _same_path(entry.source.path,
                                                                         item.path):
            return entry
    return None


def _plan_item(entries: Sequence[RegistryEntry], item: ManifestItem, facts: SnapshotFacts,
               taken: set[str]) -> SyncAction:
    if facts.error:
        return SyncAction(item.key, "error", message=facts.error)
    existing = _find_existing(entries, item)
    if existing is None:
        name = base_name(item)
        clash = next((e for e in entries if e.name == name), None)
        if clash is not None and clash.source is None:
            existing = clash  # a hand-made entry for the same model: attach the source to it
        elif clash is not None or name in taken:
            name = f"{name}-{slugify(item.format_type or 'copy')}"
            if name in taken or any(e.name == name for e in entries):
                return SyncAction(item.key, "error", message=f"cannot pick a unique entry name "
                                  f"for {item.model_name!r} ({name!r} is taken); rename the "
                                  "existing entry")
    try:
        if existing is None:
            entry = RegistryEntry.model_validate(new_entry_data(item, facts, name))
            taken.add(name)
            return SyncAction(item.key, "create", name, (), f"new {entry.backend} entry",
                              entry)
        old = existing.to_json_dict()
        changes: dict[str, Any] = {"source": _source(item, facts, old.get("source"))}
        artifacts = None if existing.is_locked else _artifacts(facts, old.get("artifacts"))
        if artifacts is not None:
            changes["artifacts"] = artifacts
        entry = replace_entry(existing, **changes)
    except ValidationError as exc:
        return SyncAction(item.key, "error", message=f"cannot build an entry: {exc}")
    changed = _changed_fields(old, entry.to_json_dict())
    if not changed:
        return SyncAction(item.key, "unchanged", existing.name)
    note = " (locked: artifacts left as they are)" if existing.is_locked else ""
    if not existing.is_locked and _needs_rehash(old.get("source"), facts):
        note += "; artifacts need re-hashing (file sizes changed): run without --dry-run " \
                "and --no-hash"
    return SyncAction(item.key, "update", existing.name, changed, "refresh " + ", ".join(changed)
                      + note, entry)


def build_plan(entries: Sequence[RegistryEntry], items: Sequence[ManifestItem],
               facts: Mapping[str, SnapshotFacts],
               errors: Sequence[SyncAction] = ()) -> SyncPlan:
    """One action per manifest item (manifest order), then the manifest-level errors."""
    taken: set[str] = set()
    actions = [_plan_item(entries, item, facts.get(item.key, SnapshotFacts()), taken)
               for item in items]
    return SyncPlan(tuple(actions) + tuple(errors))


def apply_plan(entries: Sequence[RegistryEntry], plan: SyncPlan) -> list[RegistryEntry]:
    """The registry after the plan: updates in place (priority kept), creations appended."""
    updates = {a.name: a.entry for a in plan.actions if a.kind == "update" and a.entry}
    result = [updates.get(e.name) or e for e in entries]
    result += [a.entry for a in plan.actions if a.kind == "create" and a.entry]
    return result
