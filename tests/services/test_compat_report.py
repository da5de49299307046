"""The compatibility report's "after" is exactly what the real write then produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from imageworks_gui.core.metadata import Proposal
from imageworks_gui.services.metadata.compat import check_file, program_views
from tests.support import corpus, metadata_fixtures
from tests.support import photos as ph
from tests.support import raw_files as rf

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos
writer = metadata_fixtures.writer


def _nef(folder: Path) -> Path:
    return rf.nef_with_iptc(folder)


def _dng_beside_cr2(folder: Path) -> Path:
    rf.cr2(folder)
    rf.lightroom_sidecar(folder / "IMG_0001.xmp", "CR2", "Lightroom title")
    return rf.dng_with_xmp(folder)


def _lightroom(folder: Path) -> Path:
    return ph.lightroom_jpeg(folder)


def _real(name: str):
    return lambda folder: corpus.copy_to(name, folder)


@pytest.mark.parametrize("make", [_nef, _dng_beside_cr2, _lightroom, _real("xmp_test.jpg"),
                                  _real("flower2.jpg"), _real("exif_imagemagick.png"),
                                  _real("L_exif_xmp_iptc.heic")],
                         ids=["nef", "dng-collision", "lightroom", "xmp_test", "flower2",
                              "imagemagick-png", "heic"])
def test_report_after_matches_the_real_write(photos, writer, make):
    photo = make(photos)
    proposal = Proposal(path=str(photo), title="Quay", description="Boats at the quay\nÎle",
                        keywords=["boat", "Places|Quay"])
    report = check_file(writer.pool, photo, proposal, writer.settings)
    assert report.error is None and report.after is not None
    outcome = writer.write(photo, proposal)
    assert outcome.status in ("written", "unchanged"), outcome.reason
    assert program_views(writer.pool, photo, writer.settings) == report.after


@pytest.mark.parametrize("style", ["adobe", "darktable"])
def test_report_reads_an_upper_case_xmp_sidecar_like_the_writer(photos, writer, style):
    raw = rf.cr2(photos)
    sidecar = photos / (("IMG_0001" if style == "adobe" else "IMG_0001.CR2") + ".XMP")
    rf.lightroom_sidecar(sidecar, "CR2" if style == "adobe" else None, "Lightroom title")
    proposal = Proposal(path=str(raw), title="Quay", description="Boats", keywords=["boat"])
    report = check_file(writer.pool, raw, proposal, writer.settings)
    assert report.target == str(sidecar) and report.after is not None
    readers = [view for view in report.before if view.reads == sidecar.name]
    assert readers and all(view.title == "Lightroom title" for view in readers)
    assert all(view.keywords == ["boat"] for view in report.after if view.reads == sidecar.name)
    assert writer.write(raw, proposal).status == "written"
    assert program_views(writer.pool, raw, writer.settings) == report.after
