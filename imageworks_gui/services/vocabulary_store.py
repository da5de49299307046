"""Vocabulary store: one JSON file per imported vocabulary in the user config folder."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from imageworks_gui.core.vocabulary import (
    Vocabulary,
    VocabularyError,
    VocabularyTerm,
    merge_terms,
    name_problem,
    term_problem,
)
from imageworks_gui.core.vocabulary_formats import parse_vocabulary
from imageworks_gui.services.paths import config_dir
from imageworks_gui.services.registry_store import atomic_write_text

MAX_FILE_BYTES = 32 * 1024 * 1024


class VocabularyStoreError(VocabularyError):
    """A vocabulary cannot be found, added or changed; nothing was written."""


def vocabularies_dir() -> Path:
    """Folder of stored vocabularies (``<config>/vocabularies``)."""
    return config_dir() / "vocabularies"


def file_name(name: str) -> str:
    """A portable file name for ``name``: an ASCII slug plus a hash of the exact name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_name).strip("-")[:40] or "vocabulary"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}.json"


class VocabularyStore:
    """Adds, lists, activates and removes vocabularies; every write is atomic.

    Vocabularies are consulted in name order (case-insensitive). A file that cannot be read is
    reported by :meth:`load_all` and never overwritten or deleted.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else vocabularies_dir()

    def _path(self, name: str) -> Path:
        return self.folder / file_name(name)

    def _read(self, path: Path) -> Vocabulary:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise VocabularyStoreError(f"{path}: cannot read the file ({exc.strerror or exc}); "
                                       "check its permissions") from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise VocabularyStoreError(f"{path}: not a valid vocabulary file ({exc}); import "
                                       "the vocabulary again or delete the file") from exc
        try:
            return Vocabulary.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise VocabularyStoreError(
                f"{path}: invalid vocabulary file ({where}: {first['msg']}); import the "
                "vocabulary again or delete the file") from exc

    def _write(self, vocabulary: Vocabulary) -> Path:
        path = self._path(vocabulary.name)
        text = json.dumps(vocabulary.model_dump(mode="json"), indent=1, ensure_ascii=False)
        atomic_write_text(path, text + "\n")
        return path

    def load_all(self) -> tuple[list[Vocabulary], list[str]]:
        """Every stored vocabulary in name order, and a message per unreadable file."""
        found: list[Vocabulary] = []
        problems: list[str] = []
        if not self.folder.is_dir():
            return found, problems
        for path in sorted(self.folder.glob("*.json")):
            try:
                vocabulary = self._read(path)
            except VocabularyStoreError as exc:
                problems.append(str(exc))
                continue
            if path.name != file_name(vocabulary.name):
                problems.append(f"{path}: holds vocabulary {vocabulary.name!r} under another "
                                f"file name (copied by hand?); it is ignored: delete it or "
                                f"rename it to {file_name(vocabulary.name)}")
                continue
            found.append(vocabulary)
        found.sort(key=lambda v: (v.name.casefold(), v.name))
        return found, problems

    def active(self) -> list[Vocabulary]:
        """The active vocabularies, in the order they are consulted."""
        return [v for v in self.load_all()[0] if v.active]

    def get(self, name: str) -> Vocabulary:
        """The vocabulary called ``name`` (exactly)."""
        path = self._path(name)
        if not path.exists():
            known = ", ".join(repr(v.name) for v in self.load_all()[0]) or "none yet"
            raise VocabularyStoreError(f"no vocabulary named {name!r} (stored: {known}); see "
                                       "'vocabulary list'")
        return self._read(path)

    def add(self, vocabulary: Vocabulary, replace: bool = False) -> Path:
        """Store a new vocabulary (or replace one of the same name when ``replace``)."""
        problem = name_problem(vocabulary.name)
        if problem is not None:
            raise VocabularyStoreError(f"{problem}; choose another name with --name")
        path = self._path(vocabulary.name)
        if path.exists():
            self._read(path)  # a broken file is reported, never overwritten
            if not replace:
                raise VocabularyStoreError(
                    f"a vocabulary named {vocabulary.name!r} already exists; choose another "
                    "name with --name, or replace it with --replace")
        else:
            for other in self.load_all()[0]:
                if other.name.casefold() == vocabulary.name.casefold():
                    raise VocabularyStoreError(
                        f"a vocabulary named {other.name!r} already exists (names differing "
                        "only in case are confusing); choose another name with --name")
        stamped = vocabulary.model_dump()
        stamped["imported_at"] = stamped.get("imported_at") or datetime.now(UTC).isoformat(
            timespec="seconds")
        return self._write(Vocabulary.model_validate(stamped))

    def remove(self, name: str) -> Vocabulary:
        """Delete a stored vocabulary; returns what was removed."""
        vocabulary = self.get(name)
        self._path(name).unlink()
        return vocabulary

    def add_term(self, name: str, keyword: str) -> Vocabulary:
        """Add ``keyword`` as a top-level term of the vocabulary ``name`` (kept if present)."""
        problem = term_problem(keyword)
        if problem is not None:
            raise VocabularyStoreError(f"cannot add {keyword!r} to {name!r}: {problem}")
        stored = self.get(name)
        data = stored.model_dump()
        data["terms"] = merge_terms([*stored.terms, VocabularyTerm(path=(keyword,))])
        vocabulary = Vocabulary.model_validate(data)
        self._write(vocabulary)
        return vocabulary

    def set_active(self, name: str, active: bool) -> Vocabulary:
        """Turn a vocabulary on or off for mapping (the terms are kept)."""
        data = self.get(name).model_dump()
        data["active"] = active
        vocabulary = Vocabulary.model_validate(data)
        self._write(vocabulary)
        return vocabulary


def storable(text: str) -> str:
    """``text`` with undecodable file-name bytes as U+FFFD (a vocabulary file is UTF-8 JSON)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_vocabulary_file(path: Path, name: str | None = None, fmt: str = "auto") -> Vocabulary:
    """Parse a vocabulary file (``lightroom``, ``text`` or ``auto``) into a named vocabulary.

    The name defaults to the file name without its extension. Parse errors name the file and
    the line.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise VocabularyStoreError(f"{storable(str(path))}: not a regular file; export "
                                       "the keywords to a file and import that")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise VocabularyStoreError(
                f"{storable(str(path))}: {size // (1024 * 1024)} MiB is too large for a keyword "
                f"list (at most {MAX_FILE_BYTES // (1024 * 1024)} MiB); is it the right file?")
        data = path.read_bytes()
    except OSError as exc:
        raise VocabularyStoreError(f"{storable(str(path))}: cannot read the file "
                                   f"({exc.strerror or exc})") from exc
    try:
        chosen, terms = parse_vocabulary(data, fmt)
    except VocabularyError as exc:
        raise VocabularyStoreError(f"{storable(str(path))}: {exc}") from exc
    chosen_name = name if name is not None else storable(path.stem)
    problem = name_problem(chosen_name)
    if problem is not None:
        raise VocabularyStoreError(f"{problem}; choose another name with --name")
    return Vocabulary(name=chosen_name, format=chosen, source=storable(str(path.absolute())),
                      terms=terms)
