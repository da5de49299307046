"""The Scorecard window of the Models workspace: figures per role and model version, refreshed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from imageworks_gui.core.scorecard import ScoreRow
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.models.scorecard_panel import ScorecardPanel
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.quality_db import QualityDbError
from imageworks_gui.services.scorecard_store import scorecard


class ScorecardDialog(QDialog):
    """Non-modal window comparing, per role, the models (and versions) your reviews judged."""

    def __init__(self, context: AppContext, parent: QWidget | None = None,
                 store_in_registry: Callable[[Sequence[ScoreRow]], int] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scorecard")
        self.resize(980, 560)
        self.context = context
        self.panel = ScorecardPanel(self)
        self.status = QLabel("Loading the figures of your review decisions…", self)
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.refresh_button = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refresh)
        self.rows: list[ScoreRow] = []
        self._store_in_registry = store_in_registry
        self.store_button = buttons.addButton("Store in registry",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.store_button.setToolTip(
            "Put each model's current figures in its registry entry (performance.quality): one "
            "undoable edit; save the registry to keep it")
        self.store_button.setEnabled(False)
        self.store_button.setVisible(store_in_registry is not None)
        self.store_button.clicked.connect(self.store)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)

    def refresh(self) -> None:
        """Reload the figures from the quality database off the GUI thread."""
        self.refresh_button.setEnabled(False)
        self.context.spawn(self.load(), "Scorecard")

    async def load(self) -> None:
        try:
            rows = await run_blocking(scorecard)
        except QualityDbError as exc:
            self.status.setText(str(exc))
            return
        finally:
            self.refresh_button.setEnabled(True)
        self.rows = rows
        self.panel.set_rows(rows)
        self.store_button.setEnabled(bool(rows))
        photos = sum(r.photos for r in rows)
        self.status.setText(
            f"{len(rows)} model version(s) across {len({r.role for r in rows})} role(s), from "
            f"{photos} reviewed photo decision(s)." if rows else
            "No review decisions yet: tag photos and approve or reject proposals in the "
            "Tagging workspace, then refresh.")

    def store(self) -> None:
        """Store the figures shown in the registry entries they belong to (one undo step)."""
        if self._store_in_registry is None or not self.rows:
            return
        changed = self._store_in_registry(self.rows)
        self.status.setText(
            f"Stored the figures in {changed} registry entr{'y' if changed == 1 else 'ies'} "
            "(performance.quality); Save the registry to keep them, Undo to take them back."
            if changed else
            "The registry already holds these figures (or none of the models is in it): "
            "nothing changed.")
