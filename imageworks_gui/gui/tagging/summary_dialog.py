"""Non-modal dialog summarising a write, a dry run or an undo: counts, failures and notes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.gui.tagging.writing import WriteSummary
from imageworks_gui.gui.widgets import literal_tooltip


def summary_text(summary: WriteSummary) -> str:
    """The headline counts as rich text."""
    if summary.kind == "dry-run":
        lines = [f"<b>{summary.written}</b> of {summary.photos} approved photo(s) would change, "
                 f"adding <b>{summary.keywords_added}</b> keyword(s).",
                 "Dry run is on: no file was touched. Turn it off to write."]
        if summary.unchanged:
            lines.insert(1, f"{summary.unchanged} already hold everything approved.")
    elif summary.kind == "undo":
        lines = [f"<b>{summary.written}</b> photo(s) got their previous metadata back."]
        if summary.unchanged:
            lines.append(f"{summary.unchanged} needed no change.")
    else:
        lines = [f"<b>{summary.written}</b> photo(s) written, <b>{summary.keywords_added}</b> "
                 f"keyword(s) added."]
        if summary.unchanged:
            lines.append(f"{summary.unchanged} already held everything approved.")
        if summary.cancelled:
            lines.append(f"{summary.cancelled} cancelled before they were written.")
        lines.append("Lightroom: select the photos and choose Metadata › Read Metadata from "
                     "Files to see the changes.")
    if summary.failures:
        lines.append(f"<span style='color:#c62828'><b>{len(summary.failures)}</b> failed: "
                     f"see below; they stay approved so you can write them again.</span>")
    if summary.batch_id:
        lines.append(f"<span style='color:gray'>Batch {summary.batch_id}</span>")
    return "<br>".join(lines)


def _without_path(reason: str, name: str) -> str:
    """Drop a leading "/path/to/NAME: " (the Photo column already names the file)."""
    head, sep, rest = reason.partition(": ")
    if sep and head.replace("\\", "/").endswith("/" + name):
        return rest
    return reason


class WriteSummaryDialog(QDialog):
    """Shown with ``open()`` (never ``exec()`` inside a coroutine)."""

    def __init__(self, summary: WriteSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle(summary.title)
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        heading = QLabel(summary.title)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        self.headline = QLabel(summary_text(summary))
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.headline)
        self.details = QTreeWidget()
        self.details.setHeaderLabels(["Photo", "Problem or note"])
        self.details.setRootIsDecorated(False)
        self.details.setWordWrap(True)
        for name, full_reason in summary.failures:
            reason = _without_path(full_reason, name)
            item = QTreeWidgetItem([name, reason])
            item.setForeground(1, Qt.GlobalColor.red)
            item.setToolTip(1, literal_tooltip(full_reason))
            self.details.addTopLevelItem(item)
        for note in summary.notes:
            name, _, text = note.partition(": ")
            item = QTreeWidgetItem([name, text])
            item.setToolTip(1, literal_tooltip(text))
            self.details.addTopLevelItem(item)
        self.details.setColumnWidth(0, 150)
        self.details.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.details.setVisible(self.details.topLevelItemCount() > 0)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
