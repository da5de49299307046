"""Terminal output of both CLIs: untrusted text (paths, names, server messages) printed literally.

The consoles never parse rich markup or emoji codes and never highlight, so a file called
``sub[/]w.bin``, an entry called ``qwen[/vl]`` or a server message holding ``[/INST]`` is printed
as it is. Styling is added only around our own labels, with ``line``.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import TextColumn
from rich.text import Text

Part = str | tuple[str, str] | Text
"""A piece of a line: plain text, ``(text, style)``, or a ready ``Text``."""


def make_console(*, stderr: bool = False) -> Console:
    """A console that prints every string literally (no markup, emoji or highlighting)."""
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


out = make_console()
err = make_console(stderr=True)


def line(*parts: Part) -> Text:
    """One line from literal pieces; only the ``(text, style)`` pieces are styled."""
    return Text.assemble(*parts)


def styled(text: str, style: str) -> Text:
    """``text`` (literal) shown in ``style``."""
    return Text(text, style=style)


def error_line(message: str, label: str = "error:") -> Text:
    """``error: MESSAGE`` with the label in bold red and the message literal."""
    return line((label, "bold red"), " ", message)


def warning_line(message: str) -> Text:
    """``warning: MESSAGE`` with the label in yellow and the message literal."""
    return line(("warning:", "yellow"), " ", message)


def literal_column(template: str = "{task.description}") -> TextColumn:
    """A progress-bar text column whose task text (e.g. an entry name) is not markup."""
    return TextColumn(template, markup=False)
