"""Untrusted text made safe to show: undecodable file-name bytes and control characters escaped."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters a terminal would act on (escape sequences, bell...); tab and newline are
text."""


def escape_undecodable(text: str) -> str:
    """``text`` with undecodable bytes of file names shown as ``\\xe9`` (as ``ls -b`` does).

    Names read from a non-UTF-8 file system hold lone surrogates, which no UTF-8 file or
    terminal can hold; every other character is left alone.
    """
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def escape_controls(text: str) -> str:
    """``text`` with terminal control characters shown as ``\\x1b``, so a name or a server
    message cannot move the cursor, clear the screen or retitle the window."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
