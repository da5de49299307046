"""Per-folder review journal in data_dir(): proposals and decisions survive a restart.

One append-only JSONL file per opened folder (``data_dir()/review/<digest>.jsonl``): the first
line names the folder, every later line is a full ``PhotoReview`` snapshot and the last snapshot
of a path wins. ``compact`` rewrites the file atomically with one line per photo.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from imageworks_gui.core.jsonl import dumps_utf8
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.services.paths import data_dir

log = logging.getLogger("imageworks.review_store")

STORE_VERSION = 1


class ReviewStoreError(OSError):
    """The review journal could not be written; the message says where and why."""


def _folder_key(folder: Path) -> str:
    text = str(folder.expanduser().resolve())
    return hashlib.sha256(os.fsencode(text)).hexdigest()[:24]  # bytes: any name hashes


class ReviewStore:
    """Reads and appends the review journal of one folder (blocking; call via run_blocking)."""

    def __init__(self, folder: Path, root: Path | None = None) -> None:
        self.folder = folder.expanduser().resolve()
        base = root if root is not None else data_dir() / "review"
        self.path = base / f"{_folder_key(self.folder)}.jsonl"
        self.skipped_lines = 0
        self._lines = 0

    def _header(self) -> str:
        return dumps_utf8({"imageworks_review": STORE_VERSION, "folder": str(self.folder)})

    def load(self) -> list[PhotoReview]:
        """The saved reviews of this folder (empty when nothing was saved).

        Damaged lines (e.g. a crash mid-write) are skipped and counted in ``skipped_lines``.
        """
        self.skipped_lines = 0
        self._lines = 0
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ReviewStoreError(f"cannot read the review journal {self.path}: {exc}; "
                                   f"check its permissions or move it away") from exc
        latest: dict[str, PhotoReview] = {}
        for number, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if number == 0 and isinstance(data, dict) and "imageworks_review" in data:
                    continue
                review = PhotoReview.model_validate(data)
            except (ValueError, ValidationError):
                self.skipped_lines += 1
                continue
            self._lines += 1
            latest[review.path] = review
        if self.skipped_lines:
            log.warning("%s: skipped %d damaged line(s)", self.path, self.skipped_lines)
        return list(latest.values())

    def append(self, reviews: Iterable[PhotoReview]) -> None:
        """Append snapshots of changed photos (flushed and synced before returning)."""
        lines = [dumps_utf8(r.model_dump(mode="json", exclude_defaults=True)) for r in reviews]
        if not lines:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists()
            with self.path.open("a", encoding="utf-8") as fh:
                if new:
                    fh.write(self._header() + "\n")
                fh.write("\n".join(lines) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise ReviewStoreError(f"cannot save review decisions to {self.path}: {exc}; free "
                                   f"disk space or fix the folder's permissions") from exc
        self._lines += len(lines)

    def needs_compaction(self, live: int) -> bool:
        """True when the journal holds many more lines than photos."""
        return self._lines > max(2 * live, live + 500)

    def compact(self, reviews: Iterable[PhotoReview]) -> None:
        """Rewrite the journal with one line per photo (atomic: temp file, fsync, rename).

        A journal with damaged lines is kept beside it as ``.damaged`` first.
        """
        items = list(reviews)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.skipped_lines and self.path.exists():
                shutil.copy2(self.path, self.path.with_suffix(".damaged"))
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(self._header() + "\n")
                    for r in items:
                        fh.write(dumps_utf8(r.model_dump(mode="json", exclude_defaults=True))
                                 + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise ReviewStoreError(f"cannot rewrite the review journal {self.path}: {exc}; free "
                                   f"disk space or fix the folder's permissions") from exc
        self._lines = len(items)
        self.skipped_lines = 0

    def forget(self) -> None:
        """Delete the saved review of this folder."""
        self.path.unlink(missing_ok=True)
