"""The review pane shows a RAW's own metadata as "in the photo now", and the write warnings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from shiboken6 import isValid

from imageworks_gui.app import build_context
from imageworks_gui.gui.main_window import MainWindow
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.metadata.compat import write_risks
from tests.gui.tagging_support import shut_down, wait_until, write_registry
from tests.support import corpus
from tests.support import raw_files as rf


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def workspace(tmp_path, qtbot, run, fake_backend):
    registry = write_registry(tmp_path / "model_registry.json", fake_backend("vllm"))
    ctx = build_context(registry)
    window = MainWindow(ctx)
    window.errors.dialogs_enabled = False
    qtbot.addWidget(window, before_close_func=shut_down(run))
    ctx.registry.load()
    window.resize(1280, 800)
    window.show()
    assert isinstance(window.tagging, TaggingWorkspace)
    window.tabs.setCurrentWidget(window.tagging)
    yield window.tagging
    run(ctx.shutdown())
    run(ctx.http.aclose())
    if isValid(window):
        window._closing_confirmed = True
        window.close()


def test_review_pane_shows_the_raws_own_metadata_and_the_collision(tmp_path, workspace, run):
    folder = tmp_path / "photos"
    nef = rf.nef_with_iptc(folder)
    canon, dng = rf.cr2(folder), rf.dng_with_xmp(folder)
    rf.lightroom_sidecar(folder / "IMG_0001.xmp", "CR2", "Lightroom <b>title</b>")
    png = corpus.copy_to("exif_imagemagick.png", folder)  # a real ImageMagick PNG
    before = {p: _digest(p) for p in folder.iterdir()}
    ws = workspace
    pane = ws.review_pane

    async def flow() -> None:
        await ws.controller.open_paths([folder])
        await wait_until(lambda: ws.proxy.rowCount() == 4)
        ws.select_path(str(nef))
        await wait_until(lambda: ws.controller.session.get(str(nef)).existing_loaded)
        await wait_until(lambda: pane.notes.isVisible())
        assert pane.existing_description.text() == "Harbour at dawn, Île de Ré"
        assert pane.chips.chip("Boat").kind == "existing"
        assert "In the RAW file itself: description, 2 keywords" in pane.notes.text()
        assert "Metadata goes to DSC_0001.xmp (created on write)" in pane.notes.text()

        ws.select_path(str(dng))
        await wait_until(lambda: ws.controller.session.get(str(dng)).existing_loaded)
        await wait_until(lambda: "IMG_0001.xmp belongs to IMG_0001.CR2" in pane.notes.text())
        assert pane.existing_title.text() == "Phare"
        assert "⚠" in pane.notes.text() and "IMG_0001.DNG.xmp" in pane.notes.text()
        assert "rating 4" in pane.notes.text()

        ws.select_path(str(canon))
        await wait_until(lambda: ws.controller.session.get(str(canon)).existing_loaded)
        await wait_until(lambda: "IMG_0001.xmp" in pane.notes.text()
                         and "⚠" not in pane.notes.text())
        # The sidecar's text is shown as text, never as markup.
        assert pane.existing_title.text() == "Lightroom <b>title</b>"

        # The same warnings as the check command, for a photo written in place.
        ws.select_path(str(png))
        await wait_until(lambda: ws.controller.session.get(str(png)).existing_loaded)
        writer = ws.controller.writer.service().writer
        _target, risks = write_risks(writer.pool, png, writer.settings)
        assert any(r.code == "png_raw_profile_exif" for r in risks)
        await wait_until(lambda: all(r.message in pane.notes.text() for r in risks))
        assert "⚠ the PNG keeps its EXIF in a text chunk" in pane.notes.text()

    run(flow())
    assert {p: _digest(p) for p in folder.iterdir()} == before  # reading changes nothing
