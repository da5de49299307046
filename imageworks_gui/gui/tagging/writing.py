"""Writes approved photos, undoes the last write (also one the CLI made), exports the batch."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from imageworks_gui.core import review as rv
from imageworks_gui.core.metadata import Proposal
from imageworks_gui.core.review import ReviewError
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.gui.tagging.journal_sync import JournalWatcher, UndoPreview, read_facts
from imageworks_gui.gui.tagging.reads import MetadataReads, photo_notes
from imageworks_gui.gui.tagging.state import ReviewHost, Severity
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.metadata import (
    AlreadyUndoneError,
    AsyncMetadataService,
    ExifToolError,
    ExifToolPool,
    JournalError,
    MetadataError,
    MetadataJournal,
    MetadataWriter,
    WriteOutcome,
)
from imageworks_gui.services.review_export import write_exports

log = logging.getLogger("imageworks.gui.tagging")

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

    @property
    def severity(self) -> Severity:
        return Severity.of_failures(len(self.failures), bool(self.cancelled))

    @property
    def line(self) -> str:
        """One plain sentence for the message bar (the dialog has the details)."""
        verb = {"write": "written", "dry-run": "would change", "undo": "restored"}[self.kind]
        parts = [f"{self.written} of {self.photos} photo(s) {verb}"]
        if self.unchanged:
            parts.append(f"{self.unchanged} needed no change")
        if self.cancelled:
            parts.append(f"{self.cancelled} cancelled")
        if self.failures:
            parts.append(f"{len(self.failures)} failed (they stay approved; see the summary)")
        return f"{self.title}: " + ", ".join(parts) + "."


class WriteController(QObject):
    """The metadata side of the workspace; owns the ExifTool pool of the GUI."""

    busy_changed = Signal(bool)
    write_finished = Signal(object)
    """A ``WriteSummary``."""
    dry_run_changed = Signal(bool)
    undo_changed = Signal(object)
    """The ``UndoPreview`` of the write "Undo last write" would restore, or None."""

    def __init__(self, host: ReviewHost, settings: MetadataSettings,
                 service: AsyncMetadataService | None = None,
                 journal: MetadataJournal | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings
        self._service = service
        self.busy = False
        self.dry_run = settings.dry_run_default
        self.journal = journal or (service.writer.journal if service else MetadataJournal())
        self.undo_preview: UndoPreview | None = None
        self.reads = MetadataReads(host, self.service)
        self.watcher = JournalWatcher(self.journal, self)
        self.watcher.changed.connect(self.request_sync)
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_again = False
        self._closed = False

    # -- service -------------------------------------------------------------------------------
    def service(self) -> AsyncMetadataService:
        """The metadata service, started on first use (raises ExifToolError if unavailable)."""
        if self._service is None:
            pool = ExifToolPool(size=2)
            writer = MetadataWriter(pool, journal_dir=self.journal.root, settings=self.settings)
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
        if not busy and self._sync_again:
            self.request_sync()

    def _start(self, action: str) -> bool:
        if self.busy or not self.host.run_idle:
            self.host.notify(Severity.WARNING, f"Cannot {action} while a tagging run or "
                                               f"another write is in progress.")
            return False
        try:
            self.service()
        except ExifToolError as exc:
            self.host.notify(Severity.ERROR, str(exc))
            return False
        return True

    # -- the journal ---------------------------------------------------------------------------
    def request_sync(self) -> None:
        """Check the journal soon (a watcher event, the window activated, a folder opened)."""
        if self._closed:
            return  # shut down: no task may outlive the window it updates
        if self.busy or (self._sync_task is not None and not self._sync_task.done()):
            self._sync_again = True
            return
        self._sync_again = False
        try:
            self._sync_task = asyncio.get_running_loop().create_task(self.sync_with_journal())
        except RuntimeError:
            self._sync_task = None

    async def sync_with_journal(self) -> None:
        """Photos whose write was undone (here or by the CLI) are approved again and show what
        they hold now; "Undo last write" learns what it would restore."""
        written = {r.path: r.batch_id for r in self.host.session.in_state("written")
                   if r.batch_id}
        try:
            facts = await run_blocking(read_facts, self.journal, set(written.values()))
        except OSError as exc:
            log.warning("reading the write journal: %s", exc)
            return
        for path, batch_id in written.items():
            if batch_id in facts.undone:
                await self._restore_review(path)
        watched = set(written.values()) - facts.undone
        if facts.last is not None:
            watched.add(facts.last.batch_id)
        self.watcher.watch_batches(watched)
        if facts.last != self.undo_preview:
            # Photos another write or undo changed (the command line) show what they hold now.
            changed = {*(self.undo_preview.paths if self.undo_preview else ()),
                       *(facts.last.paths if facts.last else ())}
            for path in changed & set(self.host.session.paths()) - set(written):
                self.reads.schedule(path)
            self.undo_preview = facts.last
            self.undo_changed.emit(facts.last)
        if facts.undone:
            await self.host.save_now()
        if self._sync_again and not self.busy and not self._closed:
            self._sync_again = False
            await self.sync_with_journal()

    # -- writing -------------------------------------------------------------------------------
    async def write_approved(self) -> WriteSummary | None:
        """Write every approved photo (dry run: only plan); returns the summary."""
        approved = self.host.session.in_state("approved")
        if not approved:
            self.host.notify(Severity.INFO, "No approved photos to write: approve proposals "
                                            "first (A), then write.")
            return None
        if not self._start("write"):
            return None
        self._set_busy(True)
        written_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            proposals = [rv.to_proposal(r, written_at=written_at) for r in approved]
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
        self.host.drop_edit_history()  # review edits cannot be undone across a write
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        summary = WriteSummary(kind="write", photos=len(proposals))
        recorded: set[str] = set()

        def on_result(outcome: WriteOutcome) -> None:  # on a writer thread
            loop.call_soon_threadsafe(self._record_outcome, outcome, summary, batch_id, recorded)

        batch = self.service().writer.open_batch(
            on_result, cancel, description=f"Tagging workspace: {len(proposals)} approved "
                                           f"photo(s)")
        batch_id = summary.batch_id = batch.batch_id
        for proposal in proposals:
            batch.submit(proposal)
        try:
            result = await run_blocking(batch.close)
        except asyncio.CancelledError:
            cancel.set()
            raise
        for outcome in result.outcomes:  # any outcome whose callback has not run yet
            self._record_outcome(outcome, summary, batch_id, recorded)
        summary.batch_id = result.batch_id  # None when no file needed a change
        await self.host.save_now()
        self.request_sync()
        return summary

    def _record_outcome(self, outcome: WriteOutcome, summary: WriteSummary, batch_id: str,
                        recorded: set[str]) -> None:
        path = outcome.path
        if path in recorded or path not in self.host.session:
            return
        recorded.add(path)
        review = self.host.session.get(path)
        if review.state != "approved":
            return
        name = Path(path).name
        if outcome.status in ("written", "unchanged"):
            if outcome.status == "written":
                summary.written += 1
                summary.keywords_added += len(outcome.added_keywords)
            else:
                summary.unchanged += 1
            summary.notes.extend(f"{name}: {n}" for n in outcome.notes)
            self.reads.notes.pop(path, None)  # they spoke of this write: it is done
            try:
                # Only a changed file is in the journal; an unchanged one has nothing to undo.
                self.host.put([rv.mark_written(
                    review, batch_id if outcome.status == "written" else None)])
            except ReviewError:
                log.warning("%s was written but its review changed meanwhile", path)
                return
            self.reads.schedule(path)  # show (and export) what the file holds now
        elif outcome.status == "cancelled":
            summary.cancelled += 1
        else:
            reason = outcome.reason or outcome.status
            summary.failures.append((name, reason))
            self.host.put([rv.mark_write_failed(review, reason)])

    # -- undo ----------------------------------------------------------------------------------
    async def undo_last_write(self, expected: str | None = None) -> WriteSummary | None:
        """Restore the previous metadata of the photos changed by the newest write.

        ``expected`` is the batch the user confirmed; if the newest write is another one by now
        (the CLI wrote or undid meanwhile), nothing is undone and the user is told.
        """
        if self.dry_run:
            self.host.notify(Severity.WARNING, "Dry run is on: nothing is written, so there is "
                                               "no write to undo. Turn dry run off first.")
            return None
        if not self._start("undo a write"):
            return None
        service = self.service()
        batch_id = await run_blocking(self.journal.last_undoable)
        if batch_id is None:
            self.host.notify(Severity.INFO, "There is no write to undo.")
            self.request_sync()
            return None
        if expected is not None and batch_id != expected:
            self.host.notify(Severity.WARNING, "The newest write changed since you confirmed "
                                               "(the command line wrote or undid meanwhile): "
                                               "nothing was undone. Check Undo last write again.")
            self.request_sync()
            return None
        self._set_busy(True)
        summary = WriteSummary(kind="undo", batch_id=batch_id)
        try:
            result = await service.undo(batch_id)
        except (AlreadyUndoneError, JournalError, MetadataError, ExifToolError) as exc:
            self.host.notify(Severity.ERROR, str(exc))
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
            for review in self.host.session.in_state("written"):
                if review.batch_id == batch_id:
                    await self._restore_review(review.path)
            await self.host.save_now()
        finally:
            self._set_busy(False)
        self.request_sync()
        self.write_finished.emit(summary)
        return summary

    async def _restore_review(self, path: str) -> None:
        if path not in self.host.session:
            return
        review = self.host.session.get(path)
        try:
            meta = await self.service().read(path)
        except (MetadataError, ExifToolError) as exc:
            log.warning("re-reading %s after undo: %s", path, exc)
            if review.state == "written":
                self.host.put([rv.mark_unwritten(review, None, None, [])])
            return
        self.reads.notes[path] = photo_notes(meta)
        if review.state == "written":
            self.host.put([rv.mark_unwritten(review, meta.title, meta.description,
                                             meta.keywords)])
        else:  # reopened for review meanwhile: it still shows what the file holds
            self.host.put([rv.set_existing(review, meta.title, meta.description,
                                           meta.keywords)])

    # -- export ----------------------------------------------------------------------------------
    async def export(self, jsonl_path: Path, markdown_path: Path) -> None:
        """Save the batch as JSONL (one photo a line) and a Markdown summary; written photos
        are exported with what their files hold (read back now where not known yet)."""
        unread = [r.path for r in self.host.session.in_state("written")
                  if not r.existing_loaded]
        if unread:
            await self.reads.read_now(unread)
        folder = str(self.host.folder) if self.host.folder else ""
        await run_blocking(write_exports, list(self.host.session), folder, jsonl_path,
                           markdown_path, self.settings)

    async def shutdown(self) -> None:
        self._closed = True
        self.watcher.stop()
        await self.reads.shutdown()
        if self._sync_task is not None and not self._sync_task.done():
            self._sync_task.cancel()
        if self._service is not None:
            try:
                await self._service.close()
            except Exception as exc:  # closing must not stop the rest of the shutdown
                log.debug("closing ExifTool: %s", exc)
            self._service = None
