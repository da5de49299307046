"""Settings dialog: every field of core.settings.Settings, grouped in tabs, validated on OK."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.settings import Settings

_GROUPS = (("backend", "Backends"), ("tagging", "Tagging"), ("metadata", "Metadata"),
           ("vocabulary", "Vocabulary"))
_LABELS = {
    "connect_timeout_s": ("Connect timeout (s)", "Time to open a connection to a backend"),
    "read_timeout_s": ("Read timeout (s)", "Longest wait for a model's answer"),
    "write_timeout_s": ("Write timeout (s)", "Longest time to send a request (large images)"),
    "pool_timeout_s": ("Pool timeout (s)", "Longest wait for a free connection"),
    "request_deadline_s": ("Request deadline (s)", "Longest time one request may take in "
                           "all, retries included; 0: three times the read timeout"),
    "max_retries": ("Retries", "Retries after 429/503 and dropped connections"),
    "default_concurrency": ("Requests in flight per backend",
                            "Used when an entry has no backend_config.max_concurrency"),
    "max_response_bytes": ("Max response size (bytes)", "Larger answers are refused"),
    "image_long_edge": ("Image long edge (px)", "Photos are downscaled to this before sending"),
    "jpeg_quality": ("JPEG quality", "Quality of the downscaled image sent to the model"),
    "prompt_profile": ("Prompt profile", "Which prompts ask for captions and keywords"),
    "max_keywords": ("Keyword limit", "Most keywords kept per photo, unless the prompt "
                     "profile sets its own count"),
    "banned_keywords": ("Banned words", "Comma separated; never proposed as keywords"),
    "recursive": ("Include subfolders", "Open folders recursively"),
    "fused": ("One request per photo", "When caption, keywords and description use the same "
              "model on the same server, ask for all three in one JSON answer"),
    "sidecar_style": ("New sidecar name", "adobe: IMG_1.xmp (Lightroom, Capture One); "
                      "darktable: IMG_1.CR2.xmp (darktable, digiKam)"),
    "sidecar_collision": ("Two photos, one sidecar name", "When IMG_1.CR2 and IMG_1.DNG (or "
                          "IMG_1.JPG) would share IMG_1.xmp: per_file writes IMG_1.CR2.xmp "
                          "instead; refuse writes nothing and says why"),
    "hierarchy_prefix": ("Hierarchy prefix", "When set (e.g. AI), keywords are also written "
                         "as PREFIX|keyword"),
    "write_ancestor_keywords": ("Write parent keywords", "A hierarchical keyword's parents "
                                "also go to dc:subject and IPTC Keywords, as Lightroom's export "
                                "does (containers never)"),
    "write_provenance": ("Record provenance", "Write which model and prompt made each keyword"),
    "overwrite_title": ("Overwrite existing titles", ""),
    "overwrite_description": ("Overwrite existing descriptions", ""),
    "write_dng_embedded": ("Write into DNG files", "Otherwise DNGs get a sidecar like RAWs"),
    "backup_originals": ("Keep backup copies", "ExifTool keeps FILE_original copies"),
    "dry_run_default": ("Dry run by default", "Show what would be written without writing"),
    "mode": ("Keywords outside the vocabulary", "suggest: proposed in their own row; strict: "
             "not proposed, offered greyed in that row (one click adds one)"),
    "fuzzy_threshold": ("Fuzzy match at least", "Lowest similarity (of 100) for a misspelt "
                        "keyword to map onto a vocabulary term"),
}


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for meta in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(meta, attr, None) is not None:
                low = getattr(meta, attr)
        for attr in ("le", "lt"):
            if getattr(meta, attr, None) is not None:
                high = getattr(meta, attr)
    return low, high


def _profiles() -> list[str]:
    try:
        from imageworks_gui.services.prompt_profiles import list_prompt_profiles

        return list(list_prompt_profiles())
    except (ImportError, OSError, ValueError):
        return ["default"]


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``settings_accepted`` carries the validated result."""

    settings_accepted = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None,
                 vocabulary_page: QWidget | None = None,
                 profiles_page: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle("Settings")
        self.resize(560, 520)
        self._settings = settings
        self.editors: dict[tuple[str, str], QWidget] = {}
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        for group, title in _GROUPS:
            page = QWidget()
            form = QFormLayout(page)
            sub: BaseModel = getattr(settings, group)
            for name, info in type(sub).model_fields.items():
                editor = self._editor(name, info, getattr(sub, name))
                label, tip = _LABELS.get(name, (name.replace("_", " ").capitalize(), ""))
                editor.setToolTip(tip or info.description or "")
                editor.setObjectName(f"{group}.{name}")
                form.addRow(label, editor)
                self.editors[(group, name)] = editor
            if group == "vocabulary" and vocabulary_page is not None:
                form.addRow(vocabulary_page)  # the stored vocabularies, saved at once
            self.tabs.addTab(page, title)
        self.profiles_page = profiles_page
        if profiles_page is not None:
            self.tabs.addTab(profiles_page, "Prompt profiles")
            profiles_page.profiles_changed.connect(self._refresh_profiles)  # type: ignore[attr-defined]
        self.error = QLabel()
        self.error.setStyleSheet("color: #d33;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults)
        layout.addWidget(buttons)

    def _editor(self, name: str, info: FieldInfo, value: Any) -> QWidget:
        annotation = info.annotation
        origin = typing.get_origin(annotation)
        if annotation is bool:
            box = QCheckBox()
            box.setChecked(bool(value))
            return box
        if annotation is int:
            spin = QSpinBox()
            low, high = _bounds(info)
            spin.setRange(int(low if low is not None else 0),
                          int(high if high is not None else 2_000_000_000))
            spin.setValue(int(value))
            return spin
        if annotation is float:
            dspin = QDoubleSpinBox()
            low, high = _bounds(info)
            dspin.setDecimals(1)
            exclusive = any(getattr(meta, "gt", None) is not None for meta in info.metadata)
            dspin.setRange(float(low if low is not None else 0) + (
                0.1 if low == 0 and exclusive else 0), float(high if high is not None else 1e9))
            if low == 0 and not exclusive:
                dspin.setSpecialValueText("automatic")  # 0 means a derived default
            dspin.setValue(float(value))
            return dspin
        if origin is typing.Literal:
            combo = QComboBox()
            combo.addItems([str(v) for v in typing.get_args(annotation)])
            combo.setCurrentText(str(value))
            return combo
        if name == "prompt_profile":
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(_profiles())
            combo.setCurrentText(str(value))
            return combo
        edit = QLineEdit(", ".join(value) if isinstance(value, list) else (value or ""))
        return edit

    def _value(self, group: str, name: str) -> Any:
        editor = self.editors[(group, name)]
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            return editor.value()
        if isinstance(editor, QComboBox):
            return editor.currentText().strip()
        assert isinstance(editor, QLineEdit)
        info = type(getattr(self._settings, group)).model_fields[name]
        text = editor.text().strip()
        if typing.get_origin(info.annotation) is list:
            return [p.strip() for p in text.split(",") if p.strip()]
        return text or None

    def result_settings(self) -> Settings:
        """The settings as edited; raises ValidationError for refused values."""
        data = self._settings.model_dump(mode="json")
        for (group, name) in self.editors:
            data[group][name] = self._value(group, name)
        return Settings.model_validate(data)

    def _check_profile(self) -> str | None:
        name = self._value("tagging", "prompt_profile")
        available = _profiles()
        if not name:
            return "Prompt profile: choose a profile"
        if name not in available:
            return (f"Prompt profile: {name!r} does not exist (available: "
                    f"{', '.join(available)}); add it to the prompt profiles folder first")
        return None

    def _refresh_profiles(self) -> None:
        combo = self.editors[("tagging", "prompt_profile")]
        assert isinstance(combo, QComboBox)
        chosen = combo.currentText()
        combo.clear()
        combo.addItems(_profiles())
        combo.setCurrentText(chosen)

    def _may_close(self) -> bool:
        page = self.profiles_page
        return page is None or bool(page.may_leave())  # type: ignore[attr-defined]

    def reject(self) -> None:
        if self._may_close():
            super().reject()

    def try_accept(self) -> None:
        if not self._may_close():
            return
        problem = self._check_profile()
        if problem is None:
            try:
                settings = self.result_settings()
            except ValidationError as exc:
                err = exc.errors()[0]
                problem = f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        self.settings_accepted.emit(settings)
        self.accept()

    def restore_defaults(self) -> None:
        defaults = Settings()
        for (group, name), editor in self.editors.items():
            value = getattr(getattr(defaults, group), name)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                editor.setValue(value)
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit):
                editor.setText(", ".join(value) if isinstance(value, list) else (value or ""))
