"""Runs the tagging pipeline for the open folder: preflight, queueing, progress, pause, cancel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from imageworks_gui.core import review as rv
from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.core.review import ReviewState
from imageworks_gui.core.tagging import Progress, TagResult
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.tagging.roles import preflight_message
from imageworks_gui.gui.tagging.state import ReviewHost, RunState, Severity
from imageworks_gui.services.pipeline.runner import PreflightError, TaggingPipeline

RUN_SCOPES = ("all", "selection", "untagged")

QUEUE_CHUNK = 250
"""Photos marked queued per event-loop turn when a run starts."""


class RunController(QObject):
    """One tagging run at a time; results land in the host's reviews as they arrive."""

    progress_changed = Signal(object)
    """A ``Progress``, or None when there is no run to report (a newly opened folder)."""
    run_state_changed = Signal(object)
    """A ``RunState``."""

    def __init__(self, host: ReviewHost, context: AppContext,
                 make_pipeline: Callable[[], TaggingPipeline],
                 on_proposal: Callable[[str], None], parent: QObject | None = None,
                 prepare: Callable[[], Awaitable[bool]] | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.context = context
        self._make_pipeline = make_pipeline
        self._prepare = prepare
        """Runs before the pipeline is made (loads the vocabularies); False: do not start."""
        self._on_proposal = on_proposal
        self.state = RunState.IDLE
        self.pipeline: TaggingPipeline | None = None
        self.last_progress: Progress | None = None
        self.task: asyncio.Task[Any] | None = None
        self._previous_states: dict[str, ReviewState] = {}
        self._total = 0
        self._paused_since: float | None = None
        self._paused_s = 0.0
        self._cancel_preflight = False

    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.run_state_changed.emit(state)

    def paths_for(self, scope: str, selection: Sequence[str] = ()) -> list[str]:
        session = self.host.session
        if scope == "all":
            return session.paths()
        if scope == "selection":
            return [p for p in selection if p in session]
        if scope == "untagged":
            return [r.path for r in session if r.state in ("untagged", "failed")]
        raise ValueError(f"unknown run scope {scope!r}; choose one of {', '.join(RUN_SCOPES)}")

    def forget_progress(self) -> None:
        """A new folder: the last run's counts and ETA no longer describe anything shown."""
        self.last_progress = None
        self.progress_changed.emit(None)

    async def run(self, paths: list[str]) -> bool:
        """Preflight, then tag ``paths``; False when it could not start."""
        host = self.host
        self.task = asyncio.current_task()
        self._cancel_preflight = False
        self._set_state(RunState.PREFLIGHT)
        host.notify(Severity.INFO, "Checking that the model servers are running…")
        token = self.context.begin_activity("Checking model servers…")
        try:
            if self._prepare is not None and not await self._prepare():
                self._set_state(RunState.IDLE)
                return False
            pipeline = self._make_pipeline()
            reports = await pipeline.preflight()
        except asyncio.CancelledError:
            self._set_state(RunState.IDLE)
            if not self._cancel_preflight:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()  # our own cancel, handled here
            host.notify(Severity.INFO, "Cancelled while checking the model servers: nothing "
                                       "was tagged.")
            return False
        except RoleResolutionError as exc:
            self._set_state(RunState.IDLE)
            host.notify(Severity.ERROR, f"{exc}. Choose another model in the role pickers or "
                                        f"fix the registry in the Models workspace.")
            return False
        except PreflightError as exc:
            self._set_state(RunState.IDLE)
            host.notify(Severity.ERROR, preflight_message(exc, self.context.registry))
            return False
        finally:
            self.context.end_activity(token)
        self.pipeline = pipeline
        self._total = len(paths)
        self._paused_s, self._paused_since = 0.0, None
        self.last_progress = None
        host.drop_edit_history()
        session = host.session
        self._previous_states = {p: session.get(p).state for p in paths}
        notes = [f"{r.entry}: {note}" for r in reports for note in r.replica_notes]
        host.notify(Severity.WARNING if notes else Severity.INFO,
                    f"Tagging {len(paths)} photo(s): review proposals as they arrive."
                    + (" Not used: " + "; ".join(notes) if notes else ""))
        for start in range(0, len(paths), QUEUE_CHUNK):
            # Queued badges appear in slices so a 10,000-photo run never freezes the window.
            if start:
                await asyncio.sleep(0)
            host.put([rv.queue(session.get(p)) for p in paths[start:start + QUEUE_CHUNK]
                      if p in session], save=False)
        self._set_state(RunState.RUNNING)
        try:
            outcome = await pipeline.run([Path(p) for p in paths], on_result=self._on_result,
                                         on_progress=self._on_progress)
        except asyncio.CancelledError:
            self._restore_queued()
            self._set_state(RunState.IDLE)
            raise
        finally:
            self.pipeline = None
        self._restore_queued()
        await host.save_now()
        parts = [f"{outcome.ok} proposed"]
        if outcome.failed:
            parts.append(f"{outcome.failed} failed (hover a red badge for the reason)")
        if outcome.was_cancelled:
            parts.append(f"cancelled with {outcome.cancelled} not tagged")
        if notes:  # still true at the end: the run did without these replicas
            parts.append("not used: " + "; ".join(notes))
        host.notify(Severity.WARNING if notes else Severity.of_failures(outcome.failed),
                    "Tagging finished: " + ", ".join(parts) + ".")
        self._set_state(RunState.IDLE)
        return True

    def _restore_queued(self) -> None:
        left = self.host.session.in_state("queued")
        if left:
            self.host.put([rv.unqueue(r, self._previous_states.get(r.path, "untagged"))
                           for r in left], save=False)

    def _on_result(self, result: TagResult) -> None:
        session = self.host.session
        if result.path not in session:
            return
        review = rv.apply_result(session.get(result.path), result)
        if review.state == "queued":
            review = rv.unqueue(review, self._previous_states.get(result.path, "untagged"))
        self.host.put([review])
        if review.state == "proposed" and not review.existing_loaded:
            self._on_proposal(review.path)

    def _on_progress(self, progress: Progress) -> None:
        # The pipeline counts photos as it starts them; the run's size is known up front.
        total = max(progress.total, self._total)
        paused = self.state == RunState.PAUSED
        eta = progress.eta_s
        if paused and self.last_progress is not None:
            eta = self.last_progress.eta_s  # no time passes for the ETA while paused
        elif total and progress.done >= total:
            eta = 0.0
        elif progress.done:
            active = max(0.0, progress.elapsed_s - self._paused_time())
            if active > 0:
                eta = round((total - progress.done) * active / progress.done, 1)
        self.last_progress = Progress.model_validate({
            **progress.model_dump(), "total": total, "discovering": False, "eta_s": eta,
            "paused": paused})
        self.progress_changed.emit(self.last_progress)

    def _paused_time(self) -> float:
        ongoing = time.monotonic() - self._paused_since if self._paused_since else 0.0
        return self._paused_s + ongoing

    def _reemit_progress(self) -> None:
        if self.last_progress is not None:
            self.last_progress = Progress.model_validate({
                **self.last_progress.model_dump(), "paused": self.state == RunState.PAUSED})
            self.progress_changed.emit(self.last_progress)

    def pause(self) -> None:
        if self.pipeline is not None and self.state == RunState.RUNNING:
            self.pipeline.pause()
            self._paused_since = time.monotonic()
            self._set_state(RunState.PAUSED)
            self._reemit_progress()

    def resume(self) -> None:
        if self.pipeline is not None and self.state == RunState.PAUSED:
            self.pipeline.resume()
            if self._paused_since is not None:
                self._paused_s += time.monotonic() - self._paused_since
                self._paused_since = None
            self._set_state(RunState.RUNNING)
            self._reemit_progress()

    def cancel(self) -> None:
        if self.state == RunState.PREFLIGHT and self.task is not None:
            self._cancel_preflight = True  # the checks stop; run() reports it and returns
            self.task.cancel()
        elif self.pipeline is not None and self.state.active:
            self._set_state(RunState.CANCELLING)
            self.pipeline.cancel()
