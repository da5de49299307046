"""Review pane: large preview, existing vs proposed texts side by side, keyword chips, decisions."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent, QImage, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.prose import prose_warning
from imageworks_gui.core.review import REVIEWABLE, PhotoReview
from imageworks_gui.core.review_terms import lane_chips, mapping_of, mapping_tooltip
from imageworks_gui.gui.tagging.chips import ChipBox, KeywordChip
from imageworks_gui.gui.tagging.grid_model import STATE_LABELS


class CommitTextEdit(QPlainTextEdit):
    """A plain-text editor that reports its text once editing ends (focus out or Ctrl+Enter)."""

    editing_finished = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.editing_finished.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.editing_finished.emit()
            return
        super().keyPressEvent(event)


class PreviewLabel(QLabel):
    """Shows an image scaled to fit, keeping its aspect ratio, re-scaled on resize."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("background: palette(alternate-base); border-radius: 6px;")

    @property
    def image(self) -> QImage | None:
        """The full-resolution image shown (None while there is none)."""
        return self._image

    def set_image(self, image: QImage | None, text: str = "") -> None:
        self._image = image
        if image is None or image.isNull():
            self.clear()
            self.setText(text)
        else:
            self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._image is not None and not self._image.isNull():
            size = self.size()
            self.setPixmap(QPixmap.fromImage(self._image).scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))


def _existing_label() -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # the photo's own texts are untrusted
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setFrameShape(QFrame.Shape.StyledPanel)
    label.setMinimumHeight(28)
    label.setContentsMargins(4, 2, 4, 2)
    return label


class ReviewPane(QWidget):
    """Shows one photo's proposal and emits what the user decided; it changes nothing itself."""

    approve_requested = Signal()
    reject_requested = Signal()
    approve_all_requested = Signal()
    approve_group_requested = Signal()
    """Approve every undecided frame of the shown photo's burst."""
    next_requested = Signal()
    previous_requested = Signal()
    keyword_clicked = Signal(str, str)
    """(keyword, chip kind): reject a proposed/added keyword, or restore a removed one."""
    keyword_added = Signal(str)
    add_to_vocabulary_requested = Signal(str, str)
    """(keyword, vocabulary name): store a new term in that vocabulary and accept it."""
    title_edited = Signal(str)
    description_edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.review: PhotoReview | None = None
        self._unread_text = "Reading…"
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)

        self.preview = PreviewLabel(self)
        outer.addWidget(self.preview, 4)

        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        outer.addWidget(self.heading)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        # Everything below wraps or shrinks to the pane's width: never a sideways scrollbar.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll, 7)
        form = QVBoxLayout(body)
        form.setContentsMargins(0, 0, 0, 0)

        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        for col, text in ((1, "In the photo now"), (2, "Proposed (edit to change)")):
            head = QLabel(f"<b>{text}</b>")
            head.setWordWrap(True)
            grid.addWidget(head, 0, col)
        self.existing_title = _existing_label()
        self.title_edit = QLineEdit()
        self.title_edit.setMinimumWidth(60)
        self.title_edit.setPlaceholderText("No title proposed")
        self.title_edit.editingFinished.connect(self._title_done)
        self.existing_description = _existing_label()
        self.description_edit = CommitTextEdit()
        self.description_edit.setPlaceholderText("No description proposed")
        self.description_edit.setMaximumHeight(90)
        self.description_edit.setMinimumWidth(60)
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.editing_finished.connect(self._description_done)
        grid.addWidget(QLabel("Title"), 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.existing_title, 1, 1)
        grid.addWidget(self.title_edit, 1, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(QLabel("Description"), 2, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.existing_description, 2, 1)
        grid.addWidget(self.description_edit, 2, 2)
        form.addLayout(grid)

        legend = QLabel("<b>Keywords</b> <span style='color:gray'>(highlighted: proposed new, "
                        "click to reject; struck out: rejected, click to restore)</span>")
        legend.setWordWrap(True)
        form.addWidget(legend)
        self.chips = ChipBox(self)
        self.chips.chip_clicked.connect(self.keyword_clicked)
        form.addWidget(self.chips)
        self.lane_legend = QLabel(
            "<b>Not in your vocabulary</b> <span style='color:gray'>(click to accept or "
            "reject; right-click to add one to a vocabulary)</span>")
        self.lane_legend.setWordWrap(True)
        form.addWidget(self.lane_legend)
        self.lane = ChipBox(self)
        """Keywords the vocabulary mapping found no term for (the new-terms lane)."""
        self.lane.chip_clicked.connect(self.keyword_clicked)
        form.addWidget(self.lane)
        self.vocabulary_names: list[str] = []
        """Active vocabularies offered by a new term's "Add to vocabulary" menu."""
        add_row = QHBoxLayout()
        self.keyword_edit = QLineEdit()
        self.keyword_edit.setPlaceholderText("Add a keyword… (Enter)")
        self.keyword_edit.setClearButtonEnabled(True)
        self.completer_model = QStringListModel(self)
        self.completer = QCompleter(self.completer_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.keyword_edit.setCompleter(self.completer)
        self.keyword_edit.returnPressed.connect(self._add_keyword)
        add_row.addWidget(self.keyword_edit)
        form.addLayout(add_row)
        self.provenance = QLabel()
        self.provenance.setWordWrap(True)
        self.provenance.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.provenance.setStyleSheet("color: gray;")
        form.addWidget(self.provenance)
        self.suspicious = QLabel()
        self.suspicious.setTextFormat(Qt.TextFormat.PlainText)
        self.suspicious.setWordWrap(True)
        self.suspicious.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.suspicious.setStyleSheet("color: #b35c00; font-weight: 600;")
        self.suspicious.hide()
        form.addWidget(self.suspicious)
        self.notes = QLabel()
        """Write warnings for this photo (the ``check`` command's) and where its metadata goes."""
        self.notes.setTextFormat(Qt.TextFormat.PlainText)  # paths and tag values: untrusted
        self.notes.setWordWrap(True)
        self.notes.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notes.setStyleSheet("color: #b26a00;")
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.hide()
        form.addWidget(self.notes)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setStyleSheet("color: #c62828;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addWidget(self.message)
        form.addStretch(1)

        buttons = QHBoxLayout()
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setToolTip("Previous photo (Left arrow)")
        self.approve_button = QPushButton("Approve (A)")
        self.approve_button.setToolTip("Approve this proposal and go to the next photo (A)")
        self.approve_button.setStyleSheet("QPushButton:enabled{background:#1f8a4c;color:white;"
                                          "font-weight:600;}")
        self.reject_button = QPushButton("Reject (R)")
        self.reject_button.setToolTip("Reject this proposal and go to the next photo (R)")
        self.approve_all_button = QPushButton("Approve all")
        self.approve_all_button.setToolTip("Approve all remaining: every proposal not yet "
                                           "approved or rejected")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("Next photo (Right arrow)")
        self.approve_group_button = QPushButton("Approve group")
        self.approve_group_button.setToolTip("Approve the proposal of every frame of this burst "
                                             "not yet approved or rejected (one undo step); "
                                             "edits to this photo change this photo only")
        self.approve_group_button.hide()
        for button, signal in ((self.previous_button, self.previous_requested),
                               (self.approve_button, self.approve_requested),
                               (self.approve_group_button, self.approve_group_requested),
                               (self.reject_button, self.reject_requested),
                               (self.approve_all_button, self.approve_all_requested),
                               (self.next_button, self.next_requested)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        outer.addLayout(buttons)
        self.show_review(None)

    # -- display ------------------------------------------------------------------------------
    def set_group(self, undecided: int) -> None:
        """Offer "Approve group (N)" while the shown photo's burst has N > 1 undecided frames."""
        self.approve_group_button.setText(f"Approve group ({undecided})")
        self.approve_group_button.setVisible(undecided > 1)

    def show_review(self, review: PhotoReview | None, unread_text: str = "Reading…") -> None:
        """Show ``review`` (None: nothing selected); ``unread_text`` stands in for the file's
        current values until they have been read."""
        self.review = review
        self._unread_text = unread_text
        editable = review is not None and review.state in REVIEWABLE
        if review is None:
            self.heading.setText("<i>Select a photo to review its proposal.</i>")
            self.preview.set_image(None, "No photo selected")
        else:
            state = STATE_LABELS.get(review.state, review.state)
            self.heading.setText(f"<b>{_escape(review.name)}</b> — {state}")
        self._set_texts(review)
        self._set_chips(review)
        for widget in (self.title_edit, self.description_edit, self.keyword_edit):
            widget.setEnabled(editable)
        self.approve_button.setEnabled(editable and review is not None
                                       and review.state != "approved")
        self.reject_button.setEnabled(editable and review is not None
                                      and review.state != "rejected")
        self.message.setText(review.error or "" if review else "")
        self._mark_suspicious(review)
        models = ", ".join(f"{stage}: {rec.get('name')}" for stage, rec in
                           (review.models.items() if review else []) if isinstance(rec, dict))
        self.provenance.setText(f"Proposed by {models}" if models else "")

    def _set_chips(self, review: PhotoReview | None) -> None:
        def detail(keyword: str) -> str:
            mapping = mapping_of(review, keyword) if review is not None else None
            return mapping_tooltip(mapping) if mapping is not None else ""

        self.chips.set_chips(review.chips() if review else [], detail)
        lane = lane_chips(review) if review is not None else []
        self.lane.set_chips(lane, detail)
        for chip in self.lane.chips:
            chip.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            chip.customContextMenuRequested.connect(
                lambda pos, c=chip: self._lane_menu(c, c.mapToGlobal(pos)))
        self.lane_legend.setVisible(bool(lane))
        self.lane.setVisible(bool(lane))

    def lane_menu(self, keyword: str) -> QMenu:
        """The right-click menu of a new term: accept it, or add it to an active vocabulary."""
        menu = QMenu(self)
        chip = self.lane.chip(keyword)
        if chip is not None and chip.kind in ("available", "removed"):
            menu.addAction("Accept for this photo",
                           lambda: self.keyword_clicked.emit(chip.keyword, chip.kind))
        for name in self.vocabulary_names:
            action = menu.addAction(f"Add to vocabulary “{name}”")
            action.triggered.connect(
                lambda _=False, n=name: self.add_to_vocabulary_requested.emit(keyword, n))
        if not self.vocabulary_names:
            menu.addAction("No active vocabulary: import one in Settings > Vocabulary"
                           ).setEnabled(False)
        return menu

    def _lane_menu(self, chip: KeywordChip, where: QPoint) -> None:
        if self.review is None or self.review.state not in REVIEWABLE:
            return
        self._menu = self.lane_menu(chip.keyword)
        self._menu.popup(where)

    def _set_texts(self, review: PhotoReview | None) -> None:
        def existing(text: str | None, loaded: bool) -> str:
            if text:
                return text
            if review is None:
                return ""
            return "(empty)" if loaded else self._unread_text

        loaded = bool(review and review.existing_loaded)
        self.existing_title.setText(existing(review.existing_title if review else None, loaded))
        self.existing_description.setText(
            existing(review.existing_description if review else None, loaded))
        if not self.title_edit.hasFocus() or review is None:
            self.title_edit.setText(review.proposed_title or "" if review else "")
            self.title_edit.setCursorPosition(0)  # show the start of a long title
        if not self.description_edit.hasFocus() or review is None:
            self.description_edit.setPlainText(review.proposed_description or ""
                                               if review else "")

    def _mark_suspicious(self, review: PhotoReview | None) -> None:
        """Warn when a proposed text looks like code or data rather than prose."""
        notes = []
        style = "QLineEdit, QPlainTextEdit {border: 2px solid #b35c00;}"
        for field, widget, attr in (("title", self.title_edit, "final_title"),
                                    ("description", self.description_edit, "final_description")):
            why = (prose_warning(getattr(review, attr))
                   if review is not None and review.state in REVIEWABLE else None)
            if why:
                notes.append(f"The proposed {field} looks wrong: {why}. Edit it or reject the "
                             f"proposal before approving.")
            widget.setStyleSheet(style if why else "")
        self.suspicious.setText("\n".join(notes))
        self.suspicious.setVisible(bool(notes))

    def set_notes(self, lines: list[str]) -> None:
        """Show the photo's write warnings and notes (none: hidden)."""
        self.notes.setText("\n".join(lines))
        self.notes.setVisible(bool(lines))

    def set_library_keywords(self, keywords: list[str]) -> None:
        """Keywords offered by the add-keyword autocompletion."""
        if self.completer_model.stringList() != keywords:
            self.completer_model.setStringList(keywords)

    # -- user input ---------------------------------------------------------------------------
    def _title_done(self) -> None:
        if self.review is None or self.review.state not in REVIEWABLE:
            return
        text = self.title_edit.text()
        if text.strip() != (self.review.proposed_title or ""):
            self.title_edited.emit(text)

    def _description_done(self) -> None:
        if self.review is None or self.review.state not in REVIEWABLE:
            return
        text = self.description_edit.toPlainText()
        if text.strip() != (self.review.proposed_description or ""):
            self.description_edited.emit(text)

    def _add_keyword(self) -> None:
        text = self.keyword_edit.text().strip()
        if text:
            self.keyword_added.emit(text)
            self.keyword_edit.clear()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
