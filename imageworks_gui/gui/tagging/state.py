"""Run states, message severities and the narrow review interface the Tagging helpers use."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from imageworks_gui.core.review import PhotoReview, ReviewSession


class RunState(StrEnum):
    """Where a tagging run is."""

    IDLE = "idle"
    PREFLIGHT = "preflight"
    """Checking that the model servers answer."""
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"

    @property
    def active(self) -> bool:
        """True while photos are being (or about to be) sent to the models."""
        return self in (RunState.RUNNING, RunState.PAUSED)


class Severity(StrEnum):
    """How a message is shown: a neutral note, something to check, or a failure."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @classmethod
    def of_failures(cls, failed: int, cancelled: bool = False) -> Severity:
        """The severity of an outcome with ``failed`` failures (counted, never read from text)."""
        return cls.WARNING if failed or cancelled else cls.INFO


class ReviewHost(Protocol):
    """What the run, write and journal helpers may do with the open folder's reviews."""

    @property
    def session(self) -> ReviewSession: ...

    @property
    def folder(self) -> Path | None: ...

    @property
    def run_idle(self) -> bool:
        """True when no tagging run is going on (a write may start)."""
        ...

    def put(self, reviews: Iterable[PhotoReview], save: bool = True) -> None:
        """Store reviews, refresh the views and schedule saving."""

    def refresh(self, paths: list[str]) -> None:
        """Redraw these photos (something shown about them changed, not their review)."""

    def notify(self, severity: Severity, text: str) -> None:
        """Show the user a message."""

    def drop_edit_history(self) -> None:
        """Forget undoable review edits (they cannot be undone across a run or a write)."""

    async def save_now(self) -> None:
        """Write pending review changes to the folder's review journal."""
