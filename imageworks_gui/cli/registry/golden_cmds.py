"""`verify NAME --golden`: re-run an entry's golden sets and gate on keyword precision."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from imageworks_gui.cli.console import error_line, line
from imageworks_gui.cli.registry import app
from imageworks_gui.cli.registry._common import (
    console,
    err_console,
    fail,
    get_entry,
    open_registry,
)
from imageworks_gui.core.entry_transitions import relock
from imageworks_gui.core.golden import RunFigures, Verdict, baseline_models, golden_photos
from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.services.backends.endpoints import make_http_client
from imageworks_gui.services.golden import rerun
from imageworks_gui.services.golden_store import GoldenStore
from imageworks_gui.services.quality_db import QualityDbError
from imageworks_gui.services.review_store import ReviewStore, ReviewStoreError
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore

EXIT_OK, EXIT_DROP, EXIT_ERROR = 0, 1, 2


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print(role: str, name: str, result: Verdict) -> None:
    console.print(line(f"golden set {name!r} (role {role}): ",
                       ("PASS", "green") if result.status == "pass" else ("FAIL", "bold red"),
                       f" {result.reason}"))
    rows: list[tuple[str, RunFigures]] = [("old", result.old), ("new", result.new)]
    console.print("       precision  recall  title-edit  description-edit  photos  failed")
    for label, f in rows:
        console.print(f"  {label:<4} {_fmt(f.precision):>9}  {_fmt(f.recall):>6}  "
                      f"{_fmt(f.title_edit):>10}  {_fmt(f.description_edit):>16}  "
                      f"{f.photos:>6}  {f.failed:>6}")


def golden_gate(ctx: typer.Context, name: str, set_name: str | None, margin: float | None,
                as_json: bool) -> int:
    """Re-run the golden sets of ``name``'s roles; 0 pass, 1 precision drop, 2 error."""
    _store, entries = open_registry(ctx)
    entry = get_entry(entries, name)
    if entry.drifted:
        # Measure the changed files as if re-locked to them; the registry is not touched.
        entry = relock(entry)
        entries = [entry if e.name == name else e for e in entries]
    try:
        settings = SettingsStore().load()
        sets = [s for s in GoldenStore().list_sets()
                if s.role in entry.roles and (set_name is None or s.name == set_name)]
    except (SettingsLoadError, QualityDbError) as exc:
        err_console.print(error_line(str(exc)))
        return EXIT_ERROR
    if not sets:
        which = f" named {set_name!r}" if set_name else ""
        err_console.print(error_line(
            f"no golden set{which} for the roles of {name} ({', '.join(entry.roles) or 'none'}); "
            "mark approved photos as a golden set first: 'imageworks-model-registry golden "
            "mark ROLE NAME FOLDER'"))
        return EXIT_ERROR

    async def run_all() -> list[Verdict]:
        async with make_http_client(settings) as http:
            return [await rerun(http, s, entry, entries, settings, margin) for s in sets]

    try:
        results = asyncio.run(run_all())
    except RoleResolutionError as exc:
        err_console.print(error_line(str(exc)))
        return EXIT_ERROR
    aggregate = entry.version_lock.expected_aggregate_sha256 if entry.version_lock else None
    for golden, result in zip(sets, results, strict=True):
        GoldenStore().record_run(golden.role, golden.name, entry.name, aggregate, result)
        if not as_json:
            _print(golden.role, golden.name, result)
    if as_json:
        console.print_json(json.dumps([{"role": g.role, "set": g.name,
                                        **r.model_dump(mode="json")}
                                       for g, r in zip(sets, results, strict=True)]))
    if all(r.new.photos == 0 for r in results):
        err_console.print(error_line(f"no photo got a proposal from {name}: is its server "
                                     "running? start it and run verify again"))
        return EXIT_ERROR
    return EXIT_DROP if any(r.status == "fail" for r in results) else EXIT_OK


golden_app = typer.Typer(help="Golden sets: approved photos whose keywords judge model upgrades.",
                         no_args_is_help=True)
app.add_typer(golden_app, name="golden")


@golden_app.command("mark")
def mark(role: str = typer.Argument(..., help="Role the set judges (e.g. keywords)."),
         name: str = typer.Argument(..., help="Name of the set."),
         folder: Path = typer.Argument(..., help="Folder whose approved reviews to use.")) -> None:
    """Make (or replace) a golden set from a folder's approved or written reviews."""
    if role not in STAGES:
        fail(f"unknown role {role!r}: a golden set judges one of {', '.join(STAGES)}",
             EXIT_ERROR)
    try:
        reviews = ReviewStore(folder).load()
    except ReviewStoreError as exc:
        fail(str(exc), EXIT_ERROR)
    photos, skipped = golden_photos(reviews)
    if not photos:
        fail(f"no approved or written reviews in {folder}: review and approve photos first",
             EXIT_ERROR)
    try:
        GoldenStore().save(role, name, photos, baseline_models(photos))
    except QualityDbError as exc:
        fail(str(exc), EXIT_ERROR)
    console.print(f"golden set {name!r} for role {role}: {len(photos)} photo(s)"
                  + (f", {skipped} not approved skipped" if skipped else ""))


@golden_app.command("list")
def list_sets() -> None:
    """List golden sets with their photo counts."""
    for golden in GoldenStore().list_sets():
        console.print(f"{golden.role}\t{golden.name}\t{len(golden.photos)} photo(s)")


@golden_app.command("remove")
def remove(role: str = typer.Argument(...), name: str = typer.Argument(...)) -> None:
    """Remove a golden set and its recorded runs."""
    if not GoldenStore().remove(role, name):
        fail(f"no golden set {name!r} for role {role!r}: see 'golden list'", EXIT_ERROR)
    console.print(f"removed golden set {name!r} for role {role}")
