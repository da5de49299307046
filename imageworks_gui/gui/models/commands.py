"""Undo commands for registry edits, keyed by entry name so they survive reordering."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from imageworks_gui.core.entry_transitions import measurements, with_measurements
from imageworks_gui.core.registry import RegistryEntry

if TYPE_CHECKING:
    from imageworks_gui.gui.models.document import RegistryDocument


def _landing(doc: RegistryDocument, name: str, left: RegistryEntry,
             target: RegistryEntry) -> RegistryEntry:
    """``target``, keeping any measurement recorded since ``left`` was put in place.

    A verification or probe is never undone: when the entry now holds measurements that
    ``left`` did not, they are carried into ``target`` (whose lock then decides the status).
    """
    current = doc.entry(name)
    if current is None or measurements(current) == measurements(left):
        return target
    return with_measurements(target, current)


class ReplaceEntryCommand(QUndoCommand):
    """Replace one entry by a new validated instance (any field edit, including a rename)."""

    def __init__(self, doc: RegistryDocument, before: RegistryEntry, after: RegistryEntry,
                 text: str) -> None:
        super().__init__(text)
        self._doc = doc
        self._before = before
        self._after = after

    def redo(self) -> None:
        name = self._before.name
        self._doc._replace(name, _landing(self._doc, name, self._before, self._after))

    def undo(self) -> None:
        name = self._after.name
        self._doc._replace(name, _landing(self._doc, name, self._after, self._before))


class InsertEntriesCommand(QUndoCommand):
    """Insert entries at a row (add, duplicate, import, discovery)."""

    def __init__(self, doc: RegistryDocument, row: int, entries: list[RegistryEntry],
                 text: str) -> None:
        super().__init__(text)
        self._doc = doc
        self._row = row
        self._entries = list(entries)

    def redo(self) -> None:
        self._doc._insert(self._row, self._entries)

    def undo(self) -> None:
        # Keep what the entries became (measurements included) for a redo.
        removed = self._doc._remove_names([e.name for e in self._entries])
        self._entries = [entry for _row, entry in sorted(removed, key=lambda item: item[0])]


class RemoveEntriesCommand(QUndoCommand):
    """Remove entries by name; undo puts each back at its old row, in priority order."""

    def __init__(self, doc: RegistryDocument, names: list[str], text: str) -> None:
        super().__init__(text)
        self._doc = doc
        self._names = list(names)
        self._removed: list[tuple[int, RegistryEntry]] = []

    def redo(self) -> None:
        self._removed = self._doc._remove_names(self._names)

    def undo(self) -> None:
        # Rows are those before any removal: re-inserting from the top restores the order.
        for row, entry in sorted(self._removed, key=lambda item: item[0]):
            self._doc._insert(row, [entry])


class MoveEntryCommand(QUndoCommand):
    """Move one entry to another priority position (file order)."""

    def __init__(self, doc: RegistryDocument, name: str, to_row: int, text: str) -> None:
        super().__init__(text)
        self._doc = doc
        self._name = name
        self._to = to_row
        self._from = doc.row_of(name)

    def redo(self) -> None:
        self._doc._move(self._name, self._to)

    def undo(self) -> None:
        self._doc._move(self._name, self._from)
