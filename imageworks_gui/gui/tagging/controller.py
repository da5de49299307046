"""Tagging controller: opens photos, runs the pipeline and applies review edits (no widgets).

Slots in the workspace are one ``await controller.method()`` each; tests drive this class
directly. Review edits go through ``ReviewEditCommand`` on ``undo_stack``; tagging results,
metadata reads and write outcomes change the session directly (they are not user edits).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from imageworks_gui.core import review as rv
from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.core.review import PhotoReview, ReviewError, ReviewSession
from imageworks_gui.core.tagging import Progress, TagResult
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.tagging.commands import ReviewEditCommand
from imageworks_gui.gui.tagging.persistence import ReviewPersistence
from imageworks_gui.gui.tagging.roles import preflight_message
from imageworks_gui.gui.tagging.writing import WriteController
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.discovery import aiter_images
from imageworks_gui.services.pipeline.runner import PreflightError, TaggingPipeline

log = logging.getLogger("imageworks.gui.tagging")

RUN_SCOPES = ("all", "selection", "untagged")

QUEUE_CHUNK = 250
"""Photos marked queued per event-loop turn when a run starts."""


def _stat_batch(paths: Sequence[Path]) -> list[tuple[str, int]]:
    out = []
    for path in paths:
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = 0
        out.append((str(path), mtime))
    return out


def folder_for(paths: Sequence[Path]) -> Path:
    """The folder whose review journal holds these inputs: the folder itself, or the common
    parent of dropped files."""
    absolute = [p.expanduser().absolute() for p in paths]
    if len(absolute) == 1 and absolute[0].is_dir():
        return absolute[0]
    parents = [p if p.is_dir() else p.parent for p in absolute]
    return Path(os.path.commonpath([str(p) for p in parents]))


class TaggingController(QObject):
    """State and actions of the Tagging workspace."""

    photos_reset = Signal()
    photos_added = Signal(list)
    """[(path, mtime_ns)] discovered (streaming)."""
    discovery_finished = Signal(int)
    reviews_changed = Signal(list)
    """Paths whose review changed."""
    progress_changed = Signal(object)
    run_state_changed = Signal(str)
    """idle | preflight | running | paused | cancelling"""
    notice = Signal(str, str)
    """(level: info | warning | error, text the user can act on)."""

    def __init__(self, context: AppContext, undo_stack: QUndoStack | None = None,
                 parent: QObject | None = None,
                 pipeline_factory: Callable[..., TaggingPipeline] | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.session = ReviewSession()
        self.folder: Path | None = None
        self.recursive = context.settings.tagging.recursive
        self.preferred: dict[str, str | None] = {}
        self.persistence = ReviewPersistence()
        self.writer = WriteController(self)
        self.pipeline: TaggingPipeline | None = None
        self.run_state = "idle"
        self.last_progress: Progress | None = None
        self.discovery_errors: list[str] = []
        self._pipeline_factory = pipeline_factory or TaggingPipeline
        self._discovery: asyncio.Task[None] | None = None
        self._previous_states: dict[str, str] = {}
        self._run_task: asyncio.Task[Any] | None = None
        self._run_total = 0

    # -- session plumbing ----------------------------------------------------------------------
    def review(self, path: str) -> PhotoReview:
        return self.session.get(path)

    def put(self, reviews: Iterable[PhotoReview], save: bool = True) -> None:
        """Store reviews, notify views and schedule saving (not an undoable edit)."""
        items = list(reviews)
        for review in items:
            self.session.put(review)
        if save:
            self.persistence.mark_dirty(r.path for r in items)
        self.reviews_changed.emit([r.path for r in items])

    def _apply_snapshots(self, reviews: Sequence[PhotoReview]) -> None:
        # Snapshots from the undo stack keep the photo's current on-disk values.
        merged = []
        for snap in reviews:
            now = self.session.get(snap.path) if snap.path in self.session else snap
            merged.append(PhotoReview.model_validate({
                **snap.model_dump(), "existing_title": now.existing_title,
                "existing_description": now.existing_description,
                "existing_keywords": now.existing_keywords,
                "existing_loaded": now.existing_loaded}))
        self.put(merged)

    def _set_run_state(self, state: str) -> None:
        self.run_state = state
        self.run_state_changed.emit(state)

    @property
    def busy(self) -> bool:
        return self.run_state != "idle" or self.writer.busy

    # -- opening -------------------------------------------------------------------------------
    async def open_paths(self, paths: Sequence[Path], recursive: bool | None = None) -> int:
        """Show the photos under ``paths`` at once, restoring saved review state; returns count."""
        if not paths:
            return 0
        if self.busy:
            self.notice.emit("warning", "A tagging run or a write is in progress: cancel it or "
                                        "wait for it to finish before opening other photos.")
            return len(self.session)
        if recursive is not None:
            self.recursive = recursive
        previous = self._discovery
        if previous is not None and not previous.done() and previous is not asyncio.current_task():
            previous.cancel()  # a second drop replaces a folder that is still being listed
            with contextlib.suppress(asyncio.CancelledError):
                await previous
        await self.close_folder()
        self._discovery = asyncio.current_task()
        self.folder = folder_for(paths)
        saved = await self.persistence.open(self.folder)
        self.session = ReviewSession()
        self.persistence.bind(self.session)
        self.discovery_errors = []
        self.undo_stack.clear()
        self.photos_reset.emit()
        if self.persistence.skipped_lines:
            self.notice.emit("warning", f"{self.persistence.skipped_lines} damaged line(s) in the "
                                        f"saved review of {self.folder} were skipped.")
        errors: list[str] = []
        batch: list[Path] = []
        count = 0

        async def flush() -> None:
            nonlocal count
            items = await run_blocking(_stat_batch, list(batch))
            batch.clear()
            reviews = []
            for path, _ in items:
                old = saved.get(path)
                if old is not None and old.state == "queued":  # interrupted run
                    old = rv.unqueue(old, "untagged")
                if old is not None and old.existing_loaded:  # the file may have changed since
                    old = PhotoReview.model_validate({**old.model_dump(),
                                                      "existing_loaded": False})
                reviews.append(old or PhotoReview(path=path))
            for review in reviews:
                self.session.put(review)
            count += len(items)
            self.photos_added.emit(items)

        inputs = [p.expanduser().absolute() for p in paths]
        async for path in aiter_images(inputs, self.recursive,
                                       on_error=lambda _p, msg: errors.append(msg)):
            batch.append(path)
            if len(batch) >= (64 if count else 16):
                await flush()
        if batch:
            await flush()
        self._discovery = None
        self.discovery_errors = errors
        for message in errors[:3]:
            self.notice.emit("warning", message)
        if len(errors) > 3:
            self.notice.emit("warning", f"…and {len(errors) - 3} more inputs could not be opened")
        if count == 0 and not errors:
            self.notice.emit("info", f"No photos found in {self.folder}; supported files are "
                                     f"JPEG, PNG, TIFF, WebP, HEIC and camera RAW.")
        self.discovery_finished.emit(count)
        restored = sum(1 for r in self.session if r.state != "untagged")
        if restored:
            self.notice.emit("info", f"Restored the review of {restored} photo(s) from the last "
                                     f"session.")
        return count

    async def close_folder(self) -> None:
        """Save and forget the open folder."""
        await self.persistence.close()
        self.session = ReviewSession()
        self.folder = None

    # -- running -------------------------------------------------------------------------------
    def paths_for(self, scope: str, selection: Sequence[str] = ()) -> list[str]:
        if scope == "all":
            return self.session.paths()
        if scope == "selection":
            return [p for p in selection if p in self.session]
        if scope == "untagged":
            return [r.path for r in self.session if r.state in ("untagged", "failed")]
        raise ValueError(f"unknown run scope {scope!r}; choose one of {', '.join(RUN_SCOPES)}")

    def make_pipeline(self) -> TaggingPipeline:
        entries = list(self.context.registry.entries)
        return self._pipeline_factory(self.context.http, entries, self.context.settings,
                                      preferred=dict(self.preferred))

    async def run(self, scope: str = "untagged", selection: Sequence[str] = ()) -> bool:
        """Preflight, then tag the photos of ``scope``; False when it could not start."""
        if self.busy:
            self.notice.emit("warning", "A run or write is already in progress.")
            return False
        paths = self.paths_for(scope, selection)
        if not paths:
            what = {"selection": "No photos are selected", "untagged": "Every photo already has "
                    "a proposal (use Run all to tag them again)"}.get(scope, "No photos are open")
            self.notice.emit("info", f"{what}.")
            return False
        self._set_run_state("preflight")
        self.notice.emit("info", "Checking that the model servers are running…")
        token = self.context.begin_activity("Checking model servers…")
        try:
            pipeline = self.make_pipeline()
            await pipeline.preflight()
        except RoleResolutionError as exc:
            self._set_run_state("idle")
            self.notice.emit("error", f"{exc}. Choose another model in the role pickers or fix "
                                      f"the registry in the Models workspace.")
            return False
        except PreflightError as exc:
            self._set_run_state("idle")
            self.notice.emit("error", preflight_message(exc, self.context.registry))
            return False
        finally:
            self.context.end_activity(token)
        self.pipeline = pipeline
        self._run_task = asyncio.current_task()
        self._run_total = len(paths)
        self.last_progress = None
        self.undo_stack.clear()
        self._previous_states = {p: self.session.get(p).state for p in paths}
        for start in range(0, len(paths), QUEUE_CHUNK):
            # Queued badges appear in slices so a 10,000-photo run never freezes the window.
            if start:
                await asyncio.sleep(0)
            self.put([rv.queue(self.session.get(p)) for p in paths[start:start + QUEUE_CHUNK]
                      if p in self.session], save=False)
        self._set_run_state("running")
        try:
            outcome = await pipeline.run([Path(p) for p in paths], on_result=self._on_result,
                                         on_progress=self._on_progress)
        except asyncio.CancelledError:
            self._restore_queued()
            self._set_run_state("idle")
            raise
        finally:
            self.pipeline = None
        self._restore_queued()
        await self.persistence.flush(self.session)
        parts = [f"{outcome.ok} proposed"]
        if outcome.failed:
            parts.append(f"{outcome.failed} failed (hover a red badge for the reason)")
        if outcome.was_cancelled:
            parts.append(f"cancelled with {outcome.cancelled} not tagged")
        self.notice.emit("warning" if outcome.failed else "info",
                         "Tagging finished: " + ", ".join(parts) + ".")
        self._set_run_state("idle")
        return True

    def _restore_queued(self) -> None:
        left = [r for r in self.session.in_state("queued")]
        if left:
            self.put([rv.unqueue(r, self._previous_states.get(r.path, "untagged"))  # type: ignore[arg-type]
                      for r in left], save=False)

    def _on_result(self, result: TagResult) -> None:
        if result.path not in self.session:
            return
        review = rv.apply_result(self.session.get(result.path), result)
        if review.state == "queued":
            review = rv.unqueue(review, self._previous_states.get(result.path, "untagged"))  # type: ignore[arg-type]
        self.put([review])
        if review.state == "proposed" and not review.existing_loaded:
            self.writer.schedule_read(review.path)

    def _on_progress(self, progress: Progress) -> None:
        # The pipeline counts photos as it starts them; the run's size is known up front.
        total = max(progress.total, self._run_total)
        eta = progress.eta_s
        if progress.done and progress.elapsed_s > 0 and total > progress.done:
            eta = round((total - progress.done) * progress.elapsed_s / progress.done, 1)
        elif total and progress.done >= total:
            eta = 0.0
        self.last_progress = Progress.model_validate({
            **progress.model_dump(), "total": total, "discovering": False, "eta_s": eta,
            "paused": self.run_state == "paused"})
        self.progress_changed.emit(self.last_progress)

    def _reemit_progress(self) -> None:
        if self.last_progress is not None:
            self.last_progress = Progress.model_validate({
                **self.last_progress.model_dump(), "paused": self.run_state == "paused"})
            self.progress_changed.emit(self.last_progress)

    def pause(self) -> None:
        if self.pipeline is not None and self.run_state == "running":
            self.pipeline.pause()
            self._set_run_state("paused")
            self._reemit_progress()

    def resume(self) -> None:
        if self.pipeline is not None and self.run_state == "paused":
            self.pipeline.resume()
            self._set_run_state("running")
            self._reemit_progress()

    def cancel(self) -> None:
        if self.pipeline is not None and self.run_state in ("running", "paused"):
            self._set_run_state("cancelling")
            self.pipeline.cancel()

    # -- review edits (undoable) -----------------------------------------------------------------
    def edit(self, path: str, text: str, op: Callable[..., PhotoReview], *args: Any) -> bool:
        """Apply one review operation as an undoable command; False (with a notice) if refused."""
        try:
            before = self.session.get(path)
            after = op(before, *args)
        except (ReviewError, KeyError) as exc:
            self.notice.emit("warning", str(exc).strip("'\""))
            return False
        if after == before:
            return True
        self.undo_stack.push(ReviewEditCommand(f"{text} ({before.name})", [before], [after],
                                               self._apply_snapshots))
        return True

    def approve(self, path: str) -> bool:
        return self.edit(path, "Approve", rv.approve)

    def reject(self, path: str) -> bool:
        return self.edit(path, "Reject", rv.reject)

    def reject_keyword(self, path: str, keyword: str) -> bool:
        return self.edit(path, f"Reject keyword “{keyword}”", rv.reject_keyword, keyword)

    def restore_keyword(self, path: str, keyword: str) -> bool:
        return self.edit(path, f"Restore keyword “{keyword}”", rv.restore_keyword, keyword)

    def add_keyword(self, path: str, keyword: str) -> bool:
        return self.edit(path, f"Add keyword “{keyword.strip()}”", rv.add_keyword, keyword)

    def edit_title(self, path: str, text: str) -> bool:
        return self.edit(path, "Edit title", rv.edit_title, text)

    def edit_description(self, path: str, text: str) -> bool:
        return self.edit(path, "Edit description", rv.edit_description, text)

    def approve_all_remaining(self) -> int:
        """Approve every proposal not yet decided, as one undoable step; returns how many."""
        before = [r for r in self.session.in_state("proposed") if r.has_proposal]
        if not before:
            self.notice.emit("info", "No proposals left to approve.")
            return 0
        after = [rv.approve(r) for r in before]
        self.undo_stack.push(ReviewEditCommand(f"Approve all remaining ({len(after)})", before,
                                               after, self._apply_snapshots))
        return len(after)

    # -- shutdown ------------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Cancel the run, stop readers and writers, save the review journal."""
        if self.pipeline is not None:
            self.pipeline.cancel()
        task = self._run_task
        if task is not None and not task.done() and task is not asyncio.current_task():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(task), 10)
        if self._discovery is not None and self._discovery is not asyncio.current_task():
            self._discovery.cancel()
            with contextlib.suppress(BaseException):
                await self._discovery
        await self.writer.shutdown()
        await self.persistence.close()
