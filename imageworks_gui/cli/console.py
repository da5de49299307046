"""Terminal output of both CLIs: untrusted text (paths, names, server messages) printed literally.

The consoles never parse rich markup or emoji codes and never highlight, so a file called
``sub[/]w.bin``, an entry called ``qwen[/vl]`` or a server message holding ``[/INST]`` is printed
as it is. Styling is added only around our own labels, with ``line``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from rich.console import Console
from rich.progress import TextColumn
from rich.segment import Segment
from rich.text import Text

from imageworks_gui.core.undecodable import escape_controls, escape_undecodable

Part = str | tuple[str, str] | Text
"""A piece of a line: plain text, ``(text, style)``, or a ready ``Text``."""


def printable(text: str) -> str:
    """``text`` with undecodable bytes of file names shown as ``\\xe9`` (as ``ls -b`` does)."""
    return escape_undecodable(text)


class _PrintableStream:
    """A text stream wrapper that makes every write printable (see ``printable``)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class LiteralConsole(Console):
    """A console that prints every string literally: no markup, emoji or highlighting,
    terminal control characters and undecodable file-name bytes escaped."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, markup=False, emoji=False, highlight=False,
                         soft_wrap=True)

    @property
    def file(self) -> IO[str]:
        stream = Console.file.fget(self)  # type: ignore[attr-defined]
        return stream if isinstance(stream, _PrintableStream) else _PrintableStream(stream)

    @file.setter
    def file(self, new_file: IO[str]) -> None:
        self._file = new_file

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Text segments are escaped; rich's own control segments (cursor moves of the progress
        # display) and the styles it adds around text are kept.
        return super()._render_buffer(
            segment if segment.control else Segment(escape_controls(segment.text),
                                                    segment.style)
            for segment in buffer)


def make_console(*, stderr: bool = False) -> Console:
    """A console that prints every string literally (see ``LiteralConsole``)."""
    return LiteralConsole(stderr=stderr)


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
