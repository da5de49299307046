"""Burst grouping for `run`: build the grouper from the settings and report what it did."""

from __future__ import annotations

from imageworks_gui.cli.console import err, warning_line
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.bursts import BurstService, SignatureCache
from imageworks_gui.services.metadata.previews import PooledRawPreview
from imageworks_gui.services.pipeline.groups import BurstGrouper
from imageworks_gui.services.thumbnails import RawPreview


def make_grouper(settings: Settings, raw_preview: RawPreview,
                 enabled: bool | None) -> BurstGrouper | None:
    """The run's grouper (``enabled`` None: the setting decides), on the run's ExifTool pool."""
    if not (settings.grouping.enabled if enabled is None else enabled):
        return None
    pool = raw_preview.pool if isinstance(raw_preview, PooledRawPreview) else None
    if pool is None:
        err.print(warning_line("ExifTool is not available, so capture times cannot be read: "
                               "every photo is tagged on its own (install ExifTool to group "
                               "bursts)"))
    service = BurstService(pool, SignatureCache(raw_preview=raw_preview))
    return BurstGrouper(service, settings.grouping)


def plan_line(grouper: BurstGrouper | None) -> str | None:
    """One line about the bursts found, or None when grouping was off."""
    plan = grouper.last_plan if grouper is not None else None
    if plan is None:
        return None
    bursts = plan.bursts
    members = sum(len(g.members) for g in bursts)
    return (f"Bursts: {members} photo(s) in {len(bursts)} burst(s), each tagged once through "
            f"its sharpest frame (--no-group tags every photo)")
