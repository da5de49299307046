"""Prompt profiles: the validated shape of a prompt data file and its content hash."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from imageworks_gui.core.languages import (
    DEFAULT_LANGUAGE,
    language_instruction,
    language_problem,
)

STAGES: tuple[str, ...] = ("caption", "keywords", "description")
"""Tagging stages, in the order their results are shown."""

_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
_ALLOWED_PLACEHOLDERS = {"caption", "keywords", "max_keywords", "min_keywords"}
_PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class StagePrompt(BaseModel):
    """The messages and sampling settings of one stage.

    ``user`` may use ``{max_keywords}``, ``{min_keywords}`` and, for the description stage,
    ``{caption}`` and ``{keywords}`` (the results of the earlier stages).
    """

    model_config = ConfigDict(extra="forbid")

    system: str = ""
    user: str = Field(min_length=1)
    max_tokens: int = Field(default=256, ge=1, le=8192)
    temperature: float = Field(default=0.2, ge=0, le=2)
    top_p: float = Field(default=0.9, gt=0, le=1)

    @field_validator("user", "system")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        unknown = set(_PLACEHOLDER_RE.findall(value)) - _ALLOWED_PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(sorted(_ALLOWED_PLACEHOLDERS))}")
        return value

    def render(self, **values: object) -> str:
        """The user message with placeholders filled (missing values become empty)."""
        def sub(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            return "" if value is None else str(value)

        return _PLACEHOLDER_RE.sub(sub, self.user)


class PromptProfile(BaseModel):
    """A named set of prompts for the caption, keywords and description stages.

    ``language`` (ISO 639-1, default ``en``) is the language captions, descriptions and
    keywords are written in: for any other language every stage's system prompt says so.
    ``min_keywords``/``max_keywords`` are the profile's keyword count (a stock agency wants
    30-50, a family archive 5-10); unset, the ``tagging.max_keywords`` setting applies.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    language: str = DEFAULT_LANGUAGE
    min_keywords: int | None = Field(default=None, ge=1, le=200)
    max_keywords: int | None = Field(default=None, ge=1, le=200)
    stages: dict[str, StagePrompt]

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        problem = language_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _count_range(self) -> PromptProfile:
        low, high = self.min_keywords, self.max_keywords
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_keywords ({low}) is larger than max_keywords ({high})")
        return self

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _PROFILE_NAME_RE.match(value):
            raise ValueError("profile names use letters, digits, '.', '_' and '-' only")
        return value

    @field_validator("stages")
    @classmethod
    def _all_stages(cls, value: dict[str, StagePrompt]) -> dict[str, StagePrompt]:
        missing = [s for s in STAGES if s not in value]
        unknown = [s for s in value if s not in STAGES]
        if missing or unknown:
            parts = ([f"missing stage(s) {', '.join(missing)}"] if missing else []) + (
                [f"unknown stage(s) {', '.join(unknown)}"] if unknown else [])
            raise ValueError(f"{'; '.join(parts)} (stages: {', '.join(STAGES)})")
        return value

    def stage(self, stage: str) -> StagePrompt:
        """The prompt of ``stage`` (one of ``STAGES``) as sent: for a non-English profile its
        system prompt ends with the output-language instruction."""
        try:
            prompt = self.stages[stage]
        except KeyError:
            raise KeyError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}") from None
        if self.language == DEFAULT_LANGUAGE:
            return prompt
        system = " ".join(p for p in (prompt.system, language_instruction(self.language)) if p)
        return StagePrompt.model_validate({**prompt.model_dump(), "system": system})

    def keyword_range(self, fallback_max: int) -> tuple[int, int]:
        """(fewest, most) keywords to ask for: the profile's count, else 1 to ``fallback_max``."""
        high = self.max_keywords or fallback_max
        low = min(self.min_keywords or 1, high)
        return low, high

    def canonical_json(self) -> str:
        """The profile as canonical JSON (sorted keys, no insignificant white space)."""
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        """Content hash recorded with every result: any prompt change changes it."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def parse_profile(data: Any, source: str = "prompt profile") -> PromptProfile:
    """Validate decoded JSON as a profile; ValueError naming the source and fields otherwise."""
    from pydantic import ValidationError

    try:
        return PromptProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(profile)'}: {err['msg']}"
            for err in exc.errors())
        raise ValueError(f"{source}: invalid prompt profile: {problems}") from exc
