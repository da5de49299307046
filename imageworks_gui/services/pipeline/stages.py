"""The three tagging stages: build the request, call the model, validate the answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from imageworks_gui.core.keyword_constraint import KeywordConstraint
from imageworks_gui.core.keywords import KeywordParseError, keywords_from_answer
from imageworks_gui.core.prompts import StagePrompt
from imageworks_gui.core.prose import ProseError, prose_from_answer
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.errors import BackendRequestError
from imageworks_gui.services.pipeline.constrain import keyword_request, with_hint


class StageError(Exception):
    """A stage got an answer it cannot use; the message quotes what the model said."""


def chat_messages(system: str, text: str, image_url: str) -> list[dict[str, Any]]:
    """System + user messages with the image as a data URL part."""
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": [
        {"type": "text", "text": text},
        {"type": "image_url", "image_url": {"url": image_url}},
    ]})
    return messages


def stage_messages(prompt: StagePrompt, image_url: str, **values: object) -> list[dict[str, Any]]:
    """The messages of one stage, its placeholders filled."""
    return chat_messages(prompt.system, prompt.render(**values), image_url)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:120] + ("..." if len(flat) > 120 else "")


async def _ask(client: BackendClient, prompt: StagePrompt, image_url: str,
               response_format: dict[str, Any] | None = None, hint: str = "",
               **values: object) -> str:
    messages = with_hint(stage_messages(prompt, image_url, **values), hint)
    result = await client.chat(messages,
                               max_tokens=prompt.max_tokens, temperature=prompt.temperature,
                               top_p=prompt.top_p, response_format=response_format)
    return result.text


async def run_text_stage(client: BackendClient, stage: str, prompt: StagePrompt, image_url: str,
                         **values: object) -> str:
    """Caption or description: the prose the model meant (reasoning blocks, fences, quotes
    removed; the text field of a JSON answer). An answer that is data, not prose, fails the
    stage with the reason."""
    answer = await _ask(client, prompt, image_url, **values)
    try:
        text = prose_from_answer(answer, stage)
    except ProseError as exc:
        raise StageError(f"model {client.entry.name!r}: {exc}; the {stage} was not used. Try "
                         f"again, or give the {stage} prompt a plain-text instruction") from exc
    if not text:
        raise StageError(f"model {client.entry.name!r} returned an empty {stage}: check its "
                         f"prompt profile and max_tokens")
    return text


async def run_keywords_stage(client: BackendClient, prompt: StagePrompt, image_url: str,
                             max_keywords: int, banned: Iterable[str], *,
                             min_keywords: int = 1,
                             constraint: KeywordConstraint | None = None) -> list[str]:
    """Keywords as structured JSON when the backend supports it, parsed leniently otherwise.

    With a ``constraint`` the schema's keyword items are an enum of vocabulary terms (when it
    has one) and the prompt lists the terms (``pipeline.constrain``). A server that refuses
    ``response_format`` (HTTP 400) is asked once more without it.
    """
    request = keyword_request(client.adapter, max_keywords, min_keywords, constraint)
    fmt, counts = request.response_format, {"max_keywords": request.max_keywords,
                                            "min_keywords": request.min_keywords}
    try:
        text = await _ask(client, prompt, image_url, fmt, request.hint, **counts)
    except BackendRequestError:
        if fmt is None:
            raise
        text = await _ask(client, prompt, image_url, None, request.hint, **counts)
    try:
        return keywords_from_answer(text, max_count=max_keywords, banned=banned)
    except KeywordParseError as exc:
        raise StageError(f"model {client.entry.name!r}: {exc} (answer: "
                         f"{_snippet(text)!r})") from exc
