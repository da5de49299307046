"""Undoable review edits: each command swaps whole ``PhotoReview`` snapshots keyed by path."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand

from imageworks_gui.core.review import PhotoReview

ApplyFn = Callable[[Sequence[PhotoReview]], None]


class ReviewEditCommand(QUndoCommand):
    """Replaces the reviews of one or more photos; undo puts the previous snapshots back.

    ``apply`` stores reviews in the session, refreshes the views and saves the journal; the
    command itself holds no widget and no row numbers, so it survives sorting and filtering.
    """

    def __init__(self, text: str, before: Sequence[PhotoReview], after: Sequence[PhotoReview],
                 apply: ApplyFn, reverted: Callable[[str], None] | None = None) -> None:
        super().__init__(text)
        if [r.path for r in before] != [r.path for r in after]:
            raise ValueError("before and after must list the same photos in the same order")
        self.before = list(before)
        self.after = list(after)
        self._apply = apply
        self._reverted = reverted

    @property
    def paths(self) -> list[str]:
        return [r.path for r in self.after]

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)
        if self._reverted is not None and self.before:
            self._reverted(self.before[0].path)  # the view goes back to the photo edited
