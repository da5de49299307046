"""TaggingPipeline: role-resolved, bounded-concurrency tagging of a stream of images."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from imageworks_gui.core.keyword_constraint import plan_constraint
from imageworks_gui.core.prompts import STAGES, PromptProfile
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import Progress, TagResult
from imageworks_gui.core.vocabulary_mapping import VocabularyPolicy
from imageworks_gui.services.backends.client import BackendClient, EndpointLimits
from imageworks_gui.services.backends.endpoints import base_url_for
from imageworks_gui.services.backends.locality import entry_off_machine_warning
from imageworks_gui.services.backends.probes import ProbeReport, probe_entry
from imageworks_gui.services.backends.replica_preflight import preflight_replicas
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.logs import log_event
from imageworks_gui.services.pipeline.fused import FusedStage, fused_stages
from imageworks_gui.services.pipeline.groups import BurstGrouper, BurstPlan
from imageworks_gui.services.pipeline.image_work import RESUMED_REASON, ImageWork
from imageworks_gui.services.pipeline.journal import JournalWriter
from imageworks_gui.services.pipeline.outcome import PreflightError, RunOutcome
from imageworks_gui.services.pipeline.resume_index import ResumeIndex
from imageworks_gui.services.pipeline.roles import StageBinding, resolve_stages
from imageworks_gui.services.pipeline.sources import aiter_paths, usable_cpus
from imageworks_gui.services.prompt_profiles import load_prompt_profile
from imageworks_gui.services.thumbnails import RawPreview, exiftool_raw_preview

log = logging.getLogger("imageworks.pipeline")

ResultSink = Callable[[TagResult], None]
ProgressSink = Callable[[Progress], None]


class TaggingPipeline(ImageWork):
    """Tags images with role-resolved models; usable from any asyncio loop (qasync included).

    Construct it with the shared ``httpx.AsyncClient``, the registry entries, the settings,
    ``roles`` (stage -> role name, default the stage name), ``preferred`` (stage -> preferred
    entry name), ``served_names`` (stage -> explicit served model name) and a prompt profile
    (default: ``settings.tagging.prompt_profile``). Roles are resolved once per pipeline (one
    pipeline per run) and logged with ``event_type=role_resolution``; resolution failures raise
    ``RoleResolutionError`` from ``resolve()``, ``preflight()`` or ``run()``.

    ``run()`` delivers each ``TagResult`` to ``on_result`` as soon as the image finishes
    (statuses ok/failed/skipped/cancelled) and a ``Progress`` after every image; it returns a
    ``RunOutcome``. ``pause()`` stops new images from starting, ``resume()`` continues and
    ``cancel()`` stops promptly: in-flight images are reported as ``cancelled`` and never
    journaled, so the journal only holds finished images and ``resume=True`` picks up the rest.

    Requests per backend endpoint are limited by ``backend_config.max_concurrency`` (or
    ``concurrency``, else ``settings.backend.default_concurrency``); about twice that many
    images are in flight so every slot stays busy. ``has_keywords(path)`` (blocking, run in the
    executor) skips images that already carry keywords. With ``resume=True`` unchanged images
    whose last journal record is ``ok`` come back as ``skipped`` copies of that record. A
    failing image never stops the run; its ``errors`` say why, per stage. Loading the default
    prompt profile may raise ``PromptProfileError`` from the constructor.

    With a ``grouper`` (``pipeline.groups``) one frame per burst is tagged; the members get
    copies of its proposal, delivered and journaled right after it.

    With ``fused`` (default ``settings.tagging.fused``) and every stage resolved to the same
    model on the same server, each photo costs one request (``pipeline.fused``); fields of
    that answer that do not validate are asked again by their own stage.
    """

    def __init__(self, http: httpx.AsyncClient, entries: Sequence[RegistryEntry],
                 settings: Settings, *, roles: Mapping[str, str] | None = None,
                 preferred: Mapping[str, str | None] | None = None,
                 served_names: Mapping[str, str | None] | None = None,
                 prompt_profile: PromptProfile | None = None,
                 stages: Sequence[str] = STAGES, max_keywords: int | None = None,
                 grouper: BurstGrouper | None = None,
                 concurrency: int | None = None, journal_path: Path | None = None,
                 resume: bool = False, has_keywords: Callable[[Path], bool] | None = None,
                 raw_preview: RawPreview = exiftool_raw_preview,
                 backoff_base_s: float = 0.5,
                 vocabulary: VocabularyPolicy | None = None,
                 fused: bool | None = None) -> None:
        self.http = http
        self.entries = list(entries)
        self.settings = settings
        self.roles = dict(roles or {})
        self.preferred = dict(preferred or {})
        self.served_names = dict(served_names or {})
        self.profile = prompt_profile or load_prompt_profile(settings.tagging.prompt_profile)
        self.stages = [s for s in STAGES if s in stages]
        # An explicit limit beats the profile's keyword count, which beats the setting.
        self.max_keywords = (max_keywords or self.profile.max_keywords
                             or settings.tagging.max_keywords)
        self.min_keywords = min(self.profile.min_keywords or 1, self.max_keywords)
        self.concurrency = concurrency
        self.journal_path = journal_path
        self.resume_journal = resume
        self.has_keywords = has_keywords
        self.grouper = grouper
        self.raw_preview = raw_preview
        self.backoff_base_s = backoff_base_s
        # Maps each photo's keywords (in the profile's language) before they are journaled.
        self.vocabulary = vocabulary.for_language(self.profile.language) if vocabulary else None
        self.keyword_constraint = plan_constraint(
            vocabulary.mapper.vocabularies, vocabulary.mode, settings.vocabulary,
            settings.tagging.banned_keywords) if vocabulary else None
        self.fused = settings.tagging.fused if fused is None else fused
        self.limits = EndpointLimits(settings.backend)
        self._fused: FusedStage | None = None
        self._bindings: dict[str, StageBinding] | None = None
        self._clients: dict[str, BackendClient] = {}
        self._running = asyncio.Event()
        self._running.set()
        self._cancelled = False
        self._tasks: dict[asyncio.Task[TagResult], Path] = {}
        # Decoding is CPU-bound: one at a time per core gets the first images to the
        # backends soonest; more in parallel would only slow each other down.
        self._prepare_slots = asyncio.Semaphore(usable_cpus())

    # ------------------------------------------------------------------ resolution
    def resolve(self) -> dict[str, StageBinding]:
        """Stage -> binding, resolved and logged once."""
        if self._bindings is None:
            self._bindings = resolve_stages(self.entries, self.stages, self.roles, self.preferred)
            warned: set[str] = set()
            for binding in self._bindings.values():
                entry = binding.entry
                warning = entry_off_machine_warning(entry)
                if warning and base_url_for(entry) not in warned:  # once per endpoint and run
                    warned.add(base_url_for(entry))
                    log_event(log, "off_machine_endpoint", warning, level=logging.WARNING,
                              entry=entry.name, base_url=base_url_for(entry))
                if entry.name not in self._clients:
                    self._clients[entry.name] = BackendClient(
                        self.http, entry, self.settings.backend,
                        limits=self.limits, concurrency=self.concurrency,
                        served_name=self.served_names.get(binding.stage),
                        backoff_base_s=self.backoff_base_s)
            together = fused_stages(self._bindings, self.served_names, self.fused)
            if together:
                self._fused = FusedStage(together, self.profile, self.max_keywords,
                                         self.settings.tagging.banned_keywords)
        return self._bindings

    @property
    def request_mode(self) -> str:
        """``fused`` when this run asks once per photo, else ``separate``."""
        self.resolve()
        return "fused" if self._fused is not None else "separate"

    def client_for(self, stage: str) -> BackendClient:
        return self._clients[self.resolve()[stage].entry.name]

    @property
    def long_edge(self) -> int:
        """The model input size: the largest ``metadata.vision_target_long_edge`` of the
        resolved entries, else ``settings.tagging.image_long_edge``."""
        edges = []
        for binding in self.resolve().values():
            value = binding.entry.metadata.get("vision_target_long_edge")
            if isinstance(value, int) and 64 <= value <= 8192:
                edges.append(value)
        return max(edges) if edges else self.settings.tagging.image_long_edge

    @property
    def window(self) -> int:
        """Images in flight: twice the total endpoint slots, so every slot stays busy."""
        self.resolve()
        return 2 * max(1, self.limits.total_slots) + 2

    async def preflight(self, raise_on_failure: bool = True) -> list[ProbeReport]:
        """Probe every resolved model (server up, name served, text chat, vision probe).

        Returns one report per distinct model; raises ``PreflightError`` when one failed and
        ``raise_on_failure`` is true.
        """
        bindings = self.resolve()
        names = list(dict.fromkeys(b.entry.name for b in bindings.values()))
        reports = await asyncio.gather(*(self._preflight_one(self._clients[n]) for n in names))
        if raise_on_failure and any(not r.ok for r in reports):
            raise PreflightError(list(reports))
        return list(reports)

    async def _preflight_one(self, client: BackendClient) -> ProbeReport:
        if len(client.pool.states) > 1:  # each replica on its own, unfit ones left out
            return await preflight_replicas(self.http, client, self.settings)
        return await probe_entry(self.http, client.entry, self.settings, check_vision=True,
                                 backend=client)

    async def aclose(self) -> None:
        """Stop the replicas' background health checks (call when the run is over)."""
        for client in self._clients.values():
            await client.pool.aclose()

    # ------------------------------------------------------------------ control
    def pause(self) -> None:
        """Start no new image until ``resume()``; requests in flight finish."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        """Stop promptly: in-flight images are cancelled and reported as ``cancelled``."""
        self._cancelled = True
        self._running.set()
        for task in list(self._tasks):
            task.cancel()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    # ------------------------------------------------------------------ the run
    async def run(self, paths: Iterable[Path] | AsyncIterable[Path],
                  on_result: ResultSink | None = None,
                  on_progress: ProgressSink | None = None) -> RunOutcome:
        """Tag ``paths`` (a list, a generator or an async stream such as ``aiter_images``).

        Results are delivered to ``on_result`` as they complete and journaled (when a journal
        path was given) before delivery; ``on_result`` is where callers plug in writing.
        """
        bindings = self.resolve()
        outcome = RunOutcome(bindings=bindings)
        log_event(log, "run_started", f"tagging run started ({', '.join(self.stages)})",
                  stages=self.stages, models={s: b.entry.name for s, b in bindings.items()},
                  journal=str(self.journal_path) if self.journal_path else None,
                  resume=self.resume_journal, keyword_constraint=self.keyword_constraint.kind
                  if self.keyword_constraint is not None else None)
        # Only size, time and offset per finished photo: memory stays flat for big journals.
        done_index = ResumeIndex(self.journal_path if self.resume_journal else None)
        journal = JournalWriter(self.journal_path, append=self.resume_journal) if (
            self.journal_path) else None
        progress = Progress(discovering=True)
        start = time.perf_counter()
        work_done = 0  # photos tagged (ok or failed) in this run, for the ETA
        plan: BurstPlan | None = None

        def emit(current: str | None = None) -> None:
            progress.elapsed_s = round(time.perf_counter() - start, 2)
            progress.in_flight = len(self._tasks)
            progress.paused = self.paused
            progress.current = current
            remaining = progress.total - progress.done
            if work_done and not progress.discovering:
                rate = work_done / max(1e-6, time.perf_counter() - start)
                progress.eta_s = round(remaining / rate, 1)
            elif not remaining:
                progress.eta_s = 0.0
            if on_progress is not None:
                on_progress(progress.model_copy())

        async def finish(task: asyncio.Task[TagResult]) -> None:
            path = self._tasks.pop(task)
            if task.cancelled():
                result = self._base(path)
                result.status = "cancelled"
            elif task.exception() is not None:
                # A bug or an injected hook failing must not end the run: this image fails.
                exc = task.exception()
                log.error("unexpected error while tagging %s", path, exc_info=exc)
                result = self._fail(self._base(path), "internal",
                                    f"unexpected error: {type(exc).__name__}: {exc}")
            else:
                result = task.result()
            expanded = [result] if plan is None else await plan.expand(
                result, self._base, done_index, RESUMED_REASON)
            for item in expanded:
                await deliver(item)

        async def deliver(result: TagResult) -> None:
            result.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
            if self.vocabulary is not None:  # fuzzy matching a large vocabulary takes a while
                await run_blocking(self.vocabulary.apply_to, result)
            journaled = result.status != "cancelled" and result.skip_reason != RESUMED_REASON
            if journal is not None and journaled:
                journal.write(result)
                await run_blocking(journal.sync)
            outcome_count(result)
            if result.status == "failed":
                log_event(log, "image_failed", f"{result.path}: {result.error_message}",
                          path=result.path, errors=result.errors)
            if on_result is not None:
                on_result(result)
            emit(result.path)

        def outcome_count(result: TagResult) -> None:
            nonlocal work_done
            progress.done += 1
            outcome.count_requests(result)
            if result.status == "ok":
                outcome.ok += 1
                work_done += 1
            elif result.status == "failed":
                outcome.failed += 1
                progress.failed += 1
                outcome.add_failure(result)
                work_done += 1
            elif result.status == "skipped":
                outcome.skipped += 1
                progress.skipped += 1
            else:
                outcome.cancelled += 1
                progress.cancelled += 1

        async def drain(limit: int) -> None:
            while len(self._tasks) > limit:
                done, _ = await asyncio.wait(list(self._tasks),
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    await finish(task)

        window = self.window
        source = aiter_paths(paths)
        try:
            emit()
            if self.grouper is not None:
                plan = await self.grouper.plan(source, self.has_keywords)
                source = plan.source()
            async for path in source:
                if self._cancelled:
                    break
                await self._running.wait()
                if self._cancelled:
                    break
                progress.total += 1 if plan is None else plan.size(path)
                task = asyncio.ensure_future(self._process(Path(path), done_index))
                self._tasks[task] = Path(path)
                await drain(window - 1)
            progress.discovering = False
            emit()
            await drain(0)
        except BaseException:
            self.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.shield(drain(0))
            raise
        finally:
            with contextlib.suppress(Exception):
                await source.aclose()  # stops a streaming discovery walk
            with contextlib.suppress(Exception):
                await self.aclose()
            progress.discovering = False
            outcome.total = progress.total
            outcome.was_cancelled = self._cancelled
            outcome.elapsed_s = round(time.perf_counter() - start, 3)
            if journal is not None:
                journal.close()
            log_event(log, "run_finished", f"tagging run finished: {outcome.ok} ok, "
                      f"{outcome.failed} failed, {outcome.skipped} skipped, {outcome.cancelled} "
                      f"cancelled", total=outcome.total, ok=outcome.ok, failed=outcome.failed,
                      skipped=outcome.skipped, cancelled=outcome.cancelled,
                      was_cancelled=outcome.was_cancelled, elapsed_s=outcome.elapsed_s)
        emit()
        return outcome
