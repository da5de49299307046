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
    skipped: tuple[str, ...] = field(default_factory=tuple)
    """Entries passed over before the chosen one, each as ``name (why)``."""

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


def _failed_verification_reason(entry: RegistryEntry) -> str | None:
    if not entry.verification_failed:
        return None
    assert entry.version_lock and entry.version_lock.last_verification
    if entry.version_lock.last_verification.status == "drifted":
        return "is locked and its last verification found changed files"
    return "is locked and its last verification could not read its files"


def _refuse_failed_verification(entry: RegistryEntry, role: str) -> None:
    reason = _failed_verification_reason(entry)
    if reason:
        raise RoleResolutionError(
            f"Failed to resolve role {role!r}: model {entry.name!r} {reason}: run "
            f"'imageworks-model-registry verify {entry.name}' after restoring the files, or "
            f"'imageworks-model-registry unlock {entry.name}' to accept the change"
        )


def _preferred_problem(entries: Sequence[RegistryEntry], preferred: str, role: str,
                       caps: Sequence[str]) -> tuple[RegistryEntry | None, str | None]:
    """The preferred entry when it qualifies, else why it does not."""
    match = next((e for e in entries if e.name == preferred), None)
    if match is None:
        return None, f"preferred model {preferred!r} is not in the registry"
    if role not in match.roles:
        return None, (f"preferred model {preferred!r} does not advertise role {role!r} (its "
                      f"roles: {', '.join(match.roles) or 'none'})")
    missing = _missing_caps(match, caps)
    if missing:
        return None, (f"preferred model {preferred!r} lacks the capabilities "
                      f"{', '.join(missing)}")
    return match, None


def select_model(
    entries: Sequence[RegistryEntry],
    role: str,
    required_capabilities: Iterable[str] | None = None,
    preferred: str | None = None,
    *,
    log_resolution: bool = True,
) -> Resolution:
    """Resolve ``role`` to one entry (REFERENCE section 4).

    1. ``preferred`` when it advertises the role and has the capabilities (a deprecated preferred
       entry is used with a warning); a locked preferred entry whose last verification failed
       is refused with an error saying to verify or unlock it;
    2. else (with a warning saying why the preferred model was passed over) the first
       non-deprecated entry in file order with the role and the capabilities, skipping locked
       entries whose last verification failed;
    3. else ``RoleResolutionError`` with an actionable message.
    """
    caps = required_capabilities_for(role, required_capabilities or ())
    warnings: list[str] = []
    resolution: Resolution | None = None
    if preferred:
        match, problem = _preferred_problem(entries, preferred, role, caps)
        if match is not None:
            _refuse_failed_verification(match, role)
            if match.deprecated:
                warnings.append(f"model {match.name!r} is deprecated but was chosen explicitly "
                                f"for role {role!r}")
            resolution = Resolution(role, match, "preferred", caps, tuple(warnings))
        else:
            warnings.append(f"{problem}; using the registry priority order for role {role!r}")
    if resolution is None:
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
            reason = _failed_verification_reason(entry)
            if reason:
                skipped.append(f"{entry.name} ({reason}: run verify or unlock)")
                continue
            chosen = entry
            break
        if chosen is None:
            detail = f"; skipped: {'; '.join(skipped)}" if skipped else (
                "; no entry lists it in its roles")
            need = f" with capabilities {', '.join(caps)}" if caps else ""
            pref = f"; {warnings[0]}" if warnings else ""
            raise RoleResolutionError(
                f"Failed to resolve role {role!r}: no usable model{need}{detail}{pref}. Add "
                f"{role!r} to the roles of a suitable entry (imageworks-model-registry list) or "
                f"pass a preferred model")
        resolution = Resolution(role, chosen, "priority", caps, tuple(warnings), tuple(skipped))
    for warning in resolution.warnings:
        log.warning(warning)
    if log_resolution:
        log.info(json.dumps(resolution.log_record(), sort_keys=True))
    return resolution
