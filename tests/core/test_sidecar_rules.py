"""Sidecar naming rules: same-name photos, whose sidecar an Adobe-style one is, the choice."""

from __future__ import annotations

import pytest

from imageworks_gui.core.raw_embedded import RawEmbedded
from imageworks_gui.core.sidecars import choose_sidecar, same_stem_photos, sidecar_owner


def test_same_stem_photos_ignores_sidecars_other_files_and_itself():
    names = ["IMG_1.CR2", "img_1.dng", "IMG_1.JPG", "IMG_1.xmp", "IMG_1.CR2.xmp", "IMG_1.txt",
             "IMG_10.DNG", "IMG_1.cr2.bak"]
    assert same_stem_photos("IMG_1.CR2", names) == ["IMG_1.JPG", "img_1.dng"]
    assert same_stem_photos("IMG_2.CR2", names) == []


@pytest.mark.parametrize(("values", "owner"), [
    ({"XMP-photoshop:SidecarForExtension": "dng"}, "IMG_1.DNG"),
    ({"XMP-photoshop:SidecarForExtension": "CR2", "XMP-crs:RawFileName": "IMG_1.DNG"},
     "IMG_1.CR2"),  # Lightroom's own record comes first
    ({"XMP-crs:RawFileName": "img_1.dng"}, "IMG_1.DNG"),
    ({"XMP-xmpMM:DerivedFrom": "C:\\Photos\\IMG_1.CR2"}, "IMG_1.CR2"),
    ({"XMP-crs:RawFileName": "OTHER.CR2"}, None),  # names neither: unknown
    ({"XMP-crs:Exposure2012": "+0.5"}, None),  # two RAWs: Camera Raw settings do not tell
    ({"XMP-dc:Title": "x"}, None),
])
def test_owner_of_a_sidecar_shared_by_two_raws(values, owner):
    assert sidecar_owner(values, ["IMG_1.CR2", "IMG_1.DNG"]) == owner


def test_camera_raw_settings_belong_to_the_only_raw_of_a_pair():
    assert sidecar_owner({"XMP-crs:Exposure2012": "+0.5"}, ["IMG_1.JPG", "IMG_1.CR2"]) \
        == "IMG_1.CR2"
    assert sidecar_owner({}, ["IMG_1.JPG", "IMG_1.CR2"]) is None


def test_choice_without_and_with_collision():
    alone = choose_sidecar("IMG_1.CR2", [], {}, None, "adobe", "per_file")
    assert (alone.name, alone.exists, alone.note) == ("IMG_1.xmp", False, None)
    shared = choose_sidecar("IMG_1.CR2", ["IMG_1.DNG"], {}, None, "adobe", "per_file")
    assert (shared.name, shared.style) == ("IMG_1.CR2.xmp", "darktable")
    assert "IMG_1.xmp would be shared with IMG_1.DNG" in (shared.note or "")
    own = choose_sidecar("IMG_1.CR2", ["IMG_1.DNG"], {"adobe": "IMG_1.XMP"},
                         {"XMP-photoshop:SidecarForExtension": "CR2"}, "adobe", "per_file")
    assert (own.name, own.exists, own.note) == ("IMG_1.XMP", True, None)
    theirs = choose_sidecar("IMG_1.CR2", ["IMG_1.DNG"], {"adobe": "IMG_1.xmp",
                                                        "darktable": "IMG_1.CR2.xmp"},
                            {"XMP-photoshop:SidecarForExtension": "DNG"}, "adobe", "refuse")
    assert (theirs.name, theirs.exists, theirs.refused) == ("IMG_1.CR2.xmp", True, None)
    refused = choose_sidecar("IMG_1.CR2", ["IMG_1.DNG"], {"adobe": "IMG_1.xmp"}, {},
                             "adobe", "refuse")
    assert refused.refused and "could belong to IMG_1.CR2 or IMG_1.DNG" in refused.refused
    darktable = choose_sidecar("IMG_1.CR2", ["IMG_1.DNG"], {}, None, "darktable", "refuse")
    assert (darktable.name, darktable.refused, darktable.note) == ("IMG_1.CR2.xmp", None, None)


def test_raw_embedded_values_follow_mwg_and_skip_camera_defaults():
    raw = RawEmbedded.from_record({
        "IFD0:ImageDescription": "OLYMPUS DIGITAL CAMERA", "IPTC:Keywords": ["a", "b"],
        "XMP-dc:Subject": ["A"], "IFD0:Rating": 0, "IPTC:ObjectName": "Title"})
    assert (raw.description, raw.keywords, raw.rating, raw.title) == (None, ["A"], None, "Title")
    iptc_only = RawEmbedded.from_record({"IPTC:Keywords": ["a", "A", "b"], "IFD0:Rating": 3})
    assert (iptc_only.keywords, iptc_only.rating) == (["a", "b"], "3")
    assert iptc_only.summary() == "2 keywords, rating 3"
    assert RawEmbedded.from_record({"IFD0:ImageDescription": " " * 31}).is_empty


def test_owner_when_two_photos_differ_only_in_the_case_of_their_extension():
    names = ["IMG_1.CR2", "IMG_1.cr2"]
    assert sidecar_owner({"XMP-photoshop:SidecarForExtension": "cr2"}, names) == "IMG_1.cr2"
    assert sidecar_owner({"XMP-photoshop:SidecarForExtension": "Cr2"}, names) is None
    assert sidecar_owner({"XMP-crs:RawFileName": "IMG_1.CR2"}, names) == "IMG_1.CR2"
