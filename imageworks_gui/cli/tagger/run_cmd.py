"""`imageworks-personal-tagger run`: propose captions, keywords and descriptions for photos."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from imageworks_gui.cli.console import err, error_line, line, literal_column, out, warning_line
from imageworks_gui.cli.options import merge_registry_path
from imageworks_gui.cli.tagger import app
from imageworks_gui.cli.tagger.grouping import make_grouper, plan_line
from imageworks_gui.cli.tagger.output_paths import check_output_files
from imageworks_gui.cli.tagger.vocabulary_cmds import ModeChoice
from imageworks_gui.core.prompts import STAGES, PromptProfile
from imageworks_gui.core.registry import RegistryEntry, RegistryValidationError
from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import Progress as RunProgress
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.vocabulary import VocabularyError
from imageworks_gui.core.vocabulary_mapping import VocabularyPolicy
from imageworks_gui.services.backends.endpoints import make_http_client
from imageworks_gui.services.discovery import aiter_images
from imageworks_gui.services.paths import data_dir
from imageworks_gui.services.pipeline import (
    PreflightError,
    ResultSink,
    RunOutcome,
    TaggingPipeline,
    explicit_entries,
    write_summary,
)
from imageworks_gui.services.pipeline.summary import SummaryRows, request_mode_line
from imageworks_gui.services.prompt_profiles import PromptProfileError, load_prompt_profile
from imageworks_gui.services.registry_store import (
    RegistryLoadError,
    RegistryStore,
    resolve_registry_path,
)
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore
from imageworks_gui.services.thumbnails import RawPreview, exiftool_raw_preview
from imageworks_gui.services.vocabulary_policy import vocabulary_policy

if TYPE_CHECKING:
    from imageworks_gui.cli.tagger.write_cmds import RunMetadataWriter
    from imageworks_gui.services.pipeline.groups import BurstGrouper

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line, registry, settings or preflight (exit 2)."""


class WritingUnavailableError(UsageError):
    """This build cannot write metadata from ``run`` (use ``--dry-run``)."""


def metadata_sink(settings: Settings, journal_path: Path | None = None) -> RunMetadataWriter:
    """The single place where ``run`` hands finished results to the metadata writer.

    Returns a callable receiving every ``TagResult`` (only ``status == "ok"`` ones carry
    proposals); each is written in the background, journaled for ``undo``.
    """
    from imageworks_gui.cli.tagger.write_cmds import RunMetadataWriter
    from imageworks_gui.services.metadata.exiftool import ExifToolError

    try:
        return RunMetadataWriter.start(settings, journal_path)
    except ExifToolError as exc:
        raise WritingUnavailableError(f"cannot write metadata: {exc}; or rerun with --dry-run "
                                      "to only get the proposals") from exc


def _exiftool_tools(skip_tagged: bool) -> tuple[RawPreview, Callable[[Path], bool] | None,
                                                 Callable[[], None]]:
    """RAW previews, the ``--skip-tagged`` check and their shutdown, on one ExifTool pool.

    Without ExifTool, RAW files fail with an install hint and ``--skip-tagged`` is an error.
    """
    from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
    from imageworks_gui.services.metadata.previews import PooledRawPreview
    from imageworks_gui.services.metadata.reader import MetadataError, read_metadata

    try:
        pool = ExifToolPool()  # processes start on first use
    except ExifToolError as exc:
        if skip_tagged:
            raise UsageError(f"--skip-tagged needs ExifTool to read existing keywords: {exc}") \
                from exc
        return exiftool_raw_preview, None, lambda: None

    def has_keywords(path: Path) -> bool:
        try:
            meta = read_metadata(pool, path)
        except (MetadataError, ExifToolError):
            return False  # the pipeline reports unreadable files itself
        return bool(meta.keywords or meta.hierarchical or meta.tags_list)

    return PooledRawPreview(pool), has_keywords if skip_tagged else None, pool.close


def _load_settings() -> Settings:
    try:
        return SettingsStore().load()
    except SettingsLoadError as exc:
        raise UsageError(str(exc)) from exc


def _load_entries(registry_path: Path | None) -> list[RegistryEntry]:
    try:
        store = RegistryStore(resolve_registry_path(registry_path))
        entries = store.load()
    except (RegistryLoadError, RegistryValidationError) as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise UsageError(f"cannot read the registry: {exc}") from exc
    for warning in store.warnings:
        err.print(warning_line(warning))
    return entries


def _print_bindings(pipeline: TaggingPipeline) -> None:
    for stage, binding in pipeline.resolve().items():
        how = "preferred" if binding.resolution.reason == "preferred" else "first in registry"
        err.print(f"  {stage:<12} role {binding.role!r} -> {binding.entry.name} "
                  f"({binding.entry.backend}, {how})")
        for warning in binding.resolution.warnings:
            err.print(line("  ", warning_line(warning)))


async def _execute(pipeline: TaggingPipeline, inputs: list[Path], recursive: bool,
                   skip_preflight: bool, sink: ResultSink | None,
                   collect: SummaryRows | None) -> tuple[RunOutcome, list[str]]:
    if not skip_preflight:
        err.print("Checking models (server, served name, text chat, vision probe)...")
        try:
            for report in await pipeline.preflight():
                err.print(line("  ", ("ok", "green"), f" {report.entry}: {report.served_name} "
                               f"at {report.endpoint}"))
                for note in report.replica_notes:
                    err.print(warning_line(f"{report.entry}: {note}"))
        except PreflightError as exc:
            for report in exc.reports:
                mark = ("ok", "green") if report.ok else ("FAILED", "bold red")
                err.print(line("  ", mark, f" {report.message}"))
            raise UsageError("preflight failed: fix the models above or pass "
                             "--skip-preflight") from exc
    input_errors: list[str] = []

    def on_input_error(path: Path, message: str) -> None:
        input_errors.append(message)
        err.print(warning_line(message))

    columns = (literal_column(), BarColumn(), MofNCompleteColumn(),
               TextColumn("failed {task.fields[failed]}"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("tagging", total=None, failed=0)

        def on_progress(p: RunProgress) -> None:
            bar.update(task, completed=p.done, total=None if p.discovering else p.total,
                       failed=p.failed, description="paused" if p.paused else "tagging")

        def on_result(result: TagResult) -> None:
            if result.status == "failed":
                bar.console.print(line(("failed", "red"),
                                       f" {result.path}: {result.error_message}"))
            if collect is not None:
                collect.add(result)
            if sink is not None:
                sink(result)

        outcome = await pipeline.run(aiter_images(inputs, recursive, on_input_error),
                                     on_result=on_result, on_progress=on_progress)
    return outcome, input_errors


@app.command("run")
def run(
    ctx: typer.Context,
    input_dir: list[Path] = typer.Option(
        ..., "-i", "--input-dir", help="Folder or image file to tag (repeatable)."),
    use_registry: bool = typer.Option(
        False, "--use-registry", help="Resolve models from the registry by role (the default "
        "unless --base-url is given)."),
    registry_path: Path | None = typer.Option(
        None, "--registry-path", metavar="FILE", help="Registry file (default: "
        "$IMAGEWORKS_REGISTRY_PATH, ./configs/model_registry.json, the user config folder)."),
    caption_role: str = typer.Option("caption", "--caption-role", help="Role of the caption "
                                     "model."),
    keyword_role: str = typer.Option("keywords", "--keyword-role", help="Role of the keyword "
                                     "model."),
    description_role: str = typer.Option("description", "--description-role",
                                         help="Role of the description model."),
    caption_model: str | None = typer.Option(
        None, "--caption-model", help="Preferred registry entry for captions (with --base-url: "
        "the served model name)."),
    keyword_model: str | None = typer.Option(None, "--keyword-model",
                                             help="Preferred entry / served name for keywords."),
    description_model: str | None = typer.Option(
        None, "--description-model", help="Preferred entry / served name for descriptions."),
    output_jsonl: Path | None = typer.Option(
        None, "--output-jsonl", metavar="FILE", help="Journal of results, one JSON line per "
        "image (default: a new file under the user data folder)."),
    summary: Path | None = typer.Option(None, "--summary", metavar="FILE",
                                        help="Write a Markdown report here."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write no metadata: only the "
                                 "journal and the report."),
    recursive: bool | None = typer.Option(None, "--recursive/--no-recursive",
                                          help="Descend into sub-folders (default: settings)."),
    max_keywords: int | None = typer.Option(None, "--max-keywords", min=1, max=200,
                                            help="Keep at most this many keywords per image."),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=256,
                                           help="Requests in flight per backend endpoint "
                                           "(default: the entry's max_concurrency or 4)."),
    prompt_profile: str | None = typer.Option(None, "--prompt-profile",
                                              help="Prompt profile name (default: settings)."),
    skip_preflight: bool = typer.Option(False, "--skip-preflight",
                                        help="Do not probe the models before the run."),
    resume: bool = typer.Option(False, "--resume", help="Skip images already completed in "
                                "--output-jsonl (unchanged files only) and append to it."),
    skip_tagged: bool = typer.Option(False, "--skip-tagged",
                                     help="Skip images that already carry keywords."),
    group: bool | None = typer.Option(
        None, "--group/--no-group", help="Tag each burst of near-identical frames once and "
        "copy the proposal to its members (default: settings, on)."),
    fused: bool | None = typer.Option(
        None, "--fused/--no-fused", help="Ask once per photo (title, keywords and description "
        "in one JSON answer) when every stage uses the same model on the same server "
        "(default: settings, on)."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Explicit mode: an OpenAI-compatible endpoint such as "
        "http://127.0.0.1:8000/v1, without the registry."),
    vocabulary: list[str] = typer.Option(
        [], "--vocabulary", metavar="FILE|NAME", help="Map keywords onto this vocabulary (a "
        "stored name or a file; repeatable; default: the active vocabularies)."),
    vocabulary_mode: ModeChoice | None = typer.Option(
        None, "--vocabulary-mode", help="suggest: keep new terms too; strict: vocabulary terms "
        "only (default: settings)."),
) -> None:
    """Tag photos: caption, keywords and description from role-resolved vision models.

    Exit status: 0 all images done, 1 some images failed (listed), 2 usage or preflight failure.
    """
    registry_path = merge_registry_path(ctx, registry_path)
    try:
        code = _run(input_dir, use_registry, registry_path,
                    {"caption": caption_role, "keywords": keyword_role,
                     "description": description_role},
                    {"caption": caption_model, "keywords": keyword_model,
                     "description": description_model},
                    output_jsonl, summary, dry_run, recursive, max_keywords, concurrency,
                    prompt_profile, skip_preflight, resume, skip_tagged, base_url,
                    vocabulary_refs=vocabulary,
                    vocabulary_mode=vocabulary_mode.value if vocabulary_mode else None,
                    group=group, fused=fused)
    except UsageError as exc:
        err.print(error_line(str(exc)))
        raise typer.Exit(EXIT_USAGE) from None
    raise typer.Exit(code)


def _run(inputs: list[Path], use_registry: bool, registry_path: Path | None,
         roles: dict[str, str], models: dict[str, str | None], output_jsonl: Path | None,
         summary: Path | None, dry_run: bool, recursive: bool | None,
         max_keywords: int | None, concurrency: int | None, profile_name: str | None,
         skip_preflight: bool, resume: bool, skip_tagged: bool, base_url: str | None,
         *, vocabulary_refs: list[str] | None = None, vocabulary_mode: str | None = None,
         group: bool | None = None, fused: bool | None = None) -> int:
    if base_url and (use_registry or registry_path):
        raise UsageError("--base-url (explicit mode) cannot be combined with --use-registry or "
                         "--registry-path: choose one")
    if resume and output_jsonl is None:
        raise UsageError("--resume needs --output-jsonl: the journal of the run to continue")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url {base_url!r} must start with http:// or https://")
    missing = [p for p in inputs if not p.exists()]
    if missing and len(missing) == len(inputs):
        raise UsageError("no input exists: " + ", ".join(str(p) for p in missing))
    settings = _load_settings()
    try:
        policy = vocabulary_policy(settings, vocabulary_refs or [], vocabulary_mode)
    except VocabularyError as exc:
        raise UsageError(f"{exc} (nothing was tagged)") from exc
    try:
        profile: PromptProfile = load_prompt_profile(profile_name
                                                     or settings.tagging.prompt_profile)
    except PromptProfileError as exc:
        raise UsageError(str(exc)) from exc
    if base_url:
        entries = explicit_entries(base_url, {s: models[s] for s in STAGES})
        preferred: dict[str, str | None] = {}
        served = {s: models[s] for s in STAGES}
        roles = {s: s for s in STAGES}
    else:
        entries = _load_entries(registry_path)
        preferred, served = models, {}
    journal = output_jsonl or (data_dir() / "journals" /
                               f"run-{datetime.now():%Y%m%d-%H%M%S}.jsonl")
    kept = {} if base_url else {"the registry": resolve_registry_path(registry_path)}
    problems = check_output_files({"--output-jsonl": journal, "--summary": summary}, kept)
    if problems:
        raise UsageError("; ".join(problems) + " (nothing was tagged)")
    raw_preview, has_keywords, close_tools = _exiftool_tools(skip_tagged)
    collected = SummaryRows() if summary else None
    sink: RunMetadataWriter | None = None
    try:
        sink = None if dry_run else metadata_sink(settings, journal)
        code = asyncio.run(_async_main(
            entries, settings, roles, preferred, served, profile, max_keywords, concurrency,
            journal, resume, has_keywords, raw_preview, inputs,
            settings.tagging.recursive if recursive is None else recursive,
            skip_preflight, sink, collected, summary, vocabulary=policy,
            grouper=make_grouper(settings, raw_preview, group), fused=fused))
        return max(code, sink.finish()) if sink is not None else code
    finally:
        if sink is not None and sink.pending:
            sink.finish()  # a failure after tagging: let the writes in flight complete first
        close_tools()
        if sink is not None:
            sink.close()
        if collected is not None:
            collected.close()


async def _async_main(entries: list[RegistryEntry], settings: Settings, roles: dict[str, str],
                      preferred: dict[str, str | None], served: dict[str, str | None],
                      profile: PromptProfile, max_keywords: int | None,
                      concurrency: int | None, journal: Path, resume: bool,
                      has_keywords: Callable[[Path], bool] | None, raw_preview: RawPreview,
                      inputs: list[Path],
                      recursive: bool, skip_preflight: bool, sink: ResultSink | None,
                      collected: SummaryRows | None, summary: Path | None,
                      *, vocabulary: VocabularyPolicy | None = None,
                      grouper: BurstGrouper | None = None, fused: bool | None = None) -> int:
    async with make_http_client(settings) as http:
        pipeline = TaggingPipeline(
            http, entries, settings, roles=roles, preferred=preferred, served_names=served,
            prompt_profile=profile, max_keywords=max_keywords, concurrency=concurrency,
            journal_path=journal, resume=resume, has_keywords=has_keywords,
            raw_preview=raw_preview, vocabulary=vocabulary, grouper=grouper, fused=fused)
        try:
            pipeline.resolve()
        except RoleResolutionError as exc:
            raise UsageError(str(exc)) from exc
        err.print("Models:")
        _print_bindings(pipeline)
        err.print("Requests: " + ("one per photo (fused), stage requests only for fields that "
                                  "do not validate" if pipeline.request_mode == "fused" else
                                  "one per stage (separate)"))
        if vocabulary is not None:
            err.print(f"Vocabulary: {', '.join(map(repr, vocabulary.names))} "
                      f"({vocabulary.mode} mode)")
            if pipeline.keyword_constraint is not None:
                err.print(f"Keyword requests: {pipeline.keyword_constraint.describe()}")
        outcome, input_errors = await _execute(pipeline, inputs, recursive, skip_preflight,
                                               sink, collected)
    summary_failed = False
    if summary is not None:
        try:
            write_summary(summary, outcome, collected or [], profile)
        except OSError as exc:  # the photos' writes go on; only the report is missing
            summary_failed = True
            err.print(error_line(f"--summary {summary}: cannot write the report "
                                 f"({exc.strerror or exc}); the journal {journal} holds every "
                                 "result"))
            summary = None
    if outcome.total == 0:
        looked = ", ".join(str(p) for p in inputs)
        hint = "" if recursive else "; sub-folders were not searched: add --recursive"
        raise UsageError(f"no images found in {looked} (looked for JPEG, PNG, TIFF, WebP, HEIC "
                         f"and RAW files{hint})")
    out.print(f"Tagged {outcome.total} image(s) in {outcome.elapsed_s:.1f} s: {outcome.ok} ok, "
              f"{outcome.failed} failed, {outcome.skipped} skipped"
              + (f", {outcome.cancelled} cancelled" if outcome.cancelled else ""))
    if (bursts := plan_line(grouper)) is not None:
        out.print(bursts)
    out.print(f"Model requests: {outcome.model_requests}, "
              f"{outcome.requests_per_photo:.2f} per photo")
    if (modes := request_mode_line(outcome)) is not None:
        out.print(modes)
    out.print(f"Journal: {journal}" + (f"\nReport: {summary}" if summary else ""))
    if outcome.failures:
        out.print("Failed images:")
        for result in outcome.failures:
            out.print(f"  {result.path}: {result.error_message}")
        if outcome.unlisted_failures:
            out.print(f"  ... and {outcome.unlisted_failures} more (every one is in the journal "
                      f"{journal})")
    if input_errors:
        out.print(f"{len(input_errors)} input(s) skipped (see warnings above).")
    return EXIT_FAILED if outcome.exit_code or input_errors or summary_failed else EXIT_OK
