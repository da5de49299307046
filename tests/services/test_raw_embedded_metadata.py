"""What a RAW file itself holds counts as "in the photo now" when its sidecar is created."""

from __future__ import annotations

import hashlib
from pathlib import Path

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


def test_read_shows_what_the_raw_itself_holds(photos, pool):
    nef = rf.nef_with_iptc(photos)
    meta = read_metadata(pool, nef)
    assert not meta.target_exists and meta.target == str(photos / "DSC_0001.xmp")
    assert meta.description == "Harbour at dawn, Île de Ré"  # IPTC inside the NEF
    assert meta.keywords == ["Boat", "Harbour"]
    assert meta.embedded is not None and meta.embedded.description == meta.description
    dng = read_metadata(pool, rf.dng_with_xmp(photos))
    assert (dng.title, dng.description, dng.keywords, dng.rating) == (
        "Phare", "Lighthouse in fog", ["Lighthouse"], "4")


def test_proposal_does_not_overwrite_the_raws_description_and_keywords_merge(photos, writer):
    nef = rf.nef_with_iptc(photos)
    before = sha(nef)
    outcome = writer.write(nef, Proposal(path=str(nef), title="Boats at dawn",
                                         description="A model's description",
                                         keywords=["boat", "sunrise"]))
    assert outcome.status == "written", outcome.reason
    assert outcome.added_keywords == ["sunrise"]  # "boat" was already in the NEF as "Boat"
    assert any("description: the photo has one already, kept" in note for note in outcome.notes)
    sidecar = photos / "DSC_0001.xmp"
    second = ph.exiv2_read(sidecar)
    assert second["Xmp.dc.description"] == "Harbour at dawn, Île de Ré"  # the RAW's own
    assert second["Xmp.dc.title"] == "Boats at dawn"  # the RAW had no title: filled
    assert second["Xmp.dc.subject"] == ["Boat", "Harbour", "sunrise"]
    assert ph.tags(sidecar, "XMP-photoshop:SidecarForExtension") == {
        "XMP-photoshop:SidecarForExtension": "NEF"}
    assert sha(nef) == before  # the RAW is never modified
    # Written once: a second identical proposal changes nothing.
    again = writer.write(nef, Proposal(path=str(nef), description="A model's description",
                                       keywords=["boat", "sunrise"]))
    assert again.status == "unchanged"


def test_the_camera_padding_description_is_not_the_users(photos, writer):
    nef = rf._tiff(photos / "DSC_0002.NEF", "-Make=NIKON CORPORATION",
                   f"-IFD0:ImageDescription={rf.CAMERA_PADDING}")
    outcome = writer.write(nef, Proposal(path=str(nef), description="Fishing boats"))
    assert outcome.status == "written", outcome.reason
    assert ph.exiv2_read(photos / "DSC_0002.xmp")["Xmp.dc.description"] == "Fishing boats"


def test_dng_rating_and_title_reach_the_new_sidecar_and_undo_removes_it(photos, writer):
    dng = rf.dng_with_xmp(photos)
    before = sha(dng)
    outcome = writer.write(dng, Proposal(path=str(dng), keywords=["coast"]))
    assert outcome.status == "written", outcome.reason
    assert any("RAW's own title, description, 1 keyword, rating 4" in n for n in outcome.notes)
    sidecar = photos / "IMG_0001.xmp"
    assert ph.tags(sidecar, "XMP-dc:Title", "XMP-dc:Description", "XMP-dc:Subject",
                   "XMP-xmp:Rating") == {
        "XMP-dc:Title": "Phare", "XMP-dc:Description": "Lighthouse in fog",
        "XMP-dc:Subject": ["Lighthouse", "coast"], "XMP-xmp:Rating": "4"}
    result = writer.undo(writer.journal.list_batches()[0].batch_id)
    assert not result.failed
    assert not sidecar.exists() and sha(dng) == before


def test_approved_overwrite_replaces_the_raws_text_in_the_sidecar_only(photos, writer):
    dng = rf.dng_with_xmp(photos)
    before = sha(dng)
    outcome = writer.write(dng, Proposal(path=str(dng), description="Edited by the user",
                                         overwrite_description=True))
    assert outcome.status == "written", outcome.reason
    assert ph.exiv2_read(photos / "IMG_0001.xmp")["Xmp.dc.description"] == "Edited by the user"
    assert sha(dng) == before


def test_existing_sidecar_is_not_refilled_from_the_raw(photos, writer):
    """A sidecar that exists is what other programs read: the RAW's values are not copied into
    it (a keyword deleted there must not come back), but they still count as existing."""
    nef = rf.nef_with_iptc(photos)
    sidecar = photos / "DSC_0001.xmp"
    ph.exiftool("-XMP-dc:Subject=Boat", sidecar)
    outcome = writer.write(nef, Proposal(path=str(nef), description="A model's description",
                                         keywords=["harbour", "gulls"]))
    assert outcome.status == "written", outcome.reason
    assert outcome.added_keywords == ["gulls"]
    values = ph.tags(sidecar, "XMP-dc:Subject", "XMP-dc:Description")
    assert values == {"XMP-dc:Subject": ["Boat", "Harbour", "gulls"]}  # the NEF's spelling


def test_unreadable_raw_is_still_given_a_sidecar_with_a_note(photos, pool):
    fake = photos / "IMG_7.CR2"
    fake.write_bytes(bytes(range(256)) * 20)  # damaged: ExifTool sees a format error
    writer = MetadataWriter(pool, settings=MetadataSettings())
    outcome = writer.write(fake, Proposal(path=str(fake), keywords=["x"]))
    assert outcome.status == "written", outcome.reason
    assert any("RAW's own metadata could not be read" in n for n in outcome.notes)
