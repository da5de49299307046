"""Exports a review session as JSONL (one photo a line) and a human-readable Markdown summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imageworks_gui.core.jsonl import dumps_utf8
from imageworks_gui.core.review import REVIEW_STATES, PhotoReview
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.undecodable import escape_undecodable
from imageworks_gui.services.atomic_text import write_text_atomic


class ExportError(OSError):
    """An export file could not be written."""


def final_values(review: PhotoReview, settings: MetadataSettings | None = None
                 ) -> dict[str, Any]:
    """What the photo ends up with: for a written photo what its file holds (read back after
    the write; a title the file kept stays), otherwise what approving would give it (an
    untouched proposal only fills an empty title or description, as the writer does)."""
    if review.state == "written":
        return {"title": review.existing_title, "description": review.existing_description,
                "keywords": list(review.existing_keywords),
                "new_keywords": [k for k in review.written_keywords
                                 if k.casefold() in {e.casefold()
                                                     for e in review.existing_keywords}],
                "read_back": review.existing_loaded}
    settings = settings or MetadataSettings()
    title = review.final_title if review.final_title and (
        not review.existing_title or review.title_edited or settings.overwrite_title
    ) else review.existing_title
    description = review.final_description if review.final_description and (
        not review.existing_description or review.description_edited
        or settings.overwrite_description
    ) else review.existing_description
    return {"title": title, "description": description,
            "keywords": review.accepted_keywords, "new_keywords": review.new_keywords}


def export_record(review: PhotoReview, settings: MetadataSettings | None = None
                  ) -> dict[str, Any]:
    """One photo as exported: what was proposed, what the user decided and what is final."""
    return {
        "path": review.path,
        "state": review.state,
        "existing": {"title": review.existing_title,
                     "description": review.existing_description,
                     "keywords": list(review.existing_keywords)},
        "proposed": {"title": review.proposed_title,
                     "description": review.proposed_description,
                     "keywords": list(review.proposed_keywords)},
        "rejected_keywords": list(review.rejected_keywords),
        "added_keywords": list(review.added_keywords),
        "final": final_values(review, settings),
        "title_edited": review.title_edited,
        "description_edited": review.description_edited,
        "models": review.models,
        "prompt_profile": review.prompt_profile,
        "error": review.error,
        "batch_id": review.batch_id,
    }


def _md_cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip() or "—"


def markdown_summary(reviews: Sequence[PhotoReview], folder: str = "",
                     settings: MetadataSettings | None = None) -> str:
    """Counts per state, then one row per photo with a proposal."""
    counts = dict.fromkeys(REVIEW_STATES, 0)
    for review in reviews:
        counts[review.state] += 1
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# Imageworks tagging summary", ""]
    if folder:
        lines.append(f"Folder: `{folder}`  ")
    lines += [f"Exported: {stamp}  ", f"Photos: {len(reviews)}", "",
              "| State | Photos |", "|---|---:|"]
    lines += [f"| {state} | {count} |" for state, count in counts.items() if count]
    rows = [r for r in reviews if r.state not in ("untagged", "queued")]
    if rows:
        lines += ["", "| Photo | State | Title | New keywords | Rejected | Note |",
                  "|---|---|---|---|---|---|"]
        for r in rows:
            final = final_values(r, settings)
            lines.append(
                f"| {_md_cell(r.name)} | {r.state} | {_md_cell(final['title'])} | "
                f"{_md_cell(', '.join(final['new_keywords']))} | "
                f"{_md_cell(', '.join(r.rejected_keywords))} | {_md_cell(r.error)} |")
    return "\n".join(lines) + "\n"


def write_exports(reviews: Sequence[PhotoReview], folder: str, jsonl_path: Path | None,
                  markdown_path: Path | None, settings: MetadataSettings | None = None) -> None:
    """Write the JSONL and/or Markdown export atomically (blocking; run in the executor)."""
    try:
        if jsonl_path is not None:
            body = "".join(dumps_utf8(export_record(r, settings)) + "\n" for r in reviews)
            write_text_atomic(jsonl_path, body)
        if markdown_path is not None:
            # Non-UTF-8 photo names are shown as ``\xe9`` escapes (the JSONL keeps them exactly).
            write_text_atomic(markdown_path,
                          escape_undecodable(markdown_summary(reviews, folder, settings)))
    except OSError as exc:
        target = exc.filename or jsonl_path or markdown_path
        raise ExportError(f"cannot write the export to {target}: {exc.strerror or exc}; choose "
                          f"a folder you can write to") from exc
