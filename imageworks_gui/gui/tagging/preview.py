"""Loads the review pane's large preview in the executor, sized to the pane, newest photo wins."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtGui import QImage
from shiboken6 import isValid

from imageworks_gui.gui.tagging.review_pane import PreviewLabel
from imageworks_gui.gui.tagging.thumb_loader import image_from_thumbnail
from imageworks_gui.services.thumbnails import ThumbnailError, load_preview

log = logging.getLogger("imageworks.gui.tagging")

PREVIEW_EDGE = 1280
"""Largest preview decoded, pixels (long edge)."""


class PreviewLoader:
    """Shows a photo in a ``PreviewLabel``: the grid thumbnail at once, then a sharp preview.

    Tasks are tracked here rather than cancelled by the application context: ``aclose`` lets a
    decode already in the executor finish, so nothing calls back into a closed event loop.
    """

    def __init__(self, label: PreviewLabel) -> None:
        self.label = label
        self.path: str | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def show(self, path: str, placeholder: QImage | None) -> None:
        """Switch to ``path`` (no-op when it is already shown)."""
        if path == self.path:
            return
        self.path = path
        self.label.set_image(placeholder, "Loading preview…")
        task = asyncio.ensure_future(self._load(path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def clear(self) -> None:
        """Show no photo: a decode still running or a thumbnail arriving later is dropped."""
        self.path = None
        self.label.set_image(None, "No photo selected")

    def thumbnail_arrived(self, path: str, image: QImage | None) -> None:
        """Use a freshly decoded grid thumbnail while the preview is still missing."""
        if path == self.path and self.label.image is None and image is not None:
            self.label.set_image(image)

    async def _load(self, path: str) -> None:
        ratio = self.label.devicePixelRatioF()
        edge = int(max(self.label.width(), self.label.height(), 320) * ratio)
        try:
            thumb = await load_preview(Path(path), min(PREVIEW_EDGE, edge))
        except ThumbnailError as exc:
            if isValid(self.label) and self.path == path:
                self.label.set_image(None, str(exc))
            return
        except RuntimeError as exc:  # executor already shut down (closing)
            log.debug("preview of %s skipped: %s", path, exc)
            return
        if isValid(self.label) and self.path == path:  # the pane may be gone (closing)
            self.label.set_image(image_from_thumbnail(thumb))

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
