"""Stage-to-model resolution for one run, and the entries of explicit (--base-url) mode."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.resolution import Resolution, select_model
from imageworks_gui.core.tagging import StageModel


@dataclass(frozen=True)
class StageBinding:
    """The model that serves one stage in this run."""

    stage: str
    role: str
    resolution: Resolution

    @property
    def entry(self) -> RegistryEntry:
        return self.resolution.entry

    def provenance(self, served_id: str | None) -> StageModel:
        art = self.entry.artifacts
        return StageModel(name=self.entry.name, served_id=served_id, backend=self.entry.backend,
                          aggregate_sha256=art.aggregate_sha256 if art else None)


def resolve_stages(entries: Sequence[RegistryEntry], stages: Sequence[str],
                   roles: Mapping[str, str] | None = None,
                   preferred: Mapping[str, str | None] | None = None) -> dict[str, StageBinding]:
    """Resolve every stage's role once (logged with ``event_type=role_resolution``).

    Raises ``RoleResolutionError`` (from ``core.resolution``) naming the role nobody fills.
    """
    roles = roles or {}
    preferred = preferred or {}
    out: dict[str, StageBinding] = {}
    for stage in stages:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        role = roles.get(stage) or stage
        resolution = select_model(entries, role, preferred=preferred.get(stage) or None)
        out[stage] = StageBinding(stage, role, resolution)
    return out


def explicit_entries(base_url: str, models: Mapping[str, str | None],
                     backend: str = "vllm") -> list[RegistryEntry]:
    """Entries for explicit mode: one per distinct served model at ``base_url``.

    ``models`` maps stage -> served model name (None: the single model the server lists; the
    entries carry ``metadata.explicit_mode`` which allows that). Each entry advertises the
    roles of the stages it serves and the vision capability.
    """
    by_model: dict[str | None, list[str]] = {}
    for stage, model in models.items():
        by_model.setdefault(model or None, []).append(stage)
    entries = []
    for model, stages in by_model.items():
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", model or "served-model").strip("-") or "model"
        data: dict[str, object] = {
            "name": f"explicit:{slug}", "backend": backend,
            "backend_config": {"base_url": base_url},
            "capabilities": {"text": True, "vision": True}, "roles": stages,
            "metadata": {"explicit_mode": True},
        }
        if model:
            data["served_model_id"] = model
        entries.append(RegistryEntry.model_validate(data))
    return entries
