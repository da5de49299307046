"""Controlled keyword vocabularies: validated terms with full paths, synonyms and their source."""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

VocabularyFormat = Literal["lightroom", "text", "photos"]
MatchMethod = Literal["exact", "synonym", "normalized", "fuzzy", "new", "refused"]
VocabularyMode = Literal["suggest", "strict"]
"""``suggest`` keeps new terms beside mapped ones; ``strict`` keeps vocabulary terms only."""
VOCABULARY_SCHEMA = 1
MAX_NAME_CHARS = 100
MAX_TERM_CHARS = 255
MAX_DEPTH = 32
"""Deepest keyword path accepted (Lightroom hierarchies are rarely deeper than 6)."""

LR_SEPARATOR = "|"
"""Level separator of ``lr:hierarchicalSubject`` (Lightroom, Capture One, darktable)."""
DIGIKAM_SEPARATOR = "/"
"""Level separator of ``digiKam:TagsList`` (digiKam, Immich); it has no escape."""


class VocabularyError(ValueError):
    """A vocabulary, term or name is unusable; the message says why and what to do."""


def control_char(text: str) -> str | None:
    """The first control character (tab, newline) or lone surrogate in ``text``, else None."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def term_problem(name: str) -> str | None:
    """Why ``name`` cannot be one level of a keyword path, or None when it can.

    ``|`` is refused everywhere: every program that reads ``lr:hierarchicalSubject`` splits
    on it and none has an escape. ``/`` is allowed in vocabulary terms (Lightroom keeps it
    literally); see :func:`split_risks` for where it would be split.
    """
    if not name.strip():
        return "a keyword cannot be empty"
    if name != name.strip():
        return "a keyword cannot start or end with white space"
    if len(name) > MAX_TERM_CHARS:
        return f"a keyword is at most {MAX_TERM_CHARS} characters (this one has {len(name)})"
    if LR_SEPARATOR in name:
        return ("'|' separates levels in lr:hierarchicalSubject, so Lightroom, digiKam and "
                "ExifTool would split it into two keywords; rename it (e.g. 'and' or '-')")
    bad = control_char(name)
    if bad is not None:
        return (f"a keyword cannot contain control characters or undecodable bytes "
                f"(U+{ord(bad):04X})")
    return None


def split_risks(name: str) -> list[str]:
    """Metadata fields that would split ``name`` into levels (it is then written elsewhere)."""
    return ["digiKam:TagsList"] if DIGIKAM_SEPARATOR in name else []


class VocabularyTerm(BaseModel):
    """One keyword: its full path (root first), synonyms, and whether it is applied to photos.

    ``assignable`` is False for Lightroom ``[container]`` keywords (Include on Export off):
    they shape the hierarchy but are never proposed for a photo.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    path: tuple[str, ...] = Field(min_length=1, max_length=MAX_DEPTH)
    synonyms: tuple[str, ...] = ()
    assignable: bool = True

    @field_validator("path", "synonyms")
    @classmethod
    def _check_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            problem = term_problem(name)
            if problem is not None:
                raise ValueError(f"keyword {name!r}: {problem}")
        return value

    @property
    def name(self) -> str:
        """The preferred term (the last level of the path)."""
        return self.path[-1]

    @property
    def lr_path(self) -> str:
        """The path as written to ``lr:hierarchicalSubject`` (``Animals|Birds|Heron``)."""
        return LR_SEPARATOR.join(self.path)


class Vocabulary(BaseModel):
    """A named list of terms imported from one source (file or photos)."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = VOCABULARY_SCHEMA
    name: str
    format: VocabularyFormat
    source: str = ""
    """Where the terms came from (the imported file's path, or a folder of photos)."""
    active: bool = True
    imported_at: str = ""
    terms: list[VocabularyTerm] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        problem = name_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def assignable_terms(self) -> list[VocabularyTerm]:
        """Terms that can be proposed for a photo (containers excluded)."""
        return [t for t in self.terms if t.assignable]


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a vocabulary, or None when it can."""
    if not name.strip():
        return "a vocabulary name cannot be empty"
    if name != name.strip():
        return "a vocabulary name cannot start or end with white space"
    if len(name) > MAX_NAME_CHARS:
        return f"a vocabulary name is at most {MAX_NAME_CHARS} characters"
    bad = control_char(name)
    if bad is not None:
        return (f"a vocabulary name cannot contain control characters or undecodable bytes "
                f"(U+{ord(bad):04X})")
    return None


def merge_terms(terms: list[VocabularyTerm]) -> list[VocabularyTerm]:
    """One term per path (first position kept): synonyms united, assignable if any copy is.

    Every ancestor of a path is added as a term too (assignable, as in Lightroom, unless it is
    listed as a container itself).
    """
    merged: dict[tuple[str, ...], VocabularyTerm] = {}
    for term in terms:
        for depth in range(1, len(term.path)):
            if term.path[:depth] not in merged:
                merged[term.path[:depth]] = VocabularyTerm(path=term.path[:depth])
        old = merged.get(term.path)
        if old is None:
            merged[term.path] = term
            continue
        synonyms = tuple(dict.fromkeys((*old.synonyms, *term.synonyms)))
        merged[term.path] = VocabularyTerm(path=term.path, synonyms=synonyms,
                                           assignable=old.assignable or term.assignable)
    return list(merged.values())


def render_tree(vocabulary: Vocabulary) -> list[str]:
    """The vocabulary as indented lines (two spaces a level), sorted within each parent.

    Containers are shown in ``[brackets]`` and synonyms in ``{braces}``, as in a Lightroom export.
    """
    children: dict[tuple[str, ...], list[VocabularyTerm]] = {}
    for term in vocabulary.terms:
        children.setdefault(term.path[:-1], []).append(term)
    lines: list[str] = []

    def walk(parent: tuple[str, ...]) -> None:
        for term in sorted(children.get(parent, []), key=lambda t: (t.name.casefold(), t.name)):
            indent = "  " * (len(term.path) - 1)
            lines.append(indent + (term.name if term.assignable else f"[{term.name}]"))
            lines.extend(f"{indent}  {{{syn}}}" for syn in term.synonyms)
            walk(term.path)

    walk(())
    return lines


class KeywordMapping(BaseModel):
    """What the model said, what it became, and how (recorded in the JSONL per keyword)."""

    model_config = ConfigDict(frozen=True)

    proposed: str
    """The keyword as the model returned it."""
    keyword: str
    """The keyword to use: the preferred term, the cleaned proposal when new, "" when refused."""
    method: MatchMethod
    score: float = 0.0
    """100 for exact, synonym and normalised hits; the rapidfuzz ratio for fuzzy ones."""
    path: tuple[str, ...] = ()
    """Full path of the vocabulary term (root first); empty for new and refused keywords."""
    vocabulary: str | None = None
    matched: str | None = None
    """The vocabulary name or synonym that matched."""
    alternatives: tuple[str, ...] = ()
    """Other candidates at the same step, as ``A|B|C`` paths, best first."""
    containers: tuple[str, ...] = ()
    """Ancestors of ``path`` that are containers (``People`` or ``People|Family``): written in
    the hierarchy, never as flat keywords (Lightroom's Include on Export off)."""
    reason: str | None = None

    @property
    def in_vocabulary(self) -> bool:
        """True when the keyword was mapped onto a vocabulary term."""
        return self.method not in ("new", "refused")
