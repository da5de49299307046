"""Downloader manifest import: choose a file, preview the dry-run plan in a table, then Apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.gui.models.controller import ModelsController

Index = QModelIndex | QPersistentModelIndex
_KIND_COLOURS = {"create": "#2e7d32", "update": "#1f5fc4", "unchanged": "#6b7280",
                 "error": "#c62828"}
_HEADERS = ("Action", "Entry", "Manifest id", "Changed fields / details")


class SyncPlanModel(QAbstractTableModel):
    """Read-only rows of a sync plan: action, entry name, manifest key, changes or message."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions: list[Any] = []

    def set_plan(self, plan: Any | None) -> None:
        self.beginResetModel()
        self._actions = list(plan.actions) if plan is not None else []
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._actions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(_HEADERS)):
            return _HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._actions):
            return None
        action = self._actions[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == 0:
                return action.kind
            if col == 1:
                return action.name or ""
            if col == 2:
                return action.key
            # The plan's message already names the changed fields ("refresh source.files").
            return action.message or ", ".join(action.changed_fields)
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QBrush(QColor(_KIND_COLOURS.get(action.kind, "#6b7280")))
        return None


class ManifestImportDialog(QDialog):
    """Preview (dry run) then Apply. Nothing changes until Apply, which is one undo step."""

    def __init__(self, controller: ModelsController, parent: QWidget | None = None,
                 manifest: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ManifestImportDialog")
        self.setWindowTitle("Import from downloader manifest")
        self.resize(900, 480)
        self.controller = controller
        self.plan: Any | None = None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(str(manifest) if manifest else "")
        self.path_edit.setPlaceholderText("Path of the downloader's models.json")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.preview)
        row.addWidget(QLabel("Manifest:"))
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        row.addWidget(self.preview_button)
        layout.addLayout(row)
        self.hash_box = QCheckBox("Hash the files now (slower; otherwise verify later)")
        layout.addWidget(self.hash_box)
        self.plan_model = SyncPlanModel(self)
        self.table = QTableView()
        self.table.setModel(self.plan_model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 90)
        self.table.setColumnWidth(1, 220)
        self.table.setColumnWidth(2, 300)
        layout.addWidget(self.table, 1)
        self.summary = QLabel("Choose a manifest and click Preview. Nothing changes until "
                              "you click Apply.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Close)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Downloader manifest", self.path_edit.text(),
                                              "JSON files (*.json);;All files (*)")
        if path:
            self.path_edit.setText(path)
            self.preview()

    def preview(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self.summary.setText("Enter the path of the downloader's models.json first.")
            return
        self.preview_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self.summary.setText("Reading the manifest…")
        self.controller.context.spawn(self.run_preview(Path(text).expanduser()),
                                      "Manifest preview")

    async def run_preview(self, path: Path) -> None:
        """Compute the dry-run plan and show it (errors are shown in the dialog)."""
        from imageworks_gui.services.downloader_sync import ManifestLoadError

        try:
            plan = await self.controller.plan_import(path, hash_files=self.hash_box.isChecked())
        except (ManifestLoadError, OSError, ValueError) as exc:
            self.plan = None
            self.plan_model.set_plan(None)
            self.summary.setText(f"Cannot import: {exc}")
            return
        finally:
            self.preview_button.setEnabled(True)
        self.plan = plan
        self.plan_model.set_plan(plan)
        t = plan.totals
        self.summary.setText(
            f"Dry run: {t['create']} to create, {t['update']} to update, {t['unchanged']} "
            f"unchanged, {t['error']} with errors. "
            + ("Click Apply to make these changes (undoable)." if plan.has_changes
               else "Nothing to change."))
        self.apply_button.setEnabled(plan.has_changes)

    def apply(self) -> None:
        if self.plan is None:
            return
        touched = self.controller.apply_import(self.plan)
        self.summary.setText(f"Applied: {touched} entr{'y' if touched == 1 else 'ies'} changed. "
                             "Save the registry to keep them.")
        self.apply_button.setEnabled(False)
        self.accept()
