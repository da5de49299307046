"""Shared CLI plumbing: global options, registry loading with clean exits, endpoint text."""

from __future__ import annotations

from typing import NoReturn

import typer

from imageworks_gui.cli.console import err, error_line, out, warning_line
from imageworks_gui.cli.options import root_state
from imageworks_gui.core.registry import RegistryEntry, RegistryValidationError
from imageworks_gui.services.registry_store import (
    RegistryConflictError,
    RegistryLoadError,
    RegistryReadOnlyError,
    RegistryStore,
    resolve_registry_path,
)

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3

console = out
err_console = err


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code``."""
    err_console.print(error_line(message))
    raise typer.Exit(code)


def open_registry(ctx: typer.Context) -> tuple[RegistryStore, list[RegistryEntry]]:
    """Resolve, load and validate the registry, or exit 2 with the loader's message."""
    try:
        store = RegistryStore(resolve_registry_path(root_state(ctx).registry_path))
        entries = store.load()
    except (RegistryLoadError, RegistryValidationError) as exc:
        fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        fail(f"cannot prepare the registry file: {exc}", EXIT_USAGE)
    for warning in store.warnings:
        err_console.print(warning_line(warning))
    return store, entries


def save_problem(store: RegistryStore, exc: OSError) -> str:
    """Why the registry could not be saved (it is left as it was)."""
    if isinstance(exc, RegistryReadOnlyError):
        return str(exc)
    reason = exc.strerror or str(exc)
    return (f"{store.path}: cannot save the registry ({reason}); it was not changed: check the "
            "permissions and free space of its folder")


def save_registry(store: RegistryStore, entries: list[RegistryEntry]) -> None:
    """Save, turning a conflict or a write failure into a clear failure (exit 1)."""
    try:
        store.save(entries)
    except RegistryConflictError as exc:
        fail(str(exc), EXIT_FAILURE)
    except OSError as exc:
        fail(save_problem(store, exc), EXIT_FAILURE)


def get_entry(entries: list[RegistryEntry], name: str) -> RegistryEntry:
    """The entry called ``name`` or exit 2 listing the known names."""
    for entry in entries:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in entries) or "(the registry is empty)"
    fail(f"no registry entry named {name!r}; known entries: {known}", EXIT_USAGE)


def endpoint(entry: RegistryEntry) -> str:
    """The OpenAI-compatible base URL of the entry's server."""
    cfg = entry.backend_config
    if cfg.base_url:
        return cfg.base_url.rstrip("/")
    port = f":{cfg.port}" if cfg.port else ""
    return f"http://{cfg.host or '127.0.0.1'}{port}/v1"


def served_name(entry: RegistryEntry) -> str:
    """The model name sent in requests when no server listing is available."""
    return entry.served_model_id or (entry.model_aliases[0] if entry.model_aliases
                                     else entry.name)


def lock_state(entry: RegistryEntry) -> str:
    """Short lock/verification state for tables."""
    lock = entry.version_lock
    last = lock.last_verification.status if lock and lock.last_verification else None
    if entry.is_locked:
        return f"locked, {last}" if last else "locked"
    return f"unlocked, {last}" if last else "unlocked"
