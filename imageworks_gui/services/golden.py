"""Re-run a golden set with one registry entry (nothing written) and judge it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from imageworks_gui.core.golden import Proposal, Verdict, baseline_figures, figures, verdict
from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import Progress, TagResult
from imageworks_gui.services.golden_store import GoldenSet
from imageworks_gui.services.pipeline import TaggingPipeline


def _proposal(result: TagResult) -> Proposal:
    error = "; ".join(f"{s}: {m}" for s, m in result.errors.items()) or (
        None if result.status == "ok" else result.status)
    return Proposal(path=result.path, keywords=list(result.keywords),
                    title=(result.caption or "").strip() or None,
                    description=(result.description or "").strip() or None, error=error)


async def rerun(http: httpx.AsyncClient, golden: GoldenSet, entry: RegistryEntry,
                entries: Sequence[RegistryEntry], settings: Settings,
                margin: float | None = None,
                on_progress: Callable[[Progress], None] | None = None) -> Verdict:
    """Tag the set's photos with ``entry`` for every stage it serves; old vs new figures.

    No journal is given, so nothing is written anywhere; the caller records the run.
    """
    stages = [s for s in STAGES if s in entry.roles] or [golden.role]
    pipeline = TaggingPipeline(http, entries, settings, stages=stages,
                               preferred={s: entry.name for s in stages})
    results: list[TagResult] = []
    await pipeline.run([Path(p.path) for p in golden.photos], on_result=results.append,
                       on_progress=on_progress)
    new = figures(golden.photos, [_proposal(r) for r in results])
    chosen = settings.tagging.golden_margin if margin is None else margin
    return verdict(baseline_figures(golden.photos), new, chosen)
