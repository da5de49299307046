"""Two photos with one base name never share a sidecar: IMG_1.CR2 + IMG_1.DNG, IMG_1.JPG + CR2."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from imageworks_gui.core.metadata import Proposal
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.services.metadata import MetadataWriter, read_metadata
from tests.support import metadata_fixtures
from tests.support import photos as ph
from tests.support import raw_files as rf

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos
writer = metadata_fixtures.writer


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def write(writer: MetadataWriter, photo: Path, title: str, *keywords: str):
    outcome = writer.write(photo, Proposal(path=str(photo), title=title, keywords=list(keywords)))
    assert outcome.status == "written", outcome.reason
    return outcome


def test_two_raws_with_one_name_get_one_sidecar_each(photos, writer):
    canon, dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    raws = {p: sha(p) for p in (canon, dng)}
    first = write(writer, canon, "Canon frame", "harbour")
    second = write(writer, dng, "DNG frame", "lighthouse keeper")
    assert first.target == str(photos / "IMG_0001.CR2.xmp")
    assert second.target == str(photos / "IMG_0001.DNG.xmp")
    assert not (photos / "IMG_0001.xmp").exists()  # the shared name is never used
    assert any("IMG_0001.xmp would be shared with IMG_0001.DNG" in n for n in first.notes)
    canon_xmp = ph.exiv2_read(photos / "IMG_0001.CR2.xmp")
    dng_xmp = ph.exiv2_read(photos / "IMG_0001.DNG.xmp")
    assert canon_xmp["Xmp.dc.title"] == "Canon frame"
    assert canon_xmp["Xmp.dc.subject"] == ["harbour"]
    assert dng_xmp["Xmp.dc.title"] == "Phare"  # the DNG's own title, carried over, not merged
    assert dng_xmp["Xmp.dc.subject"] == ["Lighthouse", "lighthouse keeper"]
    assert {p: sha(p) for p in raws} == raws  # RAW files are never modified


def test_lightroom_sidecar_stays_with_its_raw_when_a_second_raw_appears(photos, writer):
    canon = rf.cr2(photos)
    shared = rf.lightroom_sidecar(photos / "IMG_0001.xmp", "CR2", "Lightroom title")
    dng = rf.dng_with_xmp(photos)
    before = sha(shared)
    outcome = write(writer, dng, "DNG frame", "fog")
    assert outcome.target == str(photos / "IMG_0001.DNG.xmp")
    assert any("IMG_0001.xmp belongs to IMG_0001.CR2" in n for n in outcome.notes)
    assert sha(shared) == before  # the CR2's sidecar was not touched
    meta = read_metadata(writer.pool, dng, writer.settings)
    assert meta.title == "Phare" and str(shared) not in meta.sidecars
    again = write(writer, canon, "Ignored: the CR2 has a title", "harbour")
    assert again.target == str(shared)
    values = ph.tags(shared, "XMP-dc:Title", "XMP-dc:Subject", "XMP-crs:Exposure2012")
    assert values == {"XMP-dc:Title": "Lightroom title", "XMP-dc:Subject": ["harbour"],
                      "XMP-crs:Exposure2012": "+0.30"}


DARKTABLE_PACKET = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:darktable="http://darktable.sf.net/" xmpMM:DerivedFrom="IMG_0001.DNG"
    darktable:xmp_version="5"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


@pytest.mark.parametrize("record", ["crs", "darktable"])
def test_sidecar_that_names_the_other_raw_is_left_to_it(photos, writer, record):
    canon, _dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    shared = photos / "IMG_0001.xmp"
    owner = "IMG_0001.DNG"
    if record == "crs":  # Camera Raw's record of its RAW
        ph.exiftool("-XMP-dc:Title=Its title", "-XMP-crs:RawFileName=IMG_0001.DNG", shared)
    else:  # darktable's (written with darktable's "sidecar name compatible" option)
        shared.write_text(DARKTABLE_PACKET, encoding="utf-8")
    before = sha(shared)
    outcome = write(writer, canon, "Canon frame")
    assert outcome.target == str(photos / "IMG_0001.CR2.xmp")
    assert any(f"belongs to {owner}" in n for n in outcome.notes)
    assert sha(shared) == before


def test_jpeg_and_raw_pair_keep_separate_metadata(photos, writer):
    from tests.support import corpus

    jpeg = corpus.copy_to("r_canon.jpg", photos, "IMG_0001.JPG")  # a real Canon camera JPEG
    canon = rf.cr2(photos)
    write(writer, jpeg, "JPEG title", "print")
    outcome = write(writer, canon, "RAW title", "negative")
    assert outcome.target == str(photos / "IMG_0001.CR2.xmp")
    assert ph.tags(jpeg, "XMP-dc:Title", "XMP-dc:Subject") == {
        "XMP-dc:Title": "JPEG title", "XMP-dc:Subject": ["print"]}
    assert ph.exiv2_read(photos / "IMG_0001.CR2.xmp")["Xmp.dc.title"] == "RAW title"
    assert names(photos) == ["IMG_0001.CR2", "IMG_0001.CR2.xmp", "IMG_0001.JPG"]


def test_camera_raw_settings_tell_a_raw_and_jpeg_pair_whose_sidecar_it_is(photos, writer):
    ph.make_image(photos / "IMG_0001.JPG")
    canon = rf.cr2(photos)
    shared = rf.lightroom_sidecar(photos / "IMG_0001.xmp", None, "Older Lightroom")
    outcome = write(writer, canon, "ignored", "negative")
    assert outcome.target == str(shared)  # crs: settings belong to the only RAW
    assert ph.tags(shared, "XMP-dc:Subject")["XMP-dc:Subject"] == ["negative"]


def test_sidecar_of_unknown_owner_is_left_alone(photos, writer):
    canon, _dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    shared = photos / "IMG_0001.xmp"
    ph.exiftool("-XMP-dc:Title=Whose?", shared)
    before = sha(shared)
    outcome = write(writer, canon, "Canon frame")
    assert outcome.target == str(photos / "IMG_0001.CR2.xmp")
    assert any("could belong to IMG_0001.CR2 or IMG_0001.DNG" in n for n in outcome.notes)
    assert sha(shared) == before


def test_refuse_setting_writes_nothing_and_says_why(photos, pool):
    writer = MetadataWriter(pool, settings=MetadataSettings(sidecar_collision="refuse"))
    canon, dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    before = names(photos)
    outcome = writer.write(canon, Proposal(path=str(canon), title="Canon frame"))
    assert outcome.status == "error"
    assert "IMG_0001.xmp is shared with IMG_0001.DNG" in outcome.reason
    assert "nothing was written" in outcome.reason and "per_file" in outcome.reason
    assert names(photos) == before
    # A photo's own per-file sidecar is still used: it is not shared with anyone.
    ph.exiftool("-XMP-dc:Subject=own", photos / "IMG_0001.DNG.xmp")
    assert writer.write(dng, Proposal(path=str(dng), keywords=["fog"])).status == "written"


def test_darktable_style_never_collides(photos, pool):
    writer = MetadataWriter(pool, settings=MetadataSettings(sidecar_style="darktable"))
    canon, dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    first = write(writer, canon, "Canon frame")
    second = write(writer, dng, "DNG frame", "fog")
    assert (first.target, second.target) == (str(canon) + ".xmp", str(dng) + ".xmp")
    assert not [n for n in [*first.notes, *second.notes] if "shared" in n or "belongs" in n]
    assert not (photos / "IMG_0001.xmp").exists()


def test_later_run_with_a_second_raw_and_undo_of_everything(photos, writer):
    canon = rf.cr2(photos)
    first = write(writer, canon, "Canon frame", "harbour")
    shared = photos / "IMG_0001.xmp"
    assert first.target == str(shared)  # alone, the CR2 gets the Adobe-style name ...
    assert ph.tags(shared, "XMP-photoshop:SidecarForExtension") == {
        "XMP-photoshop:SidecarForExtension": "CR2"}  # ... which records whose it is
    dng = rf.dng_with_xmp(photos)
    second = write(writer, dng, "DNG frame", "fog")
    third = write(writer, canon, "ignored", "quay")
    assert second.target == str(photos / "IMG_0001.DNG.xmp")
    assert third.target == str(shared)
    assert ph.tags(shared, "XMP-dc:Title", "XMP-dc:Subject") == {
        "XMP-dc:Title": "Canon frame", "XMP-dc:Subject": ["harbour", "quay"]}
    for batch in writer.journal.list_batches():  # newest first
        result = writer.undo(batch.batch_id)
        assert not result.failed, result.failed
    assert names(photos) == ["IMG_0001.CR2", "IMG_0001.DNG"]


@pytest.mark.parametrize("stem", ["IMG[1] é*?", "-leading", "x" * 200,
                                  os.fsdecode(b"caf\xe9")])
def test_collisions_are_found_for_hostile_names(photos, writer, stem):
    canon = rf.cr2(photos, f"{stem}.CR2")
    dng = rf.dng_with_xmp(photos, f"{stem}.dng")  # the extension's case does not matter
    first = write(writer, canon, "Canon frame")
    second = write(writer, dng, "DNG frame", "fog")
    assert first.target == str(canon) + ".xmp" and second.target == str(dng) + ".xmp"
    assert not (photos / f"{stem}.xmp").exists()
    for batch in writer.journal.list_batches():
        assert not writer.undo(batch.batch_id).failed
    assert sorted(p.name for p in photos.iterdir()) == sorted([canon.name, dng.name])


def test_broken_shared_sidecar_is_left_alone_and_does_not_stop_the_write(photos, writer):
    canon, _dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    shared = photos / "IMG_0001.xmp"
    shared.write_bytes(b"<x:xmpmeta broken")
    outcome = write(writer, canon, "Canon frame")
    assert outcome.target == str(photos / "IMG_0001.CR2.xmp")
    assert shared.read_bytes() == b"<x:xmpmeta broken"
