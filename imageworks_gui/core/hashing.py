"""Hashing rules: which files a model's hash covers, the aggregate formula and hash diffs.

The aggregate is the SHA-256 of the UTF-8 text made by sorting the lines
``"<file_sha256>  <relpath>"`` (two spaces, POSIX path relative to ``backend_config.model_path``)
and joining them with ``"\\n"`` without a trailing newline.

Ignored everywhere (``IGNORE_PATTERNS``): anything under a ``.git/`` or ``.cache/`` folder,
``.DS_Store``, Windows ``*:Zone.Identifier`` streams, unfinished downloads (``*.incomplete``) and
lock files (``*.lock``).

Include/exclude patterns are ``fnmatch`` globs over the POSIX relative path, where ``*`` also
matches ``/``; a pattern without ``/`` is also tried against the file name alone, so ``*.json``
matches ``config.json`` and ``sub/config.json``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

IGNORED_DIRS: tuple[str, ...] = (".git", ".cache")
"""Folder names whose whole content is never tracked (at any depth)."""

IGNORE_PATTERNS: tuple[str, ...] = (".DS_Store", "*:Zone.Identifier", "*.incomplete", "*.lock")
"""File name patterns that are never tracked."""


def matches_pattern(relpath: str, pattern: str) -> bool:
    """True when the POSIX relative path matches one glob (see the module docstring)."""
    if fnmatchcase(relpath, pattern):
        return True
    return "/" not in pattern and fnmatchcase(relpath.rsplit("/", 1)[-1], pattern)


def matches_any(relpath: str, patterns: Iterable[str]) -> bool:
    """True when the path matches at least one of the globs."""
    return any(matches_pattern(relpath, p) for p in patterns)


def is_ignored(relpath: str) -> bool:
    """True for files the built-in ignore list leaves out."""
    parts = relpath.split("/")
    if any(part in IGNORED_DIRS for part in parts[:-1]):
        return True
    return any(fnmatchcase(parts[-1], p) for p in IGNORE_PATTERNS)


def is_tracked(relpath: str, include: Iterable[str] | None = None,
               exclude: Iterable[str] | None = None) -> bool:
    """Whether a file belongs to the hashed set: not ignored, included (if any), not excluded."""
    if is_ignored(relpath):
        return False
    include = list(include or ())
    if include and not matches_any(relpath, include):
        return False
    return not matches_any(relpath, exclude or ())


def aggregate_lines(files: Mapping[str, str]) -> list[str]:
    """The sorted ``"<sha256>  <relpath>"`` lines the aggregate is computed over."""
    return sorted(f"{sha}  {path}" for path, sha in files.items())


def aggregate_sha256(files: Mapping[str, str]) -> str:
    """The aggregate hash of a ``relpath -> sha256`` map."""
    return hashlib.sha256("\n".join(aggregate_lines(files)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HashDiff:
    """How one file set differs from another (paths sorted)."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.added or self.removed)

    def summary(self, limit: int = 10) -> str:
        """A short human-readable description, e.g. ``changed: a.bin; added: b.bin``."""
        parts = []
        for label, paths in (("changed", self.changed), ("added", self.added),
                             ("removed", self.removed)):
            if paths:
                shown = ", ".join(paths[:limit])
                more = f" (+{len(paths) - limit} more)" if len(paths) > limit else ""
                parts.append(f"{label}: {shown}{more}")
        return "; ".join(parts) or "no file differences"


def diff_hashes(expected: Mapping[str, str], actual: Mapping[str, str]) -> HashDiff:
    """Files whose hash changed, that appeared, and that disappeared between two maps."""
    changed = sorted(p for p in expected.keys() & actual.keys() if expected[p] != actual[p])
    added = sorted(actual.keys() - expected.keys())
    removed = sorted(expected.keys() - actual.keys())
    return HashDiff(tuple(changed), tuple(added), tuple(removed))
