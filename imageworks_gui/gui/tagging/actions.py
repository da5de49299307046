"""The Tagging workspace's actions and its two tool rows (commands, then filters and progress)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QToolBar,
    QWidget,
)

from imageworks_gui.core.tagging import Progress
from imageworks_gui.gui.resources import icon
from imageworks_gui.gui.tagging.grid_model import FILTERS, SORTS
from imageworks_gui.gui.tagging.journal_sync import UndoPreview
from imageworks_gui.gui.tagging.state import RunState


class TaggingActions:
    """Every command of the workspace as a QAction (menus, tool bar and tests share them)."""

    def __init__(self, parent: QWidget) -> None:
        def make(text: str, tip: str, icon_name: str | None = None,
                 shortcut: str | None = None, checkable: bool = False) -> QAction:
            action = QAction(icon(icon_name) if icon_name else QIcon(), text, parent)
            action.setToolTip(tip + (f" ({shortcut})" if shortcut else ""))
            action.setStatusTip(tip)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setCheckable(checkable)
            parent.addAction(action)
            return action

        self.open_folder = make("Open Folder…", "Open a folder of photos", "import", "Ctrl+O")
        self.run_untagged = make("Run untagged", "Tag the photos that have no proposal yet",
                                 "tagging")
        self.run_selection = make("Run selection", "Tag the selected photos")
        self.run_all = make("Run all", "Tag every open photo again")
        self.pause = make("Pause", "Start no new photo until resumed (requests in flight "
                          "finish)", checkable=True)
        self.cancel = make("Cancel", "Stop the run; photos not tagged yet stay untagged",
                           "cancel")
        self.write = make("Write approved", "Write the approved metadata into the photos (XMP "
                          "sidecars for RAW)", "save", "Ctrl+Shift+W")
        self.dry_run = make("Dry run", "When on, Write only shows what would change; nothing "
                            "is written", checkable=True)
        self.undo_write = make("Undo last write", "Put back the metadata the last write "
                               "replaced", "undo")
        self.export = make("Export…", "Save the batch as JSONL and a Markdown summary")
        self.compare = make("Compare…", "Run two or three models on a sample side by side and "
                            "mark the better proposals; nothing is written")
        self.mark_golden = make("Mark as Golden Set…", "Keep the approved photos as a golden "
                                "set: after a model upgrade, Models > Run Golden Sets "
                                "compares the new proposals with yours")
        self.approve = make("Approve", "Approve the proposal and go to the next photo",
                            None, "A")
        self.reject = make("Reject", "Reject the proposal and go to the next photo", None, "R")
        self.next = make("Next photo", "Go to the next photo", None, "Right")
        self.previous = make("Previous photo", "Go to the previous photo", None, "Left")
        self.collapse_bursts = make("Collapse bursts", "Show each burst as one card (its "
                                    "representative); untick to show every frame",
                                    checkable=True)
        self.approve_all = make("Approve all remaining", "Approve every proposal not decided "
                                "yet")

    def toolbar_actions(self) -> list[QAction | None]:
        return [self.open_folder, None, self.run_untagged, self.run_selection, self.run_all,
                self.pause, self.cancel, None, self.write, self.dry_run, self.undo_write, None,
                self.export]


class CommandBar(QToolBar):
    """First tool row: open, run controls, write controls, export (fits 1024 px)."""

    def __init__(self, actions: TaggingActions, parent: QWidget | None = None) -> None:
        super().__init__("Tagging", parent)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setMovable(False)
        for action in actions.toolbar_actions():
            if action is None:
                self.addSeparator()
            else:
                self.addAction(action)


class StatusRow(QWidget):
    """Second tool row: include subfolders, filter, sort, progress bar with counts and ETA."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.recursive = QCheckBox("Include subfolders")
        self.recursive.setToolTip("Open Folder and drops also look inside subfolders")
        self.filter = QComboBox()
        for key, (label, _states) in FILTERS.items():
            self.filter.addItem(label, key)
        self.filter.setToolTip("Show only photos in this review state")
        self.sort = QComboBox()
        for key, label in SORTS.items():
            self.sort.addItem(label, key)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m")
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.recursive)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Show:"))
        layout.addWidget(self.filter)
        layout.addWidget(self.sort)
        layout.addStretch(1)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)

    def set_counts(self, photos: int, counts: dict[str, int]) -> None:
        """Show how many photos each filter would list."""
        for i in range(self.filter.count()):
            label, states = FILTERS[self.filter.itemData(i)]
            n = photos if states is None else sum(counts[s] for s in states)
            self.filter.setItemText(i, f"{label} ({n})")


def format_eta(seconds: float | None) -> str:
    """``1:05:09`` / ``4:07`` / ``—``."""
    if seconds is None:
        return "—"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def show_progress(row: StatusRow, progress: Progress | None) -> None:
    """Progress bar and ``12 of 40 · 2 failed · paused · ETA 1:05`` label (None: no run)."""
    if progress is None:
        row.progress.hide()
        row.progress.reset()
        row.progress_label.clear()
        return
    row.progress.show()
    row.progress.setMaximum(max(1, progress.total))
    row.progress.setValue(progress.done)
    parts = [f"{progress.done} of {progress.total}{'+' if progress.discovering else ''}"]
    if progress.failed:
        parts.append(f"{progress.failed} failed")
    if progress.paused:
        parts.append("paused")
    parts.append(f"ETA {format_eta(progress.eta_s)}")
    row.progress_label.setText(" · ".join(parts))


def update_action_states(a: TaggingActions, run_state: RunState, writing: bool, dry_run: bool,
                         *, has_photos: bool, has_selection: bool, has_approved: bool,
                         undo: UndoPreview | None = None) -> None:
    """Enable exactly the commands that make sense now."""
    idle = run_state == RunState.IDLE and not writing
    for action in (a.run_all, a.run_untagged):
        action.setEnabled(idle and has_photos)
    a.run_selection.setEnabled(idle and has_selection)
    a.pause.setEnabled(run_state.active)
    a.pause.blockSignals(True)
    a.pause.setChecked(run_state == RunState.PAUSED)
    a.pause.setText("Resume" if run_state == RunState.PAUSED else "Pause")
    a.pause.blockSignals(False)
    a.cancel.setEnabled(run_state.active or run_state == RunState.PREFLIGHT)
    a.write.setEnabled(idle and has_approved)
    a.write.setText("Preview write (dry run)" if dry_run else "Write approved")
    a.undo_write.setEnabled(idle and not dry_run and undo is not None)
    if dry_run:
        tip = "Dry run is on: nothing is written, so there is nothing to undo"
    elif undo is None:
        tip = "Nothing to undo: no write is recorded in the journal, or the last one was undone"
    else:
        tip = f"Put back the metadata the last write replaced ({undo.short})"
    a.undo_write.setToolTip(tip)
    a.undo_write.setStatusTip(tip)
    a.export.setEnabled(has_photos)
    a.compare.setEnabled(idle and has_photos)
    a.open_folder.setEnabled(idle)
