"""`imageworks-personal-tagger vocabulary ...`: import, list, show, remove and try vocabularies."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from imageworks_gui.cli.console import err, error_line, out, warning_line
from imageworks_gui.cli.tagger import app
from imageworks_gui.core.review_terms import how_mapped
from imageworks_gui.core.vocabulary import Vocabulary, VocabularyError, render_tree, split_risks
from imageworks_gui.core.vocabulary_mapping import KeywordMapping, VocabularyMapper
from imageworks_gui.services.settings_store import SettingsLoadError, SettingsStore
from imageworks_gui.services.vocabulary_policy import resolve_vocabularies
from imageworks_gui.services.vocabulary_store import (
    VocabularyStore,
    read_vocabulary_file,
    storable,
)

EXIT_USAGE = 2

vocabulary_app = typer.Typer(
    name="vocabulary",
    help="Your keyword vocabularies: import a Lightroom keyword export or a text list, and see "
         "how proposed keywords map onto it.",
    no_args_is_help=True,
)
app.add_typer(vocabulary_app)


class FormatChoice(StrEnum):
    """File formats accepted by ``vocabulary import``."""

    auto = "auto"
    lightroom = "lightroom"
    text = "text"


class ModeChoice(StrEnum):
    """``run --vocabulary-mode``: what happens to keywords outside the vocabulary."""

    suggest = "suggest"
    strict = "strict"


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(error_line(message))
    return typer.Exit(code)


def _store() -> VocabularyStore:
    return VocabularyStore()


def _summary(vocabulary: Vocabulary) -> str:
    terms = vocabulary.terms
    assignable = sum(1 for t in terms if t.assignable)
    synonyms = sum(len(t.synonyms) for t in terms)
    return (f"{assignable} keyword(s), {synonyms} synonym(s), {len(terms) - assignable} "
            f"container(s)")


@vocabulary_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Lightroom keyword export (.txt) or a text list."),
    name: str | None = typer.Option(None, "--name", "-n",
                                    help="Name to store it under (default: the file name)."),
    fmt: FormatChoice = typer.Option(FormatChoice.auto, "--format", "-f",
                                     help="File format; auto detects Lightroom's tabs/markers."),
    replace: bool = typer.Option(False, "--replace", help="Replace a vocabulary of that name."),
) -> None:
    """Import a vocabulary file and make it active."""
    try:
        vocabulary = read_vocabulary_file(file, name, fmt.value)
        path = _store().add(vocabulary, replace=replace)
    except VocabularyError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"Imported {vocabulary.name!r} ({vocabulary.format} format): "
              f"{_summary(vocabulary)}; active.")
    out.print(f"  stored in {path}")
    risky = [t.lr_path for t in vocabulary.terms if split_risks(t.name)]
    if risky:
        out.print(f"  note: {len(risky)} keyword(s) contain '/', which digiKam and Immich read "
                  f"as a level separator in digiKam:TagsList, e.g. {risky[0]!r}")


@vocabulary_app.command("from-photos")
def from_photos_cmd(
    inputs: list[Path] = typer.Argument(..., help="Folders or photos to read keywords from."),
    name: str | None = typer.Option(None, "--name", "-n",
                                    help="Name to store it under (default: the folder name)."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive",
                                   help="Descend into sub-folders."),
    replace: bool = typer.Option(False, "--replace", help="Replace a vocabulary of that name."),
) -> None:
    """Build a vocabulary from the keywords already in your photos, and make it active."""
    from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
    from imageworks_gui.services.vocabulary_photos import vocabulary_from_photos

    chosen = name if name is not None else storable(inputs[0].absolute().name or "photos")
    try:
        pool = ExifToolPool(size=1)
    except ExifToolError as exc:
        raise _fail(f"reading keywords from photos needs ExifTool: {exc}") from exc
    try:
        vocabulary, read, notes = vocabulary_from_photos(pool, inputs, chosen, recursive)
        path = _store().add(vocabulary, replace=replace)
    except VocabularyError as exc:
        raise _fail(str(exc)) from exc
    finally:
        pool.close()
    for note in notes:
        err.print(warning_line(note))
    out.print(f"Imported {vocabulary.name!r} from {read} photo(s): {_summary(vocabulary)}; "
              "active.")
    out.print(f"  stored in {path}")


@vocabulary_app.command("list")
def list_cmd() -> None:
    """List stored vocabularies, active ones first in the order they are consulted."""
    vocabularies, problems = _store().load_all()
    for problem in problems:
        err.print(warning_line(problem))
    if not vocabularies:
        out.print("No vocabularies yet: import one with "
                  "'imageworks-personal-tagger vocabulary import FILE'.")
        return
    for vocabulary in sorted(vocabularies, key=lambda v: not v.active):
        state = "active  " if vocabulary.active else "inactive"
        out.print(f"{state} {vocabulary.name}  [{vocabulary.format}] {_summary(vocabulary)}"
                  f"  from {vocabulary.source or '?'}")


@vocabulary_app.command("show")
def show_cmd(name: str = typer.Argument(..., help="Vocabulary name (see 'vocabulary list').")
             ) -> None:
    """Show a vocabulary as a tree ([containers], {synonyms})."""
    try:
        vocabulary = _store().get(name)
    except VocabularyError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"{vocabulary.name} ({'active' if vocabulary.active else 'inactive'}): "
              f"{_summary(vocabulary)}")
    for line in render_tree(vocabulary):
        out.print(f"  {line}")


@vocabulary_app.command("remove")
def remove_cmd(name: str = typer.Argument(..., help="Vocabulary name.")) -> None:
    """Delete a stored vocabulary (the file it was imported from is not touched)."""
    try:
        removed = _store().remove(name)
    except VocabularyError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"Removed {removed.name!r} ({_summary(removed)}).")


def _set_active(name: str, active: bool) -> None:
    try:
        vocabulary = _store().set_active(name, active)
    except VocabularyError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"{vocabulary.name!r} is now {'active' if active else 'inactive'}.")


@vocabulary_app.command("activate")
def activate_cmd(name: str = typer.Argument(..., help="Vocabulary name.")) -> None:
    """Use a stored vocabulary when mapping keywords."""
    _set_active(name, True)


@vocabulary_app.command("deactivate")
def deactivate_cmd(name: str = typer.Argument(..., help="Vocabulary name.")) -> None:
    """Stop using a stored vocabulary (it stays stored)."""
    _set_active(name, False)


def describe(mapping: KeywordMapping) -> str:
    """One line: what the model said, what it maps to and how."""
    said = mapping.proposed
    if mapping.method == "refused":
        return f"{said!r} -> refused: {mapping.reason}"
    if mapping.method == "new":
        return f"{said!r} -> new term {mapping.keyword!r} (not in your vocabulary)"
    line = (f"{said!r} -> {'|'.join(mapping.path)}  ({how_mapped(mapping)}, vocabulary "
            f"{mapping.vocabulary!r})")
    if mapping.alternatives:
        line += f"; also: {', '.join(mapping.alternatives)}"
    return line


@vocabulary_app.command("map")
def map_cmd(
    keywords: list[str] = typer.Argument(..., help="Keywords as a model might propose them."),
    vocabulary: list[str] = typer.Option([], "--vocabulary", "-v",
                                         help="Stored name or file (repeatable; default: "
                                              "the active vocabularies)."),
) -> None:
    """Show how keywords map onto your vocabularies (exact, synonym, normalized, fuzzy)."""
    try:
        threshold = SettingsStore().load().vocabulary.fuzzy_threshold
        vocabularies = resolve_vocabularies(vocabulary, _store())
    except (VocabularyError, SettingsLoadError) as exc:
        raise _fail(str(exc)) from exc
    mapper = VocabularyMapper(vocabularies, fuzzy_threshold=threshold)
    for keyword in keywords:
        out.print(describe(mapper.map(keyword)))
