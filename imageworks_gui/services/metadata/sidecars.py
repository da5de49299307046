"""Find a RAW photo's sidecar on disk without ever sharing one between two photos."""

from __future__ import annotations

import errno
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.sidecars import (
    OWNER_TAGS,
    SidecarChoice,
    SidecarStyle,
    choose_sidecar,
    same_stem_photos,
)
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool, file_arg

_CACHE_SIZE = 64
_lock = threading.Lock()
_listings: OrderedDict[str, tuple[int, list[str]]] = OrderedDict()


def folder_names(folder: str | os.PathLike[str]) -> list[str]:
    """The entry names of ``folder``, listed again only when the folder changed.

    Looking for same-name photos lists the folder; a folder of 10,000 photos is listed once,
    not once per photo (its modification time changes whenever an entry is added or removed).
    """
    key = os.path.abspath(folder)
    try:
        mtime = os.stat(key).st_mtime_ns
    except OSError:
        return []
    with _lock:
        cached = _listings.get(key)
        if cached is not None and cached[0] == mtime:
            _listings.move_to_end(key)
            return cached[1]
    try:
        names = os.listdir(key)
    except OSError:
        names = []
    with _lock:
        _listings[key] = (mtime, names)
        while len(_listings) > _CACHE_SIZE:
            _listings.popitem(last=False)
    return names


def sidecar_paths(photo: str | os.PathLike[str]) -> dict[SidecarStyle, Path]:
    """Sidecar names by style: adobe ``IMG_1.xmp``, darktable ``IMG_1.CR2.xmp``."""
    path = Path(os.path.abspath(photo))
    return {"adobe": path.with_suffix(".xmp"), "darktable": path.with_name(path.name + ".xmp")}


def existing_sidecars(photo: str | os.PathLike[str]) -> dict[SidecarStyle, Path]:
    """The sidecars that exist for ``photo`` (``.xmp`` or ``.XMP``), by style."""
    found: dict[SidecarStyle, Path] = {}
    for style, candidate in sidecar_paths(photo).items():
        for variant in (candidate, candidate.with_suffix(".XMP")):
            if _is_file(variant):
                found[style] = variant
                break
    return found


def _is_file(path: Path) -> bool:
    """``path.is_file()``, false for a name longer than the file system allows (such a file
    cannot exist; ``is_file`` raises ENAMETOOLONG for it)."""
    try:
        return path.is_file()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return False
        raise


def name_too_long(path: Path) -> str | None:
    """Why ``path``'s file name cannot be created here (too long), or None when it can."""
    try:
        limit = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    size = len(os.fsencode(path.name))
    if size <= limit:
        return None
    return (f"{path}: the sidecar's name would be {size} bytes, longer than this file system "
            f"allows ({limit}); rename the photo to a shorter name, or set sidecar_style to "
            f"adobe (IMG_1.xmp)")


def read_owner_tags(pool: ExifToolPool, sidecar: str | os.PathLike[str]) -> dict[str, Any]:
    """The tags of an Adobe-style sidecar that tell which photo it belongs to ({} if unreadable)."""
    args: list[str | bytes] = ["-G1", *(f"-{tag}" for tag in OWNER_TAGS), "-XMP-crs:all",
                               file_arg(sidecar)]
    try:
        records, _ = pool.execute_json(args)
    except (ExifToolError, ValueError):
        return {}
    return records[0] if records else {}


def resolve_sidecar(
    pool: ExifToolPool, photo: str | os.PathLike[str], settings: MetadataSettings
) -> tuple[SidecarChoice, Path, dict[SidecarStyle, Path]]:
    """The sidecar choice for ``photo``, its full path, and the sidecars that exist by style."""
    path = Path(os.path.abspath(photo))
    existing = existing_sidecars(path)
    siblings = same_stem_photos(path.name, folder_names(path.parent))
    adobe_values = None
    if siblings and "adobe" in existing:
        adobe_values = read_owner_tags(pool, existing["adobe"])
    choice = choose_sidecar(path.name, siblings, {s: p.name for s, p in existing.items()},
                            adobe_values, settings.sidecar_style, settings.sidecar_collision)
    return choice, path.with_name(choice.name), existing
