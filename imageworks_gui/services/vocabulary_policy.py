"""The vocabularies a tagging run maps keywords onto, chosen the same way by the app and the CLI."""

from __future__ import annotations

from pathlib import Path

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
from imageworks_gui.services.vocabulary_store import (
    VocabularyStore,
    VocabularyStoreError,
    read_vocabulary_file,
)


def resolve_vocabularies(refs: list[str], store: VocabularyStore) -> list[Vocabulary]:
    """Vocabularies named by ``refs`` (stored names or files), or the active ones if none."""
    if not refs:
        active = store.active()
        if not active:
            raise VocabularyStoreError(
                "no active vocabulary: import one with 'imageworks-personal-tagger vocabulary "
                "import FILE' or activate one with 'vocabulary activate NAME'")
        return active
    chosen: list[Vocabulary] = []
    for ref in refs:
        path = Path(ref)
        chosen.append(read_vocabulary_file(path) if path.is_file() else store.get(ref))
    return chosen


def vocabulary_policy(settings: Settings, refs: list[str], mode: str | None,
                      store: VocabularyStore | None = None,
                      problems: list[str] | None = None) -> VocabularyPolicy | None:
    """The vocabularies a tagging run maps keywords onto: ``refs`` (stored names or files),
    else the active ones; None when there are none. ``mode`` overrides the settings' mode.

    Without ``refs``, a message per stored file that cannot be read (and is left out) is
    added to ``problems``.
    """
    store = store or VocabularyStore()
    active: list[Vocabulary] = []
    if not refs:
        found, unreadable = store.load_all()
        active = [v for v in found if v.active]
        if problems is not None:
            problems.extend(unreadable)
    if not refs and not active:
        return None
    chosen_mode = "strict" if (mode or settings.vocabulary.mode) == "strict" else "suggest"
    mapper = VocabularyMapper(active or resolve_vocabularies(refs, store),
                              fuzzy_threshold=settings.vocabulary.fuzzy_threshold)
    return VocabularyPolicy(mapper, chosen_mode)
