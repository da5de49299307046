"""Keyword paths as each program reads them: Lightroom's ``|``, digiKam's ``/``, flat ancestors.

A proposal's keyword ``Animals|Birds|Heron`` is a path (root first); a keyword without ``|`` is
one level. Paths are written to ``lr:hierarchicalSubject`` joined by ``|`` and to
``digiKam:TagsList`` joined by ``/``; the flat fields (``dc:subject``, IPTC Keywords) get the
leaf and, by setting, every ancestor that is not a container (Lightroom's *Include on Export*
off). ``|`` cannot occur inside a level (it is the separator). ``/`` can (Lightroom keeps
``AC/DC``), but digiKam and Immich split ``digiKam:TagsList`` on it and it has no escape there,
so such a path is left out of that field with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imageworks_gui.core.metadata_tags import clean_line, fold
from imageworks_gui.core.vocabulary import (
    DIGIKAM_SEPARATOR,
    LR_SEPARATOR,
    KeywordMapping,
    term_problem,
)


@dataclass(frozen=True)
class KeywordPath:
    """One proposed keyword: its levels (root first) and which ancestors are containers."""

    levels: tuple[str, ...]
    containers: frozenset[int] = field(default_factory=frozenset)
    """Indexes of ancestor levels never written as flat keywords."""

    @property
    def leaf(self) -> str:
        return self.levels[-1]

    @property
    def is_path(self) -> bool:
        return len(self.levels) > 1

    def flat(self, ancestors: bool) -> list[str]:
        """The flat keywords it stands for: the leaf, after its ancestors when ``ancestors``."""
        if not ancestors:
            return [self.leaf]
        return [level for index, level in enumerate(self.levels[:-1])
                if index not in self.containers] + [self.leaf]


def _key(levels: Sequence[str]) -> tuple[str, ...]:
    return tuple(fold(level) for level in levels)


def split_levels(text: str, separator: str = LR_SEPARATOR) -> tuple[str, ...]:
    """The cleaned, non-empty levels of ``text`` split on ``separator``."""
    return tuple(part for part in (clean_line(p) for p in text.split(separator)) if part)


def parse_keywords(keywords: Iterable[str], containers: Iterable[str] = ()) -> list[KeywordPath]:
    """Proposal keywords as paths; ``containers`` are ancestor paths (``People|Family``)."""
    marked = {_key(split_levels(c)) for c in containers}
    out: list[KeywordPath] = []
    for raw in keywords:
        levels = split_levels(raw)
        if levels:
            flags = frozenset(i for i in range(len(levels) - 1)
                              if _key(levels[:i + 1]) in marked)
            out.append(KeywordPath(levels, flags))
    return out


def respell(paths: list[KeywordPath], existing: Iterable[tuple[str, ...]]) -> list[KeywordPath]:
    """``paths`` with each level spelled as the photo's own hierarchy spells the same branch."""
    spelled: dict[tuple[str, ...], str] = {}
    for levels in existing:
        for depth in range(1, len(levels) + 1):
            spelled.setdefault(_key(levels[:depth]), levels[depth - 1])
    return [KeywordPath(tuple(spelled.get(_key(p.levels[:d + 1]), level)
                              for d, level in enumerate(p.levels)), p.containers)
            for p in paths]


def covered(entries: Iterable[tuple[str, ...]]) -> set[str]:
    """Folded levels of the multi-level entries: a flat keyword among them is not repeated."""
    return {fold(level) for levels in entries if len(levels) > 1 for level in levels}


def render(levels: tuple[str, ...], separator: str) -> str | None:
    """``levels`` joined for a field with ``separator``; None when a level holds it."""
    if any(separator in level for level in levels):
        return None
    return separator.join(levels)


def digikam_note(label: str, created: bool) -> str:
    """Why ``label`` is not in ``digiKam:TagsList`` (or why the field was not created)."""
    why = (f"{label!r} holds a '/', which digiKam and Immich read as a level separator in "
           "digiKam:TagsList (it has no escape there)")
    if created:
        return (f"digiKam:TagsList not created: {why}; Immich reads it correctly from "
                "lr:hierarchicalSubject, digiKam splits it at the '/'")
    return f"{why}: left out of digiKam:TagsList, written to dc:subject and lr:hierarchicalSubject"


def proposal_keywords(keywords: Iterable[str], mappings: Sequence[KeywordMapping] | None
                      ) -> tuple[list[str], list[str]]:
    """A result's keywords as proposal keywords: each one mapped onto a vocabulary term becomes
    its full ``A|B|C`` path; also returns the container ancestor paths of those terms.

    Keywords are matched to mappings by name (case-insensitive), each mapping used once, so
    a hand-edited results file still works: removed keywords drop their path, added ones
    stay flat (or are paths already when written ``A|B``).
    """
    # A hand-edited mapping whose path would split differently ("a|b" as one level) is unused.
    pending = [m for m in mappings or () if m.path and m.method not in ("new", "refused")
               and not any(term_problem(level) for level in m.path)]
    out: list[str] = []
    containers: list[str] = []
    for keyword in keywords:
        if LR_SEPARATOR in keyword:
            out.append(keyword)
            continue
        match = next((m for m in pending if fold(m.keyword) == fold(keyword)
                      or fold(m.path[-1]) == fold(keyword)), None)
        if match is None:
            out.append(keyword)
            continue
        pending.remove(match)
        out.append(LR_SEPARATOR.join(match.path))
        containers += [c for c in match.containers if c not in containers]
    return out, containers


__all__ = ["DIGIKAM_SEPARATOR", "LR_SEPARATOR", "KeywordPath", "covered", "digikam_note",
           "parse_keywords", "proposal_keywords", "render", "respell", "split_levels"]
