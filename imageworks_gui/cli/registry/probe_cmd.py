"""`probe NAME` and `discover`: check a model's server and vision, find running servers."""

from __future__ import annotations

import asyncio
import json

import typer

from imageworks_gui.cli.console import Part, line, styled, warning_line
from imageworks_gui.cli.registry import app
from imageworks_gui.cli.registry._common import (
    EXIT_FAILURE,
    console,
    err_console,
    get_entry,
    open_registry,
    save_registry,
)
from imageworks_gui.core.entry_transitions import merge_discovered
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends import (
    DiscoveredModel,
    ProbeReport,
    discover_backends,
    entry_with_probe_results,
)
from imageworks_gui.services.backends.discover import with_vision_checked
from imageworks_gui.services.backends.endpoints import make_http_client
from imageworks_gui.services.backends.locality import entry_off_machine_warning
from imageworks_gui.services.backends.replica_preflight import probe_every_replica
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore


def _settings() -> Settings:
    try:
        return SettingsStore().load()
    except SettingsLoadError as exc:
        err_console.print(warning_line(f"{exc}; using default settings"))
        return Settings()


def warn_off_machine(entry: RegistryEntry) -> None:
    """Say on stderr when the entry's server is not on this machine."""
    warning = entry_off_machine_warning(entry)
    if warning:
        err_console.print(f"warning: {warning}", markup=False, style="yellow")


async def _probe(entry: RegistryEntry, settings: Settings, vision: bool | None) -> ProbeReport:
    async with make_http_client(settings) as http:
        return await probe_every_replica(http, entry, settings, check_vision=vision)


def _show(entry: RegistryEntry, report: ProbeReport) -> None:
    def mark(value: bool | None) -> Part:
        return {True: ("yes", "green"), False: ("no", "red"), None: "-"}[value]

    console.print(f"{report.entry} ({report.backend} at {report.endpoint})")
    status = report.status()
    console.print(f"  status:        {status.text}")
    if not status.online:
        console.print(f"                 {status.describe(entry)}")
    console.print(line(f"  served name:   {report.served_name or '-'} (listed: ",
                       mark(report.served_listed), ")"))
    console.print(line("  text chat:     ", mark(report.text_ok)))
    if report.vision_checked:
        answers = ", ".join(f"{c} -> {a!r}" for c, a in report.vision_answers.items())
        console.print(line("  vision probe:  ", mark(report.vision_ok), f" {answers}"))
    if report.ttft_ms is not None:
        console.print(f"  TTFT:          {report.ttft_ms:.0f} ms")
    if report.tokens_per_s is not None:
        console.print(f"  throughput:    {report.tokens_per_s:.1f} tokens/s")
    if report.streamed is False:
        console.print("  streaming:     no (the server answered \"stream\": true with one JSON "
                      "body)", markup=False)
    for note in report.replica_notes:
        console.print(f"  {note}", markup=False, style="yellow")
    console.print(styled(report.message, "green" if report.ok else "bold red"))


@app.command("probe")
def probe(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Entry name."),
    vision: bool | None = typer.Option(
        None, "--vision/--no-vision", help="Run the vision probe (default: when the entry has "
        "the vision capability or a vision role)."),
    record: bool = typer.Option(True, "--record/--no-record",
                                help="Save probes.vision and performance in the registry."),
) -> None:
    """Check that NAME's server answers, serves it, chats, and really sees images."""
    store, entries = open_registry(ctx)
    entry = get_entry(entries, name)
    warn_off_machine(entry)
    report = asyncio.run(_probe(entry, _settings(), vision))
    _show(entry, report)
    if record and report.online:
        fresh = store.load()  # re-read so edits made while probing are kept
        current = next((e for e in fresh if e.name == name), None)
        merged = entry_with_probe_results(current, report) if current is not None else None
        if current is not None and merged is not current:
            save_registry(store, [merged if e.name == name else e for e in fresh])
            console.print(f"Recorded probe results in {store.path}")
    if not report.ok:
        raise typer.Exit(EXIT_FAILURE)


async def _discover(ports: list[int] | None, host: str) -> list[DiscoveredModel]:
    async with make_http_client(_settings()) as http:
        return await discover_backends(http, host=host, ports=ports)


async def _vision_checked(candidates: list[RegistryEntry]) -> list[tuple[RegistryEntry, str]]:
    settings = _settings()
    async with make_http_client(settings) as http:
        return [await with_vision_checked(http, c, settings) for c in candidates]


@app.command("discover")
def discover(
    ctx: typer.Context,
    port: list[int] = typer.Option([], "--port", help="Port to probe (repeatable; default: "
                                   "8000, 11434, 23333, 8080, 1234)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Host to probe."),
    add: bool = typer.Option(False, "--add", help="Append models not yet in the registry."),
    as_json: bool = typer.Option(False, "--json", help="Print candidate entries as JSON."),
) -> None:
    """List models served on the default local ports (vLLM, Ollama, LMDeploy, llama.cpp,
    LM Studio), with the capabilities the servers report."""
    found = asyncio.run(_discover(port or None, host))
    candidates = [m.to_registry_entry() for m in found]
    if as_json:
        console.print_json(json.dumps([c.to_json_dict() for c in candidates]))
    elif not found:
        console.print("No model server answered on the probed ports.")
    for model in found if not as_json else []:
        vision = {True: "vision", False: "no vision", None: "vision unknown"}[model.vision]
        console.print(f"{model.backend:<9} {model.host}:{model.port}  {model.served_name}  "
                      f"({vision})")
    if add and found:
        store, entries = open_registry(ctx)
        new = merge_discovered(entries, candidates)
        checked = asyncio.run(_vision_checked(new)) if new else []
        for _entry, note in checked:
            console.print(note, markup=False)
        entries = store.load()  # re-read: edits made while probing are kept
        new = merge_discovered(entries, [e for e, _note in checked])
        if new:
            save_registry(store, [*entries, *new])
        console.print(f"Added {len(new)} entr{'y' if len(new) == 1 else 'ies'} to {store.path}")
