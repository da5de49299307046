"""Async operations of the Models workspace: verify, probe, discover, manifest import."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from imageworks_gui.core.entry_transitions import merge_discovered, relock
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.models.columns import COLUMN_INDEX, ENTRY_ROLE
from imageworks_gui.gui.models.document import RegistryDocument
from imageworks_gui.gui.models.replica_check import check_replicas
from imageworks_gui.gui.models.table_model import RegistryTableModel
from imageworks_gui.services.backends.status import ServerStatus, check_statuses
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.hash_cache import HashCache
from imageworks_gui.services.hashing import HashingCancelled
from imageworks_gui.services.verification import VerifyOutcome, verify_entry

log = logging.getLogger("imageworks.gui.models")
_PROGRESS_INTERVAL_S = 0.1


def probe_summary(reports: Sequence[Any]) -> str:
    """The banner after a probe: how many passed and, for each failure, which check and why."""
    failed = [r for r in reports if not r.ok]
    text = f"Probed {len(reports)} model(s): {len(reports) - len(failed)} passed"
    if not failed:
        return text + "."
    text += f", {len(failed)} failed. "
    return text + " ".join(f"{r.entry}: {r.failure}" for r in failed[:3]) + (
        f" (and {len(failed) - 3} more)" if len(failed) > 3 else "")


class ModelsController(QObject):
    """Runs the long operations off the GUI thread and applies their results as undoable edits.

    Every method is a plain coroutine so tests can await it without a window. Results are
    written through ``model.setData(..., ENTRY_ROLE)``, the single edit path.
    """

    verify_started = Signal(int)
    """Number of entries to verify."""
    verify_progress = Signal(str, object, object)  # bytes: multi-GB counts overflow a C int
    """(entry name, bytes done, bytes total)."""
    verify_finished = Signal(str, str)
    """(one-line summary of the run, message kind: "info" when every entry verified, else
    "warning")."""
    probe_finished = Signal(str, str)
    """(summary, message kind: "info" when every probe passed, else "warning")."""
    message = Signal(str)

    def __init__(self, context: AppContext, model: RegistryTableModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = model
        self.doc: RegistryDocument = model.doc
        self._cancel: threading.Event | None = None
        self.verifying = False

    # -- helpers ----
    def apply_entry(self, name: str, new: RegistryEntry, text: str) -> bool:
        """Replace the entry ``name`` through ``setData`` (one undo command called ``text``)."""
        row = self.doc.row_of(name)
        if row < 0:
            return False
        index = self.model.index(row, COLUMN_INDEX["name"])
        return self.model.setData(index, (new, text), ENTRY_ROLE)

    # -- verification ----
    def cancel_verify(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    async def verify(self, names: Sequence[str], *, lock: bool = False,
                     deep: bool = False) -> list[VerifyOutcome]:
        """Hash and verify the named entries one after another (files hash in parallel).

        Progress reaches the GUI at most 10 times a second; ``cancel_verify`` stops the run
        (the current entry is left unchanged).
        """
        if self.verifying:
            raise RuntimeError("a verification is already running: wait for it or cancel it")
        loop = asyncio.get_running_loop()
        self._cancel = cancel = threading.Event()
        self.verifying = True
        outcomes: list[VerifyOutcome] = []
        token = self.context.begin_activity(f"Verifying {len(names)} model(s)…")
        self.verify_started.emit(len(names))
        cache = HashCache()
        cancelled = False
        try:
            for index, name in enumerate(names):
                entry = self.doc.entry(name)
                if entry is None:
                    continue
                self.doc.set_runtime(name, progress=0.0)
                last = [0.0]

                def progress(done: int, total: int, name: str = name,
                             last: list[float] = last) -> None:
                    now = time.monotonic()
                    if now - last[0] < _PROGRESS_INTERVAL_S and done < total:
                        return
                    last[0] = now
                    loop.call_soon_threadsafe(self._on_progress, name, done, total)

                self.context.update_activity(
                    token, f"Verifying {entry.label} ({index + 1}/{len(names)})…")
                try:
                    outcome = await run_blocking(verify_entry, entry, deep=deep,
                                                 progress=progress, cancel=cancel, cache=cache)
                except HashingCancelled:
                    cancelled = True
                    break
                finally:
                    self.doc.set_runtime(name, progress=None)
                outcomes.append(outcome)
                self._apply_verification(name, outcome, lock)
                self.doc.set_runtime(name, verify_error=outcome.message
                                     if outcome.status == "error" else "")
        finally:
            self.verifying = False
            self._cancel = None
            self.context.end_activity(token)
        summary = self._summary(outcomes, cancelled)
        clean = not cancelled and all(o.status == "verified" for o in outcomes)
        self.verify_finished.emit(summary, "info" if clean else "warning")
        return outcomes

    def _on_progress(self, name: str, done: int, total: int) -> None:
        if self.doc.row_of(name) >= 0 and self.doc.runtime(name).progress is not None:
            self.doc.set_runtime(name, progress=(done / total) if total else 1.0)
        self.verify_progress.emit(name, done, total)

    def _apply_verification(self, name: str, outcome: VerifyOutcome, lock: bool) -> None:
        """Record the measurement (never undone); a requested lock is then an undoable edit."""
        if not self.doc.record_measurement(name, outcome.entry):
            return
        current = self.doc.entry(name)
        if lock and outcome.status == "verified" and current is not None and (
                not current.is_locked):
            self.model.setData(self.model.index(self.doc.row_of(name), COLUMN_INDEX["lock"]),
                               True)

    @staticmethod
    def _summary(outcomes: list[VerifyOutcome], cancelled: bool) -> str:
        counts = {s: sum(1 for o in outcomes if o.status == s)
                  for s in ("verified", "drifted", "error")}
        text = (f"Verified {counts['verified']}, drifted {counts['drifted']}, "
                f"errors {counts['error']}")
        if cancelled:
            text = "Verification cancelled. " + text
        drifted = [o.entry.name for o in outcomes if o.status == "drifted"]
        failed = [o.message for o in outcomes if o.status == "error"]
        if drifted:
            text += (f". Drifted: {', '.join(drifted)} (hover the red row for the changed files; "
                     f"restore them, or Re-lock to Current to accept them)")
        if failed:
            text += f". {failed[0]}"
        return text

    def relock(self, name: str) -> bool:
        """Lock ``name`` to the hash its last verification measured (accepting the drift)."""
        entry = self.doc.entry(name)
        if entry is None or not entry.drifted:
            return False
        return self.apply_entry(name, relock(entry), f"Re-lock {name} to current files")

    # -- probes ----
    async def probe(self, names: Sequence[str]) -> list[Any]:
        """Run the health and vision probes on the named entries concurrently.

        Results are measurements: they are recorded in the entries without an undo step, so
        edits made while a probe runs stay separate undo steps.
        """
        from imageworks_gui.services.backends.probes import entry_with_probe_results
        from imageworks_gui.services.backends.replica_preflight import probe_every_replica

        token = self.context.begin_activity(f"Probing {len(names)} model(s)…")
        limit = asyncio.Semaphore(4)

        async def one(name: str) -> Any:
            entry = self.doc.entry(name)
            if entry is None:
                return None
            self.doc.set_runtime(name, busy_text="probing")
            async with limit:
                report = await probe_every_replica(self.context.http, entry,
                                                   self.context.settings)
            if self.doc.entry(name) is None:
                return report
            status = report.status()
            text = (report.message if report.ok else f"Probe failed: {report.failure}"
                    if status.online else status.describe(entry))
            if report.replica_notes:
                text += "\n" + "\n".join(report.replica_notes)
            self.doc.set_runtime(name, server=status, probe_ok=report.ok, probe_text=text,
                                 busy_text="")
            current = self.doc.entry(name)
            if current is not None:
                self.doc.record_measurement(name, entry_with_probe_results(current, report))
            return report

        try:
            reports = await asyncio.gather(*(one(n) for n in names))
        finally:
            self.context.end_activity(token)
        done = [r for r in reports if r is not None]
        self.probe_finished.emit(probe_summary(done), "info" if all(r.ok for r in done)
                                 else "warning")
        return done

    async def check_online(self, names: Sequence[str] | None = None,
                           timeout_s: float = 2.0) -> dict[str, ServerStatus]:
        """Quick status check (``GET {base}/models``): online only when the server serves the
        entry's model; otherwise the precise state and what to do, in the status tooltip."""
        targets = [e for n in (list(names) if names is not None else self.doc.names())
                   if (e := self.doc.entry(n)) is not None]
        token = self.context.begin_activity("Checking which backends are running…")
        try:
            results = await check_statuses(self.context.http, targets,
                                           self.context.settings.backend, timeout_s)
        finally:
            self.context.end_activity(token)
        for entry in targets:
            if self.doc.entry(entry.name) is None:
                continue
            status = results[entry.name]
            text = status.describe(entry) + (
                "; click Probe to check that it answers and sees images" if status.online else "")
            self.doc.set_runtime(entry.name, server=status, probe_ok=None, probe_text=text)
        await check_replicas(self.context, self.doc, targets, timeout_s)
        return results

    # -- discovery and import ----
    async def discover(self, host: str = "127.0.0.1",
                       ports: Sequence[int] | None = None) -> list[Any]:
        from imageworks_gui.services.backends.discover import discover_backends

        token = self.context.begin_activity("Looking for local model servers…")
        try:
            return await discover_backends(self.context.http, host, ports)
        finally:
            self.context.end_activity(token)

    async def add_discovered(self, models: Sequence[Any]) -> tuple[list[str], list[str]]:
        """Add entries for discovered models not yet in the registry (names made unique), each
        vision-probed first: vision roles only for models that passed. Returns the new names
        and one note per model saying what its probe found."""
        from imageworks_gui.services.backends.discover import with_vision_checked

        candidates = merge_discovered(self.doc.entries, [m.to_registry_entry() for m in models])
        token = self.context.begin_activity(
            f"Checking that {len(candidates)} discovered model(s) see images…")
        limit = asyncio.Semaphore(4)

        async def one(entry: RegistryEntry) -> tuple[RegistryEntry, str]:
            async with limit:
                return await with_vision_checked(self.context.http, entry,
                                                 self.context.settings)

        try:
            checked = await asyncio.gather(*(one(c) for c in candidates))
        finally:
            self.context.end_activity(token)
        # Names are made unique again: the registry may have changed while probing.
        entries = merge_discovered(self.doc.entries, [e for e, _note in checked])
        if entries:
            self.doc.add_entries(entries, text=f"Add {len(entries)} discovered model(s)")
        return [e.name for e in entries], [note for _e, note in checked]

    async def plan_import(self, manifest: Path, *, hash_files: bool = False) -> Any:
        """The dry-run plan of importing a downloader manifest (nothing changes)."""
        from imageworks_gui.services.downloader_sync import plan_sync

        token = self.context.begin_activity(f"Reading {manifest.name}…")
        try:
            return await run_blocking(plan_sync, self.doc.entries, Path(manifest),
                                      hash_files=hash_files)
        finally:
            self.context.end_activity(token)

    def apply_import(self, plan: Any) -> int:
        """Apply a previewed plan as one undoable step; returns the number of entries touched."""
        from imageworks_gui.services.downloader_sync import apply_sync

        before = {e.name: e for e in self.doc.entries}
        after = apply_sync(self.doc.entries, plan)
        touched = 0
        stack = self.doc.undo_stack
        stack.beginMacro("Import from downloader manifest")
        try:
            for row, entry in enumerate(after):
                old = before.get(entry.name)
                if old is None:
                    self.doc.add_entries([entry], row=row, text=f"Import {entry.name}")
                    touched += 1
                elif self.apply_entry(entry.name, entry, f"Update {entry.name} from manifest"):
                    touched += 1
        finally:
            stack.endMacro()
        return touched
