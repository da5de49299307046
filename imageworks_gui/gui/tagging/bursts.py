"""The open folder's bursts, computed in the background after the photos are listed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from imageworks_gui.core.bursts import BurstGroup
from imageworks_gui.core.settings import GroupingSettings
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.bursts import BurstService
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
from imageworks_gui.services.pipeline.groups import BurstGrouper

log = logging.getLogger("imageworks.gui")


class BurstIndex(QObject):
    """Which burst each photo belongs to; the same ``BurstService`` as a tagging run uses.

    Capture times and signatures are measured off the UI thread and cached with the
    thumbnails, so the run's grouping (``grouper``) finds everything already measured.
    """

    groups_changed = Signal(list)
    """Paths whose burst changed (the grid repaints their badges)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service: BurstService | None = None
        self._pool: ExifToolPool | None = None
        self._by_path: dict[str, BurstGroup] = {}
        self.task: asyncio.Task[None] | None = None

    def service(self) -> BurstService:
        """The burst service, on its own ExifTool process (started on first use)."""
        if self._service is None:
            try:
                self._pool = ExifToolPool(size=1)
            except ExifToolError as exc:  # no capture times: every photo stays single
                log.warning("bursts cannot be found: %s", exc)
            self._service = BurstService(self._pool)
        return self._service

    def grouper(self, settings: GroupingSettings) -> BurstGrouper | None:
        """The grouper of a tagging run, or None when grouping is turned off."""
        return BurstGrouper(self.service(), settings) if settings.enabled else None

    async def compute(self, paths: Sequence[str], settings: GroupingSettings) -> None:
        """Group ``paths`` (every blocking step runs in the executor) and announce the bursts."""
        groups = await self.service().group(paths, settings)
        self._by_path = {m: g for g in groups if g.is_burst for m in g.members}
        self.groups_changed.emit(list(self._by_path))

    def clear(self) -> None:
        """A new folder: forget the old bursts (and stop measuring them)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        changed = list(self._by_path)
        self._by_path = {}
        if changed:
            self.groups_changed.emit(changed)

    def group_of(self, path: str) -> BurstGroup | None:
        return self._by_path.get(path)

    def members(self, path: str) -> tuple[str, ...]:
        """The photos of ``path``'s burst (just ``path`` outside a burst)."""
        group = self._by_path.get(path)
        return group.members if group is not None else (path,)

    collapsed = False
    """Each burst shows as one card, its representative (``hidden`` says who is left out)."""

    def label(self, path: str) -> str | None:
        """``"2/5"``: the frame's place in its burst (``"▣ 5"`` on a collapsed burst's card)."""
        group = self._by_path.get(path)
        if group is None:
            return None
        if self.collapsed:
            return f"▣ {len(group.members)}"
        return f"{group.members.index(path) + 1}/{len(group.members)}"

    def hidden(self, path: str) -> bool:
        """True for a frame folded into its burst's card while bursts are collapsed."""
        group = self._by_path.get(path)
        return self.collapsed and group is not None and path != group.representative

    @property
    def bursts(self) -> list[BurstGroup]:
        return list({g.group_id: g for g in self._by_path.values()}.values())

    async def close(self) -> None:
        """Stop measuring and end the ExifTool process (the window may already be gone)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self._by_path = {}
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await run_blocking(self._pool.close)
            self._pool = None
            self._service = None
