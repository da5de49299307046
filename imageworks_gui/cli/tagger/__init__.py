"""`imageworks-personal-tagger`: tag photos from the command line (run, apply, undo, check)."""

from __future__ import annotations

from pathlib import Path

import typer

from imageworks_gui.cli.options import REGISTRY_PATH_HELP, merge_registry_path
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
    ctx: typer.Context,
    registry_path: Path | None = typer.Option(None, "--registry-path", metavar="FILE",
                                              help=REGISTRY_PATH_HELP),
    verbose: bool = typer.Option(False, "-v", "--verbose",
                                 help="Also print the structured log records (role "
                                 "resolutions, probes, writes) on stderr."),
) -> None:
    """Propose captions, keywords and descriptions for photos with local vision models, and
    write them into the photos' metadata."""
    tolerate_undecodable_names()
    setup_logging("imageworks-personal-tagger", verbose=verbose)
    merge_registry_path(ctx, registry_path)


def _register_commands() -> None:
    # Each command lives in its own module and registers itself on ``app``.
    from imageworks_gui.cli.tagger import (  # noqa: F401
        check_cmd,
        compare_cmd,
        run_cmd,
        vocabulary_cmds,
        write_cmds,
    )


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    app()
