"""`imageworks-personal-tagger`: tag photos from the command line (run, apply, undo)."""

from __future__ import annotations

import typer

from imageworks_gui.cli.streams import tolerate_undecodable_names
from imageworks_gui.services.logs import setup_logging

app = typer.Typer(
    name="imageworks-personal-tagger",
    help="Propose captions, keywords and descriptions for photos with local vision models, "
    "and write them into the photos' metadata.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _global_options(
    verbose: bool = typer.Option(False, "-v", "--verbose",
                                 help="Also print the structured log records (role "
                                 "resolutions, probes, writes) on stderr."),
) -> None:
    """Tag photos with local vision models and write reviewed metadata."""
    tolerate_undecodable_names()
    setup_logging("imageworks-personal-tagger", verbose=verbose)


def _register_commands() -> None:
    # Each command lives in its own module and registers itself on ``app``.
    from imageworks_gui.cli.tagger import run_cmd, write_cmds  # noqa: F401


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    app()
