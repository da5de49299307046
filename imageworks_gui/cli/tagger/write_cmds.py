"""`imageworks-personal-tagger apply`, `undo` and `history`: write reviewed results, undo them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from imageworks_gui.cli.console import err, error_line, line, out, warning_line
from imageworks_gui.cli.tagger import app
from imageworks_gui.cli.tagger.results_io import (
    changed_since_tagging,
    load_results,
    photo_path,
    proposal_from_result,
    skip_reason,
)
from imageworks_gui.core.settings import MetadataSettings, Settings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.metadata import (
    BatchResult,
    ExifToolError,
    ExifToolPool,
    JournalError,
    MetadataError,
    MetadataWriter,
    WriteOutcome,
    read_metadata,
)
from imageworks_gui.services.metadata.journal import MetadataJournal
from imageworks_gui.services.metadata.reader import uses_sidecar
from imageworks_gui.services.metadata.writer import WriteSession
from imageworks_gui.services.pipeline.journal import append_record
from imageworks_gui.services.pipeline.runner import RESUMED_REASON
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STYLE = {"written": "green", "unchanged": "dim", "conflict": "yellow", "error": "red",
         "cancelled": "yellow", "skipped": "dim"}


def _settings() -> MetadataSettings:
    try:
        return SettingsStore().load().metadata
    except SettingsLoadError as exc:
        err.print(error_line(str(exc)))
        raise typer.Exit(EXIT_USAGE) from exc


def _writer(settings: MetadataSettings) -> MetadataWriter:
    try:
        return MetadataWriter(ExifToolPool(), settings=settings)
    except ExifToolError as exc:
        err.print(error_line(str(exc)))
        raise typer.Exit(EXIT_USAGE) from exc


def print_outcome(outcome: WriteOutcome, console: Console = out, written: str = "written"
                  ) -> None:
    """One line per file, plus its notes (e.g. a keyword kept in XMP only)."""
    style = STYLE.get(outcome.status, "")
    label = written if outcome.status == "written" else outcome.status
    detail = ""
    if outcome.status == "written" and outcome.added_keywords:
        detail = f"  +{len(outcome.added_keywords)}: {', '.join(outcome.added_keywords)}"
    elif outcome.status != "written" and outcome.reason:
        detail = f"  {outcome.reason}"
    target = f" -> {outcome.target}" if outcome.target and outcome.target != outcome.path \
        and outcome.status == "written" else ""
    console.print(line((f"{label:<9}", style), f" {outcome.path}{target}{detail}"))
    for note in outcome.notes:
        console.print(f"          note: {note}")


def print_summary(result: BatchResult, skipped: int = 0, verb: str = "Wrote") -> int:
    """Totals, the journal id to undo with, and the exit status."""
    counts = {s: result.count(s) for s in ("written", "unchanged", "conflict", "error",
                                           "cancelled")}
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    if skipped:
        parts.append(f"{skipped} skipped")
    out.print(f"{verb} {len(result.outcomes) + skipped} file(s): " + (", ".join(parts) or
                                                                       "nothing to do"))
    if result.batch_id and counts["written"]:
        out.print(f"Journal: {result.batch_id} (undo with: imageworks-personal-tagger undo "
                  f"{result.batch_id})")
    return EXIT_FAILED if counts["conflict"] or counts["error"] else EXIT_OK


def _dry_run(writer: MetadataWriter, items: list[tuple[TagResult, Path]]) -> int:
    failed = 0
    for result, path in items:
        proposal = proposal_from_result(result, path)
        try:
            plan = writer.plan(proposal)  # refuses what a write would refuse
            embedded = (read_metadata(writer.pool, path, writer.settings).embedded
                        if uses_sidecar(path, writer.settings) else None)
        except MetadataError as exc:
            failed += 1
            out.print(line(("error    ", "red"), f" {exc}"))
            continue
        if embedded is not None and not embedded.is_empty:
            out.print(f"{path}: in the RAW itself: {embedded.summary()}", markup=False)
        if plan.is_empty:
            out.print(line(("unchanged", "dim"), f" {path}  nothing new to write"))
            continue
        out.print(line(("would write", "cyan"), f" {path}" + (
            f" -> {plan.target}" if plan.target != str(path) else "")))
        for edit in plan.edits:
            if edit.tag.startswith("XMP-imageworks:"):
                continue
            change = f"+ {', '.join(edit.items)}" if edit.mode == "add" else repr(edit.after)
            out.print(f"          {edit.tag}: {change}")
        for note in plan.notes:
            out.print(f"          note: {note}")
    out.print("Dry run: nothing was written.")
    return EXIT_FAILED if failed else EXIT_OK


APPLY_HELP = (
    "Write the proposals of a results file into the photos (XMP/IPTC, sidecars for RAW).\n\n"
    "Keywords are added, never removed; title and description are only filled when empty "
    "unless a record says \"overwrite_title\"/\"overwrite_description\": true. Records with "
    "\"approved\": false are never written. Every write is journaled: `undo --last` restores "
    "the previous values."
)


@app.command("apply", help=APPLY_HELP)
def apply(
    results: Path = typer.Argument(..., help="Results JSONL from `run` (may be hand-edited).",
                                   exists=False),
    only_approved: bool = typer.Option(False, "--only-approved",
                                       help="Write only records with \"approved\": true."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write "
                                 "nothing."),
    ignore_changes: bool = typer.Option(False, "--ignore-changes", help="Write even when a "
                                        "photo changed after it was tagged."),
) -> None:
    """Write the proposals of a results file into the photos."""
    if not results.is_file():
        what = ("is a folder" if results.is_dir() else
                "is not a regular file (a FIFO or device)" if results.exists() else
                "no such results file")
        err.print(error_line(f"{results}: {what}; pass the JSONL written by "
                             "`run --output-jsonl`"))
        raise typer.Exit(EXIT_USAGE)
    records, problems = load_results(results)
    for problem in problems:
        err.print(error_line(problem))
    items: list[tuple[TagResult, Path]] = []
    skipped = 0
    conflicts: list[WriteOutcome] = []
    # A resumed run may hold several records for one photo: the last one counts.
    latest = {photo_path(r.result, results): r.line for r in records}
    # Photos changed only by earlier applies and undos are still the photos that were tagged.
    transitions = None if ignore_changes else MetadataJournal().own_transitions()
    for record in records:
        path = photo_path(record.result, results)
        reason = skip_reason(record.result, only_approved)
        if latest[path] != record.line:
            reason = f"superseded by line {latest[path]}"
        if reason is not None:
            skipped += 1
            out.print(line(("skipped  ", "dim"), f" {path}  line {record.line}: {reason}"))
            continue
        stale = None if ignore_changes else changed_since_tagging(record.result, path,
                                                                  transitions)
        if stale is not None:
            conflicts.append(WriteOutcome(path=str(path), status="conflict", reason=stale))
            continue
        items.append((record.result, path))
    settings = _settings()
    writer = _writer(settings)
    try:
        for outcome in conflicts:
            print_outcome(outcome)
        if dry_run:
            code = _dry_run(writer, items)
        else:
            result = writer.write_batch(
                (proposal_from_result(r, p) for r, p in items), on_result=print_outcome,
                description=f"apply {results.name}")
            result.outcomes.extend(conflicts)
            code = print_summary(result, skipped)
    finally:
        writer.pool.close()
    raise typer.Exit(EXIT_FAILED if problems or conflicts else code)


@app.command("undo")
def undo(
    journal_id: str | None = typer.Argument(None, help="Batch id shown by `apply`/`history`."),
    last: bool = typer.Option(False, "--last", help="Undo the newest write batch."),
) -> None:
    """Restore the metadata a write batch replaced (tags changed since are left alone)."""
    if last == (journal_id is not None):
        err.print(error_line("give either --last or a JOURNAL_ID (see `history`)"))
        raise typer.Exit(EXIT_USAGE)
    writer = _writer(_settings())
    try:
        batch_id = journal_id or writer.journal.last_undoable()
        if batch_id is None:
            err.print(error_line("there is no write batch left to undo (see `history`)"))
            raise typer.Exit(EXIT_USAGE)
        try:
            result = writer.undo(batch_id, on_result=lambda o: print_outcome(o, out, "restored"))
        except (JournalError, MetadataError) as exc:
            err.print(error_line(str(exc)))
            raise typer.Exit(EXIT_USAGE) from exc
        code = print_summary(result, verb=f"Undid {batch_id}:")
    finally:
        writer.pool.close()
    raise typer.Exit(code)


@app.command("history")
def history() -> None:
    """List write and undo batches, newest first."""
    from imageworks_gui.services.metadata import MetadataJournal

    batches = MetadataJournal().list_batches()
    if not batches:
        out.print("No metadata has been written yet.")
        return
    for batch in batches:
        if batch.kind == "undo":
            state = f"undo of {batch.undoes}"
        elif batch.undone_at:
            state = f"undone {batch.undone_at}"
        elif batch.undo_failed:
            state = f"undo failed: {batch.undo_failed}; fix that and run undo again"
        elif batch.damaged_lines and not batch.committed:
            state = "cannot be undone"  # no intact record says whether a photo was written
        elif not batch.committed:
            state = f"nothing was written (all {batch.files} write(s) failed)"
        else:
            state = "can be undone"
        if batch.damaged_lines:
            rest = ("intact files can be undone" if batch.committed else
                    "the files it describes cannot be restored automatically")
            state += (f" (journal damaged at line(s) "
                      f"{', '.join(map(str, batch.damaged_lines))}: {rest})")
        note = "" if batch.description in ("", state) else f"  {batch.description}"
        out.print(f"{batch.batch_id}  {batch.created_at}  {batch.kind:<5} "
                  f"{batch.committed:>4} file(s)  {state}{note}")


class RunMetadataWriter:
    """The `run` command's result sink: writes each finished image in the background.

    Called on the event loop for every result; writing happens on worker threads so
    tagging never waits. ``finish()`` waits, prints a summary and returns an exit status;
    ``close()`` stops ExifTool.

    With ``journal_path`` (the run's journal), every photo written gets a follow-up record
    holding its new size and time, so ``--resume`` does not tag it again; images that
    ``--resume`` skips but whose metadata was never written (a crash between tagging and
    writing, or an earlier ``--dry-run``) are written now.
    """

    def __init__(self, settings: MetadataSettings, journal_path: Path | None = None) -> None:
        self._writer = MetadataWriter(ExifToolPool(), settings=settings)
        self._lock = threading.Lock()
        self._session: WriteSession = self._writer.open_batch(
            on_result=self._report, description="run")
        self._conflicts: list[WriteOutcome] = []
        self._journal_path = journal_path
        self._transitions = self._writer.journal.own_transitions()
        self._results: dict[str, TagResult] = {}
        self._finished = False
        self._submitted = 0

    @classmethod
    def start(cls, settings: Settings, journal_path: Path | None = None) -> RunMetadataWriter:
        return cls(settings.metadata, journal_path)

    def _report(self, outcome: WriteOutcome) -> None:
        if outcome.status != "written" or outcome.notes:
            with self._lock:
                print_outcome(outcome, err)
        if outcome.status in ("written", "unchanged"):
            self._record_written(outcome)

    def _record_written(self, outcome: WriteOutcome) -> None:
        """Journal the photo's state after the write (runs on a writer thread)."""
        with self._lock:
            result = self._results.pop(outcome.path, None)
        if result is None or self._journal_path is None:
            return
        try:
            st = Path(outcome.path).stat()
            append_record(self._journal_path, result.model_copy(update={
                "status": "ok", "skip_reason": None, "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "metadata_written_at": datetime.now(UTC).isoformat(timespec="seconds")}))
        except OSError as exc:
            with self._lock:
                err.print(warning_line(
                    f"{outcome.path}: written, but the journal {self._journal_path} could not "
                    f"record it ({exc.strerror or exc}); --resume would tag this photo again"))

    def __call__(self, result: TagResult) -> None:
        if (result.status == "skipped" and result.skip_reason == RESUMED_REASON
                and result.metadata_written_at is None):
            # Tagged by an earlier run that never wrote it: write it now.
            result = result.model_copy(update={"status": "ok", "skip_reason": None})
        if skip_reason(result, only_approved=False) is not None:
            return
        path = photo_path(result, None)
        stale = changed_since_tagging(result, path, self._transitions)
        if stale is not None:
            self._conflicts.append(WriteOutcome(path=str(path), status="conflict",
                                                reason=stale))
            return
        with self._lock:
            self._results[str(path)] = result
        self._submitted += 1
        self._session.submit(proposal_from_result(result, path))

    @property
    def pending(self) -> bool:
        """True when photos were handed to the writer and ``finish()`` has not run yet."""
        return bool(self._submitted) and not self._finished

    def finish(self) -> int:
        self._finished = True
        result = self._session.close()
        result.outcomes.extend(self._conflicts)
        for outcome in self._conflicts:
            print_outcome(outcome, err)
        return print_summary(result, verb="Metadata: wrote")

    def close(self) -> None:
        self._writer.pool.close()


def write_results_for_run(results: Iterable[TagResult], settings: Settings) -> int:
    """Write finished tagging results (the CLI's implicit approval); returns an exit status."""
    sink = RunMetadataWriter.start(settings)
    try:
        for result in results:
            sink(result)
        return sink.finish()
    finally:
        sink.close()
