"""`imageworks-model-registry scorecard`: review figures per model version and role."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from rich.table import Table
from rich.text import Text

from imageworks_gui.cli.console import error_line, make_console, printable
from imageworks_gui.cli.registry import app
from imageworks_gui.cli.registry._common import open_registry, save_registry
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.scorecard import ScoreRow, with_quality
from imageworks_gui.services import scorecard_store
from imageworks_gui.services.quality_db import QualityDbError


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def _table(rows: list[ScoreRow]) -> Table:
    table = Table(show_header=True, header_style="bold")
    for header in ("role", "model", "hash", "photos", "rejected", "kw kept", "added/photo",
                   "accepted", "edit dist", "latency"):
        table.add_column(header)
    for r in rows:
        table.add_row(Text(printable(r.role)), Text(printable(r.model)),
                      Text(printable((r.model_hash or "-")[:12])),
                      str(r.photos), str(r.photos_rejected), _pct(r.keyword_precision),
                      _num(r.added_per_photo), _pct(r.acceptance_rate),
                      _num(r.mean_edit_distance), _num(r.mean_latency_ms, " ms"))
    return table


def _with_quality(entries: list[RegistryEntry], rows: list[ScoreRow]) -> list[RegistryEntry]:
    """Entries whose ``performance.quality`` holds the scorecard summary (other keys kept)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return [with_quality(entry, rows, now) or entry for entry in entries]


@app.command("scorecard")
def scorecard(
    ctx: typer.Context,
    role: str | None = typer.Option(None, "--role", metavar="ROLE",
                                    help="Only this role (caption, keywords, description)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    update_registry: bool = typer.Option(
        False, "--update-registry",
        help="Also store each entry's summary in its performance.quality field."),
) -> None:
    """How each model version did in review: keywords kept, prose accepted, photos reviewed."""
    try:
        rows = scorecard_store.scorecard(role=role)
    except QualityDbError as exc:
        make_console(stderr=True).print(error_line(str(exc)))
        raise typer.Exit(1) from exc
    if update_registry:
        store, entries = open_registry(ctx)
        save_registry(store, _with_quality(entries, scorecard_store.scorecard()))
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in rows], indent=2, sort_keys=True))
        return
    console = make_console()
    if not rows:
        console.print("No review decisions recorded yet: approve or reject proposals in the "
                      "Tagging workspace first.")
        return
    console.print(_table(rows))
