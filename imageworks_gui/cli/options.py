"""``--registry-path``, accepted before and after the command name in both CLIs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

OPTION = "--registry-path"
REGISTRY_PATH_HELP = ("Registry file to use (default: $IMAGEWORKS_REGISTRY_PATH, then "
                      "./configs/model_registry.json, then the user config folder); also "
                      "accepted after the command name.")


@dataclass
class CliState:
    """Options given before the command name (stored on the root context)."""

    registry_path: Path | None = None


def root_state(ctx: typer.Context | Any) -> CliState:
    """The root context's state, created on first use."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    state: CliState = root.obj
    return state


def merge_registry_path(ctx: typer.Context | Any, value: Path | None) -> Path | None:
    """Record ``value`` (given before or after the command name); both must name one file."""
    state = root_state(ctx)
    if value is None:
        return state.registry_path
    if state.registry_path is not None and state.registry_path != Path(value):
        raise typer.BadParameter(f"given twice with different files ({state.registry_path} "
                                 f"and {value}); give it once", param_hint=f"'{OPTION}'")
    state.registry_path = Path(value)
    return state.registry_path


def hoist_registry_path(args: list[str]) -> list[str]:
    """``args`` with every ``--registry-path FILE`` moved in front of the command name.

    Arguments after ``--`` are left alone (an entry may be called ``--registry-path``).
    """
    values: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg == OPTION:
            if index + 1 == len(args):
                raise typer.BadParameter("needs a FILE", param_hint=f"'{OPTION}'")
            values.append(args[index + 1])
            index += 2
            continue
        if arg.startswith(OPTION + "="):
            values.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
        index += 1
    if len({Path(v) for v in values}) > 1:
        raise typer.BadParameter(f"given more than once with different files "
                                 f"({', '.join(values)}); give it once",
                                 param_hint=f"'{OPTION}'")
    return [OPTION, values[0], *rest] if values else rest


class RegistryPathGroup(TyperGroup):
    """A command group that takes ``--registry-path`` before or after the command name."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_registry_path(list(args)))
