"""`imageworks-personal-tagger`: tag photos from the command line (run, apply, undo, check)."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="imageworks-personal-tagger",
    help="Propose captions, keywords and descriptions for photos with local vision models, "
    "and write them into the photos' metadata.",
    no_args_is_help=True,
    add_completion=False,
)


def _register_commands() -> None:
    # Each command lives in its own module and registers itself on ``app``.
    from imageworks_gui.cli.tagger import check_cmd, run_cmd, write_cmds  # noqa: F401


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    app()
