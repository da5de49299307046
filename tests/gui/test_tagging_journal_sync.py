"""What "Undo last write" says it will restore, read from the shared write journal."""

from __future__ import annotations

import asyncio
from pathlib import Path

from imageworks_gui.core.metadata import TagEdit
from imageworks_gui.gui.tagging.journal_sync import SETTLE_MS, UndoPreview, read_facts
from imageworks_gui.services.metadata import MetadataJournal
from imageworks_gui.services.metadata.journal import JournalEntry
from tests.gui.conftest import wait_for


def _batch(journal: MetadataJournal, paths: list[Path], description: str) -> str:
    batch_id = journal.begin(description=description)
    for seq, path in enumerate(paths, 1):
        journal.record(batch_id, JournalEntry(seq=seq, path=str(path), target=str(path), edits=[
            TagEdit(tag="XMP-dc:Title", mode="set", after="x")]))
        journal.commit(batch_id, seq)
    journal.finish(batch_id)
    return batch_id


def test_the_confirmation_names_the_photos_and_those_outside_the_folder(tmp_path):
    journal = MetadataJournal(tmp_path / "journal")
    here = [tmp_path / "shoot" / f"IMG_{i}[é].jpg" for i in range(7)]
    elsewhere = tmp_path / "other" / "-x.jpg"
    first = _batch(journal, here[:1], "first")
    last = _batch(journal, [*here, elsewhere], "Tagging workspace: 8 approved photo(s)")
    journal.mark_undone(first, "undo-batch")

    facts = read_facts(journal, [first, last, "missing-batch", "../evil"])
    assert facts.undone == {first}
    assert facts.last is not None and facts.last.batch_id == last
    text = facts.last.confirmation(tmp_path / "shoot")
    assert "8 photo(s)" in text and "1 of them outside the open folder" in text
    assert "IMG_0[é].jpg" in text and "and 2 more" in text and "-x.jpg" not in text
    assert "outside" not in facts.last.confirmation(None)


def test_a_name_that_is_not_utf8_is_shown_with_a_replacement_character(tmp_path):
    name = b"IMG_\xff.jpg".decode("utf-8", "surrogateescape")
    preview = UndoPreview(batch_id="b", created_at="2026-12-03T10:00:00+00:00",
                          description="", paths=[str(tmp_path / name)])
    text = preview.confirmation(tmp_path)
    assert "IMG_\ufffd.jpg" in text and "2026-12-03 10:00:00 UTC" in text
    text.encode("utf-8")  # shown as it is: no character a label cannot hold


def test_nothing_to_undo_when_every_write_was_undone(tmp_path):
    journal = MetadataJournal(tmp_path / "journal")
    only = _batch(journal, [tmp_path / "a.jpg"], "one")
    journal.mark_undone(only, "undo-batch")
    assert read_facts(journal, [only]).last is None
    assert read_facts(MetadataJournal(tmp_path / "none"), []).last is None


def test_a_closed_window_stops_following_the_journal(window, run):
    """After the app shuts down, a write the command line journals neither updates the closed
    window nor starts an ExifTool for it (no task outlives the widgets it would update)."""
    writer = window.tagging.controller.writer
    previews: list[object] = []
    writer.undo_changed.connect(previews.append)

    async def flow() -> None:
        _batch(writer.journal, [Path(writer.journal.root) / "IMG[1] é.jpg"], "open")
        await wait_for(lambda: len(previews) == 1)          # followed while open
        await window.context.shutdown()
        _batch(writer.journal, [Path(writer.journal.root) / "-late.jpg"], "closed")
        await asyncio.sleep(4 * SETTLE_MS / 1000)           # a watcher event would have fired
        assert len(previews) == 1 and "IMG[1] é.jpg" in previews[0].paths[0]
        assert writer.watcher._watcher.directories() == []

    run(flow())
    assert writer._service is None and (writer._sync_task is None or writer._sync_task.done())
