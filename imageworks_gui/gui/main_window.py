"""The main window: Models and Tagging workspaces, menus, toolbar, status bar, close handling."""

from __future__ import annotations

import contextlib
import logging
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

from imageworks_gui.gui.context import AppContext
from imageworks_gui.gui.errors import ErrorReporter
from imageworks_gui.gui.models.workspace import ModelsWorkspace
from imageworks_gui.gui.resources import icon
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.gui.window_state import gui_state

log = logging.getLogger("imageworks.gui")


class CloseDecision(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def _fill(target: QMenu | QToolBar, actions: list[QAction | None]) -> None:
    """Add ``actions`` to a menu or tool bar; None adds a separator."""
    for action in actions:
        if action is None:
            target.addSeparator()
        else:
            target.addAction(action)


class MainWindow(QMainWindow):
    """The application window. Emits ``closed`` once the user really closed it."""

    closed = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("MainWindow")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.errors = ErrorReporter(self)
        context.events.error_raised.connect(lambda t, m: self.errors.report(t, m))

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.models = ModelsWorkspace(context, self)
        self.tagging = TaggingWorkspace(context, self)
        self.tabs.addTab(self.models, icon("models"), "&Models")
        self.tabs.addTab(self.tagging, icon("tagging"), "&Tagging")
        self.setCentralWidget(self.tabs)

        self.undo_group = QUndoGroup(self)
        for ws in self.workspaces():
            self.undo_group.addStack(ws.undo_stack)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._on_tab_changed(0)

        self._build_actions()
        self._build_status_bar()
        doc = context.registry
        doc.dirty_changed.connect(self._update_title)
        doc.reset_done.connect(self._update_title)
        context.events.activity_changed.connect(self._on_activity)
        self._update_title()
        self._closing_confirmed = False
        self.restore_state()

    # -- structure ----
    def workspaces(self) -> list[ModelsWorkspace | TaggingWorkspace]:
        return [self.models, self.tagging]

    def _on_tab_changed(self, index: int) -> None:
        ws = self.tabs.widget(index)
        if isinstance(ws, (ModelsWorkspace, TaggingWorkspace)):
            self.undo_group.setActiveStack(ws.undo_stack)
        self._show_workspace_controls()

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_folder_action = QAction(icon("import"), "&Open Folder…", self)
        self.open_folder_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_folder_action.setStatusTip("Open a folder of photos in the Tagging workspace")
        self.open_folder_action.triggered.connect(self.choose_folder)
        self.save_action = QAction(icon("save"), "&Save Registry", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.models.save)
        self.reload_action = QAction("&Reload Registry from Disk", self)
        self.reload_action.triggered.connect(self.models.reload)
        self.settings_action = QAction(icon("settings"), "Se&ttings…", self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(self.open_settings)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(self.open_folder_action)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.reload_action])
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setIcon(icon("undo"))
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.setIcon(icon("redo"))
        edit_menu.addActions([self.undo_action, self.redo_action])

        # One menu and one tool bar per workspace, shown only while that workspace is active.
        self.models_menu = bar.addMenu("&Models")
        _fill(self.models_menu, self.models.menu_actions())
        self.tagging_menu = bar.addMenu("T&agging")
        # File > Open Folder… is the one entry point (and owns Ctrl+O).
        opener = self.tagging.actions_.open_folder
        _fill(self.tagging_menu, [a for a in self.tagging.menu_actions() if a is not opener])
        opener.setShortcut(QKeySequence())
        opener.setToolTip("Open a folder of photos (Ctrl+O)")

        view_menu = bar.addMenu("&View")
        for i in range(self.tabs.count()):
            act = QAction(self.tabs.tabText(i).replace("&", ""), self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _=False, i=i: self.tabs.setCurrentIndex(i))
            view_menu.addAction(act)
        view_menu.addSeparator()
        view_menu.addAction(self.models.details_toggle_action)

        help_menu = bar.addMenu("&Help")
        self.open_log_action = QAction("Open &Log Folder", self)
        self.open_log_action.setToolTip("The structured log of runs, probes, verifies and "
                                        "writes (shared with the command-line tools)")
        self.open_log_action.triggered.connect(self.open_log_folder)
        help_menu.addAction(self.open_log_action)
        about = QAction("&About Imageworks", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

        # Each workspace's tool row sits inside it, below the tab bar (the Tagging one too),
        # so switching tabs never moves the tab bar. Save, Undo and Redo lead the Models row.
        toolbar = self.models.command_bar
        first = toolbar.actions()[0] if toolbar.actions() else None
        toolbar.insertAction(first, self.save_action)  # type: ignore[arg-type]
        for action in (self.undo_action, self.redo_action):
            # Icon only: the text names the command ("Undo Set roles of ...") and gets long.
            button = QToolButton(toolbar)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            toolbar.insertWidget(first, button)  # type: ignore[arg-type]
        toolbar.insertSeparator(first)  # type: ignore[arg-type]
        self.toolbar = toolbar
        self._show_workspace_controls()

    def _show_workspace_controls(self) -> None:
        """Menus and tool bar of the active workspace only (the others' are hidden)."""
        if not hasattr(self, "models_menu"):
            return
        on_models = self.tabs.currentWidget() is self.models
        self.models_menu.menuAction().setVisible(on_models)
        self.tagging_menu.menuAction().setVisible(not on_models)
        self.models.details_toggle_action.setVisible(on_models)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.path_label = QLabel()
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_state_label = QLabel()
        self.activity_label = QLabel()
        self.activity_bar = QProgressBar()
        self.activity_bar.setRange(0, 0)
        self.activity_bar.setMaximumWidth(120)
        self.activity_bar.setMaximumHeight(14)
        self.activity_bar.hide()
        status.addWidget(self.path_label, 1)
        status.addPermanentWidget(self.activity_label)
        status.addPermanentWidget(self.activity_bar)
        status.addPermanentWidget(self.save_state_label)

    # -- state ----
    def _update_title(self, *_args: object) -> None:
        doc = self.context.registry
        self.setWindowTitle(f"Imageworks — {doc.path.name}[*]")
        self.setWindowModified(doc.is_dirty)
        self.path_label.setText(f"Registry: {doc.path}")
        self.path_label.setToolTip(str(doc.path))
        if doc.read_only:
            state = "Not loaded (read-only)"
        elif doc.is_dirty:
            state = "Unsaved changes"
        else:
            state = "Saved"
        self.save_state_label.setText(state)
        self.save_action.setEnabled(not doc.read_only)

    def _on_activity(self, texts: list[str]) -> None:
        if texts:
            more = f" (+{len(texts) - 1} more)" if len(texts) > 1 else ""
            self.activity_label.setText(texts[-1] + more)
            self.activity_bar.show()
        else:
            self.activity_label.setText("")
            self.activity_bar.hide()

    def save_state(self) -> None:
        state = gui_state()
        state.setValue("main/geometry", self.saveGeometry())
        state.setValue("main/state", self.saveState())
        state.setValue("main/tab", self.tabs.currentIndex())
        self.models.save_view_state(state)
        state.sync()

    def restore_state(self) -> None:
        state = gui_state()
        geometry = state.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        window_state = state.value("main/state")
        if isinstance(window_state, QByteArray):
            self.restoreState(window_state)
        with contextlib.suppress(TypeError, ValueError):
            self.tabs.setCurrentIndex(int(state.value("main/tab", 0)))
        self.models.restore_view_state(state)
        self._show_workspace_controls()  # restoreState() may have changed tool bar visibility

    # -- commands ----
    def open_paths(self, paths: list[Path]) -> None:
        """Open photos or folders in the Tagging workspace and show it."""
        if not paths:
            return
        self.tabs.setCurrentWidget(self.tagging)
        self.tagging.open_paths(list(paths))

    def choose_folder(self) -> None:
        """File > Open Folder…: show the Tagging workspace and ask for a folder."""
        self.tabs.setCurrentWidget(self.tagging)
        self.tagging.choose_folder()

    def open_settings(self) -> None:
        from imageworks_gui.gui.settings_dialog import SettingsDialog
        from imageworks_gui.gui.vocabulary_page import VocabularyPage

        page = VocabularyPage(self.context.spawn,
                              self.tagging.controller.vocabularies.open_photos)
        page.vocabularies_changed.connect(self.tagging.controller.vocabularies.request_names)
        from imageworks_gui.gui.prompt_profiles_page import profiles_page_for

        profiles = profiles_page_for(self.context, self.tagging.current_path)
        dialog = SettingsDialog(self.context.settings, self, vocabulary_page=page,
                                profiles_page=profiles)
        self.context.spawn(page.reload(), name="vocabularies")
        self.context.spawn(profiles.reload(self.context.settings.tagging.prompt_profile),
                           name="prompt profiles")
        dialog.settings_accepted.connect(self._apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.settings_dialog = dialog

    def _apply_settings(self, settings: object) -> None:
        try:
            self.context.update_settings(settings)  # type: ignore[arg-type]
        except OSError as exc:
            QMessageBox.warning(self, "Settings not saved",
                                f"The settings could not be written: {exc}\nCheck that the "
                                f"configuration folder is writable.")

    def open_log_folder(self) -> QUrl:
        """Show the log folder in the desktop's file manager (says where it is if that fails)."""
        from imageworks_gui.services.paths import log_dir

        folder = log_dir()
        url = QUrl.fromLocalFile(str(folder))
        if not QDesktopServices.openUrl(url):
            self.errors.report("Cannot open the log folder",
                               f"No file manager could open {folder}; open it yourself.")
        return url

    def _about(self) -> None:
        QMessageBox.about(self, "About Imageworks",
                          "<b>Imageworks</b><br>Curate local vision-language models and tag "
                          "photos with reviewed XMP/IPTC metadata.")

    def changeEvent(self, event: QEvent) -> None:
        # Coming back to the window is when an edit made in another program shows up.
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.context.registry.check_external_change()
        super().changeEvent(event)

    # -- drag and drop ----
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # -- closing ----
    def ask_unsaved(self) -> CloseDecision:
        """Ask what to do with unsaved registry changes (tests replace this method)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"The registry {self.context.registry.path.name} has unsaved changes.",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText("Save them before closing?")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: CloseDecision.SAVE,
                QMessageBox.StandardButton.Discard: CloseDecision.DISCARD}.get(
            QMessageBox.StandardButton(answer), CloseDecision.CANCEL)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing_confirmed and self.context.registry.is_dirty:
            decision = self.ask_unsaved()
            if decision is CloseDecision.CANCEL:
                event.ignore()
                return
            if decision is CloseDecision.SAVE and not self.models.save():
                event.ignore()
                return
        if not self.tagging.can_close():
            event.ignore()
            return
        self._closing_confirmed = True
        # Hashing threads stop at their next chunk; the task itself is cancelled at shutdown.
        self.models.controller.cancel_verify()
        self.save_state()
        event.accept()
        self.closed.emit()
