"""Settings > Prompt profiles: list, duplicate, delete, versions, edit and save a profile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.gui.prompt_profile_editor import PromptProfileEditor
from imageworks_gui.gui.prompt_trial_panel import ProfileTrialPanel
from imageworks_gui.gui.widgets import MessageBar
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.prompt_profile_store import (
    ProfileRecord,
    ProfileVersion,
    PromptProfileStore,
)
from imageworks_gui.services.prompt_profiles import PromptProfileError

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
ORIGIN_TEXT = {"shipped": "shipped", "user": "yours", "override": "yours, replaces shipped"}


class PromptProfilesPage(QWidget):
    """The profiles folder as a list beside an editor of the selected profile."""

    profiles_changed = Signal()
    """A profile was saved, duplicated, restored or deleted."""

    def __init__(self, spawn: Spawn, trial: ProfileTrialPanel | None = None,
                 store: PromptProfileStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PromptProfilesPage")
        self._spawn = spawn
        self.store = store or PromptProfileStore()
        self.records: dict[str, ProfileRecord] = {}
        self.current: str | None = None
        self.loaded: PromptProfile | None = None
        self.dirty = False
        self.ask_unsaved: Callable[[], str] = self._ask_unsaved
        """Returns "save", "discard" or "cancel" (tests replace it)."""
        self.ask_name: Callable[[str], str | None] = self._ask_name
        self.ask_version: Callable[[list[ProfileVersion]], ProfileVersion | None] = \
            self._ask_version

        self.message = MessageBar()
        self.list = QListWidget()
        self.list.setObjectName("profileList")
        self.list.currentItemChanged.connect(self._current_changed)
        self.duplicate_button = QPushButton("Duplicate…")
        self.delete_button = QPushButton("Delete")
        self.versions_button = QPushButton("Versions…")
        self.duplicate_button.clicked.connect(self._duplicate_clicked)
        self.delete_button.clicked.connect(
            lambda: self._spawn(self.delete(self.current or "")))
        self.versions_button.clicked.connect(self._versions_clicked)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        for button in (self.duplicate_button, self.delete_button, self.versions_button):
            left_layout.addWidget(button)

        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight: bold;")
        self.hash_label = QLabel()
        self.hash_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hash_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hash_label.setToolTip("The hash recorded in provenance and scorecard rows: it "
                                   "names this exact text")
        self.editor = PromptProfileEditor()
        self.editor.changed.connect(self._edited)
        self.save_button = QPushButton("Save")
        self.revert_button = QPushButton("Revert")
        self.save_button.clicked.connect(lambda: self._spawn(self.save()))
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hash_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        fields = QWidget()
        fields_layout = QVBoxLayout(fields)
        fields_layout.setContentsMargins(0, 0, 0, 0)
        fields_layout.addWidget(self.title)
        fields_layout.addWidget(self.editor, 1)
        self.trial = trial
        if trial is not None:
            trial.profile_source = self.editor.profile
            fields_layout.addWidget(trial)

        scroll = QScrollArea()  # small screens scroll the editor instead of clipping it
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(fields)
        right = QWidget()  # the hash and Save stay in view while the fields scroll
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(scroll, 1)
        right_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([170, 600])
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self._update_buttons()

    # -- listing ------------------------------------------------------------------------------
    async def reload(self, select: str | None = None) -> None:
        """Read the profiles folder again and select ``select`` (else the current one)."""
        records = await run_blocking(self.store.records)
        self.records = {r.name: r for r in records}
        wanted = select or self.current
        self.list.blockSignals(True)
        self.list.clear()
        for record in records:
            label = f"{record.name}  ({ORIGIN_TEXT[record.origin]})"
            if record.profile is None:
                label += "  cannot be read"
            item = QListWidgetItem(label)
            item.setData(NAME_ROLE, record.name)
            item.setToolTip(record.problem or record.name)
            self.list.addItem(item)
            if record.name == wanted:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._show(self._selected_name())

    def _selected_name(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(NAME_ROLE))

    def select(self, name: str) -> bool:
        """Select ``name`` in the list (asks about unsaved changes); False when refused."""
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)
        return self.current == name

    def _current_changed(self, item: QListWidgetItem | None,
                         previous: QListWidgetItem | None) -> None:
        name = None if item is None else str(item.data(NAME_ROLE))
        if name == self.current:
            return
        if not self.may_leave():
            self.list.blockSignals(True)
            self.list.setCurrentItem(previous)
            self.list.blockSignals(False)
            return
        self._show(name)

    def _show(self, name: str | None) -> None:
        record = self.records.get(name or "")
        self.current = name
        self.loaded = record.profile if record else None
        self.dirty = False
        if record is None:
            self.title.setText("")
        else:
            self.title.setText(f"{record.name} ({ORIGIN_TEXT[record.origin]})")
        if record is not None and record.profile is None:
            self.message.show_message(record.problem or "", "error")
        if self.loaded is not None:
            self.editor.load(self.loaded)
        self.editor.setEnabled(self.loaded is not None)
        self._update_buttons()

    # -- editing ------------------------------------------------------------------------------
    def _edited(self) -> None:
        self.dirty = True
        self._update_buttons()

    def _update_buttons(self) -> None:
        edited = self.editor.profile() if self.loaded is not None else None
        record = self.records.get(self.current or "")
        self.save_button.setEnabled(edited is not None and self.dirty)
        self.revert_button.setEnabled(self.dirty)
        self.duplicate_button.setEnabled(record is not None and record.profile is not None)
        self.delete_button.setEnabled(record is not None and record.origin != "shipped")
        self.versions_button.setEnabled(record is not None and record.origin != "shipped")
        shown = edited or self.loaded
        self.hash_label.setText("" if shown is None else
                                f"Profile hash {shown.sha256[:12]}"
                                + (" (unsaved)" if self.dirty and edited else "")
                                + (" (fix the marked fields)" if edited is None else ""))
        if self.trial is not None:
            self.trial.set_profile_valid(edited is not None)

    def revert(self) -> None:
        self._show(self.current)

    def may_leave(self) -> bool:
        """True when nothing is unsaved, or the user saved or discarded the changes."""
        if not self.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == "discard":
            self.dirty = False
            return True
        if answer == "save" and self.editor.profile() is not None:
            return self._save_now()
        return False

    def _ask_unsaved(self) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved prompt profile",
                          f"The profile {self.current!r} has unsaved changes.",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(box.exec()), "cancel")

    def _save_now(self) -> bool:
        # Used from the unsaved-changes question, which must answer before the switch.
        profile = self.editor.profile()
        try:
            if profile is None:
                return False
            self.store.save(profile)
        except (PromptProfileError, OSError) as exc:
            self.message.show_message(str(exc), "error")
            return False
        self.dirty = False
        self.profiles_changed.emit()
        return True

    async def save(self) -> bool:
        """Save the edited profile as the user's file (earlier text kept as a version)."""
        profile = self.editor.profile()
        if profile is None:
            self.message.show_message("Not saved: fix the marked fields first.", "error")
            return False
        try:
            path = await run_blocking(self.store.save, profile)
        except (PromptProfileError, OSError) as exc:
            self.message.show_message(str(exc), "error")
            return False
        self.dirty = False
        self.message.show_message(f"Saved {path} (hash {profile.sha256[:12]}).")
        self.profiles_changed.emit()
        await self.reload(profile.name)
        return True

    # -- duplicate, delete, versions ----------------------------------------------------------
    def _ask_name(self, source: str) -> str | None:
        text, ok = QInputDialog.getText(self, "Duplicate profile",
                                        f"Name of the copy of {source!r}:", text=f"{source}-copy")
        return text.strip() if ok else None

    def _duplicate_clicked(self) -> None:
        if self.current and self.may_leave():
            name = self.ask_name(self.current)
            if name:
                self._spawn(self.duplicate(name))

    async def duplicate(self, new_name: str) -> bool:
        """Copy the selected profile as ``new_name`` and select the copy."""
        try:
            await run_blocking(self.store.duplicate, self.current or "", new_name)
        except (PromptProfileError, OSError) as exc:
            self.message.show_message(str(exc), "error")
            return False
        self.message.show_message(f"Made {new_name!r} from {self.current!r}.")
        self.dirty = False
        self.profiles_changed.emit()
        await self.reload(new_name)
        return True

    async def delete(self, name: str) -> bool:
        try:
            text = await run_blocking(self.store.delete, name)
        except (PromptProfileError, OSError) as exc:
            self.message.show_message(str(exc), "error")
            return False
        self.message.show_message(text)
        self.dirty = False
        self.profiles_changed.emit()
        await self.reload(name if self.store.is_shipped(name) else None)
        return True

    def _ask_version(self, versions: list[ProfileVersion]) -> ProfileVersion | None:
        labels = [f"{v.saved_at:%Y-%m-%d %H:%M:%S} UTC  hash {v.hash8}" for v in versions]
        label, ok = QInputDialog.getItem(self, "Restore a version",
                                         "Kept versions (newest first):", labels, 0, False)
        return versions[labels.index(label)] if ok and label in labels else None

    def _versions_clicked(self) -> None:
        name = self.current
        if not name or not self.may_leave():
            return
        versions = self.store.versions(name)
        if not versions:
            self.message.show_message(f"{name!r} has no earlier versions yet: one is kept "
                                      f"each time you save over it.")
            return
        chosen = self.ask_version(versions)
        if chosen is not None:
            self._spawn(self.restore(name, chosen))

    async def restore(self, name: str, version: ProfileVersion) -> bool:
        """Make ``version`` the current text of ``name`` (the replaced text is kept)."""
        try:
            profile = await run_blocking(self.store.restore, name, version)
        except (PromptProfileError, OSError) as exc:
            self.message.show_message(str(exc), "error")
            return False
        self.message.show_message(f"Restored {name!r} from {version.saved_at:%Y-%m-%d %H:%M:%S}"
                                  f" UTC (hash {profile.sha256[:12]}).")
        self.dirty = False
        self.profiles_changed.emit()
        await self.reload(name)
        return True


def profiles_page_for(context: Any, photo: Callable[[], str | None]) -> PromptProfilesPage:
    """The page wired to the app: its HTTP client, settings, registry and selected photo."""
    trial = ProfileTrialPanel(context.spawn, context.http, lambda: context.settings,
                              lambda: list(context.registry.entries), photo)
    return PromptProfilesPage(context.spawn, trial)
