"""Map proposed keywords onto the active vocabularies: exact, synonym, normalised, then fuzzy.

Steps, first hit wins (all active vocabularies are searched at each step before the next):

1. ``exact``: the keyword is a term's name, or its full path with ``|`` or ``/`` between levels;
2. ``synonym``: the keyword is one of a term's synonyms;
3. ``normalized``: equal after folding case, removing diacritics (``ø``, ``æ``, ``ł`` and the
   like included), treating ``-``/``_`` as spaces and, for English, reducing a trailing plural
   (``Herons`` -> ``heron``, ``Cities`` -> ``city``) on both sides. For German, ``ä``/``ö``/
   ``ü`` also match their spelled-out forms ``ae``/``oe``/``ue`` (``Baeume`` finds ``Bäume``).
   Other languages get no plural rule: their inflected forms are left to the fuzzy step;
4. ``fuzzy``: the best rapidfuzz ``ratio`` between folded forms at or above the threshold.

A hit is mapped to the term's preferred name and full path. Several candidates at the same step
(the same synonym under two parents, say) are ranked deterministically: a term's own name
before a synonym, then the vocabulary listed first, then the shallower path, then the path in
alphabetical order; the others are kept as ``alternatives``. A keyword that maps nowhere is
``new``; it is ``refused`` (with a reason) when it is empty or holds ``|`` or ``/``, which other
programs would split into levels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from rapidfuzz import fuzz, process

from imageworks_gui.core.keywords import normalise_keyword
from imageworks_gui.core.settings import VocabularySettings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.vocabulary import (
    DIGIKAM_SEPARATOR,
    LR_SEPARATOR,
    KeywordMapping,
    MatchMethod,
    Vocabulary,
    VocabularyMode,
    VocabularyTerm,
    term_problem,
)

DEFAULT_FUZZY_THRESHOLD: float = VocabularySettings.model_fields["fuzzy_threshold"].default

_LETTERS = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
                          "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "þ": "th",
                          "Þ": "th", "ı": "i"})
"""Letters that Unicode does not decompose into a base letter and a diacritic."""
_GERMAN = str.maketrans({"ä": "ae", "Ä": "ae", "ö": "oe", "Ö": "oe", "ü": "ue", "Ü": "ue"})

_PLURAL_RULES = (("ies", "y", 5), ("sses", "ss", 5), ("shes", "sh", 5), ("ches", "ch", 5),
                 ("xes", "x", 4), ("zes", "z", 4))


def fold(text: str, language: str = "en") -> str:
    """Comparison form: case folded, no diacritics, ``-``/``_`` as spaces and, for English,
    the last word singular."""
    if text.isascii():
        plain = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", text)
                                           .translate(_LETTERS))
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = re.sub(r"[\s_\-]+", " ", plain).strip()
    if language != "en":
        return plain
    head, _, last = plain.rpartition(" ")
    return f"{head} {singular(last)}" if head else singular(last)


def fold_variants(text: str, language: str = "en") -> tuple[str, ...]:
    """Every comparison form of ``text`` in ``language`` (German: with and without ``ae``)."""
    plain = fold(text, language)
    if language != "de" or text.isascii():
        return (plain,)
    spelled = fold(unicodedata.normalize("NFC", text).translate(_GERMAN), language)
    return (plain,) if spelled == plain else (plain, spelled)


def singular(word: str) -> str:
    """A trailing English plural reduced (``berries`` -> ``berry``, ``cats`` -> ``cat``)."""
    for suffix, replacement, min_len in _PLURAL_RULES:
        if word.endswith(suffix) and len(word) >= min_len:
            return word[: -len(suffix)] + replacement
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class _Candidate(NamedTuple):
    rank: tuple[int, int, int, str, str]
    term: VocabularyTerm
    vocabulary: str
    matched: str


class VocabularyMapper:
    """Maps keywords onto vocabularies given in priority order (index built once)."""

    def __init__(self, vocabularies: Sequence[Vocabulary],
                 fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD, language: str = "en") -> None:
        self.vocabularies = list(vocabularies)
        self.fuzzy_threshold = fuzzy_threshold
        self.language = language
        """The keywords' language (a prompt profile's): it decides the normalized step."""
        self._exact: dict[str, list[_Candidate]] = {}
        self._synonym: dict[str, list[_Candidate]] = {}
        self._folded: dict[str, list[_Candidate]] = {}
        for order, vocabulary in enumerate(self.vocabularies):
            for term in vocabulary.assignable_terms():
                self._index(order, vocabulary.name, term)
        self._choices = list(self._folded)
        self._containers = {v.name: {t.path for t in v.terms if not t.assignable}
                            for v in self.vocabularies}

    def _index(self, order: int, vocabulary: str, term: VocabularyTerm) -> None:
        def candidate(kind: int, matched: str) -> _Candidate:
            path_key = LR_SEPARATOR.join(term.path)
            rank = (kind, order, len(term.path), path_key.casefold(), path_key)
            return _Candidate(rank, term, vocabulary, matched)

        own = candidate(0, term.name)
        for key in {term.name, term.lr_path, DIGIKAM_SEPARATOR.join(term.path)}:
            self._exact.setdefault(key, []).append(own)
        for key in fold_variants(term.name, self.language):
            self._folded.setdefault(key, []).append(own)
        for synonym in term.synonyms:
            entry = candidate(1, synonym)
            self._synonym.setdefault(synonym, []).append(entry)
            for key in fold_variants(synonym, self.language):
                self._folded.setdefault(key, []).append(entry)

    def map(self, proposed: str) -> KeywordMapping:
        """The mapping of one proposed keyword (see the module docstring for the steps), with
        the ancestors of its term that are containers."""
        mapping = self._map(proposed)
        boxes = self._containers.get(mapping.vocabulary or "", set())
        path = mapping.path
        containers = tuple(LR_SEPARATOR.join(path[:depth]) for depth in range(1, len(path))
                           if path[:depth] in boxes)
        return mapping.model_copy(update={"containers": containers}) if containers else mapping

    def _map(self, proposed: str) -> KeywordMapping:
        keyword = normalise_keyword(proposed)
        problem = term_problem(keyword) if keyword else "a keyword cannot be empty"
        if problem is not None and LR_SEPARATOR not in keyword:
            return KeywordMapping(proposed=proposed, keyword="", method="refused",
                                  reason=problem)
        for method, table in (("exact", self._exact), ("synonym", self._synonym)):
            found = table.get(keyword)
            if found:
                return _hit(proposed, method, 100.0, found)
        variants = fold_variants(keyword, self.language)
        found = [c for key in dict.fromkeys(variants) for c in self._folded.get(key, [])]
        if found:
            return _hit(proposed, "normalized", 100.0, found)
        folded = variants[0]
        if self._choices and folded:
            matches = process.extract(folded, self._choices, scorer=fuzz.ratio,
                                      score_cutoff=self.fuzzy_threshold, limit=None)
            if matches:
                best = max(score for _, score, _ in matches)
                tied = [c for key, score, _ in matches if score == best
                        for c in self._folded[key]]
                return _hit(proposed, "fuzzy", round(float(best), 1), tied)
        return _new(proposed, keyword)

    def map_all(self, proposed: Iterable[str]) -> list[KeywordMapping]:
        """Mappings of every proposed keyword, in order."""
        return [self.map(keyword) for keyword in proposed]


def _hit(proposed: str, method: MatchMethod, score: float,
         candidates: list[_Candidate]) -> KeywordMapping:
    ordered = sorted(candidates, key=lambda c: c.rank)
    best = ordered[0]
    others = tuple(dict.fromkeys(c.term.lr_path for c in ordered[1:]
                                 if c.term.path != best.term.path))
    return KeywordMapping(proposed=proposed, keyword=best.term.name, method=method,
                          score=score, path=best.term.path, vocabulary=best.vocabulary,
                          matched=best.matched, alternatives=others)


def _new(proposed: str, keyword: str) -> KeywordMapping:
    if LR_SEPARATOR in keyword or DIGIKAM_SEPARATOR in keyword:
        sep = LR_SEPARATOR if LR_SEPARATOR in keyword else DIGIKAM_SEPARATOR
        field = "lr:hierarchicalSubject" if sep == LR_SEPARATOR else "digiKam:TagsList"
        reason = (f"{sep!r} separates levels in {field}, so other programs would split "
                  f"{keyword!r} into several keywords; add it to your vocabulary under the "
                  f"right parent or reword it")
        return KeywordMapping(proposed=proposed, keyword="", method="refused", reason=reason)
    return KeywordMapping(proposed=proposed, keyword=keyword, method="new")


def apply_mode(mappings: Iterable[KeywordMapping], mode: VocabularyMode) -> list[str]:
    """The keywords to propose: mapped terms (deduplicated), plus new ones in ``suggest`` mode.

    ``strict`` keeps vocabulary terms only; refused keywords are never kept.
    """
    seen: set[str] = set()
    result: list[str] = []
    for mapping in mappings:
        if mapping.method == "refused" or (mode == "strict" and not mapping.in_vocabulary):
            continue
        key = LR_SEPARATOR.join(mapping.path) if mapping.path else mapping.keyword.casefold()
        if key not in seen:
            seen.add(key)
            result.append(mapping.keyword)
    return result


class VocabularyPolicy:
    """The vocabularies and mode of a tagging run, applied to each photo's keywords."""

    def __init__(self, mapper: VocabularyMapper, mode: VocabularyMode = "suggest") -> None:
        self.mapper = mapper
        self.mode: VocabularyMode = mode

    @property
    def names(self) -> list[str]:
        """Names of the vocabularies consulted, in order."""
        return [v.name for v in self.mapper.vocabularies]

    def for_language(self, language: str) -> VocabularyPolicy:
        """This policy for keywords written in ``language`` (itself when it already is)."""
        if language == self.mapper.language:
            return self
        mapper = VocabularyMapper(self.mapper.vocabularies, self.mapper.fuzzy_threshold,
                                  language)
        return VocabularyPolicy(mapper, self.mode)

    def apply_to(self, result: TagResult) -> None:
        """Replace a freshly tagged result's keywords by their mapping, and record it.

        Results that were not tagged now (skipped, cancelled) or are already mapped (a copy
        of another photo's result) are left alone.
        """
        if result.status not in ("ok", "failed") or not result.keywords \
                or result.keyword_mapping is not None:
            return
        mappings = self.mapper.map_all(result.keywords)
        result.keyword_mapping = mappings
        result.keywords = apply_mode(mappings, self.mode)
