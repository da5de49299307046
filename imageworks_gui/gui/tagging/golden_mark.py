"""Mark as Golden Set…: reviewed photos become the ground truth that judges model upgrades."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.golden import GOLDEN_STATES, baseline_models, golden_photos
from imageworks_gui.core.prompts import STAGES
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.gui.tagging.state import Severity
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.golden_store import GoldenStore
from imageworks_gui.services.quality_db import QualityDbError


def finished(reviews: Sequence[PhotoReview]) -> list[PhotoReview]:
    """The reviews whose decision the user finished (they carry the user's own keywords)."""
    return [r for r in reviews if r.state in GOLDEN_STATES]


class GoldenMarkDialog(QDialog):
    """Choose the role, the name and which finished photos make the set."""

    def __init__(self, selected: Sequence[PhotoReview], folder: Sequence[PhotoReview],
                 default_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goldenMarkDialog")
        self.setWindowTitle("Mark as golden set")
        self.selected, self.folder = finished(selected), finished(folder)
        layout = QVBoxLayout(self)
        intro = QLabel("A golden set keeps the keywords, titles and descriptions you approved "
                       "for these photos. After a model upgrade or a change of its files, "
                       "Models > Run Golden Sets tags them again and compares the new "
                       "proposals with yours. Only approved or written photos can be in it.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.role = QComboBox()
        for stage in STAGES:
            self.role.addItem(stage, stage)
        self.role.setCurrentIndex(STAGES.index("keywords"))
        self.role.setToolTip("The role whose models this set judges")
        self.name = QLineEdit(default_name)
        self.name.setMaxLength(120)
        self.name.setToolTip("A set with the same role and name is replaced")
        form.addRow("Role:", self.role)
        form.addRow("Name:", self.name)
        layout.addLayout(form)
        not_done = len(selected) - len(self.selected)
        self.use_selected = QRadioButton(
            f"The selected photos that are approved or written ({len(self.selected)}"
            + (f"; {not_done} not finished are left out)" if not_done else ")"))
        self.use_folder = QRadioButton(
            f"Every approved or written photo in the folder ({len(self.folder)})")
        self.use_selected.setEnabled(bool(self.selected))
        self.use_folder.setEnabled(bool(self.folder))
        (self.use_selected if self.selected else self.use_folder).setChecked(True)
        layout.addWidget(self.use_selected)
        layout.addWidget(self.use_folder)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c0392b;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Mark as golden set")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def reviews(self) -> list[PhotoReview]:
        return self.selected if self.use_selected.isChecked() else self.folder

    def set_name(self) -> str:
        return " ".join(self.name.text().split())

    def problem(self) -> str | None:
        if not self.reviews():
            return ("No approved or written photo to mark: approve proposals first (A), "
                    "then mark them.")
        if not self.set_name():
            return "Give the set a name."
        return None

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        super().accept()


async def save_golden(workspace: Any, role: str, name: str,
                      reviews: Sequence[PhotoReview], store: GoldenStore | None = None) -> bool:
    """Save the set off the GUI thread and say in the notice bar what was kept."""
    photos, skipped = golden_photos(reviews)
    try:
        await run_blocking((store or GoldenStore()).save, role, name, photos,
                           baseline_models(photos))
    except QualityDbError as exc:
        workspace.show_notice(Severity.ERROR, f"Golden set not saved: {exc}")
        return False
    workspace.show_notice(
        Severity.INFO,
        f"Golden set {name!r} for role {role}: {len(photos)} photo(s)"
        + (f" ({skipped} not finished left out)" if skipped else "")
        + ". After a model upgrade, Models > Run Golden Sets compares the new proposals "
          "with these.")
    return True


def start_mark_golden(workspace: Any, store: GoldenStore | None = None) -> GoldenMarkDialog:
    """Open the dialog for the workspace's selection and folder; on OK save the set."""
    session = workspace.controller.session
    selected = [session.get(p) for p in workspace.selected_paths() if p in session]
    folder = [session.get(p) for p in session.paths()]
    where: Path | None = workspace.controller.folder
    dialog = GoldenMarkDialog(selected, folder, where.name if where else "golden", workspace)

    def accepted() -> None:
        workspace.context.spawn(save_golden(workspace, dialog.role.currentData(),
                                            dialog.set_name(), dialog.reviews(), store),
                                "Golden set")

    dialog.accepted.connect(accepted)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    workspace.golden_dialog = dialog
    dialog.open()
    return dialog
