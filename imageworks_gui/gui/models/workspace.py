"""The Models workspace: filter bar, registry table, details panel, actions and messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from PySide6.QtCore import QByteArray, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.entry_transitions import lock_target
from imageworks_gui.core.registry import RegistryEntry, replace_entry
from imageworks_gui.core.scorecard import ScoreRow, with_quality
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.models.columns import COLUMN_INDEX, VerifyState, verify_state
from imageworks_gui.gui.models.controller import ModelsController
from imageworks_gui.gui.models.delegates import BackendDelegate, CheckListDelegate, LockDelegate
from imageworks_gui.gui.models.details import DetailsPanel
from imageworks_gui.gui.models.file_flow import RegistryFileFlow
from imageworks_gui.gui.models.filter_bar import FilterBar
from imageworks_gui.gui.models.golden_dialog import GoldenRunDialog, load_sets, sets_for
from imageworks_gui.gui.models.proxy import RegistryFilterProxy
from imageworks_gui.gui.models.relock_dialog import relock_confirmation
from imageworks_gui.gui.models.table_model import RegistryTableModel
from imageworks_gui.gui.models.table_view import RegistryTableView
from imageworks_gui.gui.resources import icon
from imageworks_gui.gui.widgets import MessageBar
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.golden_store import GoldenSet
from imageworks_gui.services.quality_db import QualityDbError

log = logging.getLogger("imageworks.gui.models")


class ModelsWorkspace(QWidget):
    """Registry editor. ``undo_stack`` is the registry document's stack."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ModelsWorkspace")
        self.context = context
        self.doc = context.registry
        self.undo_stack: QUndoStack = self.doc.undo_stack
        self.model = RegistryTableModel(self.doc, self)
        self.proxy = RegistryFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.controller = ModelsController(context, self.model, self)
        self.pending_dialog: QWidget | None = None
        self.golden_sets: list[GoldenSet] = []
        """Golden sets as last loaded (refreshed when the workspace shows and after runs)."""
        """The last non-modal confirmation or dialog opened (tests answer it)."""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.command_bar = QToolBar("Models", self)
        """First tool row, inside the workspace as in Tagging (the window adds Save/Undo)."""
        self.command_bar.setMovable(False)
        self.command_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        layout.addWidget(self.command_bar)
        self.filters = FilterBar(self.proxy, self)
        # Shortcuts to the filter widgets (tests and keyboard focus use them).
        self.search = self.filters.search
        self.role_filter = self.filters.role_filter
        self.capability_filter = self.filters.capability_filter
        self.backend_filter = self.filters.backend_filter
        self.drifted_only = self.filters.drifted_only
        layout.addWidget(self.filters)
        self.messages = MessageBar(self)
        layout.addWidget(self.messages)

        self.table = RegistryTableView(self)
        self.table.setModel(self.proxy)
        self.table.apply_default_widths()
        self.table.sortByColumn(COLUMN_INDEX["priority"], Qt.SortOrder.AscendingOrder)
        self.table.setItemDelegateForColumn(COLUMN_INDEX["roles"],
                                            CheckListDelegate("roles", self.table))
        self.table.setItemDelegateForColumn(COLUMN_INDEX["capabilities"],
                                            CheckListDelegate("capabilities", self.table))
        self.table.setItemDelegateForColumn(COLUMN_INDEX["backend"], BackendDelegate(self.table))
        self.lock_delegate = LockDelegate(self.table)
        self.lock_delegate.lock_clicked.connect(self.on_lock_clicked)
        self.table.setItemDelegateForColumn(COLUMN_INDEX["lock"], self.lock_delegate)
        self.table.lock_key_pressed.connect(self.on_lock_clicked)
        self.details = DetailsPanel(self.model, self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1085, 345])
        layout.addWidget(self.splitter, 1)
        layout.addLayout(self._build_verify_bar())

        self._build_actions()
        for action in self.toolbar_actions():
            if action is None:
                self.command_bar.addSeparator()
            else:
                self.command_bar.addAction(action)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.edit_refused.connect(lambda text: self.messages.show_message(
            f"Change refused: {text}", "error"))
        self.controller.verify_started.connect(self._on_verify_started)
        self.controller.verify_progress.connect(self._on_verify_progress)
        self.controller.verify_finished.connect(self._on_verify_finished)
        self.controller.probe_finished.connect(self.messages.show_message)
        self.file_flow = RegistryFileFlow(self.doc, self.messages, self._open_dialog, self)
        self.doc.entries_changed.connect(self._refresh_filter_choices)
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self.table.fit_columns)
        for signal in (self.doc.entries_changed, self.doc.runtime_changed):
            signal.connect(lambda *_: self._fit_timer.start())
        self.doc.reset_done.connect(self._update_actions)
        self._refresh_filter_choices()
        self._update_actions()

    # -- construction ----
    def _build_verify_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.verify_label = QLabel()
        self.verify_progress = QProgressBar()
        self.verify_progress.setRange(0, 1000)
        self.verify_progress.setTextVisible(False)
        self.verify_progress.setMaximumHeight(16)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self.controller.cancel_verify)
        for w in (self.verify_label, self.verify_progress, self.cancel_button):
            bar.addWidget(w)
            w.hide()
        bar.setStretch(1, 1)
        return bar

    def _action(self, text: str, slot: object, icon_name: str | None = None,
                shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(icon(icon_name) if icon_name else icon("none"), text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            # Only while focus is in this workspace: Delete on the Tagging tab must not
            # delete a model.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip or text.replace("…", ""))
        action.triggered.connect(lambda _=False: slot())  # type: ignore[operator]
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.add_action = a("&Add Model", self.add_entry, "add", "Ctrl+N")
        self.duplicate_action = a("D&uplicate", self.duplicate_selected, "duplicate", "Ctrl+D")
        self.delete_action = a("&Delete", self.delete_selected, "delete",
                               QKeySequence.StandardKey.Delete)
        self.verify_action = a("&Verify Selected", self.verify_selected, "verify", "Ctrl+R",
                               "Hash the selected models' files and compare them with the lock")
        self.verify_all_action = a("Verify &All", self.verify_all, None, "Ctrl+Shift+R")
        self.relock_action = a("Re-&lock to Current…", self.relock_selected, "lock")
        self.golden_action = a("Run &Golden Sets…", self.run_golden_selected, None, None,
                               "Tag the golden sets of the selected models' roles again and "
                               "compare with the figures you reviewed (nothing is written)")
        self.probe_action = a("&Probe", self.probe_selected, "probe", "Ctrl+P",
                              "Check whether the selected models' servers answer and see images")
        self.import_action = a("&Import from Downloader Manifest…", self.import_manifest,
                               "import")
        self.discover_action = a("Discover Local &Backends…", self.discover_backends,
                                 "discover")
        self.up_action = a("Raise Priority", lambda: self.move_selected(-1), None, "Ctrl+Up")
        self.down_action = a("Lower Priority", lambda: self.move_selected(1), None,
                             "Ctrl+Down")
        # Shorter labels in the tool bar (menus keep the full text) so it fits at 1024 px.
        self.verify_action.setIconText("Verify")
        self.import_action.setIconText("Import…")
        self.discover_action.setIconText("Discover…")
        self.scorecard_action = a("&Scorecard…", self.show_scorecard, None, None,
                                  "Figures per role and model version from your review "
                                  "decisions")
        self.find_action = a("Find", self._focus_search, None, QKeySequence.StandardKey.Find)
        self.details_toggle_action = QAction("Show &Details Panel", self, checkable=True,
                                             checked=True)
        self.details_toggle_action.toggled.connect(self.details.setVisible)

    def menu_actions(self) -> list[QAction | None]:
        return [self.add_action, self.duplicate_action, self.delete_action, None,
                self.up_action, self.down_action, None, self.verify_action,
                self.verify_all_action, self.relock_action, self.golden_action,
                self.probe_action, None,
                self.import_action, self.discover_action, None, self.scorecard_action]

    def toolbar_actions(self) -> list[QAction | None]:
        return [self.add_action, self.duplicate_action, self.delete_action, None,
                self.verify_action, self.probe_action, None, self.import_action,
                self.discover_action]

    # -- selection ----
    def selected_names(self) -> list[str]:
        return [self.proxy.index(r, COLUMN_INDEX["name"]).data()
                for r in self.table.selected_rows()]

    def select_name(self, name: str) -> None:
        row = self.doc.row_of(name)
        if row >= 0:
            self.table.select_source_row(row)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        name = current.siblingAtColumn(COLUMN_INDEX["name"]).data() if current.isValid() else None
        self.details.show_entry(name)

    def _update_actions(self) -> None:
        names = self.selected_names()
        writable = not self.doc.read_only
        for action in (self.duplicate_action, self.delete_action, self.probe_action,
                       self.up_action, self.down_action, self.golden_action):
            action.setEnabled(bool(names) and writable)
        self.verify_action.setEnabled(bool(names) and writable and not self.controller.verifying)
        self.verify_all_action.setEnabled(writable and len(self.doc) > 0
                                          and not self.controller.verifying)
        entries = [self.doc.entry(n) for n in names]
        self.relock_action.setEnabled(writable and any(
            e is not None and verify_state(e) is VerifyState.DRIFTED for e in entries))
        for action in (self.add_action, self.import_action, self.discover_action):
            action.setEnabled(writable)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- editing commands ----
    def add_entry(self) -> None:
        name = self.doc.unique_name("new-model")
        entry = RegistryEntry.model_validate({
            "name": name, "backend": "vllm", "backend_config": {"port": 8000},
            "capabilities": {"text": True, "vision": False}})
        self.doc.add_entries([entry], text=f"Add {name}")
        self.select_name(name)
        self.details.field("name").setFocus()

    def duplicate_selected(self) -> None:
        names = self.selected_names()
        if not names:
            return
        copies = []
        taken = set(self.doc.names())
        for name in names:
            entry = self.doc.entry(name)
            assert entry is not None
            new_name = self.doc.unique_name(f"{name}-copy")
            while new_name in taken:
                new_name += "-2"
            taken.add(new_name)
            copies.append(replace_entry(entry, name=new_name))
        row = max(self.doc.row_of(n) for n in names) + 1
        self.doc.add_entries(copies, row=row, text=f"Duplicate {', '.join(names)}")
        self.select_name(copies[0].name)

    def delete_selected(self) -> None:
        names = self.selected_names()
        if names:
            self.doc.remove(names)
            self.messages.show_message(
                f"Deleted {', '.join(names)}. Undo with Ctrl+Z.", "info",
                [("Undo", self.undo_stack.undo)])

    def move_selected(self, delta: int) -> None:
        names = self.selected_names()
        if len(names) != 1:
            return
        row = self.doc.row_of(names[0])
        self.doc.move(names[0], row + delta)
        self.select_name(names[0])

    # -- lock, verify, probe ----
    def on_lock_clicked(self, proxy_index: QModelIndex) -> None:
        source = self.proxy.mapToSource(proxy_index)
        entry = self.doc.entry_at(source.row())
        if entry.is_locked:
            self.model.setData(source, False)
        elif lock_target(entry) is not None:
            self.model.setData(source, True)
        else:
            self.messages.show_message(
                f"{entry.name} has no recorded hash yet: verifying its files and locking them…",
                "info")
            self.context.spawn(self.controller.verify([entry.name], lock=True),
                               "Verify and lock")

    def verify_selected(self) -> None:
        names = self.selected_names()
        if names and not self.controller.verifying:
            self.context.spawn(self.controller.verify(names), "Verification")

    def verify_all(self) -> None:
        if len(self.doc) and not self.controller.verifying:
            self.context.spawn(self.controller.verify(self.doc.names()), "Verification")

    def _on_verify_started(self, count: int) -> None:
        self.verify_label.setText(f"Verifying {count} model(s)…")
        self.verify_progress.setValue(0)
        for w in (self.verify_label, self.verify_progress, self.cancel_button):
            w.show()
        self._update_actions()

    def _on_verify_progress(self, name: str, done: int, total: int) -> None:
        self.verify_progress.setValue(int(1000 * done / total) if total else 1000)
        gib = 1024 ** 3
        self.verify_label.setText(f"Verifying {name}: {done / gib:.2f} of {total / gib:.2f} GiB")

    def _on_verify_finished(self, summary: str, kind: str) -> None:
        for w in (self.verify_label, self.verify_progress, self.cancel_button):
            w.hide()
        drifted = [e for e in self.doc.entries if e.drifted]
        golden = sets_for(drifted, self.golden_sets)
        actions = [("Re-run Golden Sets…", lambda: self.open_golden_run(
            sorted({name for name, _ in golden}, key=self.doc.row_of)))] if golden else None
        self.messages.show_message(summary + (
            f". {len(golden)} golden set(s) can judge the changed files before you re-lock"
            if golden else ""), kind, actions)
        self._update_actions()

    def show_scorecard(self) -> None:
        """Open (or raise) the Scorecard window and load its figures."""
        from imageworks_gui.gui.models.scorecard_dialog import ScorecardDialog

        dialog = getattr(self, "scorecard_dialog", None)
        if dialog is None:
            dialog = self.scorecard_dialog = ScorecardDialog(
                self.context, self, store_in_registry=self.store_quality)
        dialog.show()
        dialog.raise_()
        dialog.refresh()

    def store_quality(self, rows: Sequence[ScoreRow]) -> int:
        """Put the scorecard summary into ``performance.quality`` of each entry it covers."""
        if self.doc.read_only:
            return 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        changed = [(e.name, new) for e in self.doc.entries
                   if (new := with_quality(e, rows, now)) is not None]
        if changed:
            self.undo_stack.beginMacro("Store review figures in the registry")
            for name, new in changed:
                self.controller.apply_entry(name, new, f"Store review figures of {name}")
            self.undo_stack.endMacro()
        return len(changed)

    def relock_selected(self) -> None:
        entries = [e for n in self.selected_names() if (e := self.doc.entry(n)) is not None]
        drifted = [e.name for e in entries if verify_state(e) is VerifyState.DRIFTED]
        if not drifted:
            return
        box = relock_confirmation([e for e in entries if e.name in drifted], self)
        golden = sets_for([e for e in entries if e.name in drifted], self.golden_sets)
        golden_button = box.addButton("Re-run Golden Sets First…",
                                      QMessageBox.ButtonRole.ActionRole) if golden else None
        if golden:
            box.setInformativeText(f"{len(golden)} golden set(s) can measure the new files "
                                   "first: old against new figures, nothing written.")

        def done(result: int) -> None:
            if golden_button is not None and box.clickedButton() is golden_button:
                self.open_golden_run(drifted)
            elif QMessageBox.StandardButton(result) == QMessageBox.StandardButton.Yes:
                self.relock_names(drifted)

        box.finished.connect(done)
        self.pending_dialog = box
        box.open()

    def relock_names(self, names: Sequence[str]) -> None:
        """Re-lock the named drifted entries to their current files (one undo step)."""
        names = [n for n in names if (e := self.doc.entry(n)) is not None and e.drifted]
        if not names or self.doc.read_only:
            return
        self.undo_stack.beginMacro(f"Re-lock {', '.join(names)}")
        for name in names:
            self.controller.relock(name)
        self.undo_stack.endMacro()
        self._update_actions()

    # -- golden sets ----
    def run_golden_selected(self) -> None:
        names = self.selected_names()
        if names:
            self.open_golden_run(names)

    def open_golden_run(self, names: Sequence[str]) -> GoldenRunDialog:
        """Open the golden-set re-run for ``names`` and start it; re-lock stays a choice."""
        dialog = GoldenRunDialog(self.context, names, on_relock=self.relock_names, parent=self)
        dialog.finished.connect(lambda _result: self.refresh_golden_sets())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.pending_dialog = dialog
        dialog.open()
        dialog.start()
        return dialog

    def refresh_golden_sets(self) -> None:
        """Reload the golden sets off the GUI thread (used to offer re-runs)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # shown before the event loop runs: load on its first pass
            QTimer.singleShot(250, self.refresh_golden_sets)
            return
        self.context.spawn(self._load_golden_sets(), "Golden sets")

    async def _load_golden_sets(self) -> None:
        try:
            self.golden_sets = await run_blocking(load_sets)
        except QualityDbError as exc:
            log.warning("golden sets not loaded: %s", exc)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_golden_sets()

    def probe_selected(self) -> None:
        names = self.selected_names() or self.doc.names()
        if names:
            self.context.spawn(self.controller.probe(names), "Probe")

    # -- dialogs ----
    def import_manifest(self) -> None:
        from imageworks_gui.gui.models.import_dialog import ManifestImportDialog

        dialog = ManifestImportDialog(self.controller, self)
        self.pending_dialog = dialog
        dialog.open()

    def discover_backends(self) -> None:
        from imageworks_gui.gui.models.discover_dialog import DiscoverDialog

        dialog = DiscoverDialog(self.controller, self)
        self.pending_dialog = dialog
        dialog.open()
        dialog.start()

    # -- load / save ----
    def _open_dialog(self, dialog: QWidget) -> None:
        self.pending_dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

    def _refresh_filter_choices(self) -> None:
        self.filters.refresh_choices(self.doc.entries)
        self._update_actions()

    # -- load / save ----
    def save(self) -> bool:
        """Save the registry; problems appear in the message bar. Returns True when saved."""
        return self.file_flow.save()

    def reload(self) -> None:
        """Reload from disk (asks first when there are unsaved changes)."""
        self.file_flow.reload()

    # -- view state ----
    def save_view_state(self, state: QSettings) -> None:
        state.setValue("models/header", self.table.horizontalHeader().saveState())
        state.setValue("models/splitter", self.splitter.saveState())
        state.setValue("models/details_visible", self.details.isVisibleTo(self))
        state.setValue("models/columns_user_sized", not self.table.auto_fit)

    def restore_view_state(self, state: QSettings) -> None:
        header = state.value("models/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.table.horizontalHeader().restoreState(header)
        user_sized = state.value("models/columns_user_sized", False)
        self.table.auto_fit = user_sized in (False, "false")
        self.table.fit_columns()
        splitter = state.value("models/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        visible = state.value("models/details_visible", True)
        self.details_toggle_action.setChecked(visible not in (False, "false"))


