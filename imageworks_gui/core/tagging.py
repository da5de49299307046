"""Tagging records: per-image results, run progress and their JSONL journal form."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imageworks_gui.core.jsonl import dumps_utf8, is_utf8_safe
from imageworks_gui.core.vocabulary import KeywordMapping

Status = Literal["ok", "failed", "skipped", "cancelled"]

JOURNAL_VERSION = 1
"""Version written into every journal record (``"v"``)."""


class StageModel(BaseModel):
    """Which model produced a stage's output (provenance)."""

    model_config = ConfigDict(extra="allow")

    name: str
    served_id: str | None = None
    backend: str | None = None
    aggregate_sha256: str | None = None


class TagResult(BaseModel):
    """The outcome of tagging one image.

    ``status`` is ``ok`` (every stage answered), ``failed`` (at least one stage or the image
    preparation failed; ``errors`` says why, per stage), ``skipped`` (resume or skip-tagged) or
    ``cancelled``. Partial results of a failed image are kept.
    """

    model_config = ConfigDict(extra="allow")

    path: str
    size: int | None = None
    mtime_ns: int | None = None
    status: Status
    caption: str | None = None
    keywords: list[str] = Field(default_factory=list)
    keyword_mapping: list[KeywordMapping] | None = None
    """With a vocabulary: per proposed keyword, what the model said, what it became and how."""
    description: str | None = None
    models: dict[str, StageModel] = Field(default_factory=dict)
    prompt_profile: str | None = None
    prompt_sha256: str | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    errors: dict[str, str] = Field(default_factory=dict)
    skip_reason: str | None = None
    finished_at: str | None = None
    metadata_written_at: str | None = None
    """When ``run`` wrote this result into the photo (``size``/``mtime_ns`` are then the
    file's values after that write, so ``--resume`` still recognises it)."""
    group_id: str | None = None
    """The burst this photo belongs to (absent for a photo tagged on its own)."""
    representative: str | None = None
    """The burst frame that was tagged; a member's proposal is a copy of its proposal."""
    request_mode: str | None = None
    """How the stages were asked: ``fused`` (one request for every stage), ``fused+fallback``
    (one request, then a stage request for each field in ``fallback``) or ``separate``."""
    fallback: dict[str, str] | None = None
    """Per stage whose field in the fused answer did not validate: why (it was asked again)."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def inherited(self) -> bool:
        """True for a burst member whose proposal was copied from its representative."""
        return self.representative is not None and self.representative != self.path

    @property
    def error_message(self) -> str:
        """All errors as one line, ``stage: message; ...``."""
        return "; ".join(f"{stage}: {msg}" for stage, msg in self.errors.items())

    def matches_file(self, size: int, mtime_ns: int) -> bool:
        """True when the record was made for a file of this size and modification time."""
        return self.size == size and self.mtime_ns == mtime_ns

    @property
    def file_path(self) -> Path:
        return Path(self.path)


class Progress(BaseModel):
    """Run progress reported after every image.

    ``total`` grows while discovery is still streaming (``discovering`` is then true);
    ``eta_s`` is None until a rate is known.
    """

    done: int = 0
    total: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    in_flight: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    discovering: bool = False
    paused: bool = False
    current: str | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class JournalError(ValueError):
    """A journal line could not be read."""


PATH_BYTES_KEY = "path_b64"
"""Journal field holding a non-UTF-8 path's exact bytes (base64), for a lossless read-back."""


def path_bytes_b64(path: str) -> str:
    """The file system bytes of ``path`` as base64 (``os.fsencode`` keeps undecodable bytes)."""
    return base64.b64encode(os.fsencode(path)).decode("ascii")


def to_journal_line(result: TagResult) -> str:
    """One JSON line (no trailing newline) for the JSONL journal.

    A record whose text is not valid UTF-8 (a file name holding bytes such as ``0xE9``) is
    written ASCII-escaped, and a non-UTF-8 ``path`` also as its exact bytes (``path_b64``),
    so the line is always valid UTF-8 and reads back to the same path.
    """
    data = {"v": JOURNAL_VERSION, **result.model_dump(mode="json", exclude_none=True)}
    data.pop(PATH_BYTES_KEY, None)
    if not is_utf8_safe(result.path):
        data[PATH_BYTES_KEY] = path_bytes_b64(result.path)
    return dumps_utf8(data, separators=(",", ":"))


def from_journal_line(line: str) -> TagResult:
    """Parse one journal line; ``JournalError`` on invalid JSON or shape."""
    try:
        data: Any = json.loads(line)
    except ValueError as exc:
        raise JournalError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise JournalError("a journal record must be a JSON object")
    data.pop("v", None)
    raw_path = data.pop(PATH_BYTES_KEY, None)
    if isinstance(raw_path, str):
        try:
            data["path"] = os.fsdecode(base64.b64decode(raw_path, validate=True))
        except ValueError as exc:
            raise JournalError(f"{PATH_BYTES_KEY} is not base64: {exc}") from exc
    try:
        return TagResult.model_validate(data)
    except ValidationError as exc:
        raise JournalError(f"not a tagging record: {exc.errors()[0]['msg']}") from exc
