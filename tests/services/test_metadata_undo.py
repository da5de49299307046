"""Undo restores exactly the previous metadata, from a journal that survives a restart."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from imageworks_gui.core.metadata import Proposal, Provenance
from imageworks_gui.services.metadata import (
    AlreadyUndoneError,
    JournalError,
    MetadataWriter,
)
from tests.support import metadata_fixtures
from tests.support import photos as ph

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos

PROVENANCE = Provenance(tool="imageworks 0.1.0", models={"caption": "m"})


def proposal(path: Path) -> Proposal:
    return Proposal(path=str(path), title="A new title", description="New\ndescription",
                    keywords=["tree", "Café", "東京", "x" * 80], provenance=PROVENANCE)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_undo_restores_full_metadata_dumps_of_every_kind_of_file(photos, pool):
    files = [ph.lightroom_jpeg(photos), ph.iptc_only_jpeg(photos), ph.xmp_only(photos, "x.png"),
             ph.plain(photos, "plain.jpg"), ph.plain(photos, "plain.webp"),
             ph.xmp_only(photos, "x.tif")]
    raw, sidecar = ph.raw_with_adobe_sidecar(photos)
    bare_raw = photos / "DSC_1.NEF"
    bare_raw.write_bytes(b"raw bytes")
    before = {p: ph.dump(p) for p in [*files, sidecar]}
    raw_hash = sha(raw)

    writer = MetadataWriter(pool)
    result = writer.write_batch([proposal(p) for p in [*files, raw, bare_raw]])
    assert result.count("written") == 8, result.failed
    assert (photos / "DSC_1.xmp").exists()
    assert all(ph.dump(p) != dump for p, dump in before.items())

    undone = writer.undo(str(result.batch_id))
    assert [o.status for o in undone.outcomes] == ["written"] * 8, undone.outcomes
    for path, dump in before.items():
        assert ph.dump(path) == dump, path
    assert not (photos / "DSC_1.xmp").exists()  # the sidecar the batch created is gone
    assert sha(raw) == raw_hash and bare_raw.read_bytes() == b"raw bytes"
    with pytest.raises(AlreadyUndoneError, match="already undone"):
        writer.undo(str(result.batch_id))


def test_journal_survives_a_restart(photos, pool, app_dirs):
    photo = ph.lightroom_jpeg(photos)
    before = ph.dump(photo)
    batch_id = MetadataWriter(pool).write_batch([proposal(photo)]).batch_id
    assert batch_id and (app_dirs / "data" / "journal" / f"{batch_id}.jsonl").is_file()

    restarted = MetadataWriter(pool)  # a new process would build exactly this
    batches = restarted.journal.list_batches()
    assert [b.batch_id for b in batches] == [batch_id]
    assert batches[0].files == 1 and batches[0].committed == 1
    assert restarted.journal.last_undoable() == batch_id
    restarted.undo(batch_id)
    assert ph.dump(photo) == before
    assert restarted.journal.last_undoable() is None
    kinds = [(b.kind, b.undone_at is not None) for b in restarted.journal.list_batches()]
    assert sorted(kinds) == [("undo", False), ("write", True)]


def test_undo_keeps_what_the_user_changed_afterwards(photos, pool):
    photo = ph.xmp_only(photos, "later.jpg")
    writer = MetadataWriter(pool)
    batch_id = str(writer.write_batch([proposal(photo)]).batch_id)
    ph.exiftool("-overwrite_original", "-XMP-dc:Subject+=added by user",
                "-XMP-dc:Title=Retitled by user", photo)

    outcome = writer.undo(batch_id).outcomes[0]
    assert outcome.status == "written"
    assert any("XMP-dc:Title was changed after the write" in n for n in outcome.notes)
    values = ph.tags(photo, "XMP-dc:Subject", "XMP-dc:Title", "XMP-dc:Description")
    assert values == {"XMP-dc:Subject": ["東京", "Tree", "added by user"],
                      "XMP-dc:Title": "Retitled by user"}


def test_undo_of_a_missing_file_reports_it_and_restores_the_others(photos, pool):
    keep, lose = ph.xmp_only(photos, "keep.jpg"), ph.xmp_only(photos, "lose.jpg")
    before = ph.dump(keep)
    writer = MetadataWriter(pool)
    batch_id = str(writer.write_batch([proposal(keep), proposal(lose)]).batch_id)
    lose.unlink()
    result = writer.undo(batch_id)
    by_path = {o.path: o for o in result.outcomes}
    assert by_path[str(lose)].status == "error"
    assert "missing" in (by_path[str(lose)].reason or "")
    assert by_path[str(keep)].status == "written" and ph.dump(keep) == before
    # Not marked undone, so it can be retried once the file is back.
    assert writer.journal.last_undoable() == batch_id


def test_undo_of_an_unknown_batch_says_how_to_find_one(pool):
    with pytest.raises(JournalError, match="run `history`"):
        MetadataWriter(pool).undo("20990101T000000Z-abcdef")


def test_a_batch_that_changed_nothing_leaves_no_journal(photos, pool, app_dirs):
    photo = ph.xmp_only(photos, "same.jpg")
    writer = MetadataWriter(pool)
    result = writer.write_batch([Proposal(path=str(photo), keywords=["tree"])])
    assert result.outcomes[0].status == "unchanged" and result.batch_id is None
    assert writer.journal.list_batches() == []


def damage(journal: Path, after_line: int = 1) -> None:
    """Insert a garbage line after line ``after_line`` of a journal."""
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    journal.write_text("".join(lines[:after_line]) + "{broken\n" + "".join(lines[after_line:]),
                       encoding="utf-8")


def test_a_damaged_journal_is_listed_and_its_intact_files_undone(photos, pool, app_dirs):
    older, a, b = ph.xmp_only(photos, "old.jpg"), ph.xmp_only(photos, "a.jpg"), ph.plain(
        photos, "b.jpg")
    writer = MetadataWriter(pool)
    older_id = str(writer.write_batch([Proposal(path=str(older), keywords=["older"])]).batch_id)
    before = {p: ph.dump(p) for p in (a, b)}
    batch_id = str(writer.write_batch([proposal(a), proposal(b)]).batch_id)
    damage(app_dirs / "data" / "journal" / f"{batch_id}.jsonl", after_line=1)

    listed = {s.batch_id: s for s in writer.journal.list_batches()}
    assert batch_id in listed and listed[batch_id].damaged_lines == [2]
    assert writer.journal.last_undoable() == batch_id  # never skips to the older batch
    undone = writer.undo(batch_id)
    assert [o.status for o in undone.outcomes] == ["written", "written"]
    assert {p: ph.dump(p) for p in (a, b)} == before
    assert "older" in str(ph.tags(older, "XMP-dc:Subject"))  # the older batch stays written
    assert writer.journal.last_undoable() == older_id


def test_a_journal_with_a_damaged_header_is_still_listed(photos, pool, app_dirs):
    photo = ph.plain(photos, "h.jpg")
    writer = MetadataWriter(pool)
    batch_id = str(writer.write_batch([Proposal(path=str(photo), keywords=["x"])]).batch_id)
    journal = app_dirs / "data" / "journal" / f"{batch_id}.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    journal.write_text("garbage\n" + "".join(lines[1:]), encoding="utf-8")
    (summary,) = writer.journal.list_batches()
    assert summary.batch_id == batch_id and summary.damaged_lines == [1]
    assert summary.created_at.startswith(batch_id[:4])
    assert writer.journal.last_undoable() == batch_id
    writer.undo(batch_id)
    assert "XMP-dc:Subject" not in ph.tags(photo, "XMP-dc:Subject")


def test_last_undoable_is_the_newest_batch_even_within_one_second(photos, pool):
    first, second = ph.plain(photos, "1.jpg"), ph.plain(photos, "2.jpg")
    writer = MetadataWriter(pool)
    writer.write_batch([Proposal(path=str(first), keywords=["a"])])
    newest = writer.write_batch([Proposal(path=str(second), keywords=["b"])]).batch_id
    assert writer.journal.last_undoable() == newest


def test_legacy_latin1_iptc_is_never_re_encoded_and_undo_restores_it(photos, pool):
    photo = ph.latin1_iptc_jpeg(photos)
    before = ph.dump(photo)
    assert before["IPTC:City"] == "Köln" and "IPTC:CodedCharacterSet" not in before
    writer = MetadataWriter(pool)
    result = writer.write_batch([Proposal(path=str(photo), keywords=["東京", "Straße"])])
    outcome = result.outcomes[0]
    assert outcome.status == "written", outcome.reason
    # Nothing the user did not approve is re-encoded; what Latin-1 cannot hold goes to XMP.
    values = ph.tags(photo, "IPTC:Keywords", "IPTC:City", "IPTC:CodedCharacterSet",
                     "XMP-dc:Subject")
    assert values == {"IPTC:Keywords": ["Zürich", "Café", "Straße"], "IPTC:City": "Köln",
                      "XMP-dc:Subject": ["Zürich", "Café", "東京", "Straße"]}
    assert any("東京" in note and "XMP only" in note for note in outcome.notes)
    undone = writer.undo(str(result.batch_id))
    assert undone.outcomes[0].status == "written", undone.outcomes[0].reason
    assert ph.dump(photo) == before


@pytest.mark.parametrize("name", ["r_sony.jpg", "exif_gps.jpg", "flower2.webp"])
def test_undoing_the_undo_writes_everything_again(photos, pool, name):
    from tests.support import corpus

    photo = corpus.copy_to(name, photos)
    writer = MetadataWriter(pool)
    first = writer.write_batch([writer.plan(proposal(photo))])
    assert first.outcomes[0].status == "written"
    written = ph.dump(photo)
    undo = writer.undo(first.batch_id)
    assert undo.outcomes[0].status == "written"
    again = writer.undo(undo.batch_id)  # the undo is itself undoable: it re-applies the write
    assert again.outcomes[0].status == "written", again.outcomes[0].reason
    after = ph.dump(photo)
    changed = {tag for tag in set(written) | set(after)
               if written.get(tag) != after.get(tag) and not tag.startswith(("System:", "File:"))
               and "Offset" not in tag and "PreviewImageStart" not in tag
               and tag not in ("XMP-imageworks:WrittenAt",)}
    assert not changed, {tag: (written.get(tag), after.get(tag)) for tag in changed}
