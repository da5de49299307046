"""Capture times of many photos in one ExifTool call (DateTimeOriginal, sub-seconds, offset)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imageworks_gui.core.bursts import CaptureTime, parse_capture_time
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool, file_arg

CAPTURE_ARGS: tuple[str, ...] = (
    "-fast", "-EXIF:DateTimeOriginal", "-EXIF:SubSecTimeOriginal", "-EXIF:OffsetTimeOriginal",
    "-EXIF:OffsetTime", "-XMP-exif:DateTimeOriginal", "-XMP-photoshop:DateCreated",
)
BATCH = 200
"""Files per ExifTool command: one call for a typical folder, bounded for huge ones."""


@dataclass(frozen=True)
class CaptureRead:
    """The capture time of one photo, or why it could not be read."""

    captured: CaptureTime | None = None
    error: str | None = None


def _from_record(record: dict[str, Any]) -> CaptureTime | None:
    offset = record.get("OffsetTimeOriginal") or record.get("OffsetTime")
    return (parse_capture_time(record.get("DateTimeOriginal"),
                               record.get("SubSecTimeOriginal"), offset)
            or parse_capture_time(record.get("DateCreated"), None, offset))


def _precheck(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    if st.st_size == 0:
        return "the file is empty (0 bytes)"
    try:
        file_arg(path)
    except ValueError as exc:
        return str(exc)
    return None


def _read_batch(pool: ExifToolPool, names: list[str]) -> dict[str, CaptureRead]:
    records, _result = pool.execute_json([*CAPTURE_ARGS, *(file_arg(n) for n in names)])
    found: dict[str, CaptureRead] = {}
    by_name = {os.path.abspath(n): n for n in names}
    unmatched: list[dict[str, Any]] = []
    for record in records:
        name = by_name.get(str(record.get("SourceFile", "")))
        if name is None or name in found:
            unmatched.append(record)
        else:
            found[name] = CaptureRead(_from_record(record))
    rest = [n for n in names if n not in found]
    if unmatched and len(unmatched) == len(rest):
        # Names ExifTool cannot print as UTF-8 come back altered; its records keep the order.
        for name, record in zip(rest, unmatched, strict=True):
            found[name] = CaptureRead(_from_record(record))
    elif rest and len(names) > 1:
        for name in rest:  # ambiguous: ask again one file at a time
            found.update(_read_batch(pool, [name]))
    for name in names:
        found.setdefault(name, CaptureRead(error="ExifTool could not read it (damaged, or not "
                                                  "a photo?)"))
    return found


def read_capture_times(pool: ExifToolPool | None,
                       paths: Sequence[str | os.PathLike[str]]) -> dict[str, CaptureRead]:
    """Path (as given, ``os.fspath``) -> capture time, in one ExifTool command per ``BATCH``.

    Blocking: call it through ``run_blocking``. Never raises for a file: a missing, empty or
    unreadable one gets an ``error``; without ExifTool (``pool`` None) no photo has a time.
    """
    names = list(dict.fromkeys(os.fspath(p) for p in paths))
    out: dict[str, CaptureRead] = {}
    todo: list[str] = []
    for name in names:
        problem = _precheck(name)
        if problem is not None:
            out[name] = CaptureRead(error=problem)
        else:
            todo.append(name)
    if pool is None:
        out.update({n: CaptureRead() for n in todo})
        return out
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        try:
            out.update(_read_batch(pool, batch))
        except ExifToolError as exc:
            out.update({n: CaptureRead(error=f"capture time unknown: {exc}") for n in batch})
    return out
