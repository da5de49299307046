"""The fields of one prompt profile, validated live, each problem shown next to its field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.prompts import STAGES, PromptProfile

PLACEHOLDER_HELP = ("Placeholders: {max_keywords}, {min_keywords}; in the description "
                    "prompt also {caption} and {keywords} (the earlier answers).")


class PromptEdit(QPlainTextEdit):
    """A prompt text box whose preferred height is a few lines; it grows with spare room."""

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(320, 76)


def _error_label() -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet("color: #d33;")
    label.hide()
    return label


def _field(editor: QWidget, error: QLabel) -> QWidget:
    """The editor with its problem right below it (one form row, no gap while hidden)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(editor)
    column.addWidget(error)
    return box


def _count_spin() -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, 200)
    spin.setSpecialValueText("not set")  # 0: the Keyword limit setting applies
    return spin


class StageEditor(QWidget):
    """System prompt, user prompt, temperature and max tokens of one stage."""

    def __init__(self, stage: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self.top_p = 0.9
        form = QFormLayout(self)
        self.system = PromptEdit()
        self.user = PromptEdit()
        for edit in (self.system, self.user):
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(56)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setMaximumWidth(140)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 8192)
        self.max_tokens.setMaximumWidth(140)
        self.errors = {key: _error_label() for key in ("system", "user", "temperature",
                                                       "max_tokens")}
        for key, label, editor in (("system", "System prompt", self.system),
                                   ("user", "User prompt", self.user),
                                   ("temperature", "Temperature", self.temperature),
                                   ("max_tokens", "Max tokens", self.max_tokens)):
            editor.setObjectName(f"{stage}.{key}")
            form.addRow(label, _field(editor, self.errors[key]))
        self.user.setToolTip(PLACEHOLDER_HELP)

    def load(self, data: dict[str, Any]) -> None:
        self.system.setPlainText(data.get("system", ""))
        self.user.setPlainText(data.get("user", ""))
        self.temperature.setValue(float(data.get("temperature", 0.2)))
        self.max_tokens.setValue(int(data.get("max_tokens", 256)))
        self.top_p = float(data.get("top_p", 0.9))

    def data(self) -> dict[str, Any]:
        return {"system": self.system.toPlainText(), "user": self.user.toPlainText(),
                "temperature": round(self.temperature.value(), 2),
                "max_tokens": self.max_tokens.value(), "top_p": self.top_p}


class PromptProfileEditor(QWidget):
    """Edits a copy of a profile; ``changed`` fires on every edit, ``profile()`` validates."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = "default"
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        layout.addLayout(form)
        self.description = QLineEdit()
        self.language = QLineEdit()
        self.language.setToolTip("ISO 639-1 code of the language answers are written in "
                                 "(en, de, fr, ...)")
        self.min_keywords = _count_spin()
        self.max_keywords = _count_spin()
        for spin in (self.min_keywords, self.max_keywords):
            spin.setToolTip("Not set: the Keyword limit setting applies")
        for short in (self.language, self.min_keywords, self.max_keywords):
            short.setMaximumWidth(140)
        self.errors = {key: _error_label() for key in ("description", "language",
                                                       "min_keywords", "max_keywords")}
        for key, label, editor in (("description", "Description", self.description),
                                   ("language", "Language", self.language),
                                   ("min_keywords", "Fewest keywords", self.min_keywords),
                                   ("max_keywords", "Most keywords", self.max_keywords)):
            editor.setObjectName(key)
            form.addRow(label, _field(editor, self.errors[key]))
        self.stage_tabs = QTabWidget()
        self.stages = {stage: StageEditor(stage) for stage in STAGES}
        for stage, editor in self.stages.items():
            self.stage_tabs.addTab(editor, stage.capitalize())
        layout.addWidget(self.stage_tabs, 1)
        self.general_error = _error_label()
        layout.addWidget(self.general_error)
        for line in (self.description, self.language):
            line.textChanged.connect(self._edited)
        for spin in (self.min_keywords, self.max_keywords):
            spin.valueChanged.connect(self._edited)
        for editor in self.stages.values():
            editor.system.textChanged.connect(self._edited)
            editor.user.textChanged.connect(self._edited)
            editor.temperature.valueChanged.connect(self._edited)
            editor.max_tokens.valueChanged.connect(self._edited)

    def _edited(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def load(self, profile: PromptProfile) -> None:
        """Show ``profile`` (no ``changed`` signal)."""
        self._loading = True
        try:
            self._name = profile.name
            self.description.setText(profile.description)
            self.language.setText(profile.language)
            self.min_keywords.setValue(profile.min_keywords or 0)
            self.max_keywords.setValue(profile.max_keywords or 0)
            for stage, editor in self.stages.items():
                editor.load(profile.stages[stage].model_dump())
        finally:
            self._loading = False
        self.profile()

    def data(self) -> dict[str, Any]:
        return {"name": self._name, "description": self.description.text(),
                "language": self.language.text().strip(),
                "min_keywords": self.min_keywords.value() or None,
                "max_keywords": self.max_keywords.value() or None,
                "stages": {stage: editor.data() for stage, editor in self.stages.items()}}

    def profile(self) -> PromptProfile | None:
        """The edited profile, or None with every problem shown next to its field."""
        problems: dict[tuple[str, ...], list[str]] = {}
        try:
            profile = PromptProfile.model_validate(self.data())
        except ValidationError as exc:
            profile = None
            for err in exc.errors():
                loc = tuple(str(p) for p in err["loc"]) or ("max_keywords",)
                message = str(err["msg"]).removeprefix("Value error, ")
                if loc == ("max_keywords",) and "min_keywords" in message:
                    message = message.replace("min_keywords", "fewest keywords").replace(
                        "max_keywords", "most keywords")
                if loc == ("stages", *loc[1:2], "user") and err["type"] == "string_too_short":
                    message = "required: write the instruction the model gets"
                problems.setdefault(loc, []).append(message)
        low, high = self.min_keywords.value(), self.max_keywords.value()
        if low and high and low > high and ("max_keywords",) not in problems:
            # Checked here too: the model's own check runs only once every field is valid.
            problems[("max_keywords",)] = [
                f"fewest keywords ({low}) is larger than most keywords ({high})"]
        self._show(problems)
        return profile

    def problems(self) -> list[str]:
        """The problems shown, as ``field: message`` lines."""
        out = [f"{key}: {label.text()}" for key, label in self.errors.items()
               if not label.isHidden()]
        for stage, editor in self.stages.items():
            out += [f"{stage}.{key}: {label.text()}" for key, label in editor.errors.items()
                    if not label.isHidden()]
        if not self.general_error.isHidden():
            out.append(self.general_error.text())
        return out

    def _show(self, problems: dict[tuple[str, ...], list[str]]) -> None:
        labels: dict[tuple[str, ...], QLabel] = {(k,): v for k, v in self.errors.items()}
        for stage, editor in self.stages.items():
            labels.update({("stages", stage, k): v for k, v in editor.errors.items()})
        rest = [f"{'.'.join(loc)}: {'; '.join(msgs)}" for loc, msgs in problems.items()
                if loc not in labels]
        for loc, label in labels.items():
            text = "; ".join(problems.get(loc, []))
            label.setText(text)
            label.setVisible(bool(text))
        self.general_error.setText("\n".join(rest))
        self.general_error.setVisible(bool(rest))
        for index, stage in enumerate(STAGES):
            bad = any(loc[:2] == ("stages", stage) for loc in problems)
            self.stage_tabs.setTabText(index, stage.capitalize() + (" (!)" if bad else ""))
