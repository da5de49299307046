"""The Tagging workspace widget: grid, review pane, role pickers and run/write controls.

Every slot here is a thin call into ``TaggingController`` (async ones through
``context.spawn``); nothing decodes, hashes, runs ExifTool or waits for HTTP on this thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QShowEvent, QUndoStack
from PySide6.QtWidgets import QApplication, QMessageBox, QVBoxLayout, QWidget

from imageworks_gui.core.tagging import Progress
from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.tagging.actions import (
    CommandBar,
    StatusRow,
    TaggingActions,
    show_progress,
    update_action_states,
)
from imageworks_gui.gui.tagging.backend_states import BackendStates
from imageworks_gui.gui.tagging.compare_dialog import start_compare
from imageworks_gui.gui.tagging.controller import TaggingController
from imageworks_gui.gui.tagging.delegate import THUMB
from imageworks_gui.gui.tagging.file_dialogs import (
    confirm_undo_dialog,
    export_dialog,
    open_folder_dialog,
)
from imageworks_gui.gui.tagging.golden_mark import start_mark_golden
from imageworks_gui.gui.tagging.grid_model import PATH_ROLE, PhotoFilterProxy, PhotoGridModel
from imageworks_gui.gui.tagging.grid_view import EMPTY_HINT, PhotoGridView, ReviewSplitter
from imageworks_gui.gui.tagging.heap import preload_http_backend, settle_long_lived_objects
from imageworks_gui.gui.tagging.journal_sync import UndoPreview
from imageworks_gui.gui.tagging.keyword_library import KeywordLibrary
from imageworks_gui.gui.tagging.preview import PreviewLoader
from imageworks_gui.gui.tagging.review_pane import ReviewPane
from imageworks_gui.gui.tagging.roles import RolePickers
from imageworks_gui.gui.tagging.state import RunState, Severity
from imageworks_gui.gui.tagging.summary_dialog import WriteSummaryDialog
from imageworks_gui.gui.tagging.thumb_loader import ThumbnailLoader
from imageworks_gui.gui.tagging.writing import WriteSummary
from imageworks_gui.gui.widgets import MessageBar
from imageworks_gui.services.thumbnails import (
    ThumbnailCache,
    ThumbnailService,
)


class TaggingWorkspace(QWidget):
    """Open photos, run tagging, review proposals and write what was approved."""

    def __init__(self, context: AppContext, parent: QWidget | None = None,
                 controller: TaggingController | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setAcceptDrops(True)
        self.undo_stack = QUndoStack(self)
        self.controller = controller or TaggingController(context, self.undo_stack, self)
        self.controller.undo_stack = self.undo_stack
        ctrl = self.controller
        self.loader = ThumbnailLoader(ThumbnailService(ThumbnailCache(size=THUMB)), parent=self)
        self.model = PhotoGridModel(ctrl.session, self.loader, self)
        self.model.group_label = ctrl.bursts.label
        ctrl.bursts.groups_changed.connect(self.model.groups_changed)
        self.proxy = PhotoFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.notices: list[tuple[Severity, str]] = []
        self.summary_dialog: WriteSummaryDialog | None = None
        self.undo_dialog: QMessageBox | None = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.keyword_library = KeywordLibrary()
        self._keywords_changed: set[str] = set()
        preload_http_backend()

        self.actions_ = TaggingActions(self)
        self.command_bar = CommandBar(self.actions_, self)
        self.roles = RolePickers(self)
        self.backend_states = BackendStates(context, self.roles, lambda: ctrl.preferred,
                                            self._spawn, self)
        self.status_row = StatusRow(self)
        self.status_row.recursive.setChecked(ctrl.recursive)
        self.grid = PhotoGridView(self)
        self.grid.setModel(self.proxy)
        self.grid.on_review_again = ctrl.review_again
        self.empty_label = self.grid.empty_label
        self.review_pane = ReviewPane(self)
        self.preview = PreviewLoader(self.review_pane.preview)
        self.notice_bar = MessageBar(self)  # dismissable, fixed colours (readable when dark)

        self.splitter = splitter = ReviewSplitter(self.grid, self.review_pane, self)
        self._grid_fitted = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.command_bar)
        layout.addWidget(self.roles)
        layout.addWidget(self.status_row)
        layout.addWidget(self.notice_bar)
        layout.addWidget(splitter, 1)

        self._refresh_timer = QTimer(self, singleShot=True, interval=150)
        self._refresh_timer.timeout.connect(self._refresh_summary)
        self._connect()
        self._populate_roles()
        self._update_actions()
        # Once the event loop runs: a write left from an earlier session can be undone.
        QTimer.singleShot(0, ctrl.writer.request_sync)
        QTimer.singleShot(0, ctrl.vocabularies.request_names)
        context.add_cleanup(self.shutdown)

    # -- wiring --------------------------------------------------------------------------------
    def _connect(self) -> None:
        a, ctrl, pane = self.actions_, self.controller, self.review_pane
        a.open_folder.triggered.connect(self.choose_folder)
        a.run_untagged.triggered.connect(lambda: self._spawn(ctrl.run("untagged"), "run"))
        a.run_all.triggered.connect(lambda: self._spawn(ctrl.run("all"), "run"))
        a.run_selection.triggered.connect(
            lambda: self._spawn(ctrl.run("selection", self.selected_paths()), "run"))
        a.pause.toggled.connect(lambda on: ctrl.pause() if on else ctrl.resume())
        a.cancel.triggered.connect(ctrl.cancel)
        a.write.triggered.connect(lambda: self._spawn(ctrl.writer.write_approved(), "write"))
        a.dry_run.setChecked(ctrl.writer.dry_run)
        a.dry_run.toggled.connect(ctrl.writer.set_dry_run)
        a.undo_write.triggered.connect(self.confirm_undo_write)
        a.export.triggered.connect(self.choose_export)
        a.compare.triggered.connect(lambda: start_compare(self))
        a.mark_golden.triggered.connect(lambda: start_mark_golden(self))
        a.approve.triggered.connect(lambda: self._decide(ctrl.approve))
        a.reject.triggered.connect(lambda: self._decide(ctrl.reject))
        a.next.triggered.connect(lambda: self.move_current(+1))
        a.previous.triggered.connect(lambda: self.move_current(-1))
        a.approve_all.triggered.connect(ctrl.approve_all_remaining)
        self.status_row.recursive.toggled.connect(lambda on: setattr(ctrl, "recursive", on))

        pane.approve_requested.connect(a.approve.trigger)
        pane.reject_requested.connect(a.reject.trigger)
        pane.approve_all_requested.connect(a.approve_all.trigger)
        pane.approve_group_requested.connect(self._approve_group)
        ctrl.bursts.groups_changed.connect(self._groups_changed)
        a.collapse_bursts.toggled.connect(self._collapse_bursts)
        self.proxy.hidden = ctrl.bursts.hidden
        self.grid.extra_actions = [a.mark_golden, a.collapse_bursts]
        pane.next_requested.connect(a.next.trigger)
        pane.previous_requested.connect(a.previous.trigger)
        pane.keyword_clicked.connect(self._keyword_clicked)
        pane.add_to_vocabulary_requested.connect(self._add_to_vocabulary)
        pane.keyword_added.connect(lambda kw: self._on_current(ctrl.add_keyword, kw))
        pane.title_edited.connect(lambda t: self._on_current(ctrl.edit_title, t))
        pane.description_edited.connect(lambda t: self._on_current(ctrl.edit_description, t))

        ctrl.photos_reset.connect(self._photos_reset)
        ctrl.photos_added.connect(self.model.append_photos)
        ctrl.discovery_finished.connect(self._discovery_finished)
        ctrl.reviews_changed.connect(self._reviews_changed)
        ctrl.edit_reverted.connect(self.select_path)
        ctrl.runner.progress_changed.connect(self._show_progress)
        ctrl.runner.run_state_changed.connect(lambda _s: self._update_actions())
        ctrl.vocabularies.on_names = lambda names: setattr(pane, "vocabulary_names", names)
        ctrl.writer.busy_changed.connect(lambda _b: self._update_actions())
        ctrl.writer.dry_run_changed.connect(self._dry_run_changed)
        ctrl.writer.write_finished.connect(self.show_summary)
        ctrl.writer.undo_changed.connect(lambda _p: self._update_actions())
        ctrl.notice.connect(self.show_notice)
        app = QApplication.instance()
        if isinstance(app, QApplication):  # back from a terminal: the CLI may have undone
            app.applicationStateChanged.connect(self._application_state_changed)
        self.loader.thumbnail_ready.connect(self._thumbnail_arrived)

        sel = self.grid.selectionModel()
        sel.currentChanged.connect(lambda *_: self._show_current())
        sel.selectionChanged.connect(lambda *_: self._update_actions())
        self.status_row.filter.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(self.status_row.filter.currentData()))
        self.status_row.sort.currentIndexChanged.connect(
            lambda _i: self.model.set_sort(self.status_row.sort.currentData()))
        self.roles.preferred_changed.connect(self._preferred_changed)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = self.context.spawn(coro, name=f"tagging-{name}")
        self.tasks = [t for t in self.tasks if not t.done()] + [task]
        return task

    # -- opening -------------------------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> None:
        """Open dropped or command-line photos and folders (returns at once)."""
        if paths:
            self._spawn(self.controller.open_paths(list(paths)), "open")

    def choose_folder(self) -> None:
        self.file_dialog = open_folder_dialog(self, lambda p: self.open_paths([p]))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def _photos_reset(self) -> None:
        self.loader.clear()
        self.keyword_library.clear()
        self._keywords_changed.clear()
        self.model.session = self.controller.session
        self.model.reset_photos([])
        self.review_pane.show_review(None)
        self.preview.clear()
        self.empty_label.setText("Looking for photos…")
        settle_long_lived_objects()  # the app itself; the folder's rows follow when listed

    def _discovery_finished(self, count: int) -> None:
        settle_long_lived_objects()  # the open folder's reviews and rows
        self.model.apply_sort()
        self.empty_label.setText(EMPTY_HINT)
        self.empty_label.setVisible(count == 0)
        if count and not self.grid.currentIndex().isValid():
            self.select_row(0)
        self._refresh_summary()

    # -- selection and review ------------------------------------------------------------------
    def current_path(self) -> str | None:
        return self.grid.current_path()

    def selected_paths(self) -> list[str]:
        return self.grid.selected_paths()

    def select_row(self, row: int) -> None:
        self.grid.select_row(row)

    def select_path(self, path: str) -> None:
        row = self.model.row_of(path)
        if row is not None:
            index = self.proxy.mapFromSource(self.model.index(row))
            if index.isValid():
                self.select_row(index.row())

    def move_current(self, step: int) -> None:
        row = self.grid.currentIndex().row() if self.grid.currentIndex().isValid() else -1
        self.select_row(max(0, min(self.proxy.rowCount() - 1, row + step)))

    def _decide(self, action: Any) -> None:
        """Approve or reject the current photo, then go to the next one."""
        path = self.current_path()
        if path is None:
            return
        row = self.grid.currentIndex().row()
        following = (self.proxy.index(row + 1, 0).data(PATH_ROLE)
                     if row + 1 < self.proxy.rowCount() else None)
        if action(path):
            if following is not None:
                self.select_path(following)
            elif self.current_path() is None:
                self.select_row(self.proxy.rowCount() - 1)

    def _on_current(self, action: Any, *args: Any) -> None:
        path = self.current_path()
        if path is not None:
            action(path, *args)

    def _keyword_clicked(self, keyword: str, kind: str) -> None:
        ctrl = self.controller
        if kind == "available":  # a new term strict mode left out: accept it
            self._on_current(ctrl.vocabularies.accept, keyword)
            return
        self._on_current(ctrl.restore_keyword if kind == "removed" else ctrl.reject_keyword,
                         keyword)

    def _add_to_vocabulary(self, keyword: str, name: str) -> None:
        path = self.current_path()
        if path is not None:
            self._spawn(self.controller.vocabularies.add_to_vocabulary(path, keyword, name),
                        "add-term")

    def _show_current(self) -> None:
        path = self.current_path()
        review = self.controller.session.get(path) if path in self.controller.session else None
        if path is not None and review is not None and not review.existing_loaded:
            # What the file holds now is shown before any tagging (read off the UI thread).
            self.controller.writer.reads.schedule(path, first=True)
        self.review_pane.show_review(review, self.controller.writer.reads.unread_text(path))
        self.review_pane.set_notes(self.controller.writer.reads.notes.get(path or "", []))
        self._show_group()
        if path is None or review is None:
            self.preview.clear()  # nothing selected: no preview may linger or arrive late
            return
        self.preview.show(path, self.loader.image(path))

    def _thumbnail_arrived(self, path: str) -> None:
        if path == self.preview.path:
            self.preview.thumbnail_arrived(path, self.loader.image(path))

    def _reviews_changed(self, paths: list[str]) -> None:
        self.model.photos_changed(paths)
        self._keywords_changed.update(paths)
        current = self.current_path()
        if current is not None and current in paths:
            self.review_pane.show_review(self.controller.session.get(current),
                                         self.controller.writer.reads.unread_text(current))
            self.review_pane.set_notes(self.controller.writer.reads.notes.get(current, []))
            self._show_group()
        self._refresh_timer.start()

    def _show_group(self) -> None:
        """Size the review pane's "Approve group" to the shown photo's undecided frames."""
        current, ctrl = self.current_path(), self.controller
        members = ctrl.bursts.members(current) if current is not None else ()
        undecided = [p for p in members if p in ctrl.session
                     and ctrl.session.get(p).state == "proposed"]
        self.review_pane.set_group(len(undecided) if len(members) > 1 else 0)

    def _groups_changed(self, _paths: list[str]) -> None:
        if self.controller.bursts.collapsed:
            self.proxy.refilter()
        self._show_group()

    def _collapse_bursts(self, on: bool) -> None:
        """Fold each burst into its representative's card, or show every frame again."""
        bursts = self.controller.bursts
        bursts.collapsed = on
        self.proxy.refilter()
        self.model.groups_changed([m for g in bursts.bursts for m in g.members])

    def _approve_group(self) -> None:
        current = self.current_path()
        if current is not None:
            self.controller.approve_group(current)

    def _refresh_summary(self) -> None:
        session = self.controller.session
        counts = session.counts()
        self.status_row.set_counts(len(session), counts)
        changed, self._keywords_changed = self._keywords_changed, set()
        self.review_pane.set_library_keywords(self.keyword_library.keywords(session, changed))
        if self.keyword_library.pending:
            self._refresh_timer.start()
        self._update_actions(counts)

    # -- run and write state -------------------------------------------------------------------
    def _show_progress(self, progress: Progress | None) -> None:
        show_progress(self.status_row, progress)

    def _update_actions(self, counts: dict[str, int] | None = None) -> None:
        ctrl = self.controller
        counts = counts if counts is not None else ctrl.session.counts()
        update_action_states(self.actions_, ctrl.run_state, ctrl.writer.busy,
                             ctrl.writer.dry_run, has_photos=len(ctrl.session) > 0,
                             has_selection=self.grid.selectionModel().hasSelection(),
                             has_approved=bool(counts["approved"]),
                             undo=ctrl.writer.undo_preview)
        self.roles.setEnabled(ctrl.run_state == RunState.IDLE and not ctrl.writer.busy)
        undecided = bool(counts["proposed"])  # "Approve all" needs something
        self.actions_.approve_all.setEnabled(undecided)
        self.actions_.mark_golden.setEnabled(bool(counts["approved"] + counts["written"]))
        self.review_pane.approve_all_button.setEnabled(undecided)
        self.empty_label.setVisible(len(ctrl.session) == 0)

    def _application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.controller.writer.request_sync()

    def confirm_undo_write(self) -> None:
        """Say what the undo restores; undo only what the user saw, after "Restore"."""
        writer = self.controller.writer
        preview: UndoPreview | None = writer.undo_preview
        if preview is None:
            self.show_notice(Severity.INFO, "There is no write to undo.")
            writer.request_sync()
            return
        self.undo_dialog = confirm_undo_dialog(
            self, preview.confirmation(self.controller.folder),
            lambda: self._spawn(writer.undo_last_write(expected=preview.batch_id), "undo"))

    def _dry_run_changed(self, on: bool) -> None:
        self.actions_.dry_run.setChecked(on)
        self._update_actions()

    def show_notice(self, severity: Severity, text: str) -> None:
        self.notices.append((Severity(severity), text))
        self.notice_bar.show_message(text, Severity(severity).value)

    def show_summary(self, summary: WriteSummary) -> None:
        self.show_notice(summary.severity, summary.line)  # stays when the dialog is closed
        self.summary_dialog = WriteSummaryDialog(summary, self)
        self.summary_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary_dialog.open()

    def choose_export(self) -> None:
        self.file_dialog = export_dialog(self, lambda p: self._spawn(self.export_to(p), "export"))

    async def export_to(self, jsonl: Path) -> None:
        markdown = jsonl.with_suffix(".md")
        try:
            await self.controller.writer.export(jsonl, markdown)
        except OSError as exc:
            self.show_notice(Severity.ERROR, str(exc))
            return
        self.show_notice(Severity.INFO, f"Exported {jsonl.name} and {markdown.name} to "
                                        f"{jsonl.parent}.")

    # -- roles ---------------------------------------------------------------------------------
    def _populate_roles(self) -> None:
        self.backend_states.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._grid_fitted:
            self._grid_fitted = True
            QTimer.singleShot(0, self.fit_grid_columns)
        self.backend_states.first_shown()

    def fit_grid_columns(self, pane_width: int = 480) -> None:
        """Give the grid a whole number of thumbnail columns; the review pane gets the rest."""
        self.splitter.fit_grid_columns(pane_width)

    def _preferred_changed(self, stage: str, name: str) -> None:
        self.controller.preferred[stage] = name or None

    async def check_backends(self) -> None:
        """Ask every eligible model's server whether it is up, then refresh the pickers."""
        await self.backend_states.check()

    def menu_actions(self) -> list[QAction | None]:
        """Commands for a Tagging menu of the main window (None marks a separator)."""
        a = self.actions_
        return [*a.toolbar_actions(), None, a.approve, a.reject, a.approve_all, a.previous,
                a.next, None, a.collapse_bursts, a.compare, a.mark_golden]

    # -- lifecycle -----------------------------------------------------------------------------
    def can_close(self) -> bool:
        """Closing is always allowed: a run is cancelled and review state is saved."""
        return True

    async def shutdown(self) -> None:
        await self.controller.shutdown()
        await self.loader.aclose()
        await self.preview.aclose()
