"""Details panel: a form for every field of the current entry, with inline validation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.registry import KNOWN_BACKENDS, KNOWN_CAPABILITIES, RegistryEntry
from imageworks_gui.gui.models import fields as F
from imageworks_gui.gui.models.columns import COLUMN_INDEX, ENTRY_ROLE
from imageworks_gui.gui.models.delegates import CheckListEditor
from imageworks_gui.gui.models.replicas_editor import ReplicasEditor
from imageworks_gui.gui.models.table_model import RegistryTableModel

_ERROR_STYLE = "QLineEdit, QPlainTextEdit, QComboBox { border: 1px solid #d33; }"


@dataclass
class _Field:
    path: tuple[str, ...]
    widget: QLineEdit | QComboBox | QPlainTextEdit
    parse: F.Parser
    fmt: F.Formatter
    error: QLabel


class DetailsPanel(QScrollArea):
    """Edits the selected entry. Each field commits when editing finishes; a value the schema
    refuses stays in the field, outlined in red, with the reason below it."""

    def __init__(self, model: RegistryTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailsPanel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(330)
        self.model = model
        self.doc = model.doc
        self._name: str | None = None
        self._loading = False
        self._fields: list[_Field] = []
        self._caps: dict[str, QCheckBox] = {}

        body = QWidget()
        self.setWidget(body)
        outer = QVBoxLayout(body)
        self.title = QLabel()
        self.title.setObjectName("detailsTitle")
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        self.empty = QLabel("Select a model to see and edit its details.")
        self.empty.setWordWrap(True)
        outer.addWidget(self.empty)
        self.form_host = QWidget()
        form_layout = QVBoxLayout(self.form_host)
        form_layout.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.form_host)
        outer.addStretch(1)

        general = self._group(form_layout, "General")
        self._line(general, "Name", ("name",), F.req_text)
        self._line(general, "Display name", ("display_name",), F.opt_text)
        backend = QComboBox()
        backend.setEditable(True)
        backend.addItems(list(KNOWN_BACKENDS))
        self._add(general, "Backend", _Field(("backend",), backend, F.req_text, F.fmt_text,
                                             QLabel()))
        self._line(general, "Served name", ("served_model_id",), F.opt_text,
                   tip="Model name sent to the server; empty: use the entry name or an alias")
        self._line(general, "Aliases", ("model_aliases",), F.comma_list, F.fmt_list,
                   tip="Other served names, comma separated; the first one the server lists "
                       "is used")
        self._line(general, "License", ("license",), F.opt_text)
        self.deprecated = QCheckBox("Deprecated")
        self.deprecated.setToolTip("Deprecated entries are skipped by role resolution")
        self.deprecated.toggled.connect(lambda on: self._commit(("deprecated",), on))
        general.addRow("", self.deprecated)

        server = self._group(form_layout, "Backend")
        self._line(server, "Host", ("backend_config", "host"), F.opt_text,
                   placeholder="127.0.0.1")
        self._line(server, "Port", ("backend_config", "port"), F.opt_int(1, 65535))
        self._line(server, "Base URL", ("backend_config", "base_url"), F.url,
                   placeholder="http://host:port/v1 (overrides host and port)")
        path_edit = self._line(server, "Model path", ("backend_config", "model_path"),
                               F.opt_text)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(path_edit))
        server.addRow("", browse)
        self._line(server, "Extra args", ("backend_config", "extra_args"), F.shell_args,
                   F.fmt_args, tip="Extra server arguments, as typed in a shell")
        self._line(server, "API key env", ("backend_config", "api_key_env"), F.opt_text,
                   tip="Name of the environment variable holding the API key")
        self._line(server, "Max concurrency", ("backend_config", "max_concurrency"),
                   F.opt_int(1, 256), placeholder="settings default")

        replicas = self._group(form_layout, "Replicas")
        self.replicas = ReplicasEditor(self._commit)
        replicas.addRow(self.replicas)

        caps = self._group(form_layout, "Capabilities")
        caps_row = QWidget()
        caps_layout = QGridLayout(caps_row)
        caps_layout.setContentsMargins(0, 0, 0, 0)
        for i, cap in enumerate(KNOWN_CAPABILITIES):
            box = QCheckBox(cap)
            box.setObjectName(f"cap_{cap}")
            box.toggled.connect(lambda on, cap=cap: self._commit(("capabilities", cap), on))
            caps_layout.addWidget(box, i // 3, i % 3)
            self._caps[cap] = box
        caps.addRow(caps_row)

        roles = self._group(form_layout, "Roles")
        self.roles = CheckListEditor(("caption", "keywords", "description", "title",
                                      "alt_text"), "Custom role…")
        self.roles.list.itemChanged.connect(self._roles_changed)
        roles.addRow(self.roles)

        gen = self._group(form_layout, "Generation defaults")
        self._line(gen, "Max tokens", ("generation_defaults", "max_tokens"), F.opt_int(1, None))
        self._line(gen, "Temperature", ("generation_defaults", "temperature"), F.opt_float)
        self._line(gen, "Top p", ("generation_defaults", "top_p"), F.opt_float)

        tmpl = self._group(form_layout, "Chat template")
        self._line(tmpl, "Source", ("chat_template", "source"), F.opt_text)
        self._line(tmpl, "Path", ("chat_template", "path"), F.opt_text)
        self._line(tmpl, "SHA-256", ("chat_template", "sha256"), F.opt_text)

        meta = self._group(form_layout, "Metadata (JSON)")
        self.metadata = QPlainTextEdit()
        self.metadata.setObjectName("metadataEdit")
        self.metadata.setMaximumHeight(110)
        meta_error = self._error_label()
        meta_apply = QPushButton("Apply metadata")
        meta_field = _Field(("metadata",), self.metadata, F.json_object, F.fmt_json, meta_error)
        self._fields.append(meta_field)
        meta_apply.clicked.connect(lambda: self._commit_field(meta_field))
        meta.addRow(self.metadata)
        meta.addRow(meta_error)
        meta.addRow(meta_apply)

        self.readonly: dict[str, QPlainTextEdit] = {}
        for key, title in (("version_lock", "Lock and verification"),
                           ("artifacts", "Artifacts"), ("probes", "Probes"),
                           ("performance", "Performance"), ("source", "Source")):
            group = self._group(form_layout, f"{title} (read-only)")
            view = QPlainTextEdit()
            view.setReadOnly(True)
            view.setObjectName(f"readonly_{key}")
            view.setMaximumHeight(130)
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            group.addRow(view)
            self.readonly[key] = view

        self.doc.entry_replaced.connect(self._on_replaced)
        self.doc.reset_done.connect(lambda: self.show_entry(None))
        self.doc.rows_removed.connect(self._on_rows_removed)
        self.show_entry(None)

    # -- construction helpers ----
    def _group(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addWidget(box)
        return form

    def _error_label(self) -> QLabel:
        label = QLabel()
        label.setObjectName("fieldError")
        label.setWordWrap(True)
        label.setStyleSheet("color: #d33;")
        label.hide()
        return label

    def _line(self, form: QFormLayout, label: str, path: tuple[str, ...], parse: F.Parser,
              fmt: F.Formatter = F.fmt_text, *, tip: str = "",
              placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName("field_" + ".".join(path))
        edit.setToolTip(tip)
        edit.setPlaceholderText(placeholder)
        self._add(form, label, _Field(path, edit, parse, fmt, self._error_label()))
        return edit

    def _add(self, form: QFormLayout, label: str, field: _Field) -> None:
        form.addRow(label, field.widget)
        form.addRow("", field.error)
        self._fields.append(field)
        w = field.widget
        if isinstance(w, QLineEdit):
            w.editingFinished.connect(lambda: self._commit_field(field))
        elif isinstance(w, QComboBox):
            w.setObjectName("field_" + ".".join(field.path))
            w.activated.connect(lambda _i: self._commit_field(field))
            assert w.lineEdit() is not None
            w.lineEdit().editingFinished.connect(lambda: self._commit_field(field))

    def _browse(self, edit: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Model folder", edit.text())
        if folder:
            edit.setText(folder)
            edit.editingFinished.emit()

    # -- showing ----
    @property
    def entry_name(self) -> str | None:
        return self._name

    def field(self, *path: str) -> QLineEdit | QComboBox | QPlainTextEdit:
        """The editor widget of a field path such as ``("backend_config", "port")``."""
        return next(f.widget for f in self._fields if f.path == tuple(path))

    def error_text(self, *path: str) -> str:
        """The inline error shown under a field ('' when valid)."""
        label = next(f.error for f in self._fields if f.path == tuple(path))
        return label.text() if not label.isHidden() else ""

    def show_entry(self, name: str | None) -> None:
        entry = self.doc.entry(name) if name else None
        self._name = entry.name if entry else None
        self.form_host.setVisible(entry is not None)
        self.empty.setVisible(entry is None)
        self.title.setText(entry.label if entry else "No model selected")
        if entry is not None:
            self._load(entry)

    def _load(self, entry: RegistryEntry) -> None:
        self._loading = True
        try:
            data = entry.to_json_dict()
            for field in self._fields:
                self._set_error(field, "")
                text = field.fmt(F.get_path(data, field.path))
                w = field.widget
                if isinstance(w, QLineEdit):
                    w.setText(text)
                    w.setCursorPosition(0)
                elif isinstance(w, QComboBox):
                    w.setCurrentText(text)
                else:
                    w.setPlainText(text)
            self.deprecated.setChecked(entry.deprecated)
            self.replicas.load(entry)
            flags = entry.capabilities.as_dict()
            for cap, box in self._caps.items():
                box.setChecked(flags.get(cap, False))
            self.roles.set_checked(dict.fromkeys(entry.roles, True))
            for key, view in self.readonly.items():
                value = data.get(key)
                view.setPlainText(json.dumps(value, indent=2, ensure_ascii=False)
                                  if value not in (None, {}, []) else "(none)")
        finally:
            self._loading = False

    def _on_replaced(self, _row: int, old: RegistryEntry, new: RegistryEntry) -> None:
        if self._name == old.name:
            self._name = new.name
            self.title.setText(new.label)
            self._load(new)

    def _on_rows_removed(self) -> None:
        if self._name is not None and self.doc.row_of(self._name) < 0:
            self.show_entry(None)

    # -- committing ----
    def _set_error(self, field: _Field, message: str) -> None:
        field.error.setText(message)
        field.error.setVisible(bool(message))
        field.widget.setStyleSheet(_ERROR_STYLE if message else "")

    def _text(self, field: _Field) -> str:
        w = field.widget
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QComboBox):
            return w.currentText()
        return w.toPlainText()

    def _commit_field(self, field: _Field) -> None:
        if self._loading or self._name is None:
            return
        try:
            value = field.parse(self._text(field))
        except ValueError as exc:
            self._set_error(field, str(exc))
            return
        self._set_error(field, self._commit(field.path, value) or "")

    def _roles_changed(self) -> None:
        if not self._loading:
            roles = [k for k, v in self.roles.checked().items() if v]
            self._commit(("roles",), roles)

    def _commit(self, path: tuple[str, ...], value: Any) -> str | None:
        """Validate and apply one field change; returns the reason when it is refused."""
        if self._loading or self._name is None:
            return None
        entry = self.doc.entry(self._name)
        if entry is None:
            return None
        data = entry.to_json_dict()
        F.set_path(data, path, value)
        try:
            new = RegistryEntry.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            return str(err["msg"]).removeprefix("Value error, ")
        if new.to_json_dict() == entry.to_json_dict():
            return None
        if new.name != entry.name and self.doc.entry(new.name) is not None:
            return f"another entry is already called {new.name!r}"
        label = path[-1].replace("_", " ")
        row = self.doc.row_of(entry.name)
        index: QModelIndex = self.model.index(row, COLUMN_INDEX["name"])
        ok = self.model.setData(index, (new, f"Set {label} of {entry.name}"), ENTRY_ROLE)
        return None if ok else "the change was refused"


def set_field_text(panel: DetailsPanel, path: tuple[str, ...], text: str,
                   commit: Callable[[], None] | None = None) -> None:
    """Type ``text`` into a field and finish editing (used by tests and screenshots)."""
    widget = panel.field(*path)
    if isinstance(widget, QLineEdit):
        widget.setText(text)
        widget.editingFinished.emit()
    elif isinstance(widget, QComboBox):
        widget.setCurrentText(text)
        assert widget.lineEdit() is not None
        widget.lineEdit().editingFinished.emit()
    else:
        widget.setPlainText(text)
        if commit:
            commit()
