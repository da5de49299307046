"""Whether a file or folder may be replaced: permissions, and the owner's read-only mark."""

from __future__ import annotations

import os
import stat

WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def is_read_only(path: str | os.PathLike[str]) -> bool:
    """Not writable for us, or marked read-only by its owner (respected even for root).

    Root may write anything, so permission alone is not enough: a file or folder without any
    write bit was made read-only on purpose and is left alone.
    """
    return not os.access(path, os.W_OK) or not os.stat(path).st_mode & WRITE_BITS
