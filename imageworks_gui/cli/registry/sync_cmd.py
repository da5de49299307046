"""`sync-downloader`: import the downloader's models.json into the registry."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from imageworks_gui.cli.console import styled
from imageworks_gui.cli.registry import app
from imageworks_gui.cli.registry._common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    console,
    fail,
    open_registry,
    save_registry,
)
from imageworks_gui.core.downloader import SyncPlan
from imageworks_gui.services.downloader_sync import (
    ManifestLoadError,
    apply_sync,
    load_manifest,
    plan_sync,
)
from imageworks_gui.services.hashing import HashingCancelled


def _print_plan(plan: SyncPlan, *, dry_run: bool) -> None:
    table = Table(title="sync plan (dry run: nothing written)" if dry_run else "sync result",
                  title_justify="left")
    for header in ("manifest id", "action", "entry", "details"):
        table.add_column(header, overflow="fold")
    styles = {"create": "green", "update": "yellow", "unchanged": "dim", "error": "bold red"}
    for action in plan.actions:
        details = action.message or ", ".join(action.changed_fields)
        table.add_row(action.key, styled(action.kind, styles[action.kind]),
                      action.name or "", details)
    console.print(table)
    totals = plan.totals
    console.print(f"{totals['create']} created, {totals['update']} updated, "
                  f"{totals['unchanged']} unchanged, {totals['error']} errors"
                  + (" (dry run)" if dry_run else ""))


@app.command("sync-downloader")
def sync_downloader_cmd(
    ctx: typer.Context,
    models_json: Path = typer.Argument(..., metavar="MODELS_JSON",
                                       help="The downloader's models.json."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; hash and write "
                                 "nothing."),
    no_hash: bool = typer.Option(False, "--no-hash", help="Record sizes only; skip hashing."),
) -> None:
    """Create or refresh entries for downloaded models (roles stay the admin's decision)."""
    store, entries = open_registry(ctx)
    try:
        manifest = load_manifest(models_json)
    except ManifestLoadError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        plan = plan_sync(entries, manifest, hash_files=not (dry_run or no_hash))
    except (HashingCancelled, KeyboardInterrupt):
        fail("sync cancelled; nothing was written", EXIT_FAILURE)
    if not dry_run and plan.has_changes:
        save_registry(store, apply_sync(entries, plan))
    _print_plan(plan, dry_run=dry_run)
    if plan.count("error"):
        raise typer.Exit(EXIT_FAILURE)
