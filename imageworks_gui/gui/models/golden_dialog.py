"""Golden-set re-run: old against new figures per set, before the admin accepts a new lock.

The sets of the entries' roles are re-run with each entry as it is now: a drifted entry is
measured as if re-locked to its current files, so the figures judge exactly what Re-lock would
accept. Nothing is written to photos or to the registry; each run is recorded in the quality
database. "Re-lock to current files" stays the admin's decision, made after seeing the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.entry_transitions import relock
from imageworks_gui.core.golden import RunFigures, Verdict
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.resolution import RoleResolutionError
from imageworks_gui.core.tagging import Progress
from imageworks_gui.gui.context import AppContext
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.golden import rerun
from imageworks_gui.services.golden_store import GoldenSet, GoldenStore
from imageworks_gui.services.quality_db import QualityDbError

HEADERS = ("Model", "Golden set", "Photos", "Keyword precision", "Recall", "Title edits",
           "Description edits", "Result")
_PASS, _FAIL = QColor("#1e8449"), QColor("#c0392b")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _chars(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _old_new(old: str, new: str) -> str:
    return f"{old} → {new}"


@dataclass
class _Row:
    name: str
    golden: GoldenSet
    verdict: Verdict | None = None
    error: str | None = None


def sets_for(entries: Sequence[RegistryEntry], sets: Sequence[GoldenSet]
             ) -> list[tuple[str, GoldenSet]]:
    """(entry name, set) for every golden set whose role one of ``entries`` fills."""
    return [(e.name, s) for e in entries for s in sets if s.role in e.roles]


def load_sets(store: GoldenStore | None = None) -> list[GoldenSet]:
    """Every golden set (blocking: call through ``run_blocking``)."""
    return (store or GoldenStore()).list_sets()


class GoldenRunDialog(QDialog):
    """Re-runs the golden sets of ``names`` and shows old (reviewed) vs new figures.

    ``on_relock`` (given when the entries have drifted) is called with the names after the
    admin presses "Re-lock to current files"; without it the dialog only measures.
    """

    def __init__(self, context: AppContext, names: Sequence[str],
                 on_relock: Callable[[list[str]], None] | None = None,
                 store: GoldenStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goldenRunDialog")
        self.setWindowTitle("Golden set re-run")
        self.resize(980, 420)
        self.context, self.names, self.store = context, list(names), store or GoldenStore()
        self._on_relock = on_relock
        self.rows: list[_Row] = []
        self.running = False
        layout = QVBoxLayout(self)
        self.intro = QLabel(self)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setWordWrap(True)
        drifted = [n for n in self.names if (e := context.registry.entry(n)) and e.drifted]
        self.intro.setText(
            "Each golden set is tagged again with " + ", ".join(self.names)
            + (" as it is now: with the files the last verification found, as Re-lock would "
               "accept them" if drifted else " as it is now")
            + ". Old: the proposals you reviewed; new: this run. Nothing is written to the "
            "photos or the registry.")
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel("Loading the golden sets…", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.run_button = self.buttons.addButton("Run again",
                                                 QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.clicked.connect(self.start)
        self.relock_button: QPushButton | None = None
        if on_relock is not None and drifted:
            self.relock_button = self.buttons.addButton(
                "Re-lock to current files", QDialogButtonBox.ButtonRole.AcceptRole)
            self.relock_button.clicked.connect(self._relock)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._set_running(False)

    # -- running ----
    def start(self) -> None:
        if not self.running:
            self.context.spawn(self.run(), "Golden set re-run")

    async def run(self) -> None:
        """Load the sets, then re-run each one in turn, filling its row as it finishes."""
        self._set_running(True)
        try:
            try:
                sets = await run_blocking(load_sets, self.store)
            except QualityDbError as exc:
                self.status.setText(str(exc))
                return
            entries = [e for n in self.names if (e := self.context.registry.entry(n))]
            self.rows = [_Row(name, golden) for name, golden in sets_for(entries, sets)]
            self._fill()
            if not self.rows:
                roles = sorted({r for e in entries for r in e.roles})
                self.status.setText(
                    f"No golden set for the roles of {', '.join(self.names)} "
                    f"({', '.join(roles) or 'no role'}). Mark reviewed photos as a golden set "
                    "in the Tagging workspace (Mark as Golden Set…) to measure upgrades.")
                return
            for i, row in enumerate(self.rows):
                await self._run_row(i, row)
            self._fill()
            self.status.setText(self._summary())
        finally:
            self._set_running(False)

    async def _run_row(self, i: int, row: _Row) -> None:
        entry = self.context.registry.entry(row.name)
        if entry is None:
            row.error = f"{row.name} is no longer in the registry"
            return
        measured = relock(entry) if entry.drifted else entry
        entries = [measured if e.name == row.name else e for e in self.context.registry.entries]
        total = len(row.golden.photos)
        label = f"{row.name}, golden set {row.golden.name!r} ({row.golden.role})"

        def progress(p: Progress) -> None:
            self.status.setText(f"Re-running {label}: {p.done} of {total} photo(s)…")

        progress(Progress())
        try:
            row.verdict = await rerun(self.context.http, row.golden, measured, entries,
                                      self.context.settings, on_progress=progress)
        except RoleResolutionError as exc:
            row.error = str(exc)
        else:
            lock = measured.version_lock
            try:
                await run_blocking(self.store.record_run, row.golden.role, row.golden.name,
                                   row.name, lock.expected_aggregate_sha256 if lock else None,
                                   row.verdict)
            except QualityDbError as exc:
                row.error = f"measured, but not recorded: {exc}"
        self._fill_row(i, row)

    def _summary(self) -> str:
        failed = [r for r in self.rows if r.verdict is not None and r.verdict.status == "fail"]
        errors = [r for r in self.rows if r.verdict is None]
        parts = [f"{len(self.rows) - len(failed) - len(errors)} of {len(self.rows)} golden "
                 "set(s) passed."]
        for row in failed:
            assert row.verdict is not None
            parts.append(f"{row.name} / {row.golden.name}: {row.verdict.reason}.")
        for row in errors:
            parts.append(f"{row.name} / {row.golden.name}: {row.error}.")
        if self.relock_button is not None:
            parts.append("Re-lock accepts the current files anyway." if failed or errors else
                         "Re-lock to current files to accept them.")
        return " ".join(parts)

    # -- the table ----
    def _fill(self) -> None:
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            self._fill_row(i, row)

    def _fill_row(self, i: int, row: _Row) -> None:
        if i >= self.table.rowCount():
            return
        v = row.verdict
        old: RunFigures | None = v.old if v else None
        new: RunFigures | None = v.new if v else None
        if v is not None and old is not None and new is not None:
            cells = [row.name, f"{row.golden.name} ({row.golden.role})",
                     f"{new.photos} of {len(row.golden.photos)}"
                     + (f", {new.failed} failed" if new.failed else ""),
                     _old_new(_pct(old.precision), _pct(new.precision)),
                     _old_new(_pct(old.recall), _pct(new.recall)),
                     _old_new(_chars(old.title_edit), _chars(new.title_edit)),
                     _old_new(_chars(old.description_edit), _chars(new.description_edit)),
                     "pass" if v.status == "pass" else "FAIL"]
        else:
            cells = [row.name, f"{row.golden.name} ({row.golden.role})",
                     str(len(row.golden.photos)), "", "", "", "",
                     row.error or ("running…" if self.running else "not run")]
        for j, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if j == len(cells) - 1:
                item.setToolTip(v.reason if v else (row.error or ""))
                if v is not None:
                    item.setForeground(_PASS if v.status == "pass" else _FAIL)
            self.table.setItem(i, j, item)

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.run_button.setEnabled(not running)
        if self.relock_button is not None:
            self.relock_button.setEnabled(not running)
            failed = any(r.verdict is None or r.verdict.status == "fail" for r in self.rows)
            self.relock_button.setText("Re-lock anyway" if failed and self.rows else
                                       "Re-lock to current files")

    def _relock(self) -> None:
        if self._on_relock is not None and not self.running:
            self._on_relock(list(self.names))
        self.accept()

    def verdicts(self) -> dict[tuple[str, str, str], Verdict | None]:
        """(entry, role, set) -> verdict of the last run (None: not measured); for callers."""
        return {(r.name, r.golden.role, r.golden.name): r.verdict for r in self.rows}
