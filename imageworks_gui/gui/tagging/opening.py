"""Opening a folder: listing in time-bounded slices and restoring saved reviews as they land."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.tagging.grid_model import name_key
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.discovery import aiter_images

Row = tuple[str, int, tuple[object, ...]]
"""(path, mtime_ns, natural-sort key) of a listed photo."""


def stat_batch(paths: Sequence[Path]) -> list[Row]:
    """Modification time and sort key of each path (run in the executor, not the UI thread)."""
    out = []
    for path in paths:
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = 0
        text = str(path)
        out.append((text, mtime, name_key(text)))
    return out


LISTING_BATCH = 512
"""Paths per hand-over from the listing thread."""
FIRST_SCREEN = 32
"""Photos shown first, with their saved states, before the rest of the folder is listed."""
RESTORE_SLICE = 5000
"""Saved states put into the session per event-loop turn once the review load lands."""
SLICE_S = 0.006
"""UI-thread time per slice of listed rows before the event loop gets a turn (paints, input)."""


def flush_size(listed: int) -> int:
    """Photos per grid update: a small first batch so thumbnails start, then larger ones."""
    return FIRST_SCREEN if not listed else min(4096, max(256, listed // 4))


def as_reopened(saved: PhotoReview) -> PhotoReview:
    """A saved review as it opens now: an interrupted run is unqueued, and what the file held
    is read again (it may have changed since)."""
    review = saved
    if review.state == "queued":
        review = rv.unqueue(review, "untagged")
    if review.existing_loaded:
        review = PhotoReview.model_validate({**review.model_dump(), "existing_loaded": False})
    return review


def reopened(reviews: Iterable[PhotoReview]) -> dict[str, PhotoReview]:
    """path -> ``as_reopened`` review (run in the executor: validation is not free)."""
    return {r.path: as_reopened(r) for r in reviews}


class Restore:
    """Saved reviews of the folder being opened, once loaded, and the photos still waiting."""

    def __init__(self) -> None:
        self.saved: dict[str, PhotoReview] | None = None
        self.first: dict[str, PhotoReview] = {}
        """Saved reviews of the first screen, loaded before the rest."""
        self.placeholders: dict[str, PhotoReview] = {}
        self.count = 0

    def saved_review(self, path: str) -> PhotoReview | None:
        """The saved review of ``path`` as it opens now, or None (not loaded or not saved)."""
        old = self.saved.get(path) if self.saved is not None else self.first.get(path)
        if old is None:
            return None
        if old.state == "queued" or old.existing_loaded:  # not yet made ``as_reopened``
            old = as_reopened(old)
        if old.state != "untagged":
            self.count += 1
        return old


async def restore_listed(host: Any, restore: Restore, saved: dict[str, PhotoReview]) -> None:
    """Put the saved states of the photos listed so far, a slice per event-loop turn.

    A photo the user (or a run) changed meanwhile keeps its new state.
    """
    restore.saved = saved
    listed = list(restore.placeholders.items())
    restore.placeholders.clear()
    for start in range(0, len(listed), RESTORE_SLICE):
        changed = []
        for path, placeholder in listed[start:start + RESTORE_SLICE]:
            if path not in host.session or host.session.get(path) is not placeholder:
                continue
            review = restore.saved_review(path)
            if review is not None:
                host.session.put(review)
                changed.append(path)
        if changed:
            host.reviews_changed.emit(changed)
        await asyncio.sleep(0)


class FolderListing:
    """Lists the inputs into the host's session and grid, restoring saved reviews.

    The first screen of photos is shown with its saved states as soon as it is listed (one
    small query), so thumbnails start at once; then the folder's saved reviews load in the
    background while the rest is listed. Rows reach the grid in slices of at most ``SLICE_S``
    of UI-thread time, in listing order.
    """

    def __init__(self, host: Any, emit_rows: Callable[[list[Row]], None],
                 load_first: Callable[[list[str]], Awaitable[dict[str, PhotoReview]]],
                 load_all: Callable[[], Awaitable[dict[str, PhotoReview]]]) -> None:
        self.host = host
        self.emit_rows = emit_rows
        self.load_first = load_first
        self.load_all = load_all
        self.restore = Restore()
        self.count = 0
        self.loading: asyncio.Future[dict[str, PhotoReview]] | None = None
        self._row_s = 10e-6
        """Measured UI-thread seconds per listed row."""

    async def run(self, inputs: list[Path], recursive: bool,
                  on_error: Callable[[Path, str], None]) -> int:
        """List everything; returns the number of photos."""
        batch: list[Path] = []
        try:
            async for path in aiter_images(inputs, recursive, batch=LISTING_BATCH,
                                           on_error=on_error):
                batch.append(path)
                if len(batch) >= flush_size(self.count):
                    await self._flush(batch)
                    batch = []
            if self.loading is None:
                self.loading = asyncio.ensure_future(self.load_all())
            # The last batch waits for the saved states, so a small folder opens with them.
            if self.restore.saved is None:
                await restore_listed(self.host, self.restore, await self.loading)
            if batch:
                await self._flush(batch)
        finally:
            if self.loading is not None and not self.loading.done():
                self.loading.cancel()
        return self.count

    async def _flush(self, paths: list[Path]) -> None:
        restore = self.restore
        rows = await run_blocking(stat_batch, paths)
        if self.loading is None:
            restore.first = await self.load_first([row[0] for row in rows])
        elif restore.saved is None and self.loading.done():
            await restore_listed(self.host, restore, self.loading.result())
        session = self.host.session
        start = 0
        while start < len(rows):
            began = time.perf_counter()
            end = min(len(rows), start + max(64, int(SLICE_S / self._row_s)))
            for path, _mtime, _key in rows[start:end]:
                review = restore.saved_review(path)
                if review is None:
                    review = PhotoReview(path=path)
                    restore.placeholders[path] = review
                session.put(review)
            self.emit_rows(rows[start:end])
            # What one row costs here (session and grid together) sizes the next slice.
            self._row_s = max(1e-7, (time.perf_counter() - began) / (end - start))
            self.count += end - start
            start = end
            if start < len(rows):
                await asyncio.sleep(0)
        if self.loading is None:  # the first screen is up: now load the whole folder's state
            self.loading = asyncio.ensure_future(self.load_all())
