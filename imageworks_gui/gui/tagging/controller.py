"""Tagging controller: opens photos, runs the pipeline and applies review edits (no widgets).

Slots in the workspace are one ``await controller.method()`` each; tests drive this class
directly. Review edits go through ``ReviewEditCommand`` on ``undo_stack``; tagging results,
metadata reads and write outcomes change the session directly (they are not user edits).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview, ReviewError, ReviewSession
from imageworks_gui.core.tagging import Progress
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.tagging.bursts import BurstIndex
from imageworks_gui.gui.tagging.commands import ReviewEditCommand
from imageworks_gui.gui.tagging.decisions import DecisionRecorder
from imageworks_gui.gui.tagging.heap import paused_collection
from imageworks_gui.gui.tagging.opening import FolderListing
from imageworks_gui.gui.tagging.persistence import ReviewPersistence
from imageworks_gui.gui.tagging.running import RunController
from imageworks_gui.gui.tagging.state import RunState, Severity
from imageworks_gui.gui.tagging.vocabulary_actions import VocabularyActions
from imageworks_gui.gui.tagging.writing import WriteController
from imageworks_gui.services.pipeline.runner import TaggingPipeline


def folder_for(paths: Sequence[Path]) -> Path:
    """The folder whose review journal holds these inputs: the folder itself, or the common
    parent of dropped files."""
    absolute = [p.expanduser().absolute() for p in paths]
    if len(absolute) == 1 and absolute[0].is_dir():
        return absolute[0]
    parents = [p if p.is_dir() else p.parent for p in absolute]
    return Path(os.path.commonpath([str(p) for p in parents]))


class TaggingController(QObject):
    """State and actions of the Tagging workspace (the ``ReviewHost`` of its helpers)."""

    photos_reset = Signal()
    photos_added = Signal(list)
    """[(path, mtime_ns)] discovered (streaming)."""
    discovery_finished = Signal(int)
    reviews_changed = Signal(list)
    """Paths whose review changed."""
    edit_reverted = Signal(str)
    """An undo put back the review of this photo (the view selects it again)."""
    notice = Signal(object, str)
    """(``Severity``, text the user can act on)."""

    def __init__(self, context: AppContext, undo_stack: QUndoStack | None = None,
                 parent: QObject | None = None,
                 pipeline_factory: Callable[..., TaggingPipeline] | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self._session = ReviewSession()
        self._folder: Path | None = None
        self.recursive = context.settings.tagging.recursive
        self.preferred: dict[str, str | None] = {}
        self.persistence = ReviewPersistence()
        self.persistence.on_saved = self._report_save_error
        self.writer = WriteController(self, context.settings.metadata, parent=self)
        self.vocabularies = VocabularyActions(self)
        self.runner = RunController(self, context, self.make_pipeline,
                                    lambda path: self.writer.reads.schedule(path), self,
                                    prepare=self.vocabularies.load)
        self.bursts = BurstIndex(self)
        self.decisions = DecisionRecorder(self)
        self.discovery_errors: list[str] = []
        self._pipeline_factory = pipeline_factory or TaggingPipeline
        self._discovery: asyncio.Task[None] | None = None
        self._save_error: str | None = None

    # -- the ReviewHost interface ----------------------------------------------------------------
    @property
    def session(self) -> ReviewSession:
        return self._session

    @property
    def folder(self) -> Path | None:
        return self._folder

    @property
    def run_idle(self) -> bool:
        return self.runner.state == RunState.IDLE

    def put(self, reviews: Iterable[PhotoReview], save: bool = True) -> None:
        """Store reviews, notify views and schedule saving (not an undoable edit)."""
        items = list(reviews)
        for review in items:
            self._session.put(review)
        if save:
            self.persistence.mark_dirty(r.path for r in items)
        self.reviews_changed.emit([r.path for r in items])

    def refresh(self, paths: list[str]) -> None:
        self.reviews_changed.emit(paths)

    def notify(self, severity: Severity, text: str) -> None:
        self.notice.emit(severity, text)

    def drop_edit_history(self) -> None:
        self.undo_stack.clear()

    async def save_now(self) -> None:
        await self.persistence.flush(self._session)

    def _report_save_error(self) -> None:
        """Say once when the folder's review state could not be saved, and when it is again."""
        error = self.persistence.last_error
        if error and error != self._save_error:
            self.notify(Severity.ERROR, f"Review decisions could not be saved: {error}. They "
                                        f"are kept while the app runs and saved again with "
                                        f"the next change.")
        elif error is None and self._save_error is not None:
            self.notify(Severity.INFO, "Review decisions are saved again.")
        self._save_error = error

    # -- state ---------------------------------------------------------------------------------
    def _apply_snapshots(self, reviews: Sequence[PhotoReview]) -> None:
        # Snapshots from the undo stack keep the photo's current on-disk values.
        merged = []
        for snap in reviews:
            now = self._session.get(snap.path) if snap.path in self._session else snap
            merged.append(PhotoReview.model_validate({
                **snap.model_dump(), "existing_title": now.existing_title,
                "existing_description": now.existing_description,
                "existing_keywords": now.existing_keywords,
                "existing_loaded": now.existing_loaded}))
        self.put(merged)
        self.decisions.record(merged)

    @property
    def run_state(self) -> RunState:
        return self.runner.state

    @property
    def last_progress(self) -> Progress | None:
        return self.runner.last_progress

    @property
    def pipeline(self) -> TaggingPipeline | None:
        return self.runner.pipeline

    @property
    def busy(self) -> bool:
        return not self.run_idle or self.writer.busy

    # -- opening -------------------------------------------------------------------------------
    async def open_paths(self, paths: Sequence[Path], recursive: bool | None = None) -> int:
        """Show the photos under ``paths`` at once, restoring saved review state; returns count."""
        if not paths:
            return 0
        if self.busy:
            self.notify(Severity.WARNING, "A tagging run or a write is in progress: cancel it "
                                          "or wait for it to finish before opening other "
                                          "photos.")
            return len(self._session)
        if recursive is not None:
            self.recursive = recursive
        previous = self._discovery
        if previous is not None and not previous.done() and previous is not asyncio.current_task():
            previous.cancel()  # a second drop replaces a folder that is still being listed
            with contextlib.suppress(asyncio.CancelledError):
                await previous
        await self.close_folder()
        self._discovery = asyncio.current_task()
        folder = self._folder = folder_for(paths)
        self.persistence.attach(folder)
        self._session = ReviewSession()
        self.persistence.bind(self._session)
        self.discovery_errors = []
        self.undo_stack.clear()
        self.runner.forget_progress()
        self.photos_reset.emit()
        errors: list[str] = []
        listing = FolderListing(self, self.photos_added.emit, self.persistence.load_first,
                                self.persistence.load_all)
        restore = listing.restore
        inputs = [p.expanduser().absolute() for p in paths]
        with paused_collection():  # a million objects are made: see heap.paused_collection
            count = await listing.run(inputs, self.recursive,
                                      lambda _p, msg: errors.append(msg))
        if self.persistence.last_error:
            self.notify(Severity.ERROR, f"The saved review of {folder} could not be read: "
                                        f"{self.persistence.last_error}. The photos open "
                                        f"untagged; the damaged file is left as it is.")
        if self.persistence.skipped_lines:
            self.notify(Severity.WARNING, f"{self.persistence.skipped_lines} damaged line(s) in "
                                          f"the saved review of {folder} were skipped.")
        self._discovery = None
        self.discovery_errors = errors
        for message in errors[:3]:
            self.notify(Severity.WARNING, message)
        if len(errors) > 3:
            self.notify(Severity.WARNING, f"…and {len(errors) - 3} more inputs could not be "
                                          f"opened")
        if count == 0 and not errors:
            hint = ("" if self.recursive else " Tick \"Include subfolders\" to look inside "
                    "its subfolders.")
            self.notify(Severity.INFO, f"No photos found in {folder}; supported files are "
                                       f"JPEG, PNG, TIFF, WebP, HEIC and camera RAW.{hint}")
        self.discovery_finished.emit(count)
        if self.context.settings.grouping.enabled and count:
            # After the grid is filled, so the thumbnails come first; never blocks the window.
            self.bursts.task = self.context.spawn(
                self.bursts.compute(self._session.paths(), self.context.settings.grouping),
                name="Finding bursts")
        restored = restore.count
        if restored:
            self.notify(Severity.INFO, f"Restored the review of {restored} photo(s) from the "
                                       f"last session.")
        self.writer.request_sync()  # writes undone from the command line meanwhile
        return count

    async def close_folder(self) -> None:
        """Save and forget the open folder."""
        self.bursts.clear()
        await self.persistence.close()
        self._session = ReviewSession()
        self._folder = None

    # -- running -------------------------------------------------------------------------------
    def paths_for(self, scope: str, selection: Sequence[str] = ()) -> list[str]:
        return self.runner.paths_for(scope, selection)

    def make_pipeline(self) -> TaggingPipeline:
        entries = list(self.context.registry.entries)
        settings = self.context.settings
        return self._pipeline_factory(self.context.http, entries, settings,
                                      preferred=dict(self.preferred),
                                      vocabulary=self.vocabularies.policy,
                                      grouper=self.bursts.grouper(settings.grouping))

    async def run(self, scope: str = "untagged", selection: Sequence[str] = ()) -> bool:
        """Preflight, then tag the photos of ``scope``; False when it could not start."""
        if self.busy:
            self.notify(Severity.WARNING, "A run or write is already in progress.")
            return False
        paths = self.paths_for(scope, selection)
        if not paths:
            what = {"selection": "No photos are selected", "untagged": "Every photo already has "
                    "a proposal (use Run all to tag them again)"}.get(scope, "No photos are open")
            self.notify(Severity.INFO, f"{what}.")
            return False
        return await self.runner.run(paths)

    def pause(self) -> None:
        self.runner.pause()

    def resume(self) -> None:
        self.runner.resume()

    def cancel(self) -> None:
        self.runner.cancel()

    # -- review edits (undoable) -----------------------------------------------------------------
    def edit(self, path: str, text: str, op: Callable[..., PhotoReview], *args: Any) -> bool:
        """Apply one review operation as an undoable command; False (with a notice) if refused."""
        try:
            before = self._session.get(path)
            after = op(before, *args)
        except (ReviewError, KeyError) as exc:
            self.notify(Severity.WARNING, str(exc).strip("'\""))
            return False
        if after == before:
            return True
        self._push(f"{text} ({before.name})", [before], [after])
        return True

    def _push(self, text: str, before: list[PhotoReview], after: list[PhotoReview]) -> None:
        self.undo_stack.push(ReviewEditCommand(text, before, after, self._apply_snapshots,
                                               reverted=self.edit_reverted.emit))

    def approve(self, path: str) -> bool:
        return self.edit(path, "Approve", rv.approve)

    def reject(self, path: str) -> bool:
        return self.edit(path, "Reject", rv.reject)

    def reject_keyword(self, path: str, keyword: str) -> bool:
        return self.edit(path, f"Reject keyword “{keyword}”", rv.reject_keyword, keyword)

    def restore_keyword(self, path: str, keyword: str) -> bool:
        return self.edit(path, f"Restore keyword “{keyword}”", rv.restore_keyword, keyword)

    def add_keyword(self, path: str, keyword: str) -> bool:
        """Add a keyword; one the photo already has or is proposed is named, not added twice."""
        review = self._session.get(path) if path in self._session else None
        found = rv.keyword_present(review, keyword) if review is not None else None
        if found is not None:
            spelling, where = found
            self.notify(Severity.INFO, f"“{spelling}” is already {where}; keywords are "
                                       f"compared without regard to case.")
            return False
        return self.edit(path, f"Add keyword “{keyword.strip()}”", rv.add_keyword, keyword)

    def edit_title(self, path: str, text: str) -> bool:
        return self.edit(path, "Edit title", rv.edit_title, text)

    def edit_description(self, path: str, text: str) -> bool:
        return self.edit(path, "Edit description", rv.edit_description, text)

    def approve_all_remaining(self) -> int:
        """Approve every proposal not yet decided, as one undoable step; returns how many."""
        before = [r for r in self._session.in_state("proposed") if r.has_proposal]
        if not before:
            self.notify(Severity.INFO, "No proposals left to approve.")
            return 0
        after = [rv.approve(r) for r in before]
        self._push(f"Approve all remaining ({len(after)})", before, after)
        return len(after)

    def approve_group(self, path: str) -> int:
        """Approve every undecided proposal of ``path``'s burst as one undoable step."""
        before = [self._session.get(p) for p in self.bursts.members(path) if p in self._session]
        before = [r for r in before if r.state == "proposed" and r.has_proposal]
        if not before:
            self.notify(Severity.INFO, "No proposals left to approve in this burst.")
            return 0
        self._push(f"Approve group ({len(before)})", before, [rv.approve(r) for r in before])
        return len(before)

    def review_again(self, paths: Sequence[str]) -> int:
        """Re-open written (or rejected) photos for review, as one undoable step."""
        before = [self._session.get(p) for p in paths
                  if p in self._session and self._session.get(p).state in rv.REOPENABLE]
        if not before:
            self.notify(Severity.INFO, "Only written or rejected photos can be reviewed again.")
            return 0
        after = [rv.reopen(r) for r in before]
        self._push(f"Review again ({len(after)})" if len(after) > 1
                   else f"Review again ({before[0].name})", before, after)
        for review in after:
            self.writer.reads.schedule(review.path)  # compare with what the file holds now
        return len(after)

    # -- shutdown ------------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Cancel the run, stop readers and writers, save the review journal."""
        if self.runner.pipeline is not None:
            self.runner.pipeline.cancel()
        task = self.runner.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(task), 10)
        if self._discovery is not None and self._discovery is not asyncio.current_task():
            self._discovery.cancel()
            with contextlib.suppress(BaseException):
                await self._discovery
        await self.writer.shutdown()
        await self.bursts.close()
        self.persistence.on_saved = None  # the window may be gone: failures are logged
        await self.persistence.close()
