"""Burst grouping in a tagging run: tag one representative per burst, copy it to the members."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from pathlib import Path

from imageworks_gui.core.bursts import BurstGroup, single_group
from imageworks_gui.core.settings import GroupingSettings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.bursts import BurstService

log = logging.getLogger("imageworks.pipeline")

ALREADY_TAGGED = "already has keywords"


def model_requests(result: TagResult) -> int:
    """Model requests this result cost in this run (0 for copies and journal replays): one
    for a fused request plus one per field that fell back, else one per stage."""
    if result.status not in ("ok", "failed") or result.inherited:
        return 0
    if result.request_mode in ("fused", "fused+fallback"):
        return 1 + len(result.fallback or {})
    return len(result.models)


class BurstPlan:
    """The groups of one run: which photos are tagged and who inherits their proposal."""

    def __init__(self, groups: list[BurstGroup]) -> None:
        self.groups = groups
        self._by_rep = {g.representative: g for g in groups}

    @property
    def representatives(self) -> list[Path]:
        return [Path(g.representative) for g in self.groups]

    async def source(self) -> AsyncGenerator[Path, None]:
        """The photos to tag: one representative per group, in group order."""
        for path in self.representatives:
            yield path

    @property
    def bursts(self) -> list[BurstGroup]:
        return [g for g in self.groups if g.is_burst]

    def size(self, path: Path) -> int:
        """Photos the tagging of ``path`` stands for (1 outside a burst)."""
        group = self._by_rep.get(os.fspath(path))
        return len(group.members) if group is not None else 1

    async def expand(self, result: TagResult, base: Callable[[Path], TagResult],
                     done_index: Mapping[str, TagResult], resumed_reason: str) -> list[TagResult]:
        """The representative's result (annotated) followed by one result per member."""
        group = self._by_rep.get(result.path)
        if group is None or not group.is_burst:
            return [result]
        result.group_id, result.representative = group.group_id, group.representative
        out = [result]
        for member in group.members:
            if member != group.representative:
                out.append(await self._member(group, member, result, base, done_index,
                                              resumed_reason))
        return out

    async def _member(self, group: BurstGroup, member: str, rep: TagResult,
                      base: Callable[[Path], TagResult], done_index: Mapping[str, TagResult],
                      resumed_reason: str) -> TagResult:
        path = Path(member)
        own = base(path)
        own.group_id, own.representative = group.group_id, group.representative
        rep_name = Path(group.representative).name
        if rep.status == "cancelled":
            own.status = "cancelled"
            return own
        try:
            st = await run_blocking(path.stat)
        except OSError as exc:
            own.status = "failed"
            own.errors["file"] = f"{path.name}: cannot read it ({exc.strerror or exc})"
            return own
        own.size, own.mtime_ns = st.st_size, st.st_mtime_ns
        previous = done_index.get(str(path.absolute()))
        if previous is not None and previous.matches_file(st.st_size, st.st_mtime_ns):
            return previous.model_copy(update={"status": "skipped",
                                               "skip_reason": resumed_reason})
        if rep.status == "failed":
            own.status = "failed"
            own.errors["burst"] = (f"not tagged: {rep_name}, the frame tagged for its burst, "
                                   f"failed ({rep.error_message}); fix that and rerun with "
                                   "--resume, or run with --no-group")
            return own
        if rep.status == "skipped" and rep.skip_reason != resumed_reason:
            own.status = "skipped"
            own.skip_reason = f"{rep_name}, the frame tagged for its burst, was skipped: " \
                              f"{rep.skip_reason}"
            return own
        data = rep.model_dump()
        data.update(path=member, size=st.st_size, mtime_ns=st.st_mtime_ns, status="ok",
                    skip_reason=None, timings_ms={}, errors={}, finished_at=None,
                    metadata_written_at=None, group_id=group.group_id,
                    representative=group.representative)
        return TagResult.model_validate(data)


class BurstGrouper:
    """Builds the ``BurstPlan`` of a run from its stream of photos (see ``TaggingPipeline``)."""

    def __init__(self, service: BurstService, settings: GroupingSettings | None = None) -> None:
        self.service = service
        self.settings = settings or GroupingSettings()
        self.last_plan: BurstPlan | None = None

    async def plan(self, source: AsyncIterator[Path],
                   has_keywords: Callable[[Path], bool] | None = None) -> BurstPlan:
        """Collect every photo, then group them; photos that carry keywords stay single."""
        paths = list(dict.fromkeys([Path(p) async for p in source]))
        tagged: set[Path] = set()
        if has_keywords is not None:
            for path in paths:
                if await run_blocking(has_keywords, path):
                    tagged.add(path)
        groups = [single_group(os.fspath(p), ALREADY_TAGGED) for p in paths if p in tagged]
        rest = [p for p in paths if p not in tagged]
        try:
            groups += await self.service.group(rest, self.settings)
        except Exception as exc:  # grouping only saves requests: never let it stop a run
            log.warning("burst grouping failed (%s: %s); every photo is tagged on its own",
                        type(exc).__name__, exc)
            groups += [single_group(os.fspath(p), f"grouping failed: {exc}") for p in rest]
        order = {os.fspath(p): i for i, p in enumerate(paths)}
        groups.sort(key=lambda g: min(order[m] for m in g.members))
        self.last_plan = BurstPlan(groups)
        return self.last_plan
