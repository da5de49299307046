"""Reads existing metadata, writes approved photos, undoes the last write and exports the batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from imageworks_gui.core import review as rv
from imageworks_gui.core.metadata import PhotoMetadata, Proposal
from imageworks_gui.core.review import PhotoReview, ReviewError
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.metadata import (
    AlreadyUndoneError,
    AsyncMetadataService,
    ExifToolError,
    ExifToolPool,
    JournalError,
    MetadataError,
    MetadataWriter,
    WriteOutcome,
)
from imageworks_gui.services.review_export import write_exports

if TYPE_CHECKING:
    from imageworks_gui.gui.tagging.controller import TaggingController

log = logging.getLogger("imageworks.gui.tagging")

PENDING_BATCH = "pending"


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


@dataclass
class WriteSummary:
    """What a write, dry run or undo did, for the summary dialog."""

    kind: str  # "write" | "dry-run" | "undo"
    batch_id: str | None = None
    photos: int = 0
    written: int = 0
    unchanged: int = 0
    cancelled: int = 0
    keywords_added: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return {"write": "Write finished", "dry-run": "Dry run: nothing was written",
                "undo": "Write undone"}[self.kind]


class WriteController(QObject):
    """The metadata side of the workspace; owns the ExifTool pool of the GUI."""

    busy_changed = Signal(bool)
    write_finished = Signal(object)
    """A ``WriteSummary``."""
    dry_run_changed = Signal(bool)

    def __init__(self, controller: TaggingController,
                 service: AsyncMetadataService | None = None) -> None:
        super().__init__(controller)
        self.ctrl = controller
        self._service = service
        self.busy = False
        self.dry_run = controller.context.settings.metadata.dry_run_default
        self.last_batch_id: str | None = None
        self._reads: OrderedDict[str, None] = OrderedDict()
        self._reader: asyncio.Task[None] | None = None
        self._reading: str | None = None
        self.read_errors: dict[str, str] = {}
        """Path -> why its current metadata could not be read (shown in the review pane)."""
        self.photo_notes: dict[str, list[str]] = {}
        """Path -> write warnings and where its metadata lives (shown in the review pane)."""

    # -- service -------------------------------------------------------------------------------
    def service(self) -> AsyncMetadataService:
        """The metadata service, started on first use (raises ExifToolError if unavailable)."""
        if self._service is None:
            pool = ExifToolPool(size=2)
            writer = MetadataWriter(pool, settings=self.ctrl.context.settings.metadata)
            self._service = AsyncMetadataService(writer)
        return self._service

    def set_dry_run(self, on: bool) -> None:
        """With dry run on, Write only shows what would change and Undo is unavailable."""
        if on != self.dry_run:
            self.dry_run = on
            self.dry_run_changed.emit(on)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    # -- existing metadata -----------------------------------------------------------------------
    def read_pending(self, path: str) -> bool:
        """True while ``path`` waits for, or is in, a background metadata read."""
        return path in self._reads or path == self._reading

    def schedule_read(self, path: str, first: bool = False) -> None:
        """Read the photo's current title, description and keywords in the background."""
        if path == self._reading:
            return
        self.read_errors.pop(path, None)
        self._reads[path] = None
        if first:
            self._reads.move_to_end(path, last=False)
        if self._reader is None or self._reader.done():
            with contextlib.suppress(RuntimeError):
                self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    async def _read_loop(self) -> None:
        while self._reads:
            path, _ = self._reads.popitem(last=False)
            self._reading = path
            try:
                await self.read_existing(path)
            finally:
                self._reading = None

    async def read_existing(self, path: str) -> PhotoReview | None:
        """Read one photo's metadata now and record it in its review."""
        try:
            meta = await self.service().read(path)
        except (MetadataError, ExifToolError) as exc:
            log.warning("reading %s: %s", path, exc)
            self.read_errors[path] = str(exc)
            if path in self.ctrl.session:
                self.ctrl.reviews_changed.emit([path])
            return None
        if path not in self.ctrl.session:
            return None
        self.photo_notes[path] = photo_notes(meta)
        review = rv.set_existing(self.ctrl.session.get(path), meta.title, meta.description,
                                 meta.keywords)
        self.ctrl.put([review])
        return review

    # -- writing -------------------------------------------------------------------------------
    def _start(self, action: str) -> bool:
        if self.busy or self.ctrl.run_state != "idle":
            self.ctrl.notice.emit("warning", f"Cannot {action} while a tagging run or another "
                                             f"write is in progress.")
            return False
        try:
            self.service()
        except ExifToolError as exc:
            self.ctrl.notice.emit("error", str(exc))
            return False
        return True

    async def write_approved(self) -> WriteSummary | None:
        """Write every approved photo (dry run: only plan); returns the summary."""
        approved = self.ctrl.session.in_state("approved")
        if not approved:
            self.ctrl.notice.emit("info", "No approved photos to write: approve proposals first "
                                          "(A), then write.")
            return None
        if not self._start("write"):
            return None
        self._set_busy(True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            proposals = [rv.to_proposal(r, tagged_at=stamp) for r in approved]
            if self.dry_run:
                summary = await self._dry_run(proposals)
            else:
                summary = await self._write(proposals)
        finally:
            self._set_busy(False)
        self.write_finished.emit(summary)
        return summary

    async def _dry_run(self, proposals: list[Proposal]) -> WriteSummary:
        summary = WriteSummary(kind="dry-run", photos=len(proposals))
        for proposal in proposals:
            try:
                plan = await self.service().plan(proposal)
            except (MetadataError, ExifToolError) as exc:
                summary.failures.append((Path(proposal.path).name, str(exc)))
                continue
            if plan.is_empty:
                summary.unchanged += 1
            else:
                summary.written += 1
                summary.keywords_added += len(plan.added_keywords)
            summary.notes.extend(f"{Path(proposal.path).name}: {n}" for n in plan.notes)
        return summary

    async def _write(self, proposals: list[Proposal]) -> WriteSummary:
        self.ctrl.undo_stack.clear()  # review edits cannot be undone across a write
        summary = WriteSummary(kind="write", photos=len(proposals))
        recorded: set[str] = set()

        def on_result(outcome: WriteOutcome) -> None:
            if outcome.path not in recorded:
                recorded.add(outcome.path)
                self._record_outcome(outcome, summary)

        result = await self.service().write_batch(
            proposals, on_result=on_result,
            description=f"Tagging workspace: {len(proposals)} approved photo(s)")
        summary.batch_id = result.batch_id
        self.last_batch_id = result.batch_id
        for outcome in result.outcomes:  # any outcome whose callback has not run yet
            on_result(outcome)
        fixed = [PhotoReview.model_validate({**r.model_dump(), "batch_id": result.batch_id})
                 for r in self.ctrl.session.in_state("written") if r.batch_id == PENDING_BATCH]
        self.ctrl.put(fixed)
        await self.ctrl.persistence.flush(self.ctrl.session)
        return summary

    def _record_outcome(self, outcome: WriteOutcome, summary: WriteSummary) -> None:
        path = outcome.path
        if path not in self.ctrl.session:
            return
        review = self.ctrl.session.get(path)
        if review.state != "approved":
            return  # already recorded
        name = Path(path).name
        if outcome.status in ("written", "unchanged"):
            if outcome.status == "written":
                summary.written += 1
                summary.keywords_added += len(outcome.added_keywords)
            else:
                summary.unchanged += 1
            summary.notes.extend(f"{name}: {n}" for n in outcome.notes)
            self.photo_notes.pop(path, None)  # they spoke of this write: it is done
            try:
                self.ctrl.put([rv.mark_written(review, PENDING_BATCH)])
            except ReviewError:
                log.warning("%s was written but its review changed meanwhile", path)
        elif outcome.status == "cancelled":
            summary.cancelled += 1
        else:
            reason = outcome.reason or outcome.status
            summary.failures.append((name, reason))
            self.ctrl.put([rv.mark_write_failed(review, reason)])

    async def undo_last_write(self) -> WriteSummary | None:
        """Restore the previous metadata of the photos changed by the last write."""
        if self.dry_run:
            self.ctrl.notice.emit("warning", "Dry run is on: nothing is written, so there is "
                                             "no write to undo. Turn dry run off first.")
            return None
        if not self._start("undo a write"):
            return None
        service = self.service()
        batch_id = self.last_batch_id or await run_blocking(service.writer.journal.last_undoable)
        if batch_id is None:
            self.ctrl.notice.emit("info", "There is no write to undo.")
            return None
        self._set_busy(True)
        summary = WriteSummary(kind="undo", batch_id=batch_id)
        try:
            result = await service.undo(batch_id)
        except (AlreadyUndoneError, JournalError, MetadataError, ExifToolError) as exc:
            self.ctrl.notice.emit("error", str(exc))
            self._set_busy(False)
            return None
        try:
            summary.photos = len(result.outcomes)
            for outcome in result.outcomes:
                if outcome.status in ("written", "unchanged"):
                    summary.written += outcome.status == "written"
                    summary.unchanged += outcome.status == "unchanged"
                    await self._restore_review(outcome.path)
                else:
                    summary.failures.append((Path(outcome.path).name,
                                             outcome.reason or outcome.status))
            for review in self.ctrl.session.in_state("written"):
                if review.batch_id == batch_id:
                    await self._restore_review(review.path)
            if self.last_batch_id == batch_id:
                self.last_batch_id = None
            await self.ctrl.persistence.flush(self.ctrl.session)
        finally:
            self._set_busy(False)
        self.write_finished.emit(summary)
        return summary

    async def _restore_review(self, path: str) -> None:
        if path not in self.ctrl.session:
            return
        review = self.ctrl.session.get(path)
        if review.state != "written":
            return
        try:
            meta = await self.service().read(path)
            after = rv.mark_unwritten(review, meta.title, meta.description, meta.keywords)
            self.photo_notes[path] = photo_notes(meta)
        except (MetadataError, ExifToolError) as exc:
            log.warning("re-reading %s after undo: %s", path, exc)
            after = rv.mark_unwritten(review, None, None, [])
        self.ctrl.put([after])

    # -- export ----------------------------------------------------------------------------------
    async def export(self, jsonl_path: Path, markdown_path: Path) -> None:
        """Save the batch as JSONL (one photo a line) and a Markdown summary."""
        folder = str(self.ctrl.folder) if self.ctrl.folder else ""
        await run_blocking(write_exports, list(self.ctrl.session), folder, jsonl_path,
                           markdown_path)

    async def shutdown(self) -> None:
        self._reads.clear()  # the reader finishes its current file and stops
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._reader, 30)
        if self._service is not None:
            with contextlib.suppress(Exception):
                await self._service.close()
            self._service = None
