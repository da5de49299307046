"""The Replicas editor of the details panel: one table row per ``backend_config.endpoints`` item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imageworks_gui.core.registry import RegistryEntry

Commit = Callable[[tuple[str, ...], Any], "str | None"]
PATH = ("backend_config", "endpoints")
HEADERS = ("URL or host:port", "Max conc.", "Key env var")


def address_text(item: Any) -> str:
    """The address cell of a saved replica (bare URL string or object)."""
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return ""
    if item.get("base_url"):
        return str(item["base_url"])
    host, port = item.get("host"), item.get("port")
    return f"{host or ''}:{port}" if port is not None else str(host or "")


def parse_address(text: str) -> dict[str, Any]:
    """``{"base_url": ...}`` or ``{"host": ..., "port": ...}`` from what the user typed."""
    text = text.strip()
    if not text:
        raise ValueError("a replica needs a URL (http://host:port/v1) or host:port")
    if "://" in text:
        if not text.lower().startswith(("http://", "https://")):
            raise ValueError(f"{text!r} is not an http:// or https:// URL")
        return {"base_url": text}
    host, sep, port_text = text.rpartition(":")
    if not sep:
        return {"host": text}
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"port {port_text!r} of {text!r} must be a number from 1 to 65535")
    result: dict[str, Any] = {"port": int(port_text)}
    if host:
        result["host"] = host.strip("[]")
    return result


def parse_concurrency(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise ValueError(f"max concurrency {text!r} must be a whole number from 1 to 256 "
                         "(empty: the entry's value)")
    return int(text)


def _key(address: dict[str, Any]) -> str:
    return (str(address.get("base_url", "")).rstrip("/").lower()
            or f"{address.get('host', '')}:{address.get('port', '')}".lower())


class ReplicasEditor(QWidget):
    """Lists the entry's replicas; every add, edit, removal or move is one undoable edit."""

    def __init__(self, commit: Commit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReplicasEditor")
        self._commit = commit
        self._items: list[Any] = []
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("Servers that serve this same model; requests are spread over them. "
                      "Empty cells take the entry's value.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("replicasTable")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 70), (2, 100)):
            head.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(col, width)
        self.table.setWordWrap(False)
        self.table.setMinimumWidth(120)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(160)
        self.table.itemChanged.connect(self._cell_changed)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.new_address = QLineEdit()
        self.new_address.setObjectName("newReplicaAddress")
        self.new_address.setPlaceholderText("http://host:port/v1 or host:port")
        self.new_address.returnPressed.connect(self.add_clicked)
        layout.addWidget(self.new_address)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("add", "Add", self.add_clicked),
                                ("remove", "Remove", self.remove_selected),
                                ("up", "Up", lambda: self.move_selected(-1)),
                                ("down", "Down", lambda: self.move_selected(1))):
            button = QPushButton(text)
            button.setObjectName(f"replica_{key}")
            button.setMinimumWidth(40)  # four buttons must fit the narrowest details panel
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[key] = button
        layout.addLayout(row)
        self.error = QLabel()
        self.error.setObjectName("replicasError")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #d33;")
        self.error.hide()
        layout.addWidget(self.error)

    # -- showing ----
    def load(self, entry: RegistryEntry) -> None:
        """Show the replicas of ``entry`` exactly as saved."""
        data = entry.to_json_dict().get("backend_config") or {}
        self.load_items(list(data.get("endpoints") or []))
        self._show_error("")

    def load_items(self, items: list[Any]) -> None:
        """Fill the table from saved items (bare URL strings or objects)."""
        self._items = list(items)
        self._loading = True
        try:
            self.table.setRowCount(len(items))
            for r, item in enumerate(items):
                obj = item if isinstance(item, dict) else {}
                cells = (address_text(item),
                         "" if obj.get("max_concurrency") is None
                         else str(obj["max_concurrency"]),
                         str(obj.get("api_key_env") or ""))
                for c, text in enumerate(cells):
                    cell = QTableWidgetItem(text)
                    cell.setToolTip(text)  # the full URL when the narrow panel elides it
                    self.table.setItem(r, c, cell)
        finally:
            self._loading = False

    @property
    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # -- editing ----
    def _apply(self, items: list[Any]) -> bool:
        """Commit ``items`` as the new list (None removes the key); False when refused."""
        keys = [_key(parse_address(address_text(i))) for i in items]
        dup = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
        if dup is not None:
            self._show_error(f"the replica {dup} is listed twice: each server once only")
            return False
        error = self._commit(PATH, items or None)
        self._show_error(error or "")
        return not error

    def _row_item(self, r: int) -> Any:
        """The saved form of row ``r``: its original item when unchanged, else rebuilt with
        the original's other keys kept."""
        original = self._items[r]
        cells = [(self.table.item(r, c).text() if self.table.item(r, c) else "")
                 for c in range(len(HEADERS))]
        address = parse_address(cells[0])
        concurrency = parse_concurrency(cells[1])
        key_env = cells[2].strip() or None
        if isinstance(original, str) and set(address) == {"base_url"} and \
                concurrency is None and key_env is None:
            return address["base_url"]
        item = dict(original) if isinstance(original, dict) else {}
        for k in ("base_url", "host", "port"):
            item.pop(k, None)
        item.update(address)
        for k, v in (("max_concurrency", concurrency), ("api_key_env", key_env)):
            if v is None:
                item.pop(k, None)
            else:
                item[k] = v
        return item

    def _cell_changed(self, _cell: QTableWidgetItem) -> None:
        if self._loading:
            return
        try:
            items = [self._row_item(r) for r in range(self.table.rowCount())]
        except ValueError as exc:
            self._show_error(str(exc))
            self._reload()
            return
        if not self._apply(items):
            self._reload()

    def _reload(self) -> None:
        """Put the saved values back after a refused edit (the reason stays shown)."""
        self.load_items(self._items)

    def add_clicked(self) -> None:
        """Add the typed address as a new replica (saved as a bare URL when it is one)."""
        try:
            address = parse_address(self.new_address.text())
        except ValueError as exc:
            self._show_error(str(exc))
            return
        item: Any = address["base_url"] if set(address) == {"base_url"} else address
        if self._apply([*self._items, item]):
            self.new_address.clear()

    def _selected(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else self.table.currentRow()

    def remove_selected(self) -> None:
        r = self._selected()
        if 0 <= r < len(self._items):
            self._apply([i for n, i in enumerate(self._items) if n != r])

    def move_selected(self, step: int) -> None:
        r = self._selected()
        target = r + step
        if not (0 <= r < len(self._items) and 0 <= target < len(self._items)):
            return
        items = list(self._items)
        items[r], items[target] = items[target], items[r]
        if self._apply(items):
            self.table.selectRow(target)
