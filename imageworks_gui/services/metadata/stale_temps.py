"""Temp folders of photo writes: named after their writer, swept when that writer is dead.

A write puts the new version of a photo in ``.iwtmp-<host>-<pid>-<random>/`` beside it and
renames it over the original; the folder is removed by the write that made it. Only a killed
process (SIGKILL, power loss) leaves one behind, holding a partial or complete copy. Such a
folder is *stale* when its writer is provably gone: same host and its process id no longer
runs. A folder of a live process is never touched, except past ``STALE_AGE_S`` (no write takes
that long; this also covers a process id reused since), and folders of other hosts (a shared
network folder) or of the old unnamed format are judged by age alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Iterable
from pathlib import Path

TEMP_PREFIX = ".iwtmp-"
STALE_AGE_S = 24 * 3600.0
"""A temp folder older than this is stale whoever made it."""
OLD_FORMAT_AGE_S = 600.0
"""Folders without a writer id (older versions) are stale after this long."""
_NAME_RE = re.compile(r"^\.iwtmp-(?:(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-)?[0-9a-f]{12}$")


def _host_id() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def temp_dir_name() -> str:
    """A new temp folder name carrying this host and process."""
    return f"{TEMP_PREFIX}{_host_id()}-{os.getpid()}-{secrets.token_hex(6)}"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return True  # no signal-0 probe there: judged by age only
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def is_stale(folder: Path, now: float | None = None) -> bool:
    """True when ``folder`` is a temp folder whose writer is gone (see the module text)."""
    match = _NAME_RE.match(folder.name)
    if match is None:
        return False
    try:
        age = (now or time.time()) - folder.stat().st_mtime
    except OSError:
        return False
    if age > STALE_AGE_S:
        return True
    if match["pid"] is None:
        return age > OLD_FORMAT_AGE_S
    if match["host"] != _host_id():
        return False
    return not _process_alive(int(match["pid"]))


def sweep_folder(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the stale temp folders in ``folder``; returns what was removed."""
    removed = []
    try:
        candidates = [p for p in Path(folder).glob(f"{TEMP_PREFIX}*") if p.is_dir()]
    except OSError:
        return []
    for candidate in candidates:
        if is_stale(candidate):
            shutil.rmtree(candidate, ignore_errors=True)
            if not candidate.exists():
                removed.append(candidate)
    return removed


def sweep_folders(folders: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """``sweep_folder`` for each distinct folder."""
    removed: list[Path] = []
    for folder in dict.fromkeys(os.path.abspath(f) for f in folders):
        removed.extend(sweep_folder(folder))
    return removed
