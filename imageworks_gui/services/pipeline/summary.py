"""The Markdown run report: totals, resolved models, per-image table, failures."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from imageworks_gui.core.fused import REQUEST_MODES
from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.undecodable import escape_undecodable
from imageworks_gui.services.atomic_text import open_atomic
from imageworks_gui.services.pipeline.outcome import RunOutcome


def _cell(text: object, limit: int = 120) -> str:
    value = " ".join(str(text or "").split()).replace("|", "\\|")
    return value[:limit] + ("…" if len(value) > limit else "")


def _mode_cell(result: TagResult) -> str:
    if result.inherited:
        return f"copy of {_cell(Path(result.representative or '').name, 40)}"
    mode = result.request_mode or "-"
    return f"{mode} ({', '.join(result.fallback)})" if result.fallback else mode


def requests_line(outcome: RunOutcome) -> str:
    """Model requests of the run and per tagged photo (bursts are tagged once)."""
    tagged = outcome.ok + outcome.failed
    return (f"Model requests: {outcome.model_requests} for {tagged} photo(s), "
            f"{outcome.requests_per_photo:.2f} per photo.")


MODE_NOTES = {"fused": "one request per photo", "fused+fallback": "one request, then a stage "
              "request per field that did not validate", "separate": "one request per stage"}


def request_mode_line(outcome: RunOutcome) -> str | None:
    """How the photos of the run were asked (None when no photo was sent to a model)."""
    if not outcome.request_modes:
        return None
    parts = [f"{mode} ({MODE_NOTES[mode]}) for {outcome.request_modes[mode]} photo(s)"
             for mode in REQUEST_MODES if outcome.request_modes.get(mode)]
    line = "Request mode: " + "; ".join(parts)
    if outcome.fallbacks:
        line += "; fell back: " + ", ".join(f"{stage} {count}" for stage, count
                                            in sorted(outcome.fallbacks.items()))
    return line + "."


class SummaryRows:
    """The per-image rows and failure lines of a report, rendered as results arrive and kept
    in a spooled temporary file (in memory up to ``SPOOL_BYTES``, then on disk), so a
    100,000-photo run does not keep its results in memory for the report."""

    SPOOL_BYTES = 1 << 20

    def __init__(self) -> None:
        # Owned by this object (closed by close()); surrogateescape keeps non-UTF-8 names.
        self._rows = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            self.SPOOL_BYTES, mode="w+", encoding="utf-8", newline="\n",
            errors="surrogateescape")
        self._failures = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            self.SPOOL_BYTES, mode="w+", encoding="utf-8", newline="\n",
            errors="surrogateescape")
        self.failed = 0

    def add(self, result: TagResult) -> None:
        """Render ``result``'s row (and its failure lines) now."""
        if result.status == "failed":
            self.failed += 1
            self._failures.write(f"- `{result.path}`\n")
            for stage, message in result.errors.items():
                self._failures.write(f"  - {stage}: {message}\n")
        note = result.caption if result.status == "ok" else (
            result.skip_reason or result.error_message or result.caption)
        self._rows.write(f"| {_cell(Path(result.path).name, 60)} | {result.status} | "
                         f"{_cell(note)} | {_cell(', '.join(result.keywords))} | "
                         f"{_mode_cell(result)} | {result.timings_ms.get('total', 0):.0f} |\n")

    def write_to(self, out: TextIO, outcome: RunOutcome, profile: PromptProfile | None,
                 title: str = "Tagging run") -> None:
        """The whole report, header first, then the spooled rows and failures."""
        out.write(_header(outcome, profile, title))
        for spool in (self._rows, self._failures):
            spool.flush()
        self._rows.seek(0)
        shutil.copyfileobj(self._rows, out)
        out.write("\n## Failures\n\n")
        if not self.failed:
            out.write("None.\n")
        self._failures.seek(0)
        shutil.copyfileobj(self._failures, out)

    def close(self) -> None:
        self._rows.close()
        self._failures.close()

    def __enter__(self) -> SummaryRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _header(outcome: RunOutcome, profile: PromptProfile | None, title: str) -> str:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"# {title}", "", f"Finished {now} in {outcome.elapsed_s:.1f} s.", "",
             "## Totals", "", "| Images | OK | Failed | Skipped | Cancelled |",
             "|---:|---:|---:|---:|---:|",
             f"| {outcome.total} | {outcome.ok} | {outcome.failed} | {outcome.skipped} | "
             f"{outcome.cancelled} |", "", requests_line(outcome), ""]
    if (modes := request_mode_line(outcome)) is not None:
        lines += [modes, ""]
    lines += ["## Models", "",
              "| Stage | Role | Model | Backend | Served id | Reason | Aggregate SHA-256 |",
              "|---|---|---|---|---|---|---|"]
    for stage, binding in outcome.bindings.items():
        entry = binding.entry
        agg = entry.artifacts.aggregate_sha256 if entry.artifacts else None
        lines.append(f"| {stage} | {binding.role} | {_cell(entry.name)} | {entry.backend} | "
                     f"{_cell(entry.served_model_id or '(from server)')} | "
                     f"{binding.resolution.reason} | {agg[:16] + '…' if agg else '-'} |")
    if profile is not None:
        lines += ["", f"Prompt profile: `{profile.name}` (sha256 `{profile.sha256[:16]}…`)"]
    lines += ["", "## Images", "",
              "| File | Status | Caption | Keywords | Requests | Time (ms) |",
              "|---|---|---|---|---|---:|"]
    return "\n".join(lines) + "\n"


def _rows_of(results: Iterable[TagResult] | SummaryRows) -> SummaryRows:
    if isinstance(results, SummaryRows):
        return results
    rows = SummaryRows()
    for result in results:
        rows.add(result)
    return rows


def render_summary(outcome: RunOutcome, results: Iterable[TagResult] | SummaryRows,
                   profile: PromptProfile | None = None, title: str = "Tagging run") -> str:
    """The report as Markdown text."""
    out = io.StringIO()
    rows = _rows_of(results)
    try:
        rows.write_to(out, outcome, profile, title)
    finally:
        if rows is not results:
            rows.close()
    return out.getvalue()


def write_summary(path: Path, outcome: RunOutcome, results: Iterable[TagResult] | SummaryRows,
                  profile: PromptProfile | None = None) -> None:
    """Write the Markdown report to ``path`` atomically (parent folders are created).

    Non-UTF-8 photo names are shown as ``\\xe9`` escapes: the report stays valid UTF-8.
    """
    path = Path(path)
    rows = _rows_of(results)
    try:
        with open_atomic(path) as fh:
            rows.write_to(_Escaping(fh), outcome, profile)
    finally:
        if rows is not results:
            rows.close()


class _Escaping:
    """A text sink that escapes undecodable characters (surrogates) as it writes."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(escape_undecodable(text))
