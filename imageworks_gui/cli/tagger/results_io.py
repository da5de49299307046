"""Turn tagging result records (possibly hand-edited JSONL) into approved write proposals."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imageworks_gui.core.keyword_paths import proposal_keywords
from imageworks_gui.core.metadata import Proposal, Provenance
from imageworks_gui.core.tagging import JournalError, TagResult, from_journal_line
from imageworks_gui.services.metadata.journal import OwnTransitions, changed_only_by_us

_TRUE = {"true", "yes", "1", "y", "approved"}
_FALSE = {"false", "no", "0", "n", "rejected", ""}


@dataclass(frozen=True)
class ResultLine:
    """One usable record of a results file, with its line number for messages."""

    line: int
    result: TagResult


def load_results(path: Path) -> tuple[list[ResultLine], list[str]]:
    """Every record of a results JSONL, plus one clear message per unusable line.

    Blank lines and lines starting with ``#`` are ignored, so a reviewer may annotate the file.
    """
    records: list[ResultLine] = []
    problems: list[str] = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
            except UnicodeDecodeError as exc:
                problems.append(f"{path}:{number}: the line is not UTF-8 text (bad byte at "
                                f"column {exc.start + 1}); re-save the file as UTF-8 or "
                                "delete this line")
                continue
            if not text or text.startswith("#"):
                continue
            try:
                records.append(ResultLine(number, from_journal_line(text)))
            except JournalError as exc:
                problems.append(f"{path}:{number}: {exc}; fix or delete this line")
            except RecursionError:
                problems.append(f"{path}:{number}: the record is nested too deeply to be "
                                "read; fix or delete this line")
    return records, problems


def approval(result: TagResult) -> bool | None:
    """The record's ``approved`` flag (True/False), or None when it has none."""
    value = (result.model_extra or {}).get("approved")
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'approved' must be true or false, not {value!r}")


def photo_path(result: TagResult, results_file: Path | None) -> Path:
    """The photo of a record; relative paths are taken relative to the results file, else to
    the working folder (``run`` journals the paths as they were given on its command line)."""
    path = Path(os.path.expanduser(result.path))
    if path.is_absolute() or results_file is None:
        return path
    beside = results_file.resolve().parent / path
    if not os.path.lexists(beside) and os.path.lexists(path):
        return path.absolute()
    return beside


def skip_reason(result: TagResult, only_approved: bool) -> str | None:
    """Why a record must not be written, or None when it may be."""
    try:
        approved = approval(result)
    except ValueError as exc:
        return str(exc)
    if approved is False:
        return "not approved"
    if only_approved and approved is not True:
        return "not approved (--only-approved needs \"approved\": true)"
    if result.status != "ok":
        detail = f": {result.error_message}" if result.error_message else ""
        return f"tagging status is {result.status!r}{detail}"
    if not (result.caption or result.description or result.keywords):
        return "the record proposes nothing"
    return None


def changed_since_tagging(result: TagResult, path: Path,
                          transitions: OwnTransitions | None = None) -> str | None:
    """A conflict message when the photo is no longer the file that was tagged.

    A photo that changed only through this app's own journaled writes and undos (``apply``
    then ``undo``, say) is still the photo that was tagged: no conflict.
    """
    if result.size is None or result.mtime_ns is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None  # the writer reports missing files itself
    if result.matches_file(st.st_size, st.st_mtime_ns):
        return None
    if transitions is not None and changed_only_by_us(
            str(path), (result.size, result.mtime_ns), (st.st_size, st.st_mtime_ns),
            transitions):
        return None
    return (f"{path}: the photo changed after it was tagged (size or modification time "
            "differ); re-run tagging for it, or pass --ignore-changes to write anyway")


def _flag(result: TagResult, name: str) -> bool:
    value = (result.model_extra or {}).get(name)
    return value is True or str(value).strip().lower() in _TRUE


def proposal_from_result(result: TagResult, path: Path, written_at: str | None = None
                         ) -> Proposal:
    """The approved proposal a record stands for (caption -> title), with provenance: when it
    was tagged (the record) and when it is written (``written_at``, now by default)."""
    provenance = Provenance.from_stage_models(
        result.models, tagged_at=result.finished_at,
        written_at=written_at or datetime.now(UTC).isoformat(timespec="seconds"),
        prompt_profile=result.prompt_profile, prompt_sha256=result.prompt_sha256)
    # Keywords mapped onto a vocabulary are written with their full path (and its containers).
    keywords, containers = proposal_keywords(result.keywords, result.keyword_mapping)
    return Proposal(
        path=str(path),
        title=result.caption,
        description=result.description,
        keywords=keywords,
        containers=containers,
        overwrite_title=_flag(result, "overwrite_title"),
        overwrite_description=_flag(result, "overwrite_description"),
        provenance=provenance,
    )
