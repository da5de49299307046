"""Vocabulary file formats: Lightroom keyword exports, the plain text format, photo keywords.

Lightroom Classic (Metadata > Export Keywords) writes UTF-8 text, one keyword per line,
indented one tab per level. Markers on a line, after the tabs:

- ``{name}``: a synonym of the keyword on the nearest line above at one level less;
- ``[name]``: a keyword with "Include on Export" turned off (a container or a private
  keyword, e.g. a person): it keeps its place in the hierarchy but is never proposed;
- ``~name``: a leading tilde (Bridge-style "keep this order"): removed, nothing else changes.

The plain text format (see :func:`parse_text`) is one term per line with ``|`` or ``/``
between levels and ``=`` before synonyms.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from imageworks_gui.core.vocabulary import (
    DIGIKAM_SEPARATOR,
    LR_SEPARATOR,
    MAX_DEPTH,
    VocabularyError,
    VocabularyFormat,
    VocabularyTerm,
    merge_terms,
    term_problem,
)

_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32",
         b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


class VocabularyParseError(VocabularyError):
    """A vocabulary file is malformed at a given line (1-based; 0 for the whole file)."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        where = f"line {line}: " if line else ""
        super().__init__(f"{where}{reason}")


def decode_vocabulary(data: bytes) -> str:
    """File bytes as text: UTF-8 with or without BOM, any line ending (CRLF, CR, LF)."""
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            raise VocabularyParseError(0, f"the file is {encoding}; save it as UTF-8 and "
                                          "import it again")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise VocabularyParseError(
            line, f"byte 0x{data[exc.start]:02X} at column {column} is not UTF-8; Lightroom "
                  "exports UTF-8, so re-export the file or convert it (e.g. "
                  "iconv -f WINDOWS-1252 -t UTF-8)") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _term(path: Iterable[str], synonyms: Iterable[str] = (), assignable: bool = True,
          line: int = 0) -> VocabularyTerm:
    try:
        return VocabularyTerm(path=tuple(path), synonyms=tuple(synonyms), assignable=assignable)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise VocabularyParseError(line, reason) from exc


def _check(name: str, line: int) -> str:
    problem = term_problem(name)
    if problem is not None:
        raise VocabularyParseError(line, f"keyword {name!r}: {problem}")
    return name


def _check_depth(depth: int, line: int) -> None:
    if depth > MAX_DEPTH:
        raise VocabularyParseError(line, f"{depth} levels deep; a keyword path has at most "
                                         f"{MAX_DEPTH} levels")


def _finish(terms: list[VocabularyTerm]) -> list[VocabularyTerm]:
    if not terms:
        raise VocabularyParseError(0, "the file holds no keywords")
    return merge_terms(terms)


def parse_lightroom(text: str) -> list[VocabularyTerm]:
    """Terms of a Lightroom Classic keyword export (see the module docstring for markers)."""
    path: list[str] = []
    found: list[tuple[tuple[str, ...], bool, int]] = []  # path, assignable, line number
    synonyms: dict[int, list[str]] = {}  # index in ``found`` -> synonyms seen so far
    owner: list[int] = []  # index in ``found`` of each level of ``path``
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip(" \t")
        if not line:
            continue
        body = line.lstrip("\t")
        depth = len(line) - len(body)
        if body.startswith(" ") or " " in line[:depth]:
            raise VocabularyParseError(number, "indented with spaces; Lightroom indents with "
                                               "one tab per level (replace the spaces by tabs)")
        if len(body) >= 2 and body[0] == "{" and body[-1] == "}":
            name = _check(body[1:-1].strip(), number)
            if depth == 0 or depth > len(path) or not path:
                raise VocabularyParseError(
                    number, f"synonym {{{name}}} has no keyword: put it one tab deeper than "
                            "the keyword it belongs to, on the lines right under it")
            synonyms[owner[depth - 1]].append(name)
            continue
        _check_depth(depth + 1, number)
        if depth > len(path):
            raise VocabularyParseError(
                number, f"indented {depth} tabs but the keyword above is at level "
                        f"{len(path)}; a keyword is at most one tab deeper than its parent")
        assignable = True
        if len(body) >= 2 and body[0] == "[" and body[-1] == "]":
            body, assignable = body[1:-1].strip(), False
        if body.startswith("~"):
            body = body[1:].strip()
        name = _check(body, number)
        del path[depth:], owner[depth:]
        path.append(name)
        owner.append(len(found))
        synonyms[len(found)] = []
        found.append((tuple(path), assignable, number))
    return _finish([_term(p, synonyms[i], assignable, line)
                    for i, (p, assignable, line) in enumerate(found)])


def _split_escaped(text: str, number: int) -> tuple[list[list[str]], set[str]]:
    """Split on ``=`` (groups) and ``|``/``/`` (levels), honouring backslash escapes."""
    groups: list[list[str]] = [[""]]
    separators: set[str] = set()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            nxt = text[index + 1] if index + 1 < len(text) else ""
            if nxt == LR_SEPARATOR:
                raise VocabularyParseError(
                    number, "'\\|' cannot be used: a keyword containing '|' would be split by "
                            "every program reading lr:hierarchicalSubject; rename it")
            if nxt not in ("/", "=", "\\", "#"):
                raise VocabularyParseError(
                    number, f"unknown escape '\\{nxt}' at column {index + 1}; only \\/ \\= "
                            "\\# and \\\\ are escapes (write \\\\ for a backslash)")
            groups[-1][-1] += nxt
            index += 2
            continue
        if char == "=":
            groups.append([""])
        elif char in (LR_SEPARATOR, DIGIKAM_SEPARATOR):
            separators.add(char)
            groups[-1].append("")
        else:
            groups[-1][-1] += char
        index += 1
    return groups, separators


def parse_text(text: str) -> list[VocabularyTerm]:
    """Terms of the plain text format.

    One term per line, UTF-8. ``#`` at the start of a line starts a comment; blank lines are
    skipped. Levels are separated by ``|`` or by ``/`` (one kind per line):
    ``Animals|Birds|Grey heron`` or ``Animals/Birds/Grey heron``. Synonyms follow the term
    after ``=``: ``Animals|Birds|Grey heron = heron = Ardea cinerea``. Spaces around
    separators are ignored. Backslash escapes: ``\\/`` a literal slash, ``\\=`` a literal equals
    sign, ``\\#`` a literal ``#`` at the start, ``\\\\`` a backslash. A ``|`` inside a term is
    refused (no program can read it back). ``[Name]`` as a whole level marks a container.
    """
    terms: list[VocabularyTerm] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        groups, separators = _split_escaped(line, number)
        if len(separators) > 1:
            raise VocabularyParseError(
                number, "mixes '|' and '/' between levels; use one of them (write \\/ for a "
                        "slash inside a term)")
        levels = [part.strip() for part in groups[0]]
        _check_depth(len(levels), number)
        if any(not level for level in levels):
            raise VocabularyParseError(number, "an empty level (two separators in a row, or "
                                               "one at the start or end of the line)")
        synonyms: list[str] = []
        for group in groups[1:]:
            if len(group) > 1:
                raise VocabularyParseError(
                    number, "a synonym cannot have levels; write \\/ for a slash in it")
            synonym = group[0].strip()
            if not synonym:
                raise VocabularyParseError(number, "an empty synonym after '='")
            synonyms.append(_check(synonym, number))
        assignable = True
        for depth, level in enumerate(levels):
            if len(level) >= 2 and level[0] == "[" and level[-1] == "]":
                levels[depth] = level[1:-1].strip()
                if depth == len(levels) - 1:
                    assignable = False
                else:
                    terms.append(_term(levels[:depth + 1], (), False, number))
        for level in levels:
            _check(level, number)
        terms.append(_term(levels, synonyms, assignable, number))
    return _finish(terms)


def looks_like_lightroom(text: str) -> bool:
    """True when the text uses Lightroom's tab indentation or its ``{}``/``[]`` markers."""
    for line in text.split("\n"):
        body = line.strip()
        if not body:
            continue
        if line.startswith("\t") or (len(body) >= 2 and (body[0], body[-1]) in
                                     (("{", "}"), ("[", "]"))):
            return True
    return False


def parse_vocabulary(data: bytes, fmt: str = "auto"
                     ) -> tuple[VocabularyFormat, list[VocabularyTerm]]:
    """Decode and parse a vocabulary file; ``fmt`` is ``lightroom``, ``text`` or ``auto``.

    ``auto`` picks Lightroom when a line is tab-indented or is a whole ``{}``/``[]`` marker,
    the text format otherwise. The chosen format is returned with the terms.
    """
    text = decode_vocabulary(data)
    if fmt == "auto":
        fmt = "lightroom" if looks_like_lightroom(text) else "text"
    if fmt == "lightroom":
        return "lightroom", parse_lightroom(text)
    if fmt == "text":
        return "text", parse_text(text)
    raise VocabularyError(f"unknown vocabulary format {fmt!r}: use lightroom, text or auto")


def terms_from_photo_keywords(subjects: Iterable[str] = (), hierarchical: Iterable[str] = (),
                              tags_list: Iterable[str] = ()
                              ) -> tuple[list[VocabularyTerm], list[str]]:
    """Terms from keywords already in photos, and a note for every value that was skipped.

    ``hierarchical`` holds ``lr:hierarchicalSubject`` values (``|`` between levels),
    ``tags_list`` ``digiKam:TagsList`` values (``/``), ``subjects`` flat ``dc:subject``
    values; a flat keyword that is already the leaf of a path is not repeated at the top.
    """
    terms: list[VocabularyTerm] = []
    notes: list[str] = []
    leaves: set[str] = set()
    sources = ((hierarchical, LR_SEPARATOR, "lr:hierarchicalSubject"),
               (tags_list, DIGIKAM_SEPARATOR, "digiKam:TagsList"))
    for values, separator, field in sources:
        for value in values:
            levels = [level.strip() for level in value.split(separator)]
            problems = [p for p in map(term_problem, levels) if p]
            if len(levels) > MAX_DEPTH:
                problems.append(f"more than {MAX_DEPTH} levels")
            if problems:
                notes.append(f"{field} value {value!r} skipped: {problems[0]}")
                continue
            terms.append(VocabularyTerm(path=tuple(levels)))
            leaves.add(levels[-1].casefold())
    for value in subjects:
        name = value.strip()
        problem = term_problem(name)
        if problem:
            notes.append(f"dc:subject value {value!r} skipped: {problem}")
        elif name.casefold() not in leaves:
            terms.append(VocabularyTerm(path=(name,)))
            leaves.add(name.casefold())
    return (merge_terms(terms) if terms else []), notes
