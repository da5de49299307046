"""Model comparison on a sample: combinations, seeded sample, per-photo diffs, marks, summary."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from imageworks_gui.core.quality_metrics import jaccard, keyword_key, mean

FIELDS = ("caption", "keywords", "description")
TIE = "tie"


class CombinationError(ValueError):
    """A ``MODEL[:PROFILE]`` text names no registry entry or no known profile."""


@dataclass(frozen=True)
class Combination:
    """One model (registry entry name) with an optional prompt profile (None: the default)."""

    model: str
    profile: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model}:{self.profile}" if self.profile else self.model


def parse_combination(text: str, models: Iterable[str], profiles: Iterable[str]) -> Combination:
    """Parse ``MODEL[:PROFILE]``; model names may themselves contain ':' (``qwen2.5vl:7b``).

    The whole text is tried as a registry name first; otherwise it is split on the LAST ':'
    and accepted only when the head is a registry name and the tail a known profile.
    """
    names, known = set(models), set(profiles)
    text = text.strip()
    if text in names:
        return Combination(text)
    head, sep, tail = text.rpartition(":")
    if sep and head in names:
        if tail in known:
            return Combination(head, tail)
        raise CombinationError(f"unknown prompt profile {tail!r} in {text!r}: known profiles "
                               f"are {', '.join(sorted(known)) or 'none'}")
    raise CombinationError(f"model {text!r} is not in the registry: use one of "
                           f"{', '.join(sorted(names)) or '(empty registry)'}")


@dataclass(frozen=True)
class Sample:
    """The photos a comparison runs over and how they were picked."""

    paths: tuple[str, ...]
    seed: int | None
    requested: int | None
    available: int

    @property
    def note(self) -> str:
        if self.seed is None:
            return f"{len(self.paths)} selected photo(s)"
        text = f"{len(self.paths)} of {self.available} photo(s) drawn at random, seed {self.seed}"
        if self.requested is not None and self.requested > self.available:
            text += f" (asked for {self.requested}: the folder has only {self.available})"
        return text


def draw_sample(paths: Iterable[str], size: int, seed: int) -> Sample:
    """``size`` photos drawn with ``random.Random(seed)`` from ``paths`` sorted by path.

    The same file list and seed always give the same sample, in path order; a size larger
    than the list takes every photo.
    """
    ordered = sorted(set(paths))
    count = min(max(size, 0), len(ordered))
    picked = sorted(random.Random(seed).sample(ordered, count))
    return Sample(tuple(picked), seed, size, len(ordered))


@dataclass(frozen=True)
class Proposal:
    """What one combination proposed for one photo (``error`` when it failed)."""

    caption: str | None = None
    keywords: tuple[str, ...] = ()
    description: str | None = None
    seconds: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class KeywordDiff:
    """Keywords (comparison form of the first spelling) only in one proposal, or in all."""

    shared: tuple[str, ...]
    only: tuple[tuple[str, ...], ...]


def keyword_diff(proposals: Sequence[Proposal]) -> KeywordDiff:
    """Keywords every proposal has, and per proposal those no other proposal has."""
    keys = [{keyword_key(k): k for k in p.keywords if keyword_key(k)} for p in proposals]
    shared_keys = set.intersection(*(set(k) for k in keys)) if keys else set()
    shared = tuple(keys[0][k] for k in keys[0] if k in shared_keys) if keys else ()
    only = []
    for i, mine in enumerate(keys):
        others = set().union(*(set(k) for j, k in enumerate(keys) if j != i))
        only.append(tuple(v for k, v in mine.items() if k not in others))
    return KeywordDiff(shared, tuple(only))


def word_diff(text: str | None, others: Sequence[str | None]) -> list[tuple[str, bool]]:
    """``text`` split into words, each flagged True when no other text contains that word."""
    seen = {w.casefold().strip(".,;:!?") for o in others for w in (o or "").split()}
    return [(w, w.casefold().strip(".,;:!?") not in seen) for w in (text or "").split()]


@dataclass
class Marks:
    """The user's verdicts: per photo and field (``"photo"`` for the whole photo) -> winner.

    A winner is a combination index (0, 1, 2) or ``TIE``.
    """

    verdicts: dict[str, dict[str, int | str]] = field(default_factory=dict)

    def mark(self, path: str, winner: int | str, field_name: str = "photo") -> None:
        self.verdicts.setdefault(path, {})[field_name] = winner

    def winner(self, path: str, field_name: str = "photo") -> int | str | None:
        return self.verdicts.get(path, {}).get(field_name)


@dataclass(frozen=True)
class CombinationSummary:
    """Figures for one combination over the sample."""

    label: str
    wins: int
    ties: int
    field_wins: int
    kept_overlap: float | None
    seconds_per_photo: float | None
    failed: int


def summarise(combinations: Sequence[Combination],
              proposals: Mapping[str, Sequence[Proposal]], marks: Marks,
              kept: Mapping[str, Sequence[str]] | None = None) -> list[CombinationSummary]:
    """Per combination: photo wins, ties, field wins, mean Jaccard with kept keywords, time."""
    kept = kept or {}
    out = []
    for i, combo in enumerate(combinations):
        wins = ties = field_wins = failed = 0
        overlaps: list[float | None] = []
        times: list[float | None] = []
        for path, row in proposals.items():
            prop = row[i]
            failed += prop.error is not None
            times.append(prop.seconds)
            if path in kept:
                overlaps.append(jaccard(prop.keywords, kept[path]))
            verdict = marks.verdicts.get(path, {})
            wins += verdict.get("photo") == i
            ties += verdict.get("photo") == TIE
            field_wins += sum(verdict.get(f) == i for f in FIELDS)
        out.append(CombinationSummary(combo.label, wins, ties, field_wins, mean(overlaps),
                                      mean(times), failed))
    return out


def md_cell(text: str | None) -> str:
    """Untrusted text made safe for one Markdown table cell (pipes, newlines, markup)."""
    if not text:
        return ""
    flat = " ".join(str(text).split())
    for ch in "\\`*_[]<>|#":
        flat = flat.replace(ch, "\\" + ch)
    return flat


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def render_report(combinations: Sequence[Combination], sample: Sample,
                  proposals: Mapping[str, Sequence[Proposal]],
                  existing: Mapping[str, Sequence[str]] | None = None) -> str:
    """The Markdown report: proposals side by side and the keyword agreement figures."""
    existing = existing or {}
    labels = [md_cell(c.label) for c in combinations]
    lines = ["# Model comparison", "", f"Sample: {sample.note}.", "",
             "| Combination | Label | Seconds per photo | Failed |", "|---|---|---|---|"]
    for letter, combo_label, i in zip("ABC", labels, range(len(labels)), strict=False):
        times = mean(row[i].seconds for row in proposals.values())
        failed = sum(row[i].error is not None for row in proposals.values())
        secs = "n/a" if times is None else f"{times:.2f}"
        lines.append(f"| {letter} | {combo_label} | {secs} | {failed} |")
    pair = [jaccard(row[0].keywords, row[1].keywords) for row in proposals.values()]
    lines += ["", "## Agreement", "",
              f"- Keyword Jaccard A vs B (mean over photos): {_pct(mean(pair))}"]
    for letter, i in zip("ABC", range(len(combinations)), strict=False):
        with_existing = [jaccard(row[i].keywords, existing[p])
                         for p, row in proposals.items() if existing.get(p)]
        lines.append(f"- Keyword Jaccard {letter} vs existing keywords: "
                     f"{_pct(mean(with_existing))} ({len(with_existing)} photo(s) with keywords)")
    lines += ["", "## Proposals", ""]
    for path, row in proposals.items():
        diff = keyword_diff(row)
        lines += [f"### {md_cell(path)}", "",
                  "| Field | " + " | ".join(labels) + " |",
                  "|---" * (len(labels) + 1) + "|"]
        for name in ("caption", "description"):
            cells = [md_cell((p.error and f"FAILED: {p.error}") or getattr(p, name)) for p in row]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("| keywords | " + " | ".join(md_cell(", ".join(p.keywords))
                                                 for p in row) + " |")
        lines.append("| only here | " + " | ".join(md_cell(", ".join(o))
                                                  for o in diff.only) + " |")
        if existing.get(path):
            lines.append("| existing | " + md_cell(", ".join(existing[path])) + " |"
                         + " |" * (len(labels) - 1))
        lines += ["", f"Shared keywords: {md_cell(', '.join(diff.shared)) or '(none)'}; "
                  f"Jaccard A vs B: {_pct(jaccard(row[0].keywords, row[1].keywords))}", ""]
    return "\n".join(lines) + "\n"
