"""Burst grouping rules: which photos are near-duplicates of their neighbours, and who leads.

Rules (deterministic for the same facts, whatever the input order):

1. A photo is only grouped when it has a capture time and a perceptual hash. A photo without a
   capture time is never grouped by time alone, and an unreadable photo is a group of its own;
   both carry a ``reason``. (A timed photo with no neighbour within the gap is not hashed.)
2. The timed photos are sorted by capture time (the UTC instant when every one of them records
   its offset, else the camera's wall-clock time), then by path.
3. Two neighbours in that order belong to the same burst when they were captured at most
   ``max_gap_s`` apart (UTC when both record an offset, else wall-clock) *and* their hashes
   differ in at most ``max_hash_distance`` bits. A chain of such neighbours is one burst.
4. The representative is the sharpest frame. Frames within ``SHARPNESS_TIE`` (relative) of the
   best score tie; among tied frames the one nearest the middle of the burst wins (the earlier
   one when two are equally near), so a burst of identical frames is led by its middle frame.
5. Groups come back in the order of their earliest member in the input.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

SHARPNESS_TIE = 0.02
"""Sharpness scores within 2 % of the best count as equally sharp."""

NO_CAPTURE_TIME = "no capture time (EXIF DateTimeOriginal) recorded"

_EXIF_TIME = re.compile(
    r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?\s*$")
_OFFSET = re.compile(r"^\s*(Z|[+-]\d{2}:?\d{2})\s*$")


class CaptureTime(BaseModel):
    """When a frame was shot: the camera's wall clock, and its UTC offset when recorded."""

    model_config = ConfigDict(frozen=True)

    local: datetime
    """Naive wall-clock time including sub-seconds."""
    offset_minutes: int | None = None

    @property
    def utc(self) -> datetime | None:
        if self.offset_minutes is None:
            return None
        return (self.local - timedelta(minutes=self.offset_minutes)).replace(tzinfo=UTC)


class FrameFacts(BaseModel):
    """What grouping needs to know about one photo (measured by the burst service)."""

    model_config = ConfigDict(frozen=True)

    path: str
    captured: CaptureTime | None = None
    phash: str | None = None
    """Perceptual hash as hexadecimal text (64 bits by default)."""
    sharpness: float | None = None
    error: str | None = None
    """Why the photo could not be measured (it is then never grouped)."""


class BurstGroup(BaseModel):
    """One burst (or a single photo): its members in capture order and its representative."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    members: tuple[str, ...]
    representative: str
    reason: str | None = None
    """For a single photo that could not be grouped: why (no capture time, unreadable)."""

    @property
    def is_burst(self) -> bool:
        return len(self.members) > 1


def _offset_minutes(text: str) -> int:
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:4]))


def parse_capture_time(original: object, subsec: object = None,
                       offset: object = None) -> CaptureTime | None:
    """Parse EXIF ``DateTimeOriginal`` (+ ``SubSecTimeOriginal``, ``OffsetTimeOriginal``).

    Accepts ``YYYY:MM:DD HH:MM:SS`` with optional fraction and offset (as XMP writes it).
    Returns None for missing, blank or impossible values (``0000:00:00 00:00:00``).
    """
    if original is None:
        return None
    match = _EXIF_TIME.match(str(original))
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    digits = fraction or "".join(ch for ch in str(subsec or "").strip() if ch.isdigit())
    if digits:
        local += timedelta(microseconds=int((digits + "000000")[:6]))
    minutes: int | None = None
    zone_text = zone or (str(offset) if offset is not None else "")
    zone_match = _OFFSET.match(zone_text)
    if zone_match is not None:
        minutes = _offset_minutes(zone_match.group(1))
        if abs(minutes) > 18 * 60:
            minutes = None
    return CaptureTime(local=local, offset_minutes=minutes)


def hash_distance(a: str, b: str) -> int:
    """Number of differing bits between two hexadecimal hashes (of any equal length)."""
    return (int(a, 16) ^ int(b, 16)).bit_count() + 4 * abs(len(a) - len(b))


def _gap_s(a: CaptureTime, b: CaptureTime) -> float:
    ua, ub = a.utc, b.utc
    if ua is not None and ub is not None:
        return abs((ub - ua).total_seconds())
    return abs((b.local - a.local).total_seconds())


def pick_representative(members: Sequence[FrameFacts]) -> str:
    """The sharpest member; ties (within ``SHARPNESS_TIE``) go to the one nearest the middle."""
    middle = (len(members) - 1) / 2
    scores = [m.sharpness for m in members]
    known = [s for s in scores if s is not None]
    best = max(known) if known else None
    tied = [i for i, s in enumerate(scores)
            if best is None or (s is not None and s >= best - abs(best) * SHARPNESS_TIE)]
    winner = min(tied, key=lambda i: (abs(i - middle), i))
    return members[winner].path


def group_id_for(members: Sequence[str]) -> str:
    """A stable id for a set of members (the same burst gets the same id in every run)."""
    digest = hashlib.sha1("\0".join(sorted(members)).encode("utf-8", "surrogatepass"),
                          usedforsecurity=False)
    return "burst-" + digest.hexdigest()[:12]


def single_group(path: str, reason: str | None) -> BurstGroup:
    """A group of one photo (not part of any burst), with why when it could not be grouped."""
    return BurstGroup(group_id=group_id_for([path]), members=(path,), representative=path,
                      reason=reason)


def group_bursts(frames: Sequence[FrameFacts], max_gap_s: float,
                 max_hash_distance: int) -> list[BurstGroup]:
    """Every photo in exactly one group, by the rules in this module's docstring."""
    order = {f.path: i for i, f in reversed(list(enumerate(frames)))}
    groups: list[BurstGroup] = []
    timed: list[FrameFacts] = []
    for facts in dict((f.path, f) for f in frames).values():
        if facts.error is not None:
            groups.append(single_group(facts.path, facts.error))
        elif facts.captured is None:
            groups.append(single_group(facts.path, NO_CAPTURE_TIME))
        else:
            timed.append(facts)
    all_zoned = all(f.captured is not None and f.captured.offset_minutes is not None
                    for f in timed)

    def when(f: FrameFacts) -> datetime:
        assert f.captured is not None
        instant = f.captured.utc if all_zoned else None
        return instant.replace(tzinfo=None) if instant is not None else f.captured.local

    timed.sort(key=lambda f: (when(f), f.path))
    runs: list[list[FrameFacts]] = []
    for facts in timed:
        if runs:
            prev = runs[-1][-1]
            assert prev.captured and facts.captured
            if (prev.phash and facts.phash and _gap_s(prev.captured, facts.captured) <= max_gap_s
                    and hash_distance(prev.phash, facts.phash) <= max_hash_distance):
                runs[-1].append(facts)
                continue
        runs.append([facts])
    for run in runs:
        paths = tuple(f.path for f in run)
        groups.append(BurstGroup(group_id=group_id_for(paths), members=paths,
                                 representative=pick_representative(run)))
    groups.sort(key=lambda g: min(order[m] for m in g.members))
    return groups


def needs_hash(frames: Sequence[FrameFacts], max_gap_s: float) -> set[str]:
    """Paths of timed photos with a neighbour close enough in time to possibly group.

    Only these need a decode (perceptual hash, sharpness); the others stay single anyway.
    """
    timed = [f for f in frames if f.captured is not None and f.error is None]
    if len({f.captured.offset_minutes for f in timed if f.captured is not None}) > 1:
        return {f.path for f in timed}  # mixed offsets: any two might be neighbours in UTC
    timed.sort(key=lambda f: (f.captured.local if f.captured else datetime.min, f.path))
    wanted: set[str] = set()
    for prev, cur in itertools.pairwise(timed):
        assert prev.captured and cur.captured
        if _gap_s(prev.captured, cur.captured) <= max_gap_s:
            wanted.update((prev.path, cur.path))
    return wanted
