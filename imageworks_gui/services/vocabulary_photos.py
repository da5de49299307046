"""Build a vocabulary from the keywords already in photos (read through ExifTool)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from imageworks_gui.core.vocabulary import Vocabulary, name_problem
from imageworks_gui.core.vocabulary_formats import terms_from_photo_keywords
from imageworks_gui.services.discovery import iter_images
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
from imageworks_gui.services.metadata.reader import MetadataError, read_metadata
from imageworks_gui.services.vocabulary_store import VocabularyStoreError, storable


def vocabulary_from_photos(pool: ExifToolPool, inputs: Iterable[Path], name: str,
                           recursive: bool = True) -> tuple[Vocabulary, int, list[str]]:
    """A vocabulary of every keyword in the photos under ``inputs``, the number of photos
    read, and a note per photo or value that was skipped.

    ``lr:hierarchicalSubject`` (``|``) and ``digiKam:TagsList`` (``/``) give the hierarchy;
    ``dc:subject``/IPTC keywords that are not the leaf of a path become top-level terms.
    """
    problem = name_problem(name)
    if problem is not None:
        raise VocabularyStoreError(f"{problem}; choose another name with --name")
    inputs = list(inputs)
    notes: list[str] = []
    subjects: list[str] = []
    hierarchical: list[str] = []
    tags_list: list[str] = []
    read = 0
    for path in iter_images(inputs, recursive, on_error=lambda _p, message: notes.append(
            message)):
        try:
            meta = read_metadata(pool, path)
        except (MetadataError, ExifToolError) as exc:
            notes.append(f"skipped: {exc}")
            continue
        read += 1
        subjects.extend(meta.keywords)
        hierarchical.extend(meta.hierarchical)
        tags_list.extend(meta.tags_list)
    terms, skipped = terms_from_photo_keywords(subjects, hierarchical, tags_list)
    notes.extend(dict.fromkeys(skipped))
    where = ", ".join(storable(str(p)) for p in inputs)
    if not terms:
        raise VocabularyStoreError(f"no keywords found in {read} photo(s) under {where}; "
                                   "nothing was stored")
    vocabulary = Vocabulary(name=name, format="photos", source=where, terms=terms)
    return vocabulary, read, notes
