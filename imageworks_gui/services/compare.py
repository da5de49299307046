"""Run two or three model/profile combinations over a sample, writing nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from imageworks_gui.core.compare import Combination, Proposal
from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.pipeline import TaggingPipeline
from imageworks_gui.services.prompt_profiles import load_prompt_profile

ProgressCallback = Callable[[int, int], None]


def proposal_of(result: TagResult) -> Proposal:
    """The comparable part of one photo's result (errors joined, time in seconds)."""
    error = "; ".join(f"{k}: {v}" for k, v in result.errors.items()) or (
        None if result.status == "ok" else result.status)
    total_ms = sum(result.timings_ms.values()) if result.timings_ms else None
    return Proposal(result.caption, tuple(result.keywords), result.description,
                    None if total_ms is None else total_ms / 1000, error)


@dataclass
class ComparisonRun:
    """Runs each combination with its own pipeline (every stage on that entry, no journal).

    ``cancel()`` stops the pipeline in flight and skips the combinations not yet started.
    """

    http: httpx.AsyncClient
    entries: Sequence[RegistryEntry]
    settings: Settings
    combinations: Sequence[Combination]
    _current: TaggingPipeline | None = field(default=None, init=False)
    _cancelled: bool = field(default=False, init=False)

    def pipeline_for(self, combo: Combination) -> TaggingPipeline:
        """The pipeline for one combination (profile loading may raise PromptProfileError)."""
        profile = load_prompt_profile(combo.profile or self.settings.tagging.prompt_profile)
        # Each stage uses its own role name, with this entry preferred for all of them.
        return TaggingPipeline(self.http, self.entries, self.settings,
                               preferred={s: combo.model for s in STAGES},
                               prompt_profile=profile, journal_path=None)

    def cancel(self) -> None:
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    async def run(self, paths: Sequence[str],
                  on_progress: ProgressCallback | None = None) -> dict[str, list[Proposal]]:
        """Per photo (in sample order) the proposal of each combination, in combination order."""
        table: dict[str, list[Proposal]] = {p: [] for p in paths}
        total, done = len(paths) * len(self.combinations), 0
        for combo in self.combinations:
            found: dict[str, Proposal] = {}
            if not self._cancelled:
                self._current = self.pipeline_for(combo)

                def collect(result: TagResult, found: dict[str, Proposal] = found) -> None:
                    nonlocal done
                    found[result.path] = proposal_of(result)
                    done += 1
                    if on_progress is not None:
                        on_progress(done, total)

                await self._current.run([Path(p) for p in paths], on_result=collect)
                self._current = None
            for p in paths:
                table[p].append(found.get(str(Path(p)), found.get(p, Proposal(error="cancelled"))))
        return table
