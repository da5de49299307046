"""The one owner of photo writes: plans, journals and applies metadata changes, file by file."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from imageworks_gui.core.metadata import ChangePlan, Proposal, plan_changes
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.write_risks import refusal
from imageworks_gui.services.logs import log_event
from imageworks_gui.services.metadata import undo as undo_mod
from imageworks_gui.services.metadata.exiftool import ExifToolPool
from imageworks_gui.services.metadata.filewrite import (
    ConflictError,
    apply_plan,
    delete_file,
    file_sha256,
    file_stat,
    keep_copy,
    restore_copy,
)
from imageworks_gui.services.metadata.journal import (
    BatchKind,
    JournalEntry,
    MetadataJournal,
)
from imageworks_gui.services.metadata.reader import MetadataError, read_metadata
from imageworks_gui.services.metadata.stale_temps import sweep_folders

log = logging.getLogger("imageworks.metadata")

OutcomeStatus = Literal["written", "unchanged", "conflict", "error", "cancelled"]


class WriteOutcome(BaseModel):
    """What happened to one file."""

    path: str
    status: OutcomeStatus
    reason: str | None = None
    target: str | None = None
    added_keywords: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class BatchResult(BaseModel):
    """Per-file outcomes of one batch (in input order) and its journal id."""

    batch_id: str | None = None
    outcomes: list[WriteOutcome] = Field(default_factory=list)

    def count(self, status: OutcomeStatus) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def failed(self) -> list[WriteOutcome]:
        return [o for o in self.outcomes if o.status in ("error", "conflict")]


WriteItem = ChangePlan | Proposal
ResultCallback = Callable[[WriteOutcome], None]


class MetadataWriter:
    """Writes approved proposals (or ready plans) into photos and sidecars, journaled for undo.

    Thread-safe; ``write_batch`` uses one worker per ExifTool process. One file's failure
    never stops a batch.
    """

    def __init__(
        self,
        pool: ExifToolPool,
        journal_dir: str | os.PathLike[str] | None = None,
        settings: MetadataSettings | None = None,
    ) -> None:
        self.pool = pool
        self.settings = settings or MetadataSettings()
        self.journal = MetadataJournal(journal_dir)
        self._seq_lock = threading.Lock()
        self._seq = 0
        # A writer killed mid-write leaves a hidden temp copy beside the photo: clear those
        # whose writer is gone now, not only when the same photo is written again.
        for removed in sweep_folders(os.path.dirname(t) for t in
                                     self.journal.interrupted_targets()):
            log.info("removed %s, left by a killed write", removed)

    # -- planning ---------------------------------------------------------------------------
    def plan(self, proposal: Proposal) -> ChangePlan:
        """Read the photo now and merge the proposal into what it holds."""
        original = read_metadata(self.pool, proposal.path, self.settings)
        reason = refusal(original.risks)
        if reason is not None:
            raise MetadataError(f"{proposal.path}: not written: {reason}; the file was left "
                                "unchanged")
        return plan_changes(original, proposal, self.settings)

    # -- writing ----------------------------------------------------------------------------
    def write(self, path: str | os.PathLike[str], item: WriteItem) -> WriteOutcome:
        """Write one file as a batch of its own."""
        if isinstance(item, Proposal) and os.fspath(path) != item.path:
            item = Proposal.model_validate({**item.model_dump(), "path": os.fspath(path)})
        return self.write_batch([item]).outcomes[0]

    def write_batch(
        self,
        items: Iterable[WriteItem],
        on_result: ResultCallback | None = None,
        cancel: threading.Event | None = None,
        description: str = "",
        kind: BatchKind = "write",
        undoes: str | None = None,
    ) -> BatchResult:
        """Write many files in parallel; ``on_result`` runs (on a worker thread) per file.

        Set ``cancel`` to stop: files not started yet are reported as ``cancelled``.
        """
        session = self.open_batch(on_result, cancel, description, kind, undoes)
        for item in items:
            session.submit(item)
        return session.close()

    def open_batch(
        self,
        on_result: ResultCallback | None = None,
        cancel: threading.Event | None = None,
        description: str = "",
        kind: BatchKind = "write",
        undoes: str | None = None,
    ) -> WriteSession:
        """A batch that accepts files as they arrive (e.g. while tagging runs); close it."""
        return WriteSession(self, on_result, cancel, description, kind, undoes)

    def _next_seq(self) -> int:
        with self._seq_lock:
            self._seq += 1
            return self._seq

    def _write_one(self, item: WriteItem, batch_id: str, backup_dir: Path | None) -> WriteOutcome:
        path = _item_path(item)
        try:
            plan = self.plan(item) if isinstance(item, Proposal) else item
            if plan.is_empty:
                return WriteOutcome(path=path, status="unchanged", target=plan.target,
                                    reason="nothing new to write", notes=plan.notes)
            seq = self._next_seq()
            copy = keep_copy(plan.target, self.journal.root.parent / "originals" / batch_id,
                             f"{seq}-{Path(plan.target).name}") if plan.keep_original else None
            self.journal.record(batch_id, JournalEntry(
                seq=seq, path=plan.path, target=plan.target, target_existed=plan.target_exists,
                had_xmp=plan.had_xmp, edits=plan.edits, original_copy=copy,
                before_stat=file_stat(plan.target)))
            try:
                if plan.delete_target:
                    delete_file(plan)
                elif plan.restore_from is not None:
                    restore_copy(plan)
                else:
                    apply_plan(self.pool, plan, backup_dir)
            except BaseException:
                if copy is not None:  # the file was left as it was: nothing to restore
                    Path(copy).unlink(missing_ok=True)
                raise
            self.journal.commit(batch_id, seq, file_sha256(plan.target) if copy else None,
                                stat=file_stat(plan.target))
        except ConflictError as exc:
            return WriteOutcome(path=path, status="conflict", reason=str(exc))
        except MetadataError as exc:
            return WriteOutcome(path=path, status="error", reason=str(exc))
        except OSError as exc:
            return WriteOutcome(path=path, status="error",
                                reason=f"{path}: {exc.strerror or exc}; the file was left "
                                "unchanged")
        except Exception as exc:  # one file's failure never stops the batch
            return WriteOutcome(path=path, status="error", reason=f"{path}: unexpected "
                                f"{type(exc).__name__}: {exc}; the file was left unchanged")
        return WriteOutcome(path=path, status="written", target=plan.target,
                            added_keywords=plan.added_keywords, notes=plan.notes)

    # -- undo -------------------------------------------------------------------------------
    def undo(self, batch_id: str, on_result: ResultCallback | None = None) -> BatchResult:
        """Restore the previous values of every tag a batch changed (itself undoable).

        A tag the user changed after the write is left alone and reported; keywords the batch
        added are removed even when others were added since.
        """
        summary, entries = self.journal.load(batch_id)
        if summary.damaged_lines:
            log.warning("journal of batch %s is damaged (line(s) %s): the files those lines "
                        "describe cannot be restored automatically; the %d intact file(s) are",
                        batch_id, ", ".join(map(str, summary.damaged_lines)), len(entries))
        if summary.undone_at is not None:
            raise undo_mod.AlreadyUndoneError(
                f"batch {batch_id} was already undone on {summary.undone_at} (by "
                f"{summary.undo_batch}); undo that batch to re-apply it")
        plans: list[ChangePlan | WriteOutcome] = []
        for entry in reversed(entries):
            try:
                plans.append(undo_mod.restore_plan(self.pool, entry))
            except MetadataError as exc:
                plans.append(WriteOutcome(path=entry.path, status="error", reason=str(exc)))
        ready = [p for p in plans if isinstance(p, ChangePlan)]
        result = self.write_batch(ready, on_result=on_result, kind="undo",
                                  description=f"undo of {batch_id}", undoes=batch_id)
        by_target = iter(result.outcomes)
        outcomes = [p if isinstance(p, WriteOutcome) else next(by_target) for p in plans]
        for outcome in outcomes:
            if outcome.status == "error" and on_result is not None and outcome not in \
                    result.outcomes:
                on_result(outcome)
        failed = [o for o in outcomes if o.status in ("error", "conflict")]
        if not failed:
            self.journal.mark_undone(batch_id, result.batch_id or "")
        else:
            self.journal.mark_undo_failed(
                batch_id, f"{len(failed)} of {len(outcomes)} file(s) not restored, first: "
                f"{failed[0].reason}")
        return BatchResult(batch_id=result.batch_id, outcomes=outcomes)


def _item_path(item: WriteItem) -> str:
    return item.path


class WriteSession:
    """One journal batch fed item by item; writes run on ``pool.size`` worker threads."""

    def __init__(self, writer: MetadataWriter, on_result: ResultCallback | None,
                 cancel: threading.Event | None, description: str, kind: BatchKind,
                 undoes: str | None) -> None:
        self._writer = writer
        self._on_result = on_result
        self._cancel = cancel
        self.batch_id = writer.journal.begin(kind, description, undoes=undoes)
        self._backup_dir = (writer.journal.root.parent / "backups" / self.batch_id
                            if writer.settings.backup_originals else None)
        self._executor = ThreadPoolExecutor(writer.pool.size,
                                            thread_name_prefix="metadata-write")
        self._futures: list[Future[WriteOutcome]] = []

    def _one(self, item: WriteItem) -> WriteOutcome:
        if self._cancel is not None and self._cancel.is_set():
            outcome = WriteOutcome(path=_item_path(item), status="cancelled",
                                   reason="cancelled before this file was written")
        else:
            outcome = self._writer._write_one(item, self.batch_id, self._backup_dir)
        log_event(log, "write", f"{outcome.status}: {outcome.path}", batch_id=self.batch_id,
                  path=outcome.path, status=outcome.status, reason=outcome.reason,
                  target=outcome.target)
        if self._on_result is not None:
            self._on_result(outcome)
        return outcome

    def submit(self, item: WriteItem) -> Future[WriteOutcome]:
        """Queue one file; its outcome arrives through the future and ``on_result``."""
        future = self._executor.submit(self._one, item)
        self._futures.append(future)
        return future

    def close(self) -> BatchResult:
        """Wait for every queued file and return the outcomes in submission order."""
        self._executor.shutdown(wait=True)
        outcomes = [future.result() for future in self._futures]
        journaled = self._writer.journal.finish(self.batch_id)
        return BatchResult(batch_id=self.batch_id if journaled else None, outcomes=outcomes)
