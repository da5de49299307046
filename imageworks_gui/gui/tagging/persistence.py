"""Saves changed reviews to the review database in the background, coalescing bursts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from imageworks_gui.core.review import PhotoReview, ReviewSession
from imageworks_gui.gui.tagging.opening import reopened
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.review_db import ReviewDb
from imageworks_gui.services.review_store import ReviewStoreError

log = logging.getLogger("imageworks.gui.tagging")

SAVE_DELAY_S = 0.25
"""Edits arriving within this window are saved together."""


class ReviewPersistence:
    """Owns the ``ReviewDb`` of the open folder; every disk access runs in the executor."""

    def __init__(self) -> None:
        self.store: ReviewDb | None = None
        self.session: ReviewSession | None = None
        self.skipped_lines = 0
        self.last_error: str | None = None
        """Why the last save failed (None once one succeeds); shown to the user."""
        self.on_saved: Callable[[], None] | None = None
        """Called after every save attempt (``last_error`` tells how it went)."""
        self._dirty: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def attach(self, folder: Path) -> None:
        """Make ``folder`` the open folder (nothing is read yet)."""
        self.store = ReviewDb(folder)
        self._dirty.clear()
        self.skipped_lines = 0

    async def open(self, folder: Path) -> dict[str, PhotoReview]:
        """Load the saved reviews of ``folder`` (path -> review, as they reopen now)."""
        self.attach(folder)
        return await self.load_all()

    async def load_first(self, paths: list[str]) -> dict[str, PhotoReview]:
        """The saved reviews of a few photos (the first screen), as they reopen now."""
        store = self.store
        if store is None or not paths:
            return {}
        try:
            return await run_blocking(lambda: reopened(store.load_paths(paths)))
        except ReviewStoreError as exc:  # the full load reports it
            log.debug("%s", exc)
            return {}

    async def load_all(self) -> dict[str, PhotoReview]:
        """Every saved review of the open folder (path -> review, as they reopen now)."""
        store = self.store
        if store is None:
            return {}
        try:
            saved = await run_blocking(lambda: reopened(store.load()))
        except ReviewStoreError as exc:
            self.last_error = str(exc)
            log.warning("%s", exc)
            return {}
        self.skipped_lines = store.skipped_lines
        return saved

    def bind(self, session: ReviewSession) -> None:
        self.session = session

    def mark_dirty(self, paths: Iterable[str]) -> None:
        """Remember changed photos and save them shortly (one background write per burst)."""
        self._dirty.update(paths)
        if self._task is None or self._task.done():
            try:
                self._task = asyncio.get_running_loop().create_task(self._save_later())
            except RuntimeError:  # no loop (synchronous caller): saved on the next flush
                self._task = None

    async def _save_later(self) -> None:
        try:
            await asyncio.sleep(SAVE_DELAY_S)
            await self.flush()
        except RuntimeError as exc:
            # The event loop stopped underneath this task (shutdown); the pending changes stay
            # marked and are written by ``close()``.
            log.debug("deferred review save skipped: %s", exc)

    async def flush(self, session: ReviewSession | None = None) -> None:
        """Write every pending change now."""
        session = session or self.session
        async with self._lock:
            if self.store is None or session is None or not self._dirty:
                return
            paths, self._dirty = self._dirty, set()
            reviews = [session.get(p) for p in paths if p in session]
            try:
                await run_blocking(self.store.append, reviews)
                if self.store.needs_compaction(len(session)):
                    await run_blocking(self.store.compact, list(session))
                self.last_error = None
            except ReviewStoreError as exc:
                self._dirty.update(paths)  # keep them for the next attempt
                self.last_error = str(exc)
                log.warning("%s", exc)
        if self.on_saved is not None:
            self.on_saved()

    async def close(self) -> None:
        """Flush pending changes of the open folder and forget it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.session is not None:
            await self.flush(self.session)
        self.store = None
        self.session = None
        self._dirty.clear()
