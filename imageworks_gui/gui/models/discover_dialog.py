"""Discover local backends: list the models running servers offer and add chosen ones."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.gui.models.controller import ModelsController
from imageworks_gui.gui.resources import icon


def parse_ports(text: str) -> list[int] | None:
    """``"8000, 11434"`` -> [8000, 11434]; empty -> None (the default ports)."""
    if not text.strip():
        return None
    ports = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            raise ValueError(f"{part!r} is not a port number (1-65535)")
        ports.append(int(part))
    return ports


class DiscoverDialog(QDialog):
    """Scans the default ports (or the ones typed) and lists every served model."""

    def __init__(self, controller: ModelsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DiscoverDialog")
        self.setWindowTitle("Discover local backends")
        self.resize(820, 440)
        self.controller = controller
        self.found: list[Any] = []
        self.added: list[str] = []
        """Names of the entries the last Add created."""
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.host_edit = QLineEdit("127.0.0.1")
        self.ports_edit = QLineEdit()
        self.ports_edit.setPlaceholderText("default: 8000, 11434, 23333, 8080, 1234")
        self.scan_button = QPushButton(icon("discover"), "Scan")
        self.scan_button.clicked.connect(self.start)
        row.addWidget(QLabel("Host:"))
        row.addWidget(self.host_edit)
        row.addWidget(QLabel("Ports:"))
        row.addWidget(self.ports_edit, 1)
        row.addWidget(self.scan_button)
        layout.addLayout(row)
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Served model", "Backend", "Endpoint", "Vision",
                                   "New entry name"])
        for col, width in enumerate((250, 80, 150, 100)):
            self.tree.setColumnWidth(col, width)
        layout.addWidget(self.tree, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.add_button = self.buttons.addButton("Add Selected",
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        self.add_button.clicked.connect(self.add_checked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        try:
            ports = parse_ports(self.ports_edit.text())
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self.scan_button.setEnabled(False)
        self.status.setText("Scanning…")
        self.controller.context.spawn(self.scan(self.host_edit.text().strip() or "127.0.0.1",
                                                ports), "Backend discovery")

    async def scan(self, host: str, ports: list[int] | None) -> None:
        try:
            found = await self.controller.discover(host, ports)
        finally:
            self.scan_button.setEnabled(True)
        self.show_results(found)

    def show_results(self, found: list[Any]) -> None:
        self.found = list(found)
        self.tree.clear()
        known = {(e.backend_config.port, e.served_model_id or e.name)
                 for e in self.controller.doc.entries}
        for model in self.found:
            vision = {True: "yes", False: "no", None: "unknown"}[model.vision]
            already = (model.port, model.served_name) in known
            item = QTreeWidgetItem([model.served_name, model.backend,
                                    f"{model.host}:{model.port}", vision,
                                    "(already in the registry)" if already
                                    else model.suggested_name()])
            item.setCheckState(0, Qt.CheckState.Unchecked if already else Qt.CheckState.Checked)
            item.setIcon(3, icon("vision-ok" if model.vision else "vision-fail")
                         if model.vision is not None else icon("unverified"))
            if already:
                item.setToolTip(0, "Already in the registry")
            self.tree.addTopLevelItem(item)
        if self.found:
            self.status.setText(f"Found {len(self.found)} model(s). Tick the ones to add as "
                                f"registry entries.")
        else:
            self.status.setText(
                "No model server answered on these ports. Start one, e.g. 'vllm serve MODEL "
                "--port 8000', 'ollama serve', 'llama-server -m MODEL.gguf --port 8080' or "
                "'lms server start' (LM Studio, port 1234), then scan again.")
        self.add_button.setEnabled(any(
            self.tree.topLevelItem(i).checkState(0) == Qt.CheckState.Checked
            for i in range(self.tree.topLevelItemCount())))

    def checked_models(self) -> list[Any]:
        return [self.found[i] for i in range(self.tree.topLevelItemCount())
                if self.tree.topLevelItem(i).checkState(0) == Qt.CheckState.Checked]

    def add_checked(self) -> None:
        models = self.checked_models()
        if not models:
            self.status.setText("Tick at least one model to add.")
            return
        self.add_button.setEnabled(False)
        self.status.setText("Probing vision before offering vision roles…")
        self.controller.context.spawn(self.add(models), "Add discovered models")

    async def add(self, models: list[Any]) -> None:
        """Probe, then add the models; the dialog stays open showing what each probe found."""
        try:
            added, notes = await self.controller.add_discovered(models)
        finally:
            self.add_button.setEnabled(True)
        self.added = added
        self.show_results(self.found)  # the added rows now read "already in the registry"
        self.status.setText((f"Added {', '.join(added)}." if added else "Nothing added: "
                             "those models are already in the registry.")
                            + ("\n" + "\n".join(notes) if notes else ""))
