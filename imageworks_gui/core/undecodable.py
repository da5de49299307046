"""Text holding the undecodable bytes of non-UTF-8 file names, shown as ``\\xe9`` escapes."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


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
