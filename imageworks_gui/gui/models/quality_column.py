"""The Models table's Quality cell: the scorecard summary kept in ``performance.quality``."""

from __future__ import annotations

from typing import Any

from imageworks_gui.core.registry import RegistryEntry


def _quality(entry: RegistryEntry) -> dict[str, Any]:
    perf = entry.performance
    data = (perf.model_extra or {}).get("quality") if perf is not None else None
    return data if isinstance(data, dict) else {}


def quality_text(entry: RegistryEntry, _runtime: object = None) -> str:
    """The summary of the role with the most reviewed photos (empty: nothing reviewed yet)."""
    roles = [v for v in _quality(entry).values() if isinstance(v, dict)]
    if not roles:
        return ""
    best = max(roles, key=lambda v: int(v.get("photos") or 0))
    return str(best.get("summary") or "")


def quality_tooltip(entry: RegistryEntry, _runtime: object = None) -> str:
    """One line per role: its summary and the model version it was measured on."""
    lines = [f"{role}: {v.get('summary', '')} (version {str(v.get('hash') or '?')[:12]})"
             for role, v in sorted(_quality(entry).items()) if isinstance(v, dict)]
    return "\n".join(lines) or "No review decisions recorded for this model yet."
