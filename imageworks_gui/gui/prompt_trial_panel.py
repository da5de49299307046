"""Try the edited prompt profile on one photo against a chosen vision model; answers as text."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.profile_trial import TrialResult, try_profile

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


def trial_text(result: TrialResult) -> str:
    """The answers as the panel shows them (plain text, server text literally)."""
    lines = [f"Model {result.model}, profile hash {result.profile_sha256[:12]}", ""]
    if "photo" in result.errors:
        return "\n".join([*lines, result.errors["photo"]])
    if "server" in result.errors and not (result.caption or result.keywords):
        return "\n".join([*lines, "The server did not answer: " + result.errors["server"]])
    for stage, value in (("Caption", result.caption),
                         ("Keywords", ", ".join(result.keywords)),
                         ("Description", result.description)):
        problem = result.errors.get(stage.lower())
        lines.append(f"{stage}: {value}" if value or not problem else f"{stage}: ({problem})")
    if "server" in result.errors:
        lines += ["", "The server stopped answering: " + result.errors["server"]]
    return "\n".join(lines)


class ProfileTrialPanel(QGroupBox):
    """Runs the editor's unsaved profile; nothing is written to the photo."""

    def __init__(self, spawn: Spawn, http: httpx.AsyncClient,
                 settings: Callable[[], Settings],
                 entries: Callable[[], list[RegistryEntry]],
                 photo: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__("Try on a photo (nothing is written to it)", parent)
        self._spawn = spawn
        self._http = http
        self._settings = settings
        self._entries = entries
        self._photo_source = photo
        self.picked: Path | None = None
        self.profile_source: Callable[[], PromptProfile | None] = lambda: None
        self.task: asyncio.Task[Any] | None = None
        self.models = QComboBox()
        self.models.setObjectName("trialModel")
        self.photo_label = QLabel()
        self.photo_label.setTextFormat(Qt.TextFormat.PlainText)
        self.photo_label.setWordWrap(True)
        self.pick_button = QPushButton("Choose photo…")
        self.pick_button.clicked.connect(self._pick_clicked)
        self.try_button = QPushButton("Try")
        self.try_button.clicked.connect(lambda: self._spawn(self.run_trial()))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setObjectName("trialOutput")
        self.output.setPlaceholderText("The model's caption, keywords and description appear "
                                       "here.")
        self.output.setMinimumHeight(70)
        self.output.setMaximumHeight(150)  # the editor above gets the spare height
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Model"), 0, 0)
        grid.addWidget(self.models, 0, 1)
        grid.addWidget(self.try_button, 0, 2)
        grid.addWidget(self.cancel_button, 0, 3)
        grid.addWidget(QLabel("Photo"), 1, 0)
        grid.addWidget(self.photo_label, 1, 1)
        grid.addWidget(self.pick_button, 1, 2, 1, 2)
        grid.addWidget(self.output, 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        self._valid = True
        self._user_cancelled = False
        self.refresh()

    def vision_entries(self) -> list[RegistryEntry]:
        return [e for e in self._entries() if e.capabilities.has("vision") and not e.deprecated]

    def refresh(self) -> None:
        """Fill the model list (vision models) and show which photo a trial would use."""
        current = self.models.currentText()
        self.models.clear()
        for entry in self.vision_entries():
            self.models.addItem(entry.name)
        if current:
            self.models.setCurrentText(current)
        photo = self.photo()
        self.photo_label.setText(str(photo) if photo else
                                 "No photo: select one in the Tagging workspace or choose one")
        self._update()

    def photo(self) -> Path | None:
        if self.picked is not None:
            return self.picked
        selected = self._photo_source()
        return Path(selected) if selected else None

    def set_profile_valid(self, valid: bool) -> None:
        self._valid = valid
        self._update()

    def _update(self) -> None:
        running = self.task is not None and not self.task.done()
        self.try_button.setEnabled(not running and self._valid and self.models.count() > 0
                                   and self.photo() is not None)
        self.cancel_button.setEnabled(running)

    def _pick_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a photo to try the profile on")
        if path:
            self.pick(Path(path))

    def pick(self, path: Path) -> None:
        self.picked = path
        self.refresh()

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self._user_cancelled = True
            self.task.cancel()

    async def run_trial(self) -> TrialResult | None:
        """Run the edited profile on the photo; None when cancelled or nothing to run."""
        profile, photo = self.profile_source(), self.photo()
        entry = next((e for e in self.vision_entries() if e.name == self.models.currentText()),
                     None)
        if profile is None or photo is None or entry is None:
            self.output.setPlainText("Choose a vision model and a photo, and fix the marked "
                                     "fields of the profile, then try again.")
            return None
        self.output.setPlainText(f"Asking {entry.name} about {photo.name}…")
        self.task = asyncio.ensure_future(
            try_profile(self._http, entry, self._settings(), profile, photo))
        self._user_cancelled = False
        self._update()
        try:
            result = await self.task
        except asyncio.CancelledError:
            if not self._user_cancelled:
                raise  # the page is closing: not the user's Cancel
            self.output.setPlainText("Cancelled: no answer was kept.")
            return None
        finally:
            self.task = None
            self._update()
        self.output.setPlainText(trial_text(result))
        return result
