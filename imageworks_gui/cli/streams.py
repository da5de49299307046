"""Standard streams that print non-UTF-8 file names as their own bytes instead of crashing."""

from __future__ import annotations

import contextlib
import sys


def tolerate_undecodable_names() -> None:
    """Let stdout/stderr write lone surrogates (a name holding bytes such as ``0xE9``) back as
    the original bytes, the way ``ls`` prints them, so a hostile name never aborts a command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                reconfigure(errors="surrogateescape")
