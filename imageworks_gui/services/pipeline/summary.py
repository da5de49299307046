"""The Markdown run report: totals, resolved models, per-image table, failures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from imageworks_gui.core.fused import REQUEST_MODES
from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.undecodable import escape_undecodable
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


def render_summary(outcome: RunOutcome, results: Iterable[TagResult],
                   profile: PromptProfile | None = None, title: str = "Tagging run") -> str:
    """The report as Markdown text."""
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
    failures: list[TagResult] = []
    for result in results:
        if result.status == "failed":
            failures.append(result)
        note = result.caption if result.status == "ok" else (
            result.skip_reason or result.error_message or result.caption)
        lines.append(f"| {_cell(Path(result.path).name, 60)} | {result.status} | "
                     f"{_cell(note)} | {_cell(', '.join(result.keywords))} | "
                     f"{_mode_cell(result)} | {result.timings_ms.get('total', 0):.0f} |")
    lines += ["", "## Failures", ""]
    if not failures:
        lines.append("None.")
    for result in failures:
        lines.append(f"- `{result.path}`")
        for stage, message in result.errors.items():
            lines.append(f"  - {stage}: {message}")
    return "\n".join(lines) + "\n"


def write_summary(path: Path, outcome: RunOutcome, results: Iterable[TagResult],
                  profile: PromptProfile | None = None) -> None:
    """Write the Markdown report to ``path`` (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Non-UTF-8 photo names are shown as ``\xe9`` escapes: the report stays valid UTF-8.
    path.write_text(escape_undecodable(render_summary(outcome, results, profile)),
                    encoding="utf-8")
