"""`list`, `show` and `select`: read-only views of the registry."""

from __future__ import annotations

import typer
from rich.table import Table

from imageworks_gui.cli.registry import app
from imageworks_gui.cli.registry._common import (
    EXIT_FAILURE,
    console,
    endpoint,
    err_console,
    fail,
    get_entry,
    lock_state,
    open_registry,
    served_name,
)
from imageworks_gui.cli.registry.replicas_view import endpoint_cell, print_replica_states
from imageworks_gui.core.resolution import RoleResolutionError, select_model
from imageworks_gui.services.backends.locality import entry_off_machine_warning
from imageworks_gui.services.registry_store import json_text


@app.command("list")
def list_entries(
    ctx: typer.Context,
    role: str | None = typer.Option(None, "--role", help="Only entries advertising this role."),
    as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON."),
) -> None:
    """List registry entries in priority order."""
    store, entries = open_registry(ctx)
    shown = [e for e in entries if role is None or role in e.roles]
    if as_json:
        typer.echo(json_text([e.to_json_dict() for e in shown]))
        return
    table = Table(title=str(store.path), title_justify="left")
    for header in ("name", "backend", "endpoint", "roles", "capabilities", "lock", "notes"):
        table.add_column(header, overflow="fold")
    for entry in shown:
        caps = ", ".join(c for c, v in entry.capabilities.as_dict().items() if v)
        table.add_row(entry.name, entry.backend, endpoint_cell(entry), ", ".join(entry.roles),
                      caps, lock_state(entry), "deprecated" if entry.deprecated else "")
    console.print(table)
    if not shown:
        err_console.print(f"no entries{f' with role {role!r}' if role else ''}")


@app.command("show")
def show_entry(ctx: typer.Context, name: str = typer.Argument(..., help="Entry name.")) -> None:
    """Print one entry as JSON."""
    _store, entries = open_registry(ctx)
    entry = get_entry(entries, name)
    typer.echo(json_text(entry.to_json_dict()))
    print_replica_states(entry)
    warning = entry_off_machine_warning(entry)
    if warning:
        typer.echo(f"warning: {warning}", err=True)


@app.command("select")
def select_entry(
    ctx: typer.Context,
    role: str = typer.Option(..., "--role", help="Role to resolve, e.g. caption."),
    prefer: str | None = typer.Option(None, "--prefer", help="Preferred entry name."),
    require: list[str] = typer.Option([], "--require", help="Extra required capability "
                                      "(repeatable)."),
) -> None:
    """Resolve a role to a model the way the tagger does, and print it."""
    _store, entries = open_registry(ctx)
    try:
        resolution = select_model(entries, role, require, prefer, log_resolution=False)
    except RoleResolutionError as exc:
        fail(str(exc), EXIT_FAILURE)
    for skipped in resolution.skipped:
        err_console.print(f"skipped {skipped}")
    entry = resolution.entry
    console.print(f"role:        {role}")
    console.print(f"model:       {entry.name} ({resolution.reason})")
    console.print(f"backend:     {entry.backend}")
    console.print(f"endpoint:    {endpoint(entry)}")
    console.print(f"served name: {served_name(entry)}")
