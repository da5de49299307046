"""Help opens the log folder; endpoints off this machine are flagged; probes of odd servers."""

from __future__ import annotations

import socket
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from imageworks_gui.core.registry import RegistryEntry, replace_entry
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.models.columns import COLUMN_INDEX, ENTRY_ROLE
from imageworks_gui.gui.tagging.roles import RolePickers
from imageworks_gui.services.backends.status import ServerState, ServerStatus
from tests.gui.conftest import sample_entries, wait_for
from tests.support.fake_backend import FakeModel


class UrlCatcher(QObject):
    """Receives what QDesktopServices.openUrl would hand to the desktop."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_opens_the_log_folder(window: MainWindow, isolated_user_dirs) -> None:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.open_log_action in help_menu.actions()
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        window.open_log_action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in catcher.urls] == [isolated_user_dirs["log"]]


def test_an_endpoint_off_this_machine_is_flagged_in_the_models_table(window: MainWindow) -> None:
    ws = window.models
    entry = ws.doc.entry("vision-a")
    remote = replace_entry(entry, backend_config={"host": "192.0.2.10", "port": 8000,
                                                  "model_path": entry.backend_config.model_path})
    row = ws.doc.row_of("vision-a")
    ws.model.setData(ws.model.index(row, 0), remote, ENTRY_ROLE)
    tip = ws.model.index(row, COLUMN_INDEX["endpoint"]).data(3)
    assert "192.0.2.10, which is not this machine" in tip
    assert "leaves the computer" in ws.model.index(row, COLUMN_INDEX["probe"]).data(3)
    local = ws.model.index(ws.doc.row_of("text-b"), COLUMN_INDEX["endpoint"]).data(3)
    assert "not this machine" not in local


def test_role_pickers_flag_a_model_served_elsewhere(qtbot, snapshot) -> None:
    pickers = RolePickers()
    qtbot.addWidget(pickers)
    data = sample_entries(snapshot)
    data[0]["backend_config"] = {"base_url": "http://gpu-box.example:8000/v1"}
    data.append({**data[0], "name": "local-v6", "backend_config": {"host": "::1", "port": 9}})
    entries = [RegistryEntry.model_validate(d) for d in data]
    pickers.populate(entries, {}, {})
    tips = [pickers.combos["caption"].itemData(i, 3) for i in
            range(pickers.combos["caption"].count())]
    remote = [t for t in tips if "vision-a" in t]
    assert remote and all("gpu-box.example, which is not this machine" in t for t in remote)
    assert not any("not this machine" in t for t in tips if "local-v6" in t)


def test_gui_probe_accepts_a_server_that_does_not_stream(window: MainWindow, fake_backend,
                                                         run) -> None:
    server = fake_backend("vllm", [FakeModel("vision-a")], ignores_stream=True)
    ws = window.models
    entry = ws.doc.entry("vision-a")
    ws.model.setData(ws.model.index(ws.doc.row_of("vision-a"), 0), replace_entry(
        entry, backend_config={"port": server.port,
                               "model_path": entry.backend_config.model_path}), ENTRY_ROLE)
    run(ws.controller.probe(["vision-a"]))
    runtime = ws.doc.runtime("vision-a")
    assert runtime.online and runtime.probe_ok, runtime.probe_text
    assert "did not stream" in runtime.probe_text
    status = ws.model.index(ws.doc.row_of("vision-a"), COLUMN_INDEX["probe"])
    assert status.data() == "online (vision-a), vision ok"
    run(wait_for(lambda: ws.doc.entry("vision-a").probes is not None))


def test_sample_registry_ports_refuse_connections(snapshot) -> None:
    # "Offline" entries must be offline whatever runs on this machine (a vLLM on 8000...).
    for data in sample_entries(snapshot):
        port = data["backend_config"]["port"]
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex(("127.0.0.1", port)) != 0, (data["name"], port)


def test_model_tooltips_show_a_servers_html_error_literally(window: MainWindow) -> None:
    from PySide6.QtGui import Qt, QTextDocument

    ws = window.models
    page = "failed with 502 (<html><body><h1>502 Bad Gateway</h1></body></html>)"
    ws.doc.set_runtime("vision-a", server=ServerStatus(ServerState.ERROR, "127.0.0.1:9",
                                                       detail=page),
                       probe_ok=False, probe_text=page)
    tip = ws.model.index(ws.doc.row_of("vision-a"), COLUMN_INDEX["probe"]).data(3)
    shown = QTextDocument()  # what Qt's tool tip shows: HTML when the text looks like it
    if Qt.mightBeRichText(tip):
        shown.setHtml(tip)
    else:
        shown.setPlainText(tip)
    assert page in shown.toPlainText()
