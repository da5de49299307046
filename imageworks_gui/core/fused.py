"""One request for every stage: the fused prompt and schema, and per-field answer validation."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from imageworks_gui.core.keywords import (
    KeywordParseError,
    keywords_from_answer,
    strip_code_fences,
    strip_reasoning,
)
from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.prose import ProseError, prose_from_answer

FUSED_KEYS: dict[str, str] = {"caption": "title", "keywords": "keywords",
                              "description": "description"}
"""The JSON field of each stage in a fused answer (the caption is the photo's title)."""

REQUEST_MODES: tuple[str, ...] = ("fused", "fused+fallback", "separate")
"""How a photo's stages were asked: one request, one request plus stage requests for the
fields that did not validate, or one request per stage."""


@dataclass(frozen=True)
class FusedPrompt:
    """The system and user text of a fused request and its sampling settings."""

    system: str
    user: str
    max_tokens: int
    temperature: float
    top_p: float


@dataclass
class FusedAnswer:
    """The fields of a fused answer that validated, and why each of the others did not."""

    values: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def fused_schema(stages: Sequence[str]) -> dict[str, Any]:
    """JSON schema of the fused answer for ``stages`` (sent as ``response_format``)."""
    props: dict[str, Any] = {}
    for stage in stages:
        if stage == "keywords":
            props["keywords"] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
        else:
            props[FUSED_KEYS[stage]] = {"type": "string", "minLength": 1}
    return {"type": "object", "properties": props,
            "required": [FUSED_KEYS[s] for s in stages], "additionalProperties": False}


def fused_prompt(profile: PromptProfile, stages: Sequence[str],
                 max_keywords: int) -> FusedPrompt:
    """The profile's stage prompts as one instruction asking for one JSON object.

    Each stage's user prompt becomes the instruction of its field; the description prompt's
    ``{caption}`` and ``{keywords}`` point at the fields written in the same answer. The
    budget is the sum of the stage budgets; sampling takes the most conservative stage.
    """
    prompts = [profile.stage(s) for s in stages]
    systems = list(dict.fromkeys(p.system.strip() for p in prompts if p.system.strip()))
    refs = {"caption": f'the "{FUSED_KEYS["caption"]}" you give',
            "keywords": 'the "keywords" you give', "max_keywords": max_keywords}
    lines = ["Look at this photo and fill in every field of one JSON object.", ""]
    for stage, prompt in zip(stages, prompts, strict=True):
        lines.append(f'"{FUSED_KEYS[stage]}": {prompt.render(**refs).strip()}')
    example = ", ".join('"keywords": ["..."]' if s == "keywords" else f'"{FUSED_KEYS[s]}": "..."'
                        for s in stages)
    lines += ["", "Whatever the instructions above say about the form of an answer, answer "
              "with this one JSON object only, plain text in its strings and no other text: "
              f"{{{example}}}"]
    return FusedPrompt(system="\n\n".join(systems), user="\n".join(lines),
                       max_tokens=sum(p.max_tokens for p in prompts),
                       temperature=min(p.temperature for p in prompts),
                       top_p=min(p.top_p for p in prompts))


def _decode_object(answer: str) -> dict[str, Any] | None:
    body = strip_code_fences(strip_reasoning(answer or ""))
    for text in (body, body[body.find("{"):body.rfind("}") + 1] if "{" in body else ""):
        if not text:
            continue
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            continue
        if isinstance(decoded, dict):
            return {str(k).strip().lower(): v for k, v in decoded.items()}
    return None


def parse_fused_answer(answer: str, stages: Sequence[str], max_keywords: int,
                       banned: Iterable[str] = ()) -> FusedAnswer:
    """Validate each field of a fused answer on its own.

    Title and description go through the prose rules of their stage (``core.prose``),
    keywords through the keyword parser; a field that is missing or fails records its reason
    in ``failures`` so only that stage is asked again. An answer that is no JSON object fails
    every field.
    """
    out = FusedAnswer()
    decoded = _decode_object(answer)
    if decoded is None:
        snippet = " ".join((answer or "").split())[:80]
        reason = f"the answer is not a JSON object ({snippet!r})"
        out.failures = {s: reason for s in stages}
        return out
    banned = list(banned)
    for stage in stages:
        key = FUSED_KEYS[stage]
        if key not in decoded or decoded[key] in (None, "", []):
            out.failures[stage] = f'the answer has no "{key}" field'
            continue
        value = decoded[key]
        try:
            if stage == "keywords":
                text = json.dumps({"keywords": value}) if isinstance(value, list) else str(value)
                out.values[stage] = keywords_from_answer(text, max_count=max_keywords,
                                                         banned=banned)
            else:
                if not isinstance(value, str):
                    raise ProseError(f'the "{key}" is {type(value).__name__}, not text')
                text = prose_from_answer(value, stage)
                if not text:
                    raise ProseError(f'the "{key}" is empty')
                out.values[stage] = text
        except (ProseError, KeywordParseError) as exc:
            out.failures[stage] = str(exc)
    return out

