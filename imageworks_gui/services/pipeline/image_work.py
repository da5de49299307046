"""The work on one image of a tagging run: resume lookup, preparation, stages, provenance."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from pathlib import Path

from imageworks_gui.core.keyword_constraint import KeywordConstraint
from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.errors import BackendError
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.images import (
    ImagePreparationError,
    PreparedImage,
    prepare_image_async,
)
from imageworks_gui.services.pipeline.fused import FusedStage
from imageworks_gui.services.pipeline.resume_index import ResumeIndex
from imageworks_gui.services.pipeline.roles import StageBinding
from imageworks_gui.services.pipeline.stages import (
    StageError,
    run_keywords_stage,
    run_text_stage,
)
from imageworks_gui.services.thumbnails import RawPreview

RESUMED_REASON = "already tagged in this journal"


class ImageWork:
    """Part of ``TaggingPipeline``: tags one image (its attributes are the pipeline's)."""

    settings: Settings
    profile: PromptProfile
    stages: list[str]
    max_keywords: int
    min_keywords: int
    has_keywords: Callable[[Path], bool] | None
    raw_preview: RawPreview
    keyword_constraint: KeywordConstraint | None
    _fused: FusedStage | None
    _running: asyncio.Event
    _prepare_slots: asyncio.Semaphore
    # Defined by TaggingPipeline (the model input size, a stage's client, the resolution).
    long_edge: int
    client_for: Callable[[str], BackendClient]
    resolve: Callable[[], dict[str, StageBinding]]

    def _base(self, path: Path) -> TagResult:
        return TagResult(path=str(path), status="ok", prompt_profile=self.profile.name,
                         prompt_sha256=self.profile.sha256)

    async def _process(self, path: Path, done_index: ResumeIndex) -> TagResult:
        started = time.perf_counter()
        result = self._base(path)
        try:
            st = await run_blocking(path.stat)
            result.size, result.mtime_ns = st.st_size, st.st_mtime_ns
        except OSError as exc:
            return self._fail(result, "file", f"{path.name}: cannot read it "
                                              f"({exc.strerror or exc})")
        previous = done_index.lookup(str(path.absolute()), st.st_size, st.st_mtime_ns)
        if previous is not None:
            # The journal already holds this image's record: report it, do not repeat it.
            return previous.model_copy(update={"status": "skipped",
                                               "skip_reason": RESUMED_REASON})
        if self.has_keywords is not None and await run_blocking(self.has_keywords, path):
            result.status, result.skip_reason = "skipped", "already has keywords"
            return result
        t0 = time.perf_counter()
        try:
            async with self._prepare_slots:
                prepared: PreparedImage = await prepare_image_async(
                    path, self.long_edge, self.settings.tagging.jpeg_quality, self.raw_preview)
        except ImagePreparationError as exc:
            return self._fail(result, "image", str(exc))
        result.timings_ms["prepare"] = round((time.perf_counter() - t0) * 1000, 1)
        result.timings_ms["prepare_cpu"] = round(prepared.cpu_ms, 1)
        image_url = "data:image/jpeg;base64," + base64.b64encode(prepared.jpeg).decode("ascii")
        del prepared
        pending = self.stages
        if self._fused is not None:
            pending = await self._fused.run(self.client_for(self.stages[0]), image_url, result)
            for stage in self._fused.stages:
                self._provenance(stage, result)
        else:
            result.request_mode = "separate"
        first = [s for s in ("caption", "keywords") if s in pending]
        await asyncio.gather(*(self._stage(s, image_url, result) for s in first))
        if "description" in pending:
            await self._running.wait()
            await self._stage("description", image_url, result, caption=result.caption or "",
                              keywords=", ".join(result.keywords))
        if result.errors:
            result.status = "failed"
        result.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 1)
        return result

    async def _stage(self, stage: str, image_url: str, result: TagResult,
                     **values: object) -> None:
        client = self.client_for(stage)
        prompt = self.profile.stage(stage)
        t0 = time.perf_counter()
        try:
            if stage == "keywords":
                result.keywords = await run_keywords_stage(
                    client, prompt, image_url, self.max_keywords,
                    self.settings.tagging.banned_keywords, min_keywords=self.min_keywords,
                    constraint=self.keyword_constraint)
            else:
                text = await run_text_stage(client, stage, prompt, image_url, **values)
                setattr(result, stage, text)
        except (BackendError, StageError) as exc:
            result.errors[stage] = str(exc)
        finally:
            result.timings_ms[stage] = round((time.perf_counter() - t0) * 1000, 1)
        self._provenance(stage, result)

    def _provenance(self, stage: str, result: TagResult) -> None:
        client = self.client_for(stage)
        served = client.served_name or client.entry.served_model_id
        result.models[stage] = self.resolve()[stage].provenance(served)

    @staticmethod
    def _fail(result: TagResult, stage: str, message: str) -> TagResult:
        result.status = "failed"
        result.errors[stage] = message
        return result

