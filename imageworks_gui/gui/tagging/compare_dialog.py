"""The Compare… setup: two or three model/profile combinations and the sample to run them on."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.compare import Combination, Sample, draw_sample
from imageworks_gui.services.prompt_profiles import list_prompt_profiles

NONE = "(none)"
DEFAULT_PROFILE = "(default profile)"


class CompareDialog(QDialog):
    """Pick the combinations (A, B, optional C) and the sample; ``accept`` only when valid."""

    def __init__(self, models: Sequence[str], paths: Sequence[str], selection: Sequence[str],
                 profiles: Sequence[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare models")
        self.paths, self.selection = list(paths), list(selection)
        profiles = list(profiles if profiles is not None else list_prompt_profiles())
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.models: list[QComboBox] = []
        self.profiles: list[QComboBox] = []
        for i, letter in enumerate("ABC"):
            model, profile = QComboBox(), QComboBox()
            if i == 2:
                model.addItem(NONE, None)
            for name in models:
                model.addItem(name, name)
            if i < 2 and len(models) > i:
                model.setCurrentIndex(i)
            profile.addItem(DEFAULT_PROFILE, None)
            for name in profiles:
                profile.addItem(name, name)
            row = QHBoxLayout()
            row.addWidget(model, 2)
            row.addWidget(profile, 1)
            form.addRow(f"Combination {letter}:", row)
            self.models.append(model)
            self.profiles.append(profile)
        layout.addLayout(form)
        self.use_selection = QRadioButton(f"The selected photos ({len(self.selection)})")
        self.use_random = QRadioButton("Photos drawn at random from the folder:")
        self.size = QSpinBox()
        self.size.setRange(1, max(1, len(self.paths)))
        self.size.setValue(min(10, max(1, len(self.paths))))
        self.seed = QSpinBox()
        self.seed.setRange(0, 999_999)
        self.seed.setValue(random.randrange(1000, 10_000))
        self.seed.setToolTip("The same seed and folder always draw the same photos")
        random_row = QHBoxLayout()
        random_row.addWidget(self.use_random)
        random_row.addWidget(self.size)
        random_row.addWidget(QLabel(f"of {len(self.paths)}, seed"))
        random_row.addWidget(self.seed)
        random_row.addStretch(1)
        layout.addWidget(self.use_selection)
        layout.addLayout(random_row)
        (self.use_selection if self.selection else self.use_random).setChecked(True)
        self.use_selection.setEnabled(bool(self.selection))
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c0392b;")
        layout.addWidget(QLabel("The models run over the sample; nothing is written to the "
                                "photos."))
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run comparison")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def combinations(self) -> list[Combination]:
        out = []
        for model, profile in zip(self.models, self.profiles, strict=True):
            if model.currentData() is not None:
                out.append(Combination(model.currentData(), profile.currentData()))
        return out

    def sample(self) -> Sample:
        if self.use_selection.isChecked():
            return Sample(tuple(self.selection), None, None, len(self.paths))
        return draw_sample(self.paths, self.size.value(), self.seed.value())

    def problem(self) -> str | None:
        """Why the current choice cannot run (None when it can)."""
        combos = self.combinations()
        if len(combos) < 2:
            return "Choose two models to compare: the registry needs at least one entry."
        if len(set(combos)) < len(combos):
            return "Two combinations are the same: change a model or a prompt profile."
        if not self.sample().paths:
            return "The sample is empty: open a folder of photos or select some first."
        return None

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        super().accept()


def start_compare(workspace: Any) -> CompareDialog:
    """Open the setup dialog for the workspace's photos; on OK open and run the view."""
    from imageworks_gui.gui.tagging.compare_view import CompareView

    context = workspace.context
    dialog = CompareDialog([e.name for e in context.registry.entries],
                           workspace.controller.paths_for("all"), workspace.selected_paths(),
                           parent=workspace)

    def accepted() -> None:
        view = CompareView(context, dialog.combinations(), dialog.sample(), workspace)
        workspace.compare_view = view
        view.resize(1100, 720)
        view.show()
        context.spawn(view.run(), "compare-run")

    dialog.accepted.connect(accepted)
    workspace.compare_dialog = dialog
    dialog.open()
    return dialog
