"""Fused tagging: one request for the stages one model serves, stage requests for bad fields."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from imageworks_gui.core.fused import (
    FusedAnswer,
    FusedPrompt,
    fused_prompt,
    fused_schema,
    parse_fused_answer,
)
from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.backends.adapters import response_format_for
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.endpoints import base_url_for
from imageworks_gui.services.backends.errors import (
    BackendError,
    BackendRequestError,
    BackendServerError,
)
from imageworks_gui.services.pipeline.roles import StageBinding
from imageworks_gui.services.pipeline.stages import chat_messages


def fused_stages(bindings: Mapping[str, StageBinding], served_names: Mapping[str, str | None],
                 enabled: bool = True) -> list[str]:
    """The stages to ask in one request: every stage of the run when they all resolve to the
    same registry entry, the same explicit served name and the same endpoint (and there are at
    least two); otherwise none, and each stage keeps its own request."""
    if not enabled or len(bindings) < 2:
        return []
    targets = {(b.entry.name, served_names.get(stage) or None, base_url_for(b.entry))
               for stage, b in bindings.items()}
    return list(bindings) if len(targets) == 1 else []


class FusedStage:
    """Asks one model for title, keywords and description at once and validates each field.

    ``run`` fills the fields that validated into the result and returns the stages still to
    be asked on their own (the fields that did not validate), recording ``request_mode`` and,
    per stage that fell back, why in ``fallback``.
    """

    def __init__(self, stages: Sequence[str], profile: PromptProfile, max_keywords: int,
                 banned: Iterable[str]) -> None:
        self.stages = list(stages)
        self.prompt: FusedPrompt = fused_prompt(profile, self.stages, max_keywords)
        self.schema = fused_schema(self.stages)
        self.max_keywords = max_keywords
        self.banned = list(banned)
        self.schema_refused = False
        """Set once the server refused the schema: the rest of the run sends the prompt only."""

    async def _ask(self, client: BackendClient, image_url: str,
                   response_format: dict[str, Any] | None) -> str:
        result = await client.chat(
            chat_messages(self.prompt.system, self.prompt.user, image_url),
            max_tokens=self.prompt.max_tokens, temperature=self.prompt.temperature,
            top_p=self.prompt.top_p, response_format=response_format)
        return result.text

    async def answer(self, client: BackendClient, image_url: str) -> FusedAnswer:
        """The validated fields; a server that refuses the schema (HTTP 400, or a server
        error naming ``response_format``) is asked again with the strict JSON prompt alone,
        for this photo and the rest of the run, and one that refuses that too leaves every
        field to its stage request. Other backend failures raise ``BackendError``."""
        fmt = (None if self.schema_refused
               else response_format_for(client.adapter, self.schema, "photo_metadata"))
        try:
            text = await self._ask(client, image_url, fmt)
        except (BackendRequestError, BackendServerError) as exc:
            if isinstance(exc, BackendServerError):
                if fmt is None or "response_format" not in str(exc):
                    raise
                self.schema_refused = True  # it named the schema: never send it again
            try:
                if fmt is None:
                    raise
                text = await self._ask(client, image_url, None)
                self.schema_refused = True
            except BackendRequestError as again:
                reason = f"the server refused the combined request ({again})"
                return FusedAnswer(failures={s: reason for s in self.stages})
        return parse_fused_answer(text, self.stages, self.max_keywords, self.banned)

    async def run(self, client: BackendClient, image_url: str, result: TagResult) -> list[str]:
        """Ask once; the stages left for separate requests (none when every field is good)."""
        t0 = time.perf_counter()
        try:
            answer = await self.answer(client, image_url)
        except BackendError as exc:
            # The server itself failed: separate requests would only fail the same way.
            result.request_mode = "fused"
            for stage in self.stages:
                result.errors[stage] = str(exc)
            return []
        finally:
            result.timings_ms["fused"] = round((time.perf_counter() - t0) * 1000, 1)
        for stage, value in answer.values.items():
            setattr(result, stage, value)
        if answer.failures:
            result.request_mode = "fused+fallback"
            result.fallback = dict(answer.failures)
        else:
            result.request_mode = "fused"
        return [s for s in self.stages if s in answer.failures]
