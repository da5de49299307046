"""The Tagging workspace shows only what is true: prose stages, CLI undo, export, stale text."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from imageworks_gui import __version__
from imageworks_gui.app import build_context
from imageworks_gui.core import review as rv
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.gui.tagging.grid_model import STATE_ROLE
from imageworks_gui.gui.tagging.workspace import TaggingWorkspace
from imageworks_gui.services.pipeline.runner import TaggingPipeline
from tests.gui.tagging_support import (
    exiftool_read,
    exiftool_set,
    make_photos,
    shut_down,
    wait_until,
    write_registry,
)
from tests.support import photos as ph
from tests.support.fake_backend import FakeModel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace_for(tmp_path, qtbot, run):
    made: list[TaggingWorkspace] = []

    def make(backend, **registry_args) -> TaggingWorkspace:
        registry = write_registry(tmp_path / "model_registry.json", backend, **registry_args)
        ctx = build_context(registry)
        ctx.settings.backend.max_retries = 0
        ctx.registry.load()
        ws = TaggingWorkspace(ctx)
        ws.controller._pipeline_factory = functools.partial(TaggingPipeline,
                                                            backoff_base_s=0.01)
        qtbot.addWidget(ws, before_close_func=shut_down(run))
        ws.resize(1200, 800)
        ws.show()
        made.append(ws)
        return ws

    yield make
    for ws in made:
        run(ws.context.shutdown())
        run(ws.context.http.aclose())


def _read_texts(path) -> dict[str, str]:
    out = subprocess.run(["exiftool", "-j", "-G1", "-charset", "iptc=UTF8",
                          "-XMP-dc:Description", "-IPTC:Caption-Abstract", str(path)],
                         check=True, capture_output=True)
    return json.loads(out.stdout.decode("utf-8"))[0]


# -- prose stages ---------------------------------------------------------------------------
def test_a_json_description_is_proposed_and_written_as_its_prose(tmp_path, workspace_for,
                                                                 fake_backend, run):
    backend = fake_backend("vllm", [FakeModel("seeing-model", prose_style="json")])
    ws = workspace_for(backend)
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))
    exiftool_set(red, "-IPTC:By-line=Ann")  # a photo with IPTC gets IPTC written too

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        review = ctrl.session.get(str(red))
        assert review.proposed_description == ("A photograph filled mostly with red. It shows "
                                               "a plain red surface, café style.")
        ws.select_path(str(red))
        pane = ws.review_pane
        assert pane.description_edit.toPlainText() == review.proposed_description
        assert not pane.suspicious.isVisible()
        assert ctrl.approve(str(red))
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.written == 1

    run(flow())
    texts = _read_texts(red)
    for tag in ("XMP-dc:Description", "IPTC:Caption-Abstract"):
        assert "café style" in texts[tag] and "\\u00e9" not in texts[tag]
    # Provenance as the CLI writes it: tool with version, tagging time and write time apart.
    prov = ph.tags(red, "XMP-imageworks:Tool", "XMP-imageworks:TaggedAt",
                   "XMP-imageworks:WrittenAt")
    assert prov["XMP-imageworks:Tool"] == f"imageworks {__version__}"
    assert prov["XMP-imageworks:TaggedAt"] == ctrl.session.get(str(red)).tagged_at
    assert prov["XMP-imageworks:WrittenAt"] >= prov["XMP-imageworks:TaggedAt"]


def test_a_description_that_is_data_fails_that_stage_and_says_why(tmp_path, workspace_for,
                                                                  fake_backend, run):
    backend = fake_backend("vllm", [FakeModel("seeing-model", prose_style="data")])
    ws = workspace_for(backend)
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")

    run(flow())
    review = ctrl.session.get(str(red))
    assert review.state == "proposed" and review.proposed_description is None
    assert review.proposed_title == "A red photograph"
    ws.select_path(str(red))
    message = ws.review_pane.message.text()
    assert "description" in message and "no description text" in message
    assert "{" not in ws.review_pane.description_edit.toPlainText()


def test_the_review_pane_marks_a_proposal_that_looks_like_data(tmp_path, workspace_for,
                                                               fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))
    run(ctrl.open_paths([tmp_path / "p"]))
    # A proposal saved by an older version, restored with the folder's review state.
    ctrl.put([rv.apply_result(rv.queue(ctrl.session.get(str(red))), TagResult(
        path=str(red), status="ok", caption="A red wall",
        description='{"objects": ["wall"], "note": "caf\\u00e9"}', keywords=["red"]))])
    ws.select_path(str(red))
    pane = ws.review_pane
    assert pane.suspicious.isVisible()
    assert "description looks wrong" in pane.suspicious.text()
    assert "title" not in pane.suspicious.text()
    pane.description_edit.setPlainText("A red wall in the sun.")
    pane.description_edit.editing_finished.emit()
    assert not pane.suspicious.isVisible()


# -- the write journal shared with the CLI -------------------------------------------------------
async def _cli(*args: str) -> tuple[int, str]:
    """Run ``imageworks-personal-tagger ARGS`` as a user would, in another process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from imageworks_gui.cli.tagger import main; main()", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode("utf-8", "replace")


def _badge(ws: TaggingWorkspace, path: str) -> str:
    row = ws.model.row_of(path)
    return ws.model.index(row).data(STATE_ROLE)


def test_a_cli_undo_is_shown_at_once(tmp_path, workspace_for, fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    red, green = make_photos(tmp_path / "p é [x]", ("red", "green"))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p é [x]"])
        assert await ctrl.run("all")
        assert ctrl.approve(str(red)) and ctrl.approve(str(green))
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.written == 2
        await wait_until(lambda: ws.actions_.undo_write.isEnabled())
        assert "2 photo(s) written" in ws.actions_.undo_write.toolTip()
        ws.select_path(str(red))
        assert _badge(ws, str(red)) == "written"
        assert not ws.review_pane.reject_button.isEnabled()

        code, output = await _cli("undo", "--last")
        assert code == 0, output
        assert exiftool_read(red)["keywords"] == []           # the CLI did restore the file
        await wait_until(lambda: _badge(ws, str(red)) == "approved")
        await wait_until(lambda: _badge(ws, str(green)) == "approved")
        pane = ws.review_pane
        assert "Approved" in pane.heading.text()
        assert pane.reject_button.isEnabled() and pane.title_edit.isEnabled()
        assert not pane.approve_button.isEnabled()            # it is approved already
        await wait_until(lambda: not ws.actions_.undo_write.isEnabled())
        assert "Nothing to undo" in ws.actions_.undo_write.toolTip()
        await wait_until(lambda: ctrl.session.get(str(red)).existing_loaded)
        assert pane.chips.chip("red").kind == "new"             # no longer in the file
        # Write again; the app's undo is confirmed for the write it named. When the CLI undoes
        # that write while the question is open, confirming undoes nothing else.
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.written == 2
        await wait_until(lambda: ws.actions_.undo_write.isEnabled())
        ws.actions_.undo_write.trigger()
        assert "2 photo(s)" in ws.undo_dialog.text() and red.name in ws.undo_dialog.text()
        code, output = await _cli("undo", "--last")
        assert code == 0, output
        after_cli = exiftool_read(red)
        next(b for b in ws.undo_dialog.buttons()
             if b.text() == "Restore previous values").click()
        await wait_until(lambda: "no write to undo" in ws.notices[-1][1])
        assert exiftool_read(red) == after_cli
        await wait_until(lambda: _badge(ws, str(red)) == "approved")

    run(flow())


def test_a_cli_write_and_undo_of_a_photo_under_review_show_what_the_file_holds(
        tmp_path, workspace_for, fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    red, _green = make_photos(tmp_path / "p", ("red", "green"))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        ws.select_path(str(red))
        pane = ws.review_pane
        assert _badge(ws, str(red)) == "proposed" and pane.chips.chip("red").kind == "new"
        exiftool_set(red, "-XMP-dc:Title=Set elsewhere", "-XMP-dc:Subject=red")
        results = tmp_path / "r.jsonl"
        results.write_text(json.dumps({"path": str(red), "status": "ok",
                                       "keywords": ["cli"]}) + "\n", "utf-8")
        code, output = await _cli("apply", "--ignore-changes", str(results))
        assert code == 0, output
        await wait_until(lambda: ws.actions_.undo_write.isEnabled())
        # "In the photo now" follows the file the command line wrote.
        await wait_until(lambda: ctrl.session.get(str(red)).existing_keywords == ["red", "cli"])
        assert pane.existing_title.text() == "Set elsewhere"
        assert pane.chips.chip("red").kind == "existing"
        assert _badge(ws, str(red)) == "proposed"
        code, output = await _cli("undo", "--last")
        assert code == 0, output
        await wait_until(lambda: ctrl.session.get(str(red)).existing_keywords == ["red"])
        await wait_until(lambda: not ws.actions_.undo_write.isEnabled())

    run(flow())

def test_a_written_photo_can_be_reviewed_again(tmp_path, workspace_for, fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))
    exiftool_set(red, "-XMP-dc:Title=My own title")

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        assert ctrl.approve(str(red))
        assert (await ctrl.writer.write_approved()).written == 1
        ws.select_path(str(red))
        pane = ws.review_pane
        assert not pane.approve_button.isEnabled() and not pane.title_edit.isEnabled()
        # Right-click the photo in the grid.
        index = ws.proxy.mapFromSource(ws.model.index(ws.model.row_of(str(red))))
        ws.grid.customContextMenuRequested.emit(ws.grid.visualRect(index).center())
        menu = ws.grid.menu
        assert menu is not None and menu.isVisible()
        action = next(a for a in menu.actions() if a.text() == "Review again")
        assert action.isEnabled()
        action.trigger()
        menu.close()
        assert _badge(ws, str(red)) == "proposed"
        assert pane.approve_button.isEnabled() and pane.title_edit.isEnabled()
        # Beside the proposal stands what the file holds now (it kept its own title).
        await wait_until(lambda: ctrl.session.get(str(red)).existing_loaded)
        assert pane.existing_title.text() == "My own title"
        assert pane.chips.chip("red").kind == "existing"
        ws.undo_stack.undo()                                  # Review again is undoable
        assert _badge(ws, str(red)) == "written"
        menu = ws.grid.menu_for([(str(red), "approved")])
        assert not menu.actions()[0].isEnabled()

    run(flow())


# -- export --------------------------------------------------------------------------------------
def test_export_reports_what_the_file_holds_after_the_write(tmp_path, workspace_for,
                                                           fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    red, blue = make_photos(tmp_path / "p", ("red", "blue"))
    exiftool_set(red, "-XMP-dc:Title=Kept title", "-XMP-dc:Subject=wall")

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        assert ctrl.approve(str(red)) and ctrl.approve(str(blue))
        assert (await ctrl.writer.write_approved()).written == 2
        await ws.export_to(tmp_path / "out" / "batch.jsonl")

    run(flow())
    assert exiftool_read(red)["title"] == "Kept title"
    records = {Path(r["path"]).name: r for r in map(
        json.loads, (tmp_path / "out" / "batch.jsonl").read_text("utf-8").splitlines())}
    final = records[red.name]["final"]
    assert final["title"] == "Kept title" and final["read_back"] is True
    assert final["keywords"] == exiftool_read(red)["keywords"]
    assert final["new_keywords"] == ["red", "red tones", "test pattern"]
    assert "wall" not in final["new_keywords"]
    assert records[blue.name]["final"]["title"] == "A blue photograph"   # filled an empty one
    md = (tmp_path / "out" / "batch.md").read_text("utf-8")
    row = next(line for line in md.splitlines() if red.name in line)
    assert "Kept title" in row and "A red photograph" not in row



def test_export_after_a_cli_undo_says_what_writing_again_would_give(tmp_path, workspace_for,
                                                                    fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    red, blue = make_photos(tmp_path / "p", ("red", "blue"))
    exiftool_set(red, "-XMP-dc:Title=Kept title", "-XMP-dc:Subject=wall")

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        assert ctrl.approve(str(red)) and ctrl.approve(str(blue))
        assert (await ctrl.writer.write_approved()).written == 2
        code, output = await _cli("undo", "--last")
        assert code == 0, output
        await wait_until(lambda: _badge(ws, str(red)) == "approved")
        await ws.export_to(tmp_path / "out" / "batch.jsonl")

    run(flow())
    records = {Path(r["path"]).name: r for r in map(
        json.loads, (tmp_path / "out" / "batch.jsonl").read_text("utf-8").splitlines())}
    assert records[red.name]["state"] == "approved"
    # An untouched proposal only fills an empty title: writing again keeps the photo's own.
    assert records[red.name]["final"]["title"] == "Kept title"
    assert records[blue.name]["final"]["title"] == "A blue photograph"
    row = next(line for line in (tmp_path / "out" / "batch.md").read_text("utf-8").splitlines()
               if red.name in line)
    assert "Kept title" in row and "A red photograph" not in row

# -- text that must not outlive what it describes ------------------------------------------------
def test_run_texts_follow_the_run_and_a_new_folder_starts_clean(tmp_path, workspace_for,
                                                                fake_backend, run):
    backend = fake_backend("vllm", latency_s=0.05)
    ws = workspace_for(backend)
    ctrl = ws.controller
    make_photos(tmp_path / "a", ("red", "green", "blue", "yellow"))
    make_photos(tmp_path / "b", ("red",))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "a"])
        task = asyncio.ensure_future(ctrl.run("all"))
        await wait_until(lambda: ctrl.run_state == "running")
        assert "Checking that the model servers" not in ws.notice_bar.text
        assert "Tagging 4 photo(s)" in ws.notice_bar.text
        assert await task
        assert ws.status_row.progress_label.text().startswith("4 of 4")
        await ctrl.open_paths([tmp_path / "b"])
        assert ws.status_row.progress_label.text() == ""
        assert not ws.status_row.progress.isVisible()

    run(flow())


def test_eta_stands_still_while_paused(tmp_path, workspace_for, fake_backend, run):
    backend = fake_backend("vllm", latency_s=0.2)
    ws = workspace_for(backend, max_concurrency=2)   # photos finish one request at a time
    ctrl = ws.controller
    make_photos(tmp_path / "p", ("red", "green", "blue", "yellow", "orange", "purple"))

    def eta() -> str:
        return ws.status_row.progress_label.text().rsplit("ETA ", 1)[-1]

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        task = asyncio.ensure_future(ctrl.run("all"))
        await wait_until(lambda: ctrl.last_progress is not None and ctrl.last_progress.done >= 1
                         and ctrl.last_progress.eta_s)
        ws.actions_.pause.trigger()
        paused_at = eta()
        done = ctrl.last_progress.done
        # The requests already sent finish while paused, and report progress.
        await wait_until(lambda: ctrl.last_progress.done > done, timeout=10)
        assert "paused" in ws.status_row.progress_label.text()
        assert eta() == paused_at
        ws.actions_.pause.trigger()
        assert await task

    run(flow())


def test_no_preview_lingers_when_no_photo_is_selected(tmp_path, workspace_for, fake_backend,
                                                      run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    red, green = make_photos(tmp_path / "p", ("red", "green"))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        assert ctrl.approve(str(red)) and ctrl.approve(str(green))
        ws.status_row.filter.setCurrentIndex(ws.status_row.filter.findData("approved"))
        ws.select_path(str(red))
        await wait_until(lambda: ws.review_pane.preview.image is not None)
        assert (await ctrl.writer.write_approved()).written == 2
        await wait_until(lambda: ws.proxy.rowCount() == 0)
        assert "Select a photo" in ws.review_pane.heading.text()
        ws.loader.thumbnail_ready.emit(str(red))       # a thumbnail finishing late
        await asyncio.sleep(0.05)
        assert ws.review_pane.preview.image is None
        ws.status_row.filter.setCurrentIndex(ws.status_row.filter.findData("all"))
        ws.select_path(str(red))                      # the same photo shows again
        await wait_until(lambda: ws.review_pane.preview.image is not None)

    run(flow())


# -- editing -------------------------------------------------------------------------------------
def test_adding_a_keyword_that_is_there_says_so_and_undo_returns_to_the_photo(
        tmp_path, workspace_for, fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    red, green, _blue = make_photos(tmp_path / "p", ("red", "green", "blue"))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        ws.select_path(str(green))
        pane = ws.review_pane
        pane.keyword_edit.setText("GREEN")
        pane.keyword_edit.returnPressed.emit()
        assert "“green” is already proposed" in ws.notice_bar.text
        assert ctrl.session.get(str(green)).added_keywords == []
        ctrl.reject_keyword(str(green), "green")          # a rejected one comes back instead
        pane.keyword_edit.setText("GREEN")
        pane.keyword_edit.returnPressed.emit()
        assert ctrl.session.get(str(green)).rejected_keywords == []
        ws.select_path(str(red))
        ws.actions_.approve.trigger()                    # moves on to green
        assert ws.current_path() == str(green)
        ws.undo_stack.undo()
        assert ctrl.session.get(str(red)).state == "proposed"
        assert ws.current_path() == str(red)             # back at the photo undone

    run(flow())


def test_include_subfolders_is_on_by_default_as_the_readme_says(tmp_path, workspace_for,
                                                                fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    make_photos(tmp_path / "card" / "DCIM" / "100CANON", ("red",))
    assert ws.status_row.recursive.isChecked()
    assert run(ws.controller.open_paths([tmp_path / "card"])) == 1
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "untick \"Include subfolders\"" in readme
    ws.status_row.recursive.setChecked(False)
    assert run(ws.controller.open_paths([tmp_path / "card"])) == 0
    assert "Tick \"Include subfolders\"" in ws.notices[-1][1]


def test_a_review_state_that_cannot_be_saved_is_reported(tmp_path, workspace_for, fake_backend,
                                                         run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        store = ctrl.persistence.store
        store.path.unlink()
        store.path.mkdir()                       # the journal's place is taken: saving fails
        assert ctrl.approve(str(red))
        await wait_until(lambda: any("could not be saved" in t for _, t in ws.notices))
        level, text = next((lv, t) for lv, t in ws.notices if "could not be saved" in t)
        assert level == "error" and str(store.path) in text
        store.path.rmdir()
        assert ctrl.reject(str(red))
        await wait_until(lambda: "saved again" in ws.notices[-1][1])

    run(flow())


def test_cancel_while_checking_the_servers_stops_before_anything_is_queued(
        tmp_path, workspace_for, fake_backend, run):
    backend = fake_backend("vllm", latency_s=1.0)          # the preflight chat is slow
    ws = workspace_for(backend)
    ctrl = ws.controller
    make_photos(tmp_path / "p", ("red", "green"))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        task = asyncio.ensure_future(ctrl.run("all"))
        await wait_until(lambda: ctrl.run_state == "preflight")
        assert ws.actions_.cancel.isEnabled()
        ws.actions_.cancel.trigger()
        assert await task is False
        assert ctrl.run_state == "idle" and ws.actions_.run_all.isEnabled()
        assert ctrl.session.counts()["untagged"] == 2
        assert "nothing was tagged" in ws.notice_bar.text

    run(flow())


def test_written_photos_carry_their_journal_batch_from_the_first_moment(tmp_path, workspace_for,
                                                                         fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    photos = make_photos(tmp_path / "p", ("red", "green", "blue"))
    exiftool_set(photos[2], "-XMP-dc:Title=A blue photograph", "-XMP-dc:Description=A "
                 "photograph filled mostly with blue. It shows a plain blue surface, café style.",
                 "-XMP-dc:Subject=blue", "-XMP-dc:Subject=blue tones",
                 "-XMP-dc:Subject=test pattern")
    seen: list[tuple[str, str | None]] = []

    def record(paths: list[str]) -> None:
        for path in paths:
            review = ctrl.session.get(path)
            if review.state == "written":
                seen.append((path, review.batch_id))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        assert ctrl.approve_all_remaining() == 3
        ctrl.reviews_changed.connect(record)
        summary = await ctrl.writer.write_approved()
        assert summary is not None and (summary.written, summary.unchanged) == (2, 1)
        # Every written photo names the journal batch as soon as it is written; the photo
        # that needed no change is in no batch (there is nothing to undo for it).
        changed = {str(p): summary.batch_id for p in photos[:2]}
        assert {p: b for p, b in seen if p in changed} == changed
        assert {b for p, b in seen if p == str(photos[2])} == {None}
        journal = ctrl.writer.journal.root / f"{summary.batch_id}.jsonl"
        assert journal.is_file()

    run(flow())


def test_without_file_notifications_activating_the_window_catches_up(tmp_path, workspace_for,
                                                                     fake_backend, run):
    ws = workspace_for(fake_backend("vllm"))
    ctrl = ws.controller
    (red,) = make_photos(tmp_path / "p", ("red",))

    async def flow() -> None:
        await ctrl.open_paths([tmp_path / "p"])
        assert await ctrl.run("all")
        assert ctrl.approve(str(red))
        assert (await ctrl.writer.write_approved()).written == 1
        await wait_until(lambda: ws.actions_.undo_write.isEnabled())
        # A network mount that sends no change notifications: nothing is watched.
        watcher = ctrl.writer.watcher._watcher
        watcher.removePaths(watcher.files() + watcher.directories())
        code, output = await _cli("undo", "--last")
        assert code == 0, output
        app = QApplication.instance()
        app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
        await wait_until(lambda: _badge(ws, str(red)) == "approved")
        await wait_until(lambda: not ws.actions_.undo_write.isEnabled())

    run(flow())
