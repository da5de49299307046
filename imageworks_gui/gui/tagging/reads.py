"""Reads what photos hold now (title, description, keywords) in the background, newest first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

from imageworks_gui.core import review as rv
from imageworks_gui.core.metadata import PhotoMetadata
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.tagging.state import ReviewHost
from imageworks_gui.services.metadata import AsyncMetadataService, ExifToolError, MetadataError

log = logging.getLogger("imageworks.gui.tagging")


def photo_notes(meta: PhotoMetadata) -> list[str]:
    """The write risks ``check`` reports (the writer's own, read with the photo's metadata),
    what a RAW itself holds and where its sidecar is, for the review pane."""
    lines = [f"{'•' if risk.action == 'warn' and risk.code != 'sidecar_collision' else '⚠'} "
             f"{risk.message}" for risk in meta.risks]
    if meta.embedded is not None and not meta.embedded.is_empty:
        lines.append(f"In the RAW file itself: {meta.embedded.summary()}")
    if meta.target != meta.path:
        state = "" if meta.target_exists else " (created on write)"
        lines.append(f"Metadata goes to {Path(meta.target).name}{state}")
    return lines


class MetadataReads:
    """One background reader; a photo asked for again moves to the front of the queue."""

    def __init__(self, host: ReviewHost, service: Callable[[], AsyncMetadataService]) -> None:
        self.host = host
        self._service = service
        self._queue: OrderedDict[str, None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._reading: str | None = None
        self._closed = False
        self.errors: dict[str, str] = {}
        """Path -> why its current metadata could not be read (shown in the review pane)."""
        self.notes: dict[str, list[str]] = {}
        """Path -> write warnings and where its metadata lives (shown in the review pane)."""

    def pending(self, path: str) -> bool:
        """True while ``path`` waits for, or is in, a background metadata read."""
        return path in self._queue or path == self._reading

    def unread_text(self, path: str | None) -> str:
        """What the "In the photo now" column says until the file's metadata is known."""
        if path is None:
            return ""
        error = self.errors.get(path)
        if error:
            return f"(could not read the file's metadata: {error})"
        return "Reading…" if self.pending(path) else "(not read yet)"

    def schedule(self, path: str, first: bool = False) -> None:
        """Read the photo's current title, description and keywords in the background."""
        if path == self._reading or self._closed:
            return
        self.errors.pop(path, None)
        self._queue[path] = None
        if first:
            self._queue.move_to_end(path, last=False)
        if self._task is None or self._task.done():
            with contextlib.suppress(RuntimeError):
                self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while self._queue:
            path, _ = self._queue.popitem(last=False)
            self._reading = path
            try:
                await self.read(path)
            finally:
                self._reading = None

    async def read(self, path: str) -> PhotoReview | None:
        """Read one photo's metadata now and record it in its review."""
        try:
            meta = await self._service().read(path)
        except (MetadataError, ExifToolError) as exc:
            log.warning("reading %s: %s", path, exc)
            self.errors[path] = str(exc)
            if path in self.host.session:
                self.host.refresh([path])
            return None
        self.notes[path] = photo_notes(meta)
        if path not in self.host.session:
            return None
        review = rv.set_existing(self.host.session.get(path), meta.title, meta.description,
                                 meta.keywords)
        self.host.put([review])
        return review

    async def read_now(self, paths: Iterable[str]) -> None:
        """Read these photos before returning (an export must say what the files hold)."""
        for path in paths:
            self._queue.pop(path, None)
            await self.read(path)

    async def shutdown(self) -> None:
        self._closed = True  # nothing read after shutdown starts a new ExifTool
        self._queue.clear()  # the reader finishes its current file and stops
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._task, 30)
