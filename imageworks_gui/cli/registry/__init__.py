"""`imageworks-model-registry`: inspect, verify, lock and import registry entries."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import typer

from imageworks_gui.cli.options import (
    REGISTRY_PATH_HELP,
    RegistryPathGroup,
    merge_registry_path,
)
from imageworks_gui.cli.streams import tolerate_undecodable_names
from imageworks_gui.services.logs import setup_logging

app = typer.Typer(
    name="imageworks-model-registry",
    cls=RegistryPathGroup,
    help="Curate the Imageworks model registry.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    registry_path: Path | None = typer.Option(
        None, "--registry-path", metavar="FILE", help=REGISTRY_PATH_HELP),
    verbose: bool = typer.Option(False, "-v", "--verbose",
                                 help="Also print the structured log records (role "
                                 "resolutions, probes, verifies) on stderr."),
) -> None:
    """Curate the Imageworks model registry."""
    tolerate_undecodable_names()
    setup_logging("imageworks-model-registry", verbose=verbose)
    merge_registry_path(ctx, registry_path)


_COMMAND_MODULES = ("list_cmds", "verify_cmds", "sync_cmd", "probe_cmd", "golden_cmds",
                    "scorecard_cmd")


def _register_commands() -> None:
    # Each command module registers its commands on ``app`` when imported; optional modules
    # (added by other features) are imported only when present.
    for name in _COMMAND_MODULES:
        module = f"{__name__}.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()
