"""Write risks judged from ExifTool dumps, and how the planner acts on them (no ExifTool)."""

from __future__ import annotations

import pytest

from imageworks_gui.core.metadata import PhotoMetadata, Proposal, Tag, plan_changes
from imageworks_gui.core.metadata_tags import CAMERA_PLACEHOLDERS, is_placeholder
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.write_risks import (
    EXIF,
    IPTC,
    PNG_EXIF_KEY,
    assess_in_file,
    iptc_encoding,
    refusal,
    skips,
)

SETTINGS = MetadataSettings(write_provenance=False)


def codes(dump: dict[str, object], suffix: str = ".jpg") -> dict[str, str]:
    return {risk.code: risk.action for risk in assess_in_file(dump, suffix)}


@pytest.mark.parametrize("text", [
    "OLYMPUS DIGITAL CAMERA", "OLYMPUS DIGITAL CAMERA         ", " " * 31, "SONY DSC",
    "DCIM\\100GOPRO\\GOPR0482.JPG", "E:\\DCIM\\100MSDCF\\DSC01234.JPG", "IMG_1234.JPG",
    "\x00\x00\x00", "",
])
def test_camera_placeholders_count_as_no_description(text):
    assert is_placeholder(text)


@pytest.mark.parametrize("text", ["Sunset over the lake", "IMG of my cat", "Café in Zürich",
                                  "DCIM workshop, day 2"])
def test_real_descriptions_are_not_placeholders(text):
    assert not is_placeholder(text)


def test_placeholder_list_is_documented_and_non_empty():
    assert "OLYMPUS DIGITAL CAMERA" in CAMERA_PLACEHOLDERS and len(CAMERA_PLACEHOLDERS) > 20


def test_unsafe_files_and_bigtiff_are_refused_with_reasons():
    assert codes({"ExifTool:Warning": "Bad IFD0 directory"}) == {"unsafe_file": "refuse"}
    warnings = {"ExifTool:Warning": ["[minor] Text/EXIF chunk(s) found after PNG IDAT",
                                     "[minor] MakerNotes offsets may be incorrect"]}
    assert codes(warnings) == {"unsafe_file": "refuse"}
    risks = assess_in_file({"File:FileType": "BTF"}, ".tif")
    assert refusal(risks) == "BigTIFF files cannot be written by ExifTool"
    assert refusal(assess_in_file({"ExifTool:Warning": "[minor] Improper EXIF header"},
                                  ".webp")) is None


def test_two_iptc_blocks_keep_iptc_out_of_the_write():
    dump = {"IPTC:Credit": "one", "IPTC2:Credit": "two", "File:FileType": "JPEG"}
    risks = assess_in_file(dump, ".jpg")
    assert skips(risks, IPTC) and not skips(risks, EXIF)


def test_heif_exif_and_png_raw_profile_exif_are_left_alone():
    heic = {"File:FileType": "HEIC", "File:ExifByteOrder": "Big-endian", "IFD0:Make": "Xiaomi"}
    assert skips(assess_in_file(heic, ".heic"), EXIF)
    png = {"File:FileType": "PNG", "File:ExifByteOrder": "MM", PNG_EXIF_KEY: ["raw profile"]}
    assert skips(assess_in_file(png, ".png"), EXIF)
    png_exif_chunk = {**png, PNG_EXIF_KEY: ["eXIf"]}
    assert not skips(assess_in_file(png_exif_chunk, ".png"), EXIF)


def test_iptc_encodings_are_told_apart():
    assert iptc_encoding({"IPTC:City": "Budapest"}) == "ascii"
    assert iptc_encoding({"IPTC:City": "ÃŽle"}) == "utf8"  # UTF-8 bytes read as Latin
    assert iptc_encoding({"IPTC:City": "Köln"}) == "legacy"  # a Latin-1 byte, not UTF-8
    assert iptc_encoding({"IPTC:CodedCharacterSet": "UTF8", "IPTC:City": "東京"}) == "declared"


def test_iptc_digest_state_decides_keyword_merging_and_digest_updates():
    matching = {"IPTC:Keywords": ["WRONG"], "Photoshop:IPTCDigest": "ab",
                "File:CurrentIPTCDigest": "ab"}
    stale = {**matching, "File:CurrentIPTCDigest": "cd"}
    assert codes(matching)["iptc_digest_matches"] == "warn"
    assert codes(stale)["iptc_digest_stale"] == "warn"
    for dump in (matching, stale):
        original = PhotoMetadata.from_tags("/p/a.jpg", "/p/a.jpg", dump, has_iptc=True,
                                           risks=assess_in_file(dump, ".jpg"))
        assert original.keywords == []
        plan = plan_changes(original, Proposal(path="/p/a.jpg", keywords=["rose"]), SETTINGS)
        subject = next(e for e in plan.edits if e.tag == Tag.SUBJECT)
        assert subject.items == ["rose"]
        assert plan.update_iptc_digest == (dump is matching)


def test_an_existing_description_is_kept_with_a_note_not_silently():
    original = PhotoMetadata.from_tags("/p/a.jpg", "/p/a.jpg", {Tag.DESCRIPTION: "Mine"},
                                       has_xmp=True)
    plan = plan_changes(original, Proposal(path="/p/a.jpg", description="Model text"), SETTINGS)
    assert plan.is_empty
    assert plan.notes and "kept" in plan.notes[0]


def test_legacy_iptc_gets_only_what_latin_can_hold():
    dump = {"IPTC:Keywords": ["Köln"], "IPTC:City": "Köln"}
    original = PhotoMetadata.from_tags("/p/a.jpg", "/p/a.jpg", dump, has_iptc=True,
                                       risks=assess_in_file(dump, ".jpg"))
    plan = plan_changes(original, Proposal(path="/p/a.jpg", keywords=["Straße", "東京"]),
                        SETTINGS)
    iptc = next(e for e in plan.edits if e.tag == Tag.IPTC_KEYWORDS)
    assert iptc.items == ["Straße"]
    assert not any(e.tag == Tag.IPTC_CHARSET for e in plan.edits)  # never re-encoded
    assert any("東京" in note and "XMP only" in note for note in plan.notes)
