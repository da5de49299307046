"""The comparison window: proposals side by side per photo, marks (keys 1/2/3), summary, actions."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.compare import (
    FIELDS,
    TIE,
    Combination,
    CombinationSummary,
    Marks,
    Proposal,
    Sample,
    keyword_diff,
    summarise,
    word_diff,
)
from imageworks_gui.core.prompts import STAGES
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.compare import ComparisonRun
from imageworks_gui.services.compare_store import save_comparison
from imageworks_gui.services.quality_db import QualityDbError

MARK = "background-color:#ffe08a;color:#000000;"
"""How a word or keyword found in only one proposal is highlighted."""
FIELD_LABELS = {"caption": "Title", "keywords": "Keywords", "description": "Description"}
HEADERS = ["Combination", "Photo wins", "Ties", "Field wins", "Overlap with kept keywords",
           "Seconds per photo", "Failed"]


def highlighted_words(text: str | None, others: Sequence[str | None]) -> str:
    """HTML of ``text`` (escaped) with the words no other proposal uses highlighted."""
    parts = [f'<span style="{MARK}">{html.escape(w)}</span>' if only else html.escape(w)
             for w, only in word_diff(text, others)]
    return " ".join(parts) or "<i>(none)</i>"


def highlighted_keywords(keywords: Sequence[str], only: Sequence[str]) -> str:
    """HTML of the keywords (escaped), those only this proposal has highlighted and bold."""
    mine = set(only)
    parts = [f'<span style="{MARK}font-weight:bold;">{html.escape(k)}</span>' if k in mine
             else html.escape(k) for k in keywords]
    return ", ".join(parts) or "<i>(none)</i>"


def _rich(wrap: bool = True) -> QLabel:
    label = QLabel()
    # Rich text here is only ever built from html.escape()d proposal text.
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


class ProposalColumn(QFrame):
    """One combination's proposal for the current photo, with its mark buttons."""

    def __init__(self, index: int, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"compareColumn{index}")
        layout = QVBoxLayout(self)
        self.title = QLabel(f"{index + 1}. {label}")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight:bold;")
        layout.addWidget(self.title)
        self.fields: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        for name in FIELDS:
            head = QHBoxLayout()
            caption = QLabel(FIELD_LABELS[name])
            caption.setStyleSheet("color:palette(mid);")
            head.addWidget(caption)
            head.addStretch(1)
            button = QPushButton("Better")
            button.setCheckable(True)
            button.setToolTip(f"Mark this {FIELD_LABELS[name].lower()} as the better one")
            head.addWidget(button)
            self.buttons[name] = button
            layout.addLayout(head)
            self.fields[name] = _rich()
            layout.addWidget(self.fields[name])
        layout.addStretch(1)
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.photo_button = QPushButton(f"Better photo ({index + 1})")
        self.photo_button.setCheckable(True)
        layout.addWidget(self.photo_button)

    def show_winner(self, photo: bool, fields: dict[str, bool]) -> None:
        self.photo_button.setChecked(photo)
        for name, on in fields.items():
            self.buttons[name].setChecked(on)
        self.setStyleSheet(f"#{self.objectName()} {{ border: 2px solid #3b8a3b; }}" if photo
                           else "")


class CompareView(QDialog):
    """Runs the combinations over the sample (nothing written) and collects the user's marks."""

    def __init__(self, context: Any, combinations: Sequence[Combination], sample: Sample,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare models")
        self.context = context
        self.combinations = list(combinations)
        self.sample = sample
        self.proposals: dict[str, list[Proposal]] = {}
        self.marks = Marks()
        self.kept: dict[str, list[str]] = {}
        self.index = 0
        self.saved_id: int | None = None
        self.run_: ComparisonRun | None = None
        self.messages: list[str] = []
        self._build()
        self._show_photo()

    # -- layout ----
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.sample_label = QLabel(f"Sample: {self.sample.note}. Nothing is written to the "
                                   "photos.")
        self.sample_label.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.sample_label, 1)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        top.addWidget(self.progress)
        self.cancel_button = QPushButton("Cancel run")
        self.cancel_button.clicked.connect(self.cancel)
        top.addWidget(self.cancel_button)
        layout.addLayout(top)
        nav = QHBoxLayout()
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.clicked.connect(lambda: self.go(-1))
        self.photo_label = QLabel()
        self.photo_label.setTextFormat(Qt.TextFormat.PlainText)
        self.next_button = QPushButton("Next ▶")
        self.next_button.clicked.connect(lambda: self.go(1))
        self.tie_button = QPushButton("Tie (0)")
        self.tie_button.setToolTip("Neither proposal is better for this photo")
        self.tie_button.clicked.connect(lambda: self.mark_photo(TIE))
        nav.addWidget(self.previous_button)
        nav.addWidget(self.photo_label, 1)
        nav.addWidget(self.tie_button)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)
        row = QHBoxLayout()
        self.columns: list[ProposalColumn] = []
        for i, combo in enumerate(self.combinations):
            column = ProposalColumn(i, combo.label)
            column.photo_button.clicked.connect(lambda _c=False, i=i: self.mark_photo(i))
            for name, button in column.buttons.items():
                button.clicked.connect(lambda _c=False, i=i, n=name: self.mark_field(n, i))
            row.addWidget(column, 1)
            self.columns.append(column)
        layout.addLayout(row, 3)
        self.table = QTableWidget(len(self.combinations), len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(40 + 32 * len(self.combinations))
        layout.addWidget(self.table)
        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        bottom.addWidget(self.status, 1)
        self.use_button = QPushButton("Use for role…")
        self.use_button.setToolTip("Move the combination selected in the table first for a "
                                   "role, or make its prompt profile the default")
        self.use_button.clicked.connect(self._use_menu)
        self.save_button = QPushButton("Save scorecard")
        self.save_button.clicked.connect(lambda: self.context.spawn(self.save(), "compare-save"))
        bottom.addWidget(self.use_button)
        bottom.addWidget(self.save_button)
        layout.addLayout(bottom)
        self.table.selectRow(0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """1/2/3 mark the photo's winner, 0 a tie, Left/Right move between photos."""
        keys = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2}
        key = Qt.Key(event.key())
        if key in keys and keys[key] < len(self.combinations):
            self.mark_photo(keys[key])
        elif key == Qt.Key.Key_0:
            self.mark_photo(TIE)
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
            self.go(1 if key == Qt.Key.Key_Right else -1)
        else:
            super().keyPressEvent(event)

    # -- running ----
    async def run(self) -> None:
        """Run every combination over the sample, then show the first photo."""
        self.run_ = ComparisonRun(self.context.http, self.context.registry.entries,
                                  self.context.settings, self.combinations)
        self.progress.setMaximum(max(1, len(self.sample.paths) * len(self.combinations)))
        self.progress.setValue(0)
        self.status.setText("Running the combinations over the sample…")

        def progress(done: int, total: int) -> None:
            self.progress.setMaximum(max(1, total))
            self.progress.setValue(done)

        try:
            self.proposals = await self.run_.run(list(self.sample.paths), on_progress=progress)
        except Exception as exc:
            self.status.setText(f"The comparison failed: {exc}. Check that the models' servers "
                                "are running (Models workspace), then try again.")
            raise
        finally:
            self.cancel_button.setEnabled(False)
        self.status.setText("Cancelled: photos not reached show 'cancelled'." if
                            self.run_.cancelled else
                            "Mark the better proposal per photo (keys 1/2/3, 0 for a tie) or "
                            "per field (Better buttons).")
        self.index = 0
        self._show_photo()

    def cancel(self) -> None:
        if self.run_ is not None:
            self.run_.cancel()

    # -- navigation and marks ----
    @property
    def current_path(self) -> str | None:
        paths = list(self.proposals)
        return paths[self.index] if 0 <= self.index < len(paths) else None

    def go(self, step: int) -> None:
        if self.proposals:
            self.index = max(0, min(self.index + step, len(self.proposals) - 1))
            self._show_photo()

    def mark_photo(self, winner: int | str) -> None:
        """The whole photo's winner (index or TIE); keeps its keywords; goes to the next."""
        path = self.current_path
        if path is None:
            return
        self.marks.mark(path, winner)
        if isinstance(winner, int) and self.marks.winner(path, "keywords") is None:
            self.kept[path] = list(self.proposals[path][winner].keywords)
        if self.index < len(self.proposals) - 1:
            self.index += 1
        self._show_photo()

    def mark_field(self, name: str, winner: int) -> None:
        path = self.current_path
        if path is None:
            return
        self.marks.mark(path, winner, name)
        if name == "keywords":
            self.kept[path] = list(self.proposals[path][winner].keywords)
        self._show_photo()

    def summaries(self) -> list[CombinationSummary]:
        return summarise(self.combinations, self.proposals, self.marks, self.kept)

    def _show_photo(self) -> None:
        path = self.current_path
        total = len(self.proposals)
        self.previous_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < total - 1)
        self.photo_label.setText(f"Photo {self.index + 1} of {total}: {path}" if path else
                                 "Waiting for the proposals…")
        row = self.proposals.get(path or "", [])
        diff = keyword_diff(row) if row else None
        for i, column in enumerate(self.columns):
            prop = row[i] if i < len(row) else Proposal()
            others = [p for j, p in enumerate(row) if j != i]
            column.fields["caption"].setText(
                highlighted_words(prop.caption, [o.caption for o in others]))
            column.fields["description"].setText(
                highlighted_words(prop.description, [o.description for o in others]))
            column.fields["keywords"].setText(
                highlighted_keywords(prop.keywords, diff.only[i] if diff else ()))
            secs = "" if prop.seconds is None else f"{prop.seconds:.2f} s"
            column.info.setText(f"FAILED: {prop.error}" if prop.error else secs)
            verdict = self.marks.verdicts.get(path or "", {})
            column.show_winner(verdict.get("photo") == i,
                               {n: verdict.get(n) == i for n in FIELDS})
        self._fill_table()

    def _fill_table(self) -> None:
        for r, s in enumerate(self.summaries() if self.proposals else []):
            overlap = "n/a" if s.kept_overlap is None else f"{s.kept_overlap:.0%}"
            secs = "n/a" if s.seconds_per_photo is None else f"{s.seconds_per_photo:.2f}"
            for c, text in enumerate([s.label, str(s.wins), str(s.ties), str(s.field_wins),
                                      overlap, secs, str(s.failed)]):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    # -- results ----
    async def save(self) -> int | None:
        """Store the summary and marks in the quality database (off the GUI thread)."""
        try:
            self.saved_id = await run_blocking(save_comparison, self.combinations, self.sample,
                                               self.marks, self.summaries())
        except QualityDbError as exc:
            self.status.setText(str(exc))
            return None
        self.status.setText(f"Saved to the scorecard database (comparison {self.saved_id}).")
        return self.saved_id

    def selected_index(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else 0

    def _use_menu(self) -> None:
        index = self.selected_index()
        combo = self.combinations[index]
        menu = QMenu(self)
        entry = next((e for e in self.context.registry.entries if e.name == combo.model), None)
        for role in STAGES:
            action = menu.addAction(f"Put {combo.model} first for {role}")
            action.setEnabled(entry is not None and role in entry.roles)
            action.triggered.connect(lambda _c=False, r=role: self.use_for_role(index, r))
        action = menu.addAction(f"Make profile {combo.profile or 'default'} the default")
        action.triggered.connect(lambda _c=False: self.use_profile(index))
        menu.popup(self.use_button.mapToGlobal(self.use_button.rect().bottomLeft()))

    def use_for_role(self, index: int, role: str) -> bool:
        """Move the combination's model just before the first entry filling ``role`` (undoable
        in the Models workspace); False when it is already first or cannot fill the role."""
        doc = self.context.registry
        name = self.combinations[index].model
        entries = doc.entries
        row = doc.row_of(name)
        first = next((i for i, e in enumerate(entries) if role in e.roles), -1)
        if row < 0 or role not in entries[row].roles:
            self.status.setText(f"{name} does not fill the {role} role: add the role to it in "
                                "the Models workspace first.")
            return False
        if first == row:
            self.status.setText(f"{name} is already first for {role}.")
            return False
        doc.move(name, first)
        self.status.setText(f"{name} is now first for {role} (undo in the Models workspace).")
        return True

    def use_profile(self, index: int) -> None:
        """Make the combination's prompt profile the default for tagging."""
        profile = self.combinations[index].profile or "default"
        settings = self.context.settings.model_copy(deep=True)
        settings.tagging.prompt_profile = profile
        self.context.update_settings(settings)
        self.status.setText(f"Prompt profile {profile} is now the default for tagging.")
