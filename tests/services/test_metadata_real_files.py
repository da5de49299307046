"""Write and undo on real camera and program files: what each kind of file already holds stays."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from imageworks_gui.core.metadata import Proposal, Tag
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter, read_metadata
from imageworks_gui.services.metadata.reader import png_exif_chunks
from tests.support import corpus
from tests.support import photos as ph

DESCRIPTION = "Première ligne\nZweite Zeile — 東京"


@pytest.fixture(scope="module")
def pool() -> Iterator[ExifToolPool]:
    with ExifToolPool(size=2, timeout=60) as shared:
        yield shared


@pytest.fixture
def writer(pool: ExifToolPool, tmp_path: Path) -> MetadataWriter:
    return MetadataWriter(pool, tmp_path / "journal")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    try:
        corpus.ensure()
    except corpus.CorpusUnavailableError as exc:
        pytest.fail(f"the real-world corpus is unavailable: {exc}")
    return tmp_path / "photos é [x]"


def raw(path: Path, tag: str) -> bytes:
    """An EXIF tag's stored text (``-b``), as ExifTool keeps it: padding included."""
    result = ph._helper_pool().execute(["-b", f"-{tag}", ph.file_arg(path)])
    return result.stdout_bytes


def full(path: Path) -> dict[str, object]:
    out = ph.exiftool("-json", "-G1", "-a", "-all", "--System:all", "--Composite:all",
                      "--ExifTool:ExifToolVersion", path)
    record = json.loads(out, parse_int=str, parse_float=str)[0]
    record.pop("SourceFile", None)
    return record


def undo_last(writer: MetadataWriter) -> None:
    """Undo the newest write batch (not an undo batch) and check every file was restored."""
    batch = next(b for b in writer.journal.list_batches() if b.kind == "write" and not b.undone_at)
    undone = writer.undo(batch.batch_id)
    assert [o.status for o in undone.outcomes] == ["written"], undone.outcomes


def without_layout(dump: dict[str, object]) -> dict[str, object]:
    """A dump without data-block positions (ExifTool moves them when metadata grows)."""
    return {k: v for k, v in dump.items() if not k.endswith(("Offset", "Start"))}


# 1 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["r_sony.jpg", "r_ricoh.jpg", "r_canon.jpg"])
def test_undo_restores_camera_padding_exactly(folder, writer, name):
    photo = corpus.copy_to(name, folder)
    padded = raw(photo, "IFD0:ImageDescription")
    assert padded.strip() == b"" and len(padded) >= 31
    outcome = writer.write(photo, Proposal(path=str(photo), description=DESCRIPTION))
    assert outcome.status == "written", outcome.reason
    assert ph.tags(photo, Tag.EXIF_DESCRIPTION)[Tag.EXIF_DESCRIPTION] == DESCRIPTION
    undo_last(writer)
    assert raw(photo, "IFD0:ImageDescription") == padded
    assert writer.journal.list_batches()[1].undone_at is not None


# 2 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["r_olympus.jpg", "r_pen.jpg", "r_sony.jpg"])
def test_camera_placeholder_description_counts_as_empty(folder, writer, pool, name):
    photo = corpus.copy_to(name, folder)
    assert read_metadata(pool, photo).description is None
    outcome = writer.write(photo, Proposal(path=str(photo), description=DESCRIPTION))
    assert outcome.status == "written", outcome.reason
    values = ph.tags(photo, Tag.DESCRIPTION, Tag.EXIF_DESCRIPTION)
    assert values == {Tag.DESCRIPTION: DESCRIPTION, Tag.EXIF_DESCRIPTION: DESCRIPTION}
    assert ph.exiv2_read(photo)["Xmp.dc.description"] == DESCRIPTION


# 3 -------------------------------------------------------------------------------------------
def test_iptc_fields_the_user_did_not_approve_are_never_truncated(folder, writer):
    photo = corpus.copy_to("iptc.jpg", folder)
    ph.exiftool("-m", "-overwrite_original", "-IPTC:Category=Category", photo)
    assert ph.tags(photo, "IPTC:Category") == {"IPTC:Category": "Category"}
    before = full(photo)
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["Zürich"],
                                           title="Île de la Cité"))
    assert outcome.status == "written", outcome.reason
    values = ph.tags(photo, "IPTC:Category", "IPTC:City", Tag.IPTC_KEYWORDS, Tag.IPTC_TITLE)
    assert values["IPTC:Category"] == "Category" and values["IPTC:City"] == "Budapest"
    assert values[Tag.IPTC_TITLE] == "Île de la Cité" and "Zürich" in values[Tag.IPTC_KEYWORDS]
    undo_last(writer)
    assert without_layout(full(photo)) == without_layout(before)


def test_undeclared_utf8_iptc_stays_utf8_and_undo_restores_it(folder, writer):
    photo = corpus.copy_to("xmp.png", folder)
    value = folder / "city.txt"
    value.write_text("Île-de-France", encoding="utf-8")
    ph.exiftool("-overwrite_original", "-charset", "iptc=utf8", f"-IPTC:City<={value}",
                "-IPTC:Keywords=Wald", photo)
    before = full(photo)
    assert before["IPTC:City"] == "ÃŽle-de-France"  # ExifTool reads undeclared IPTC as Latin
    assert "IPTC:CodedCharacterSet" not in before
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["Forêt"]))
    assert outcome.status == "written", outcome.reason
    # The same bytes, now declared as UTF-8: both readers see the text, neither "ÃŽle".
    assert ph.tags(photo, "IPTC:City")["IPTC:City"] == "Île-de-France"
    assert ph.exiv2_read(photo)["Iptc.Application2.City"] == "Île-de-France"
    assert ph.exiv2_read(photo)["Iptc.Application2.Keywords"] == ["Wald", "Forêt"]
    undo_last(writer)
    assert full(photo) == before


def test_a_truncating_write_fails_and_leaves_the_file_untouched(folder, writer, pool):
    photo = corpus.copy_to("iptc.jpg", folder)
    original = photo.read_bytes()
    plan = writer.plan(Proposal(path=str(photo), keywords=["short"]))
    long_keyword = "k" * 80  # past IPTC's 64 bytes: ExifTool would cut it
    edits = [e if e.tag != Tag.IPTC_KEYWORDS else e.model_copy(
        update={"items": [long_keyword], "after": [*e.before, long_keyword]}) for e in plan.edits]
    forced = plan.model_validate({**plan.model_dump(), "edits": edits})
    outcome = writer.write_batch([forced]).outcomes[0]
    assert outcome.status == "error" and "truncated" in (outcome.reason or "")
    assert "left unchanged" in (outcome.reason or "")
    assert photo.read_bytes() == original


# 4 -------------------------------------------------------------------------------------------
def two_iptc_blocks(folder: Path) -> Path:
    """iptc.jpg with a second APP13 IPTC block whose Credit differs (as some editors leave)."""
    first = corpus.copy_to("iptc.jpg", folder, "one.jpg")
    second = corpus.copy_to("iptc.jpg", folder, "two.jpg")
    ph.exiftool("-overwrite_original", "-IPTC:Credit=Credit number one", first)
    ph.exiftool("-overwrite_original", "-IPTC:Credit=Credit number two", second)

    def app13(data: bytes) -> tuple[int, int]:
        at = 2
        while data[at + 1] != 0xED:
            at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
        return at, at + 2 + struct.unpack(">H", data[at + 2:at + 4])[0]

    a, b = first.read_bytes(), second.read_bytes()
    _, end = app13(a)
    start2, end2 = app13(b)
    merged = folder / "IMG two blocks.jpg"
    merged.write_bytes(a[:end] + b[start2:end2] + a[end:])
    first.unlink()
    second.unlink()
    return merged


def test_two_iptc_blocks_are_both_kept_and_keywords_go_to_xmp_once(folder, writer):
    photo = two_iptc_blocks(folder)
    before = full(photo)
    assert before["IPTC:Credit"] == "Credit number one"
    assert before["IPTC2:Credit"] == "Credit number two"
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["Danube", "tree"]))
    assert outcome.status == "written", outcome.reason
    assert any("2 IPTC blocks" in note for note in outcome.notes)
    after = full(photo)
    assert after["IPTC:Credit"] == "Credit number one"
    assert after["IPTC2:Credit"] == "Credit number two"
    assert after["IPTC:Keywords"] == before["IPTC:Keywords"]
    subject = ph.exiv2_read(photo)["Xmp.dc.subject"]
    assert subject.count("Danube") == 1 and subject.count("tree") == 1
    undo_last(writer)
    assert full(photo) == before


# 5 -------------------------------------------------------------------------------------------
def test_heic_with_a_preview_in_its_exif_item_keeps_it(folder, writer):
    photo = corpus.copy_to("xiaomi.heic", folder)
    size = photo.stat().st_size
    before = full(photo)
    outcome = writer.write(photo, Proposal(path=str(photo), description=DESCRIPTION))
    assert outcome.status == "written", outcome.reason
    assert photo.stat().st_size >= size  # nothing dropped (the XMP item only adds)
    after = full(photo)
    assert after[Tag.DESCRIPTION] == DESCRIPTION and Tag.EXIF_DESCRIPTION not in after
    assert any("Exif item" in note for note in outcome.notes)
    exif = ("IFD", "ExifIFD", "GPS", "InteropIFD")
    assert {k: v for k, v in without_layout(after).items() if k.startswith(exif)} == {
        k: v for k, v in without_layout(before).items() if k.startswith(exif)}
    undo_last(writer)
    assert photo.stat().st_size >= size


# 6 -------------------------------------------------------------------------------------------
def test_png_with_imagemagick_raw_exif_gets_no_shadowing_exif_chunk(folder, writer):
    photo = corpus.copy_to("exif_imagemagick.png", folder)
    assert png_exif_chunks(str(photo)) == ["raw profile"]
    outcome = writer.write(photo, Proposal(path=str(photo), description=DESCRIPTION,
                                           keywords=["tree"]))
    assert outcome.status == "written", outcome.reason
    assert png_exif_chunks(str(photo)) == ["raw profile"]
    values = ph.tags(photo, "IFD0:Orientation", Tag.DESCRIPTION, Tag.EXIF_DESCRIPTION)
    assert values == {"IFD0:Orientation": "Horizontal (normal)", Tag.DESCRIPTION: DESCRIPTION}


# 7 -------------------------------------------------------------------------------------------
def test_iptc_digest_is_updated_where_it_matched(folder, writer):
    photo = corpus.copy_to("flower2.jpg", folder)
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["flower"], title="Rose"))
    assert outcome.status == "written", outcome.reason
    values = full(photo)
    assert values["IPTC:Keywords"] == "flower"
    assert values["Photoshop:IPTCDigest"] == values["File:CurrentIPTCDigest"]
    assert "ExifTool:Warning" not in values


@pytest.mark.parametrize("xmp_keywords", [True, False])
def test_iptc_only_keywords_are_not_copied_when_mwg_says_xmp_rules(folder, writer, pool,
                                                                   xmp_keywords):
    photo = corpus.copy_to("flower2.jpg", folder)
    if xmp_keywords:  # Lightroom saved both, then a non-MWG tool added to IPTC only (stale)
        ph.exiftool("-overwrite_original", "-XMP-dc:Subject=Flower", "-IPTC:Keywords=Flower",
                    "-Photoshop:IPTCDigest=new", photo)
        ph.exiftool("-overwrite_original", "-IPTC:Keywords+=WRONG-IPTC-Keyword", photo)
    else:  # IPTC in sync with an XMP that holds no keywords (ExifTool's MWG test file)
        ph.exiftool("-overwrite_original", "-IPTC:Keywords=WRONG-IPTC-Keyword",
                    "-Photoshop:IPTCDigest=new", photo)
    assert "WRONG-IPTC-Keyword" not in read_metadata(pool, photo).keywords
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["rose"]))
    assert outcome.status == "written", outcome.reason
    subject = ph.exiv2_read(photo)["Xmp.dc.subject"]
    assert "WRONG-IPTC-Keyword" not in subject and "rose" in subject


# 8 -------------------------------------------------------------------------------------------
def test_one_spelling_per_keyword_in_iptc_and_xmp(folder, writer):
    photo = corpus.copy_to("iptc.jpg", folder)
    ph.exiftool("-overwrite_original", "-XMP-dc:Subject=Danube", photo)  # an XMP-only tool
    outcome = writer.write(photo, Proposal(path=str(photo),
                                           keywords=["danube", "HVK", "Buda Castle"]))
    assert outcome.status == "written", outcome.reason
    second = ph.exiv2_read(photo)
    iptc, subject = second["Iptc.Application2.Keywords"], second["Xmp.dc.subject"]
    assert iptc == ["HvK", "2006", "summer", "July", "holiday", "Hungary", "Budapest", "Danube",
                    "Buda Castle"]
    assert subject == ["Danube", "HvK", "Buda Castle"]


# 11 ------------------------------------------------------------------------------------------
def test_write_keeps_the_xmp_toolkit_and_undo_leaves_no_iptc_versions(folder, writer):
    adobe = corpus.copy_to("xmp_test.jpg", folder)
    legacy = corpus.copy_to("iptc.jpg", folder)
    before = {p: full(p) for p in (adobe, legacy)}
    for photo in (adobe, legacy):
        outcome = writer.write(photo, Proposal(path=str(photo), keywords=["tree"],
                                               title="Über"))
        assert outcome.status == "written", outcome.reason
    assert full(adobe)[Tag.XMP_TOOLKIT] == before[adobe][Tag.XMP_TOOLKIT]
    undo_last(writer)
    undo_last(writer)
    for photo, dump in before.items():
        assert without_layout(full(photo)) == without_layout(dump), photo


def test_undo_restores_extended_xmp_of_ultra_hdr_files(folder, writer):
    photo = corpus.copy_to("ultrahdr.jpg", folder)
    original = photo.read_bytes()
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["tree"]))
    assert outcome.status == "written", outcome.reason
    undo_last(writer)
    assert photo.read_bytes() == original


def test_kept_original_is_not_put_back_over_later_edits(folder, writer):
    photo = corpus.copy_to("ultrahdr.jpg", folder)
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["tree"]))
    assert outcome.status == "written", outcome.reason
    ph.exiftool("-overwrite_original", "-XMP-dc:Subject+=mine", photo)  # edited elsewhere
    undo_last(writer)
    assert ph.exiv2_read(photo)["Xmp.dc.subject"] == ["mine"]  # ours removed, theirs kept


# 12 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "reason"), [
    ("invalid-exif.jpg", "malformed"),
    ("hopper_bad_exif.jpg", "EXIF directory is damaged"),
    ("exif-ifd-offset.jpg", "points outside the file"),
    ("hopper_bigtiff.tif", "BigTIFF files cannot be written"),
    ("01.tif", "MakerNotes offsets may be incorrect"),
])
def test_unsafe_files_are_refused_with_a_reason_and_left_byte_identical(folder, writer, name,
                                                                        reason):
    photo = corpus.copy_to(name, folder)
    original = photo.read_bytes()
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["tree"]))
    assert outcome.status == "error"
    assert reason in (outcome.reason or "") and "left unchanged" in (outcome.reason or "")
    assert photo.read_bytes() == original


def test_mpo_gets_xmp_in_its_first_image_and_keeps_the_second(folder, writer):
    from PIL import Image

    photo = corpus.copy_to("sugarshack.mpo", folder)
    with Image.open(photo) as image:
        image.seek(1)
        right_eye = image.tobytes()
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["tree"]))
    assert outcome.status == "written", outcome.reason
    assert ph.exiv2_read(photo)["Xmp.dc.subject"] == ["tree"]
    with Image.open(photo) as image:
        assert image.n_frames == 2
        image.seek(1)
        assert image.tobytes() == right_eye
