"""Check the files a run will write (journal, report) before any work starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from imageworks_gui.services.discovery import is_image_path
from imageworks_gui.services.writable import is_read_only


def output_file_problem(path: Path, option: str) -> str | None:
    """Why ``path`` cannot be written as the ``option`` file, or None when it can.

    The file may exist (a regular, writable file) or be created in an existing or creatable
    folder; a folder, a FIFO or a read-only file or folder is refused with what to do.
    """
    shown = f"{option} {path}"
    if path.is_dir():
        return f"{shown} is a folder; give a file name inside it, e.g. {path / 'tags.jsonl'}"
    if path.exists() or path.is_symlink():
        if not path.is_file():
            return f"{shown} is not a regular file (a device, FIFO or broken link); choose " \
                   "another file name"
        if is_read_only(path):
            return f"{shown} is read-only; make it writable (chmod u+w) or choose another file"
        if is_image_path(path):
            return f"{shown} is a photo, which this file would replace; choose another file " \
                   "name (e.g. tags.jsonl, summary.md)"
    folder = path.parent
    while not folder.exists():  # the nearest existing folder is where files will be created
        if folder == folder.parent:
            break
        folder = folder.parent
    if not folder.is_dir():
        return f"{shown}: {folder} is not a folder, so the file cannot be created there"
    if is_read_only(folder) or not os.access(folder, os.X_OK):
        return f"{shown}: the folder {folder} is read-only; choose a file in a writable folder"
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_files(files: dict[str, Path | None],
                       keep: Mapping[str, Path] | None = None) -> list[str]:
    """Problems with every given output file (``{option: path}``), including one path twice
    and one that is a file of ``keep`` (``{what: path}``, e.g. the registry in use)."""
    problems = [p for option, path in files.items() if path is not None
                for p in [output_file_problem(path, option)] if p]
    problems += [f"{option} {path} is {what}, which this file would replace; choose another "
                 "file name" for option, path in files.items() if path is not None
                 for what, kept in (keep or {}).items() if _same_file(path, kept)]
    given = [(option, path.absolute()) for option, path in files.items() if path is not None]
    for i, (option, path) in enumerate(given):
        for other, other_path in given[i + 1:]:
            if path == other_path:
                problems.append(f"{option} and {other} name the same file {path}; give each "
                                "its own file")
    return problems
