"""Scorecard panel: one table per role comparing model versions by their review figures."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from imageworks_gui.core.scorecard import ScoreRow

HEADERS = ("Model", "Version", "Photos", "Rejected", "Keywords kept", "Added / photo",
           "Prose accepted", "Mean edit distance", "Latency / photo")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, unit: str = "") -> str:
    return "–" if value is None else f"{value:.1f}{unit}"


def _cells(row: ScoreRow) -> tuple[str, ...]:
    return (row.model, (row.model_hash or "unverified")[:12], str(row.photos),
            str(row.photos_rejected), _pct(row.keyword_precision), _num(row.added_per_photo),
            _pct(row.acceptance_rate), _num(row.mean_edit_distance),
            _num(row.mean_latency_ms, " ms"))


class ScorecardPanel(QWidget):
    """Shows ``ScoreRow``s grouped by role; each model version (hash) is its own row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self.tables: dict[str, QTableWidget] = {}
        self.set_rows([])

    def set_rows(self, rows: Sequence[ScoreRow]) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # at once: deleteLater only runs on the next event loop pass
                widget.deleteLater()
        self.tables = {}
        if not rows:
            self._layout.addWidget(self._label("No review decisions recorded yet: approve or "
                                               "reject proposals in the Tagging workspace."))
            return
        for role in sorted({r.role for r in rows}):
            group = [r for r in rows if r.role == role]
            self._layout.addWidget(self._label(f"Role: {role}"))
            table = QTableWidget(len(group), len(HEADERS), self)
            table.setHorizontalHeaderLabels(list(HEADERS))
            table.verticalHeader().setVisible(False)
            for i, row in enumerate(group):
                for j, text in enumerate(_cells(row)):
                    table.setItem(i, j, QTableWidgetItem(text))
            table.resizeColumnsToContents()
            table.horizontalHeader().setStretchLastSection(True)
            self.tables[role] = table
            self._layout.addWidget(table)

    def _label(self, text: str) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(label.textFormat().PlainText)
        label.setText(text)
        return label
