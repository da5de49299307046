"""Opening a folder: listing batch sizes and restoring saved reviews as they land."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview


def stat_batch(paths: Sequence[Path]) -> list[tuple[str, int]]:
    out = []
    for path in paths:
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = 0
        out.append((str(path), mtime))
    return out


LISTING_BATCH = 512
"""Paths per hand-over from the listing thread."""
RESTORE_SLICE = 5000
"""Saved states put into the session per event-loop turn once the review load lands."""


def flush_size(listed: int) -> int:
    """Photos per grid update: a small first batch so thumbnails start, then larger ones."""
    return 32 if not listed else min(4096, max(256, listed // 4))


class Restore:
    """Saved reviews of the folder being opened, once loaded, and the photos still waiting."""

    def __init__(self) -> None:
        self.saved: dict[str, PhotoReview] | None = None
        self.placeholders: dict[str, PhotoReview] = {}
        self.count = 0

    def saved_review(self, path: str) -> PhotoReview | None:
        """The saved review of ``path`` as it opens now, or None (not loaded or not saved)."""
        old = self.saved.get(path) if self.saved is not None else None
        if old is None:
            return None
        if old.state == "queued":  # interrupted run
            old = rv.unqueue(old, "untagged")
        if old.existing_loaded:  # the file may have changed since
            old = PhotoReview.model_validate({**old.model_dump(), "existing_loaded": False})
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
