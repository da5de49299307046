"""Settings > Vocabulary: import, view as a tree, search, activate and remove vocabularies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.vocabulary import (
    Vocabulary,
    VocabularyError,
    VocabularyTerm,
    control_char,
)
from imageworks_gui.gui.widgets import literal_tooltip
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool
from imageworks_gui.services.vocabulary_photos import vocabulary_from_photos
from imageworks_gui.services.vocabulary_store import (
    VocabularyStore,
    read_vocabulary_file,
    storable,
)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]
PhotoSource = Callable[[], "tuple[Path, bool, ExifToolPool] | None"]
"""The folder open in the Tagging workspace, whether it includes subfolders, and the app's
ExifTool pool; None when no folder is open. It may raise ExifToolError."""

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
"""On a top-level item: the vocabulary's name."""
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2
"""On a term item: the folded text a search matches (name and synonyms)."""


def summary(vocabulary: Vocabulary) -> str:
    """``12 keywords, 3 synonyms, 2 containers`` for a vocabulary."""
    keywords = sum(1 for t in vocabulary.terms if t.assignable)
    synonyms = sum(len(t.synonyms) for t in vocabulary.terms)
    return (f"{keywords} keyword(s), {synonyms} synonym(s), "
            f"{len(vocabulary.terms) - keywords} container(s)")


def name_from(text: str) -> str:
    """A usable vocabulary name from a file or folder name (control characters as spaces,
    undecodable bytes as U+FFFD, at most 90 characters)."""
    cleaned = "".join(" " if control_char(c) else c for c in storable(text))
    return " ".join(cleaned.split())[:90].strip() or "Vocabulary"


def free_name(wanted: str, taken: list[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``... when a stored name differs only in case."""
    used = {name.casefold() for name in taken}
    name, number = wanted, 2
    while name.casefold() in used:
        name = f"{wanted[:90]} ({number})"
        number += 1
    return name


def _term_item(term: VocabularyTerm) -> QTreeWidgetItem:
    item = QTreeWidgetItem([term.name if term.assignable else f"[{term.name}]",
                            ", ".join(term.synonyms)])
    item.setToolTip(0, literal_tooltip(term.lr_path + (
        "" if term.assignable else "\nA container: never proposed for a photo")))
    item.setData(0, SEARCH_ROLE, " ".join((term.name, *term.synonyms)).casefold())
    if not term.assignable:
        item.setForeground(0, QBrush(QColor("#8a8f98")))
    return item


def vocabulary_item(vocabulary: Vocabulary) -> QTreeWidgetItem:
    """A top-level item (checkbox: active) holding the vocabulary's terms as a tree."""
    keywords = sum(1 for t in vocabulary.terms if t.assignable)
    top = QTreeWidgetItem([vocabulary.name, f"{keywords} keyword(s)"])
    top.setData(0, NAME_ROLE, vocabulary.name)
    tip = f"{summary(vocabulary)}\n{vocabulary.format} format, from {vocabulary.source or '?'}"
    top.setToolTip(0, literal_tooltip(tip))
    top.setToolTip(1, literal_tooltip(tip))
    top.setFlags(top.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    top.setCheckState(0, Qt.CheckState.Checked if vocabulary.active else Qt.CheckState.Unchecked)
    font = QFont(top.font(0))
    font.setBold(True)
    top.setFont(0, font)
    items: dict[tuple[str, ...], QTreeWidgetItem] = {}
    for term in sorted(vocabulary.terms, key=lambda t: (len(t.path), t.name.casefold())):
        item = _term_item(term)
        items[term.path] = item
        items.get(term.path[:-1], top).addChild(item)
    for item in items.values():
        item.sortChildren(0, Qt.SortOrder.AscendingOrder)
    top.sortChildren(0, Qt.SortOrder.AscendingOrder)
    return top


class VocabularyPage(QWidget):
    """The stored vocabularies; every change goes to the store at once (off the UI thread)."""

    vocabularies_changed = Signal()
    """A vocabulary was imported, removed, activated or deactivated."""

    def __init__(self, spawn: Spawn, photos: PhotoSource | None = None,
                 store: VocabularyStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VocabularyPage")
        self._spawn = spawn
        self._photos = photos
        self.store = store or VocabularyStore()
        self.vocabularies: list[Vocabulary] = []
        self.confirm_box: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None
        self._building = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.import_button = QPushButton("Import file…")
        self.import_button.setToolTip("A Lightroom Classic keyword export (Metadata > Export "
                                      "Keywords) or a text list; the format is detected")
        self.import_button.clicked.connect(self.choose_file)
        self.folder_button = QPushButton("From the open folder")
        self.folder_button.setToolTip("The keywords the photos open in the Tagging workspace "
                                      "already carry (keywords, Lightroom and digiKam "
                                      "hierarchies)")
        self.folder_button.clicked.connect(lambda: self._start(self.import_open_folder()))
        self.remove_button = QPushButton("Remove…")
        self.remove_button.clicked.connect(self.confirm_remove)
        for button in (self.import_button, self.folder_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search keywords and synonyms…")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        layout.addWidget(self.search)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Keyword", "Synonyms"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.setColumnWidth(1, 170)
        self.tree.setUniformRowHeights(True)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.tree, 1)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # names, paths: untrusted
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        hint = QLabel("Ticked vocabularies are used by tagging runs, in this order; [brackets] "
                      "mark containers, which are never proposed. Changes here are saved at "
                      "once.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: gray;")
        layout.addWidget(hint)
        self._update_buttons()

    # -- background work -----------------------------------------------------------------------
    def _start(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._spawn(coro)

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "")

    async def reload(self) -> None:
        """Read the stored vocabularies (off the UI thread) and show them."""
        try:
            found, problems = await run_blocking(self.store.load_all)
        except OSError as exc:
            self.show_status(f"The vocabularies could not be read: {exc}", error=True)
            return
        self.vocabularies = found
        self._building = True
        self.tree.clear()
        self.tree.addTopLevelItems([vocabulary_item(v) for v in found])
        self._building = False
        self.apply_search()
        if problems:
            self.show_status("\n".join(problems), error=True)
        elif not found:
            self.show_status("No vocabulary yet: import your Lightroom keyword export or a "
                             "text list, or take the keywords of the open folder.")
        self._update_buttons()

    async def _changed(self, message: str) -> None:
        await self.reload()
        self.show_status(message)
        self.vocabularies_changed.emit()

    # -- import --------------------------------------------------------------------------------
    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Import a keyword vocabulary")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Keyword lists (*.txt *.csv *.tsv)", "All files (*)"])
        dialog.fileSelected.connect(lambda p: self._start(self.import_file(Path(p))))
        self.file_dialog = dialog
        dialog.open()

    async def import_file(self, path: Path) -> bool:
        """Import a Lightroom export or text list under a free name; False when refused."""
        self.show_status(f"Reading {storable(str(path))}…")
        try:
            vocabulary = await run_blocking(read_vocabulary_file, path, name_from(path.stem))
            return await self._store(vocabulary, f"from {storable(str(path))}")
        except (VocabularyError, OSError) as exc:
            self.show_status(f"Not imported: {exc}. Export the keywords again (Lightroom: "
                             f"Metadata > Export Keywords) or fix the line named.", error=True)
            return False

    async def import_open_folder(self) -> bool:
        """Build a vocabulary from the keywords of the photos open in the Tagging workspace."""
        try:
            source = self._photos() if self._photos is not None else None
        except ExifToolError as exc:
            self.show_status(f"Reading keywords from photos needs ExifTool: {exc}", error=True)
            return False
        if source is None:
            self.show_status("No folder is open: open one in the Tagging workspace first.",
                             error=True)
            return False
        folder, recursive, pool = source
        self.show_status(f"Reading the keywords of the photos in {storable(str(folder))}…")
        name = free_name(name_from(folder.name or "photos"), [v.name for v in self.vocabularies])
        try:
            vocabulary, read, notes = await run_blocking(
                vocabulary_from_photos, pool, [folder], name, recursive)
            done = await self._store(vocabulary, f"from {read} photo(s)")
        except (VocabularyError, ExifToolError, OSError) as exc:
            self.show_status(f"Not imported: {exc}", error=True)
            return False
        if done and notes:
            self.show_status(f"{self.status.text()}\n{len(notes)} value(s) skipped, e.g. "
                             f"{notes[0]}")
        return done

    async def _store(self, vocabulary: Vocabulary, where: str) -> bool:
        taken = [v.name for v in (await run_blocking(self.store.load_all))[0]]
        data = vocabulary.model_dump()
        data["name"] = free_name(vocabulary.name, taken)
        named = Vocabulary.model_validate(data)
        await run_blocking(self.store.add, named)
        await self._changed(f"Imported “{named.name}” {where}: {summary(named)}; active.")
        return True

    # -- activate and remove -------------------------------------------------------------------
    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        name = item.data(0, NAME_ROLE)
        if self._building or column != 0 or name is None:
            return
        self._start(self.set_active(name, item.checkState(0) == Qt.CheckState.Checked))

    async def set_active(self, name: str, active: bool) -> None:
        try:
            await run_blocking(self.store.set_active, name, active)
        except (VocabularyError, OSError) as exc:
            self.show_status(f"“{name}” was not changed: {exc}", error=True)
            await self.reload()
            return
        await self._changed(f"“{name}” is now {'active' if active else 'inactive'}.")

    def selected_name(self) -> str | None:
        """The vocabulary of the current item (a term selects its vocabulary)."""
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        return item.data(0, NAME_ROLE) if item is not None else None

    def confirm_remove(self) -> None:
        """Ask before removing the selected vocabulary (non-modal; the file is not touched)."""
        name = self.selected_name()
        if name is None:
            self.show_status("Select a vocabulary to remove.", error=True)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove vocabulary",
                          f"Remove the vocabulary “{name}”? The file it was imported from is "
                          f"not touched; you can import it again.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: self._start(self.remove(name)) if button is remove else None)
        self.confirm_box = box
        box.open()

    async def remove(self, name: str) -> None:
        try:
            removed = await run_blocking(self.store.remove, name)
        except (VocabularyError, OSError) as exc:
            self.show_status(f"“{name}” was not removed: {exc}", error=True)
            return
        await self._changed(f"Removed “{removed.name}” ({summary(removed)}).")

    # -- search --------------------------------------------------------------------------------
    def apply_search(self) -> None:
        """Show only terms whose name or synonym contains the search text, with their parents."""
        needle = self.search.text().strip().casefold()

        def walk(item: QTreeWidgetItem) -> bool:
            text = item.data(0, SEARCH_ROLE)
            hit = not needle or (text is not None and needle in text)
            child_hit = False
            for i in range(item.childCount()):
                child_hit = walk(item.child(i)) or child_hit
            visible = hit or child_hit
            item.setHidden(not visible)
            if needle:
                item.setExpanded(child_hit)
            return visible

        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            walk(top)
            if not needle:
                top.setExpanded(self.tree.topLevelItemCount() == 1)

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.selected_name() is not None)
        self.folder_button.setEnabled(self._photos is not None)
