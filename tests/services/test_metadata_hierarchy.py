"""Hierarchical keywords on real files: all three fields read back by ExifTool and exiv2."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from imageworks_gui.core.metadata import Proposal, Tag
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.services.metadata import MetadataWriter
from tests.support import corpus, metadata_fixtures
from tests.support import photos as ph
from tests.support import raw_files as rf

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos

SHARED = Path("/work/shared/photos")
KEYWORDS = ["People|Family|Anna", "Animals|Birds|Grey heron", "Lieux|Zürich|Café au lait"]
CONTAINERS = ["People"]
PATHS = ["People|Family|Anna", "Animals|Birds|Grey heron", "Lieux|Zürich|Café au lait"]
FLAT = ["Family", "Anna", "Animals", "Birds", "Grey heron", "Lieux", "Zürich", "Café au lait"]


def items(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def three_fields(path: Path) -> dict[str, list[str]]:
    """dc:subject, lr:hierarchicalSubject and digiKam:TagsList by ExifTool, checked against
    exiv2 reading the same file."""
    found = ph.tags(path, Tag.SUBJECT, Tag.HIERARCHICAL, Tag.TAGS_LIST)
    by_exiftool = {"subject": items(found.get(Tag.SUBJECT)),
                   "hierarchical": items(found.get(Tag.HIERARCHICAL)),
                   "tags_list": items(found.get(Tag.TAGS_LIST))}
    second = ph.exiv2_read(path)
    by_exiv2 = {"subject": items(second.get("Xmp.dc.subject")),
                "hierarchical": items(second.get("Xmp.lr.hierarchicalSubject")),
                "tags_list": items(second.get("Xmp.digiKam.TagsList"))}
    assert by_exiv2 == by_exiftool
    return by_exiftool


def real_photo(name: str, folder: Path) -> Path:
    if name.startswith("shared:"):
        source = SHARED / name.removeprefix("shared:")
        if not source.is_file():
            pytest.fail(f"{source} is missing: the shared sample photos are part of the setup")
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(source, folder / "IMG [x] é.jpg"))
    try:
        return corpus.copy_to(name, folder)
    except corpus.CorpusUnavailableError as exc:
        pytest.fail(f"the real-world corpus is unavailable: {exc}")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["shared:coffee.jpg", "iptc.jpg", "xmp_test.jpg",
                                  "flower2.webp", "xmp.tiff"])
def test_paths_are_written_the_way_each_program_reads_them(name, photos, pool):
    photo = real_photo(name, photos)
    before = ph.dump(photo)
    writer = MetadataWriter(pool, settings=MetadataSettings())
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=KEYWORDS,
                                           containers=CONTAINERS))
    assert outcome.status == "written", outcome.reason
    fields = three_fields(photo)
    old_subject = items(before.get(Tag.SUBJECT))
    old_iptc = items(before.get(Tag.IPTC_KEYWORDS))
    assert fields["subject"][:len(old_subject)] == old_subject
    for keyword in FLAT:
        assert keyword in fields["subject"]
    assert "People" not in fields["subject"]  # a container: hierarchy only
    assert fields["hierarchical"][-3:] == PATHS
    assert fields["tags_list"][-3:] == [p.replace("|", "/") for p in PATHS]
    # The photo's keywords before the write are in the new hierarchy fields too (one level).
    mwg = old_subject or old_iptc
    for keyword in mwg:
        assert keyword in fields["hierarchical"] and keyword in fields["tags_list"]
    if old_iptc:
        iptc = items(ph.tags(photo, Tag.IPTC_KEYWORDS).get(Tag.IPTC_KEYWORDS))
        assert iptc[:len(old_iptc)] == old_iptc and "Grey heron" in iptc
        assert "People" not in iptc


def digikam_jpeg(folder: Path) -> Path:
    """A Lightroom-style JPEG that digiKam also tagged: all three fields, hierarchy in two."""
    photo = ph.lightroom_jpeg(folder, "digikam é.jpg")
    ph.exiftool("-overwrite_original", "-XMP-lr:HierarchicalSubject+=Café",
                "-XMP-digiKam:TagsList=Places/Europe/Switzerland", "-XMP-digiKam:TagsList=Café",
                "-XMP-digiKam:TagsList=東京", photo)
    return photo


def test_existing_hierarchies_are_kept_and_undo_restores_them_exactly(photos, pool):
    photo = digikam_jpeg(photos)
    before = ph.dump(photo)
    writer = MetadataWriter(pool, photos.parent / "journal", MetadataSettings())
    outcome = writer.write(photo, Proposal(
        path=str(photo), keywords=["places|europe|France", "PLACES|EUROPE|SWITZERLAND", "tree"]))
    assert outcome.status == "written", outcome.reason
    fields = three_fields(photo)
    assert fields["hierarchical"] == ["Places|Europe|Switzerland", "Café",
                                      "Places|Europe|France", "tree"]
    assert fields["tags_list"] == ["Places/Europe/Switzerland", "Café", "東京",
                                   "Places/Europe/France", "tree"]
    assert fields["subject"] == ["Places", "Europe", "Switzerland", "Café", "東京", "France",
                                 "tree"]
    undone = writer.undo(str(writer.journal.list_batches()[0].batch_id))
    assert [o.status for o in undone.outcomes] == ["written"], undone.outcomes
    assert ph.dump(photo) == before


def test_raw_sidecar_gets_the_hierarchy_with_the_raws_own_keywords(photos, pool):
    nef = rf.nef_with_iptc(photos)
    raw_hash = sha(nef)
    writer = MetadataWriter(pool, photos.parent / "journal", MetadataSettings())
    outcome = writer.write(nef, Proposal(path=str(nef), keywords=["Places|Harbours|Île de Ré"]))
    assert outcome.status == "written", outcome.reason
    sidecar = photos / "DSC_0001.xmp"
    assert outcome.target == str(sidecar) and sha(nef) == raw_hash
    fields = three_fields(sidecar)
    assert fields["subject"] == ["Boat", "Harbour", "Places", "Harbours", "Île de Ré"]
    assert fields["hierarchical"] == ["Boat", "Harbour", "Places|Harbours|Île de Ré"]
    assert fields["tags_list"] == ["Boat", "Harbour", "Places/Harbours/Île de Ré"]
    undone = writer.undo(str(writer.journal.list_batches()[0].batch_id))
    assert [o.status for o in undone.outcomes] == ["written"], undone.outcomes
    assert not sidecar.exists() and sha(nef) == raw_hash


def test_existing_sidecar_hierarchy_is_extended_and_restored(photos, pool):
    raw = rf.cr2(photos)
    sidecar = rf.lightroom_sidecar(photos / "IMG_0001.xmp", "CR2", "Lightroom title",
                                   "-XMP-dc:Subject=Anna", "-XMP-dc:Subject=Family",
                                   "-XMP-lr:HierarchicalSubject=People|Family|Anna")
    before = ph.dump(sidecar)
    writer = MetadataWriter(pool, photos.parent / "journal", MetadataSettings())
    outcome = writer.write(raw, Proposal(path=str(raw), keywords=["People|Family|Ben", "kite"],
                                         containers=["People"]))
    assert outcome.status == "written", outcome.reason
    fields = three_fields(sidecar)
    assert fields["hierarchical"] == ["People|Family|Anna", "People|Family|Ben", "kite"]
    assert fields["tags_list"] == ["People/Family/Anna", "People/Family/Ben", "kite"]
    assert fields["subject"] == ["Anna", "Family", "Ben", "kite"]
    writer.undo(str(writer.journal.list_batches()[0].batch_id))
    assert ph.dump(sidecar) == before


def test_a_slash_inside_a_term_is_never_split_into_levels(photos, pool):
    photo = digikam_jpeg(photos)
    writer = MetadataWriter(pool, settings=MetadataSettings())
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["Music|AC/DC", "24/7"]))
    assert outcome.status == "written", outcome.reason
    fields = three_fields(photo)
    assert fields["hierarchical"][-2:] == ["Music|AC/DC", "24/7"]
    assert not any("AC" in t or "24" in t for t in fields["tags_list"])
    assert "AC/DC" in fields["subject"] and "24/7" in fields["subject"]
    notes = [n for n in outcome.notes if "digiKam:TagsList" in n]
    assert len(notes) == 2 and all("no escape" in n for n in notes), outcome.notes

    fresh = real_photo("shared:coffee.jpg", photos / "fresh")
    outcome = writer.write(fresh, Proposal(path=str(fresh), keywords=["Music|AC/DC"]))
    assert outcome.status == "written", outcome.reason
    fields = three_fields(fresh)
    assert fields["hierarchical"] == ["Music|AC/DC"] and fields["tags_list"] == []
    assert any(n.startswith("digiKam:TagsList not created") for n in outcome.notes)


def test_ancestors_setting_off_writes_only_the_leaf_flat(photos, pool):
    photo = ph.lightroom_jpeg(photos)
    writer = MetadataWriter(pool, settings=MetadataSettings(write_ancestor_keywords=False))
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["Animals|Birds|Heron"]))
    assert outcome.status == "written", outcome.reason
    fields = three_fields(photo)
    assert fields["subject"] == ["Places", "Europe", "Switzerland", "Café", "東京", "Heron"]
    iptc = items(ph.tags(photo, Tag.IPTC_KEYWORDS).get(Tag.IPTC_KEYWORDS))
    assert iptc == ["Places", "Europe", "Switzerland", "Café", "東京", "Heron"]
    assert fields["hierarchical"] == ["Places|Europe|Switzerland", "Animals|Birds|Heron"]

