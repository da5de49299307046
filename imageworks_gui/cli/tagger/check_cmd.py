"""`imageworks-personal-tagger check`: what other photo programs will see, before and after."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from imageworks_gui.cli.tagger import app
from imageworks_gui.cli.tagger.results_io import (
    load_results,
    photo_path,
    proposal_from_result,
    skip_reason,
)
from imageworks_gui.core.metadata import Proposal
from imageworks_gui.services.metadata import ExifToolError, ExifToolPool
from imageworks_gui.services.metadata.compat import CheckReport, ProgramView, check_file
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
# Paths, tag values and ExifTool messages are untrusted: never parsed as markup.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

CHECK_HELP = (
    "Show what Lightroom Classic (XMP, IPTC digest rules), digiKam/Immich (TagsList, "
    "hierarchicalSubject) and darktable (the sidecar it reads) will see for each FILE, before "
    "and after a planned write, and flag what would be lost (truncation, shadowed blocks, a "
    "sidecar shared by two photos). The plan is the FILE's record in --results, or the sample "
    "write given by --title/--description/--keyword. Nothing is modified: the write is tried "
    "on private copies.\n\n"
    "Exit status: 0 nothing would be lost; 1 a file would lose something, be refused or "
    "limited, or cannot be read; 2 usage error."
)


def safe(text: object) -> str:
    """Text as it can be printed: undecodable bytes of file names shown as U+FFFD."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _plans(files: list[Path], results: Path | None, sample: Proposal | None
           ) -> dict[str, Proposal | None]:
    plans: dict[str, Proposal | None] = {
        os.path.abspath(f): (Proposal.model_validate({**sample.model_dump(), "path": str(f)})
                             if sample else None) for f in files}
    if results is None:
        return plans
    if not results.is_file():
        err.print(f"error: {safe(results)}: no such results file; pass the JSONL written by "
                  "`run --output-jsonl`")
        raise typer.Exit(EXIT_USAGE)
    records, problems = load_results(results)
    for problem in problems:
        err.print(f"error: {safe(problem)}")
    for record in records:  # a later record of a photo replaces an earlier one
        path = os.path.abspath(photo_path(record.result, results))
        if path in plans and skip_reason(record.result, only_approved=False) is None:
            plans[path] = proposal_from_result(record.result, Path(path))
    return plans


def _values(view: ProgramView) -> str:
    parts = [f"title {view.title!r}" if view.title else "no title",
             f"description {view.description!r}" if view.description else "no description",
             f"keywords: {', '.join(view.keywords)}" if view.keywords else "no keywords"]
    if view.hierarchical:
        parts.append(f"lr:hierarchicalSubject: {', '.join(view.hierarchical)}")
    if view.tags_list:
        parts.append(f"digiKam:TagsList: {', '.join(view.tags_list)}")
    if view.shows:
        parts.append(f"shows as tags: {', '.join(view.shows)}")
    return safe("; ".join(parts))


def print_report(report: CheckReport) -> None:
    """One file's report, as plain text."""
    out.print(safe(report.path), style="bold")
    if report.target and report.target != report.path:
        out.print(f"  metadata goes to: {safe(report.target)}")
    after = {view.program: view for view in report.after or []}
    for view in report.before:
        out.print(f"  {view.program} reads {safe(view.reads)}")
        out.print(f"    before: {_values(view)}")
        new = after.get(view.program)
        if new is not None:
            moved = f" (now {safe(new.reads)})" if new.reads != view.reads else ""
            out.print(f"    after:  {_values(new)}{moved}")
    for change in report.changes:
        out.print(f"  planned: {safe(change)}")
    for risk in report.risks:
        field = f" {risk.field}" if risk.field else ""
        out.print(f"  ! {risk.code}{field} ({risk.action}): {safe(risk.message)}",
                  style="yellow" if risk.action == "warn" else "red")
    for lost in report.lost:
        out.print(f"  ! lost: {safe(lost)}", style="red")
    for note in report.notes:
        out.print(f"  note: {safe(note)}")
    if report.error:
        out.print(f"  error: {safe(report.error)}", style="red")
    elif report.after is None and not report.changes:
        out.print("  (no planned write for this file: give --results with a usable record "
                  "for it, or --title/--description/--keyword)", style="dim")


@app.command("check", help=CHECK_HELP)
def check(
    files: list[Path] = typer.Argument(..., help="Photos to check."),
    results: Path | None = typer.Option(None, "--results", help="Results JSONL (from `run`): "
                                        "each file's record is the planned write."),
    title: str | None = typer.Option(None, "--title", help="Sample write: a title."),
    description: str | None = typer.Option(None, "--description",
                                           help="Sample write: a description."),
    keyword: list[str] = typer.Option([], "--keyword", help="Sample write: a keyword "
                                      "(repeatable; A|B is hierarchical)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Sample write replaces an "
                                   "existing title and description."),
) -> None:
    """Report what other programs see of each file, before and after a planned write."""
    try:
        settings = SettingsStore().load().metadata
    except SettingsLoadError as exc:
        err.print(f"error: {safe(exc)}")
        raise typer.Exit(EXIT_USAGE) from exc
    sample = None
    if title or description or keyword:
        sample = Proposal(path="", title=title, description=description, keywords=keyword,
                          overwrite_title=overwrite, overwrite_description=overwrite)
    plans = _plans(files, results, sample)
    try:
        pool = ExifToolPool()
    except ExifToolError as exc:
        err.print(f"error: {safe(exc)}")
        raise typer.Exit(EXIT_USAGE) from exc
    problems = 0
    try:
        for path, proposal in plans.items():
            report = check_file(pool, path, proposal, settings)
            print_report(report)
            problems += report.has_problems
    finally:
        pool.close()
    out.print(f"Checked {len(plans)} file(s): "
              + (f"{problems} with problems" if problems else "nothing would be lost"))
    raise typer.Exit(EXIT_PROBLEMS if problems else EXIT_OK)
