"""Which vocabulary terms a keyword request offers the model: an enum for a schema, a shortlist.

A vocabulary small enough (``vocabulary.constrain_max_terms`` preferred names) is sent as the
``enum`` of the keyword items in the request's JSON schema, so a server that enforces schemas
can only answer with its terms. The enum holds preferred names only, not synonyms: a synonym
would be mapped onto its preferred name anyway, and every extra alternative makes the grammar
larger. A name used under two parents (``Paris`` in France and in Texas) is offered once; the
mapping picks its path as for any answer. A larger vocabulary is offered as a bounded shortlist in
the prompt (top-level terms first, then the most used, then the shallowest) and the answer is
mapped as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from imageworks_gui.core.keywords import normalise_keyword
from imageworks_gui.core.settings import VocabularySettings
from imageworks_gui.core.vocabulary import Vocabulary, VocabularyMode, VocabularyTerm


@dataclass(frozen=True)
class KeywordConstraint:
    """What a run's keyword requests say about the vocabulary."""

    enum: tuple[str, ...] | None
    """Every preferred name when the vocabulary is small enough to constrain, else None."""
    shortlist: tuple[str, ...]
    """Terms listed in the prompt (the whole enum when it fits, else the most useful ones)."""
    total: int
    """Distinct preferred names in the vocabularies."""

    @property
    def kind(self) -> str:
        """``enum`` (schema-constrained), ``shortlist`` (prompt only) or ``none``."""
        return "enum" if self.enum is not None else ("shortlist" if self.shortlist else "none")

    def describe(self) -> str:
        """One line for the run's header."""
        if self.enum is not None:
            return (f"answers limited to the {len(self.enum)} vocabulary terms where the "
                    f"server enforces JSON schemas, and mapped afterwards")
        if self.shortlist:
            return (f"{len(self.shortlist)} of {self.total} vocabulary terms listed in the "
                    f"prompt; answers mapped afterwards")
        return "answers mapped onto the vocabulary afterwards"

    def prompt_hint(self) -> str:
        """The sentence appended to the keyword prompt ("" when there is nothing to offer)."""
        if not self.shortlist:
            return ""
        terms = json.dumps(list(self.shortlist), ensure_ascii=False)
        if self.enum is not None:
            return f"Choose the keywords only from this list: {terms}."
        return (f"Prefer terms from this keyword list when they fit, and use their exact "
                f"spelling: {terms}.")


def _usage(term: VocabularyTerm) -> int:
    extra = term.model_extra or {}
    value = extra.get("count", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def plan_constraint(vocabularies: Sequence[Vocabulary], mode: VocabularyMode,
                    settings: VocabularySettings,
                    banned: Iterable[str] = ()) -> KeywordConstraint:
    """The constraint of a run over ``vocabularies`` (in priority order) in ``mode``.

    An enum is used in ``strict`` mode (and in ``suggest`` mode when
    ``constrain_in_suggest_mode`` is on: it leaves no room for new terms) when the preferred
    names number at most ``constrain_max_terms`` (0 turns it off). ``banned`` words (the
    ``tagging.banned_keywords`` setting) are never offered: they would be dropped anyway.
    """
    banned_keys = {normalise_keyword(b).casefold() for b in banned if b.strip()}
    ranked: dict[str, tuple[int, int, int, int]] = {}
    position = 0
    for order, vocabulary in enumerate(vocabularies):
        for term in vocabulary.assignable_terms():
            position += 1
            if normalise_keyword(term.name).casefold() in banned_keys:
                continue
            rank = (0 if len(term.path) == 1 else 1, -_usage(term), len(term.path),
                    order * 1_000_000 + position)
            if term.name not in ranked or rank < ranked[term.name]:
                ranked[term.name] = rank
    names = sorted(ranked, key=lambda n: ranked[n])
    limit = settings.constrain_max_terms
    wants_enum = mode == "strict" or settings.constrain_in_suggest_mode
    enum = tuple(names) if wants_enum and names and len(names) <= limit else None
    size = settings.shortlist_size
    shortlist = enum if enum is not None and len(enum) <= size else tuple(names[:size])
    return KeywordConstraint(enum=enum, shortlist=shortlist, total=len(names))


def keywords_schema(enum: Sequence[str] | None, min_items: int = 1,
                    max_items: int | None = None) -> dict[str, Any]:
    """The keyword answer's JSON schema: ``{"keywords": [...]}``, items from ``enum`` if given."""
    items: dict[str, Any] = {"type": "string"}
    if enum is not None:
        items["enum"] = list(enum)
    array: dict[str, Any] = {"type": "array", "items": items, "minItems": max(1, min_items)}
    if max_items is not None:
        array["maxItems"] = max(array["minItems"], max_items)
    return {"type": "object", "properties": {"keywords": array}, "required": ["keywords"],
            "additionalProperties": False}
