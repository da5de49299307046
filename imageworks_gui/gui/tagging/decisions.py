"""Records every review decision change in the quality database, off the GUI thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.scorecard import DecisionEvent, events_for
from imageworks_gui.services import scorecard_store
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.quality_db import QualityDbError


class _Host(Protocol):
    @property
    def folder(self) -> object: ...


class DecisionRecorder:
    """Turns applied review snapshots into decision events and appends the changed ones."""

    def __init__(self, host: _Host) -> None:
        self._host = host
        self._last: dict[tuple[str, str | None, str], DecisionEvent] = {}
        self._tasks: set[asyncio.Task[int]] = set()
        self.last_error: str | None = None

    def record(self, reviews: Sequence[PhotoReview]) -> None:
        """Queue the events of ``reviews`` whose decision differs from the last one recorded."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        folder = str(self._host.folder) if self._host.folder is not None else None
        fresh: list[DecisionEvent] = []
        for review in reviews:
            for event in events_for(review, at, folder):
                previous = self._last.get(event.identity)
                if previous is None and event.decision == "pending":
                    continue
                if previous is None or not previous.same_decision(event):
                    self._last[event.identity] = event
                    fresh.append(event)
        if not fresh:
            return
        try:
            task = asyncio.get_running_loop().create_task(
                run_blocking(scorecard_store.append, fresh))
        except RuntimeError:
            return
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[int]) -> None:
        self._tasks.discard(task)
        with contextlib.suppress(asyncio.CancelledError):
            error = task.exception()
            if isinstance(error, QualityDbError):
                self.last_error = str(error)

    async def flush(self) -> None:
        """Wait until every queued event is written."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
