"""`imageworks-model-registry`: inspect, verify, lock and import registry entries."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="imageworks-model-registry",
    help="Curate the Imageworks model registry.",
    no_args_is_help=True,
    add_completion=False,
)


def main() -> None:
    """Console-script entry point."""
    app()
