"""Role resolution: pick the registry entry that fills a role (REFERENCE section 4)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imageworks_gui.core.registry import VISION_ROLES, RegistryEntry

log = logging.getLogger("imageworks.resolution")


class RoleResolutionError(LookupError):
    """No usable model fills a role; the message says what to change."""


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving one role."""

    role: str
    entry: RegistryEntry
    reason: str  # "preferred" | "priority"
    required_capabilities: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def log_record(self) -> dict[str, object]:
        """The structured record logged once per run with ``event_type=role_resolution``."""
        lock = self.entry.version_lock
        return {
            "event_type": "role_resolution",
            "role": self.role,
            "model": self.entry.name,
            "backend": self.entry.backend,
            "reason": self.reason,
            "required_capabilities": list(self.required_capabilities),
            "locked": bool(lock and lock.locked),
            "aggregate_sha256": (self.entry.artifacts.aggregate_sha256
                                 if self.entry.artifacts else None),
            "warnings": list(self.warnings),
        }


def required_capabilities_for(role: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Capabilities a role needs: ``vision`` for image roles, plus any extra ones asked for."""
    caps: list[str] = ["vision"] if role in VISION_ROLES else []
    for cap in extra:
        if cap not in caps:
            caps.append(cap)
    return tuple(caps)


def _missing_caps(entry: RegistryEntry, caps: Sequence[str]) -> list[str]:
    return [c for c in caps if not entry.capabilities.has(c)]


def _refuse_drifted(entry: RegistryEntry) -> None:
    if entry.drifted:
        raise RoleResolutionError(
            f"model {entry.name!r} is locked and its last verification found changed files: run "
            f"'imageworks-model-registry verify {entry.name}' after restoring the files, or "
            f"'imageworks-model-registry unlock {entry.name}' to accept the change"
        )


def select_model(
    entries: Sequence[RegistryEntry],
    role: str,
    required_capabilities: Iterable[str] | None = None,
    preferred: str | None = None,
    *,
    log_resolution: bool = True,
) -> Resolution:
    """Resolve ``role`` to one entry.

    1. ``preferred`` when it advertises the role and has the capabilities (a deprecated preferred
       entry is used with a warning);
    2. else the first non-deprecated entry in file order with the role and the capabilities;
    3. else ``RoleResolutionError`` with an actionable message.

    A locked entry whose last verification drifted is refused in both steps.
    """
    caps = required_capabilities_for(role, required_capabilities or ())
    warnings: list[str] = []
    if preferred:
        match = next((e for e in entries if e.name == preferred), None)
        if match is None:
            known = ", ".join(e.name for e in entries) or "(empty registry)"
            raise RoleResolutionError(
                f"Failed to resolve role {role!r}: preferred model {preferred!r} is not in the "
                f"registry (known: {known})")
        if role not in match.roles:
            raise RoleResolutionError(
                f"Failed to resolve role {role!r}: preferred model {preferred!r} does not "
                f"advertise that role (its roles: {', '.join(match.roles) or 'none'}); add "
                f"{role!r} to its roles or choose another model")
        missing = _missing_caps(match, caps)
        if missing:
            raise RoleResolutionError(
                f"Failed to resolve role {role!r}: preferred model {preferred!r} lacks the "
                f"capabilities {', '.join(missing)}; set capabilities.{missing[0]} if it really "
                f"has it, or choose another model")
        _refuse_drifted(match)
        if match.deprecated:
            warnings.append(f"model {match.name!r} is deprecated but was chosen explicitly "
                            f"for role {role!r}")
            log.warning(warnings[-1])
        resolution = Resolution(role, match, "preferred", caps, tuple(warnings))
    else:
        skipped: list[str] = []
        chosen: RegistryEntry | None = None
        for entry in entries:
            if role not in entry.roles:
                continue
            if entry.deprecated:
                skipped.append(f"{entry.name} (deprecated)")
                continue
            missing = _missing_caps(entry, caps)
            if missing:
                skipped.append(f"{entry.name} (lacks {', '.join(missing)})")
                continue
            if entry.drifted:
                skipped.append(f"{entry.name} (locked and drifted: run verify or unlock)")
                continue
            chosen = entry
            break
        if chosen is None:
            detail = f"; skipped: {'; '.join(skipped)}" if skipped else (
                "; no entry lists it in its roles")
            need = f" with capabilities {', '.join(caps)}" if caps else ""
            raise RoleResolutionError(
                f"Failed to resolve role {role!r}: no usable model{need}{detail}. Add {role!r} "
                f"to the roles of a suitable entry (imageworks-model-registry list) or pass a "
                f"preferred model")
        resolution = Resolution(role, chosen, "priority", caps, ())
    if log_resolution:
        log.info(json.dumps(resolution.log_record(), sort_keys=True))
    return resolution
