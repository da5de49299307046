"""Loads grid thumbnails in the background, newest request first, and keeps an LRU of QImages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from imageworks_gui.services.thumbnails import Thumbnail, ThumbnailError, ThumbnailService

log = logging.getLogger("imageworks.gui.thumbnails")


def image_from_thumbnail(thumb: Thumbnail) -> QImage:
    """Wrap packed RGB888 bytes in a QImage (a copy; no decoding happens here)."""
    img = QImage(thumb.rgb, thumb.width, thumb.height, thumb.width * 3,
                 QImage.Format.Format_RGB888)
    return img.copy()


class ThumbnailLoader(QObject):
    """Asks the thumbnail service for what the grid shows and caches the results.

    ``image(path)`` never blocks: it returns the cached image or None and queues a request;
    ``thumbnail_ready(path)`` fires when it arrives. Requests are served last-in-first-out so
    the rows the user scrolled to come first; at most ``capacity`` images stay in memory.
    """

    thumbnail_ready = Signal(str)
    thumbnail_failed = Signal(str, str)

    def __init__(self, service: ThumbnailService | None = None, capacity: int = 2500,
                 workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service if service is not None else ThumbnailService()
        self.capacity = capacity
        self._workers_wanted = workers
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._errors: dict[str, str] = {}
        self._queue: OrderedDict[str, None] = OrderedDict()
        self._in_flight: set[str] = set()
        self._closing = False
        self._wake = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self.loaded = 0

    # -- queries -----------------------------------------------------------------------------
    def image(self, path: str) -> QImage | None:
        """The cached thumbnail of ``path``, or None (a request is queued)."""
        img = self._images.get(path)
        if img is not None:
            self._images.move_to_end(path)
            return img
        if path not in self._errors and path not in self._in_flight:
            self.request(path)
        return None

    def error(self, path: str) -> str | None:
        return self._errors.get(path)

    def request(self, path: str) -> None:
        """Queue ``path`` (moved to the front when it is already waiting)."""
        if path in self._queue:
            self._queue.move_to_end(path)
        else:
            self._queue[path] = None
        self._ensure_workers()
        self._wake.set()

    def forget(self, path: str) -> None:
        """Drop the cached image and error of ``path`` (the file changed)."""
        self._images.pop(path, None)
        self._errors.pop(path, None)

    def clear(self) -> None:
        """Forget everything (a new folder was opened)."""
        self._images.clear()
        self._errors.clear()
        self._queue.clear()
        self._in_flight.clear()

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def idle(self) -> bool:
        """True when nothing is queued or decoding."""
        return not self._queue and not self._in_flight

    # -- workers -------------------------------------------------------------------------------
    def _ensure_workers(self) -> None:
        if self._closing:
            return
        self._workers = [w for w in self._workers if not w.done()]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop yet: requests wait until one runs and asks again
        while len(self._workers) < self._workers_wanted:
            self._workers.append(loop.create_task(self._work(), name="thumbnail-worker"))

    async def _work(self) -> None:
        while not self._closing:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            path, _ = self._queue.popitem(last=True)
            if path in self._images or path in self._errors:
                continue
            self._in_flight.add(path)
            try:
                thumb = await self.service.thumbnail(Path(path))
            except ThumbnailError as exc:
                self._errors[path] = str(exc)
                self.thumbnail_failed.emit(path, str(exc))
                continue
            except RuntimeError as exc:  # executor shut down at exit
                log.debug("thumbnail worker stopping: %s", exc)
                return
            finally:
                self._in_flight.discard(path)
            self._images[path] = image_from_thumbnail(thumb)
            self.loaded += 1
            while len(self._images) > self.capacity:
                self._images.popitem(last=False)
            self.thumbnail_ready.emit(path)

    async def aclose(self) -> None:
        """Stop the workers at shutdown, letting decodes already in the executor finish.

        Cancelling a task does not stop its executor job; a job finishing after the event loop
        closed would call back into a dead loop, so each worker ends after its current item.
        """
        self._closing = True
        self._queue.clear()
        self._wake.set()
        workers, self._workers = self._workers, []
        if workers:
            done, pending = await asyncio.wait(workers, timeout=10)
            for task in pending:
                task.cancel()
            for task in done:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    task.result()
