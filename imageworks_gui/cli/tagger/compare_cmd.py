"""`imageworks-personal-tagger compare`: two or three models side by side on a sample."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from imageworks_gui.cli.console import err, error_line, warning_line
from imageworks_gui.cli.options import merge_registry_path
from imageworks_gui.cli.tagger import app
from imageworks_gui.cli.tagger.run_cmd import UsageError, _load_entries, _load_settings
from imageworks_gui.core.compare import (
    Combination,
    CombinationError,
    Proposal,
    Sample,
    draw_sample,
    parse_combination,
    render_report,
)
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.atomic_text import write_text_atomic
from imageworks_gui.services.backends.endpoints import make_http_client
from imageworks_gui.services.compare import ComparisonRun
from imageworks_gui.services.discovery import iter_images
from imageworks_gui.services.pipeline import PreflightError
from imageworks_gui.services.prompt_profiles import PromptProfileError, list_prompt_profiles

EXIT_USAGE = 2


def existing_keywords(paths: tuple[str, ...]) -> dict[str, list[str]]:
    """Keywords the photos already carry (empty when ExifTool is not installed)."""
    from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
    from imageworks_gui.services.metadata.reader import MetadataError, read_metadata

    try:
        pool = ExifToolPool()
    except ExifToolError:
        return {}
    found: dict[str, list[str]] = {}
    try:
        for path in paths:
            try:
                meta = read_metadata(pool, Path(path))
            except (MetadataError, ExifToolError):
                continue
            if meta.keywords:
                found[path] = list(meta.keywords)
    finally:
        pool.close()
    return found


async def _compare(entries: list[RegistryEntry], settings: Settings,
                   combos: list[Combination], sample: Sample,
                   preflight: bool) -> dict[str, list[Proposal]]:
    async with make_http_client(settings) as http:
        run = ComparisonRun(http, entries, settings, combos)
        for combo in (combos if preflight else []):
            err.print(f"Checking {combo.label}...")
            try:
                await run.pipeline_for(combo).preflight()
            except PreflightError as exc:
                raise UsageError(f"{combo.label} cannot be used: {exc}; start its server (or "
                                 "fix its registry entry) and run compare again") from exc

        def progress(done: int, total: int) -> None:
            err.print(f"  {done}/{total} proposals")

        return await run.run(list(sample.paths), on_progress=progress)


@app.command("compare")
def compare(
    ctx: typer.Context,
    input_dir: Path = typer.Option(..., "-i", "--input-dir", help="Folder to draw the sample "
                                   "from."),
    sample_size: int = typer.Option(20, "--sample", min=1, help="Photos drawn at random."),
    seed: int = typer.Option(1, "--seed", help="Seed of the random draw (same seed, same "
                             "photos)."),
    a: str = typer.Option(..., "--a", help="First combination: MODEL[:PROFILE]."),
    b: str = typer.Option(..., "--b", help="Second combination: MODEL[:PROFILE]."),
    c: str | None = typer.Option(None, "--c", help="Optional third combination."),
    output: Path = typer.Option(..., "--output", "-o", help="Markdown report to write."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive",
                                   help="Include subfolders."),
    registry_path: Path | None = typer.Option(None, "--registry-path", metavar="FILE",
                                              help="Registry file."),
    skip_preflight: bool = typer.Option(False, "--skip-preflight", help="Do not probe the "
                                        "models first (compare one that fails a probe)."),
) -> None:
    """Run two or three models (optionally with a prompt profile each) over a random sample
    of a folder, writing nothing to the photos, and write a side-by-side Markdown report."""
    registry_path = merge_registry_path(ctx, registry_path)
    try:
        settings = _load_settings()
        entries = _load_entries(registry_path)
        names = [e.name for e in entries]
        profiles = list_prompt_profiles()
        combos = [parse_combination(t, names, profiles) for t in (a, b, c) if t]
        if not input_dir.is_dir():
            raise UsageError(f"{input_dir} is not a folder: pass the folder to sample with -i")
        photos = [str(p) for p in iter_images([input_dir], recursive, lambda p, m: None)]
        if not photos:
            raise UsageError(f"no photos found in {input_dir}: check the folder (JPEG, PNG, "
                             "TIFF, HEIC and RAW files are read)")
        sample = draw_sample(photos, sample_size, seed)
        if sample_size > sample.available:
            err.print(warning_line(f"--sample {sample_size} is more than the "
                                   f"{sample.available} photo(s) in the folder: using all"))
        table = asyncio.run(_compare(entries, settings, combos, sample,
                                      not skip_preflight))
        report = render_report(combos, sample, table, existing_keywords(sample.paths))
        write_text_atomic(output, report)
    except (UsageError, CombinationError, PromptProfileError, RoleResolutionError) as exc:
        err.print(error_line(str(exc)))
        raise typer.Exit(EXIT_USAGE) from exc
    except OSError as exc:
        err.print(error_line(f"cannot write the report {output}: {exc}"))
        raise typer.Exit(EXIT_USAGE) from exc
    err.print(f"Wrote {output} ({sample.note}).")
