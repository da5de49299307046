"""Reading and writing real photos and sidecars with ExifTool, checked with a second reader."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from imageworks_gui.core.metadata import Proposal, Provenance, Tag
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter, read_metadata
from tests.support import metadata_fixtures
from tests.support import photos as ph

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos
writer = metadata_fixtures.writer

PROVENANCE = Provenance(tool="imageworks 0.1.0", prompt_profile="default",
                        prompt_sha256="ab" * 32, models={"keywords": "qwen2.5-vl"},
                        model_hashes={"keywords": "cd" * 32}, tagged_at="2026-11-27T12:00:00Z")


def proposal(path: Path, **fields: object) -> Proposal:
    data: dict[str, object] = {"path": str(path), "keywords": ["tree", "café", "Zürich", "東京"],
                               "provenance": PROVENANCE}
    return Proposal.model_validate({**data, **fields})


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lightroom_jpeg_keeps_everything_and_gains_new_keywords_once(photos, writer):
    photo = ph.lightroom_jpeg(photos)
    before = ph.dump(photo)
    outcome = writer.write(photo, proposal(photo, title="Other", description="Other"))
    assert outcome.status == "written", outcome.reason
    after = ph.dump(photo)
    for tag, value in before.items():
        if isinstance(value, list):
            assert after[tag][: len(value)] == value, tag  # nothing lost, order kept
        elif tag not in ("IPTC:CodedCharacterSet",):
            assert after[tag] == value, tag  # title/description were not empty: kept
    assert after["XMP-dc:Subject"].count("tree") == 1
    assert after["XMP-dc:Subject"][-2:] == ["tree", "Zürich"]  # café and 東京 existed
    assert "Zürich" in after["XMP-dc:Subject"] and "Zürich" in after["IPTC:Keywords"]
    second = ph.exiv2_read(photo)
    assert second["Xmp.dc.subject"] == after["XMP-dc:Subject"]
    assert second["Iptc.Application2.Keywords"] == after["IPTC:Keywords"]
    assert second["Xmp.dc.title"] == "Zürich at night"
    assert second["Iptc.Application2.Caption"] == "Café in Zürich, 東京 next"


@pytest.mark.parametrize("name", ["xmp.jpg", "xmp.tif", "xmp.png", "xmp.webp"])
def test_embedded_formats_round_trip_through_a_second_reader(photos, writer, pool, name):
    photo = ph.xmp_only(photos, name)
    outcome = writer.write(photo, proposal(photo, title="Kyoto street",
                                           description="Two lines:\nsecond $line @here"))
    assert outcome.status == "written", outcome.reason
    metadata = read_metadata(pool, photo)
    assert metadata.keywords == ["東京", "Tree", "café", "Zürich"]
    assert metadata.title == "Kyoto street"
    assert metadata.description == "Two lines:\nsecond $line @here"
    assert metadata.provenance is not None
    assert metadata.provenance.models == {"keywords": "qwen2.5-vl"}
    assert metadata.provenance.added_keywords == ["café", "Zürich"]
    second = ph.exiv2_read(photo)
    assert second["Xmp.dc.subject"] == ["東京", "Tree", "café", "Zürich"]
    assert second["Xmp.dc.title"] == "Kyoto street"
    assert second["Xmp.imageworks.Models"] == ["keywords=qwen2.5-vl"]


def test_heic_is_written_in_place(photos, writer, pool):
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image

    photo = photos / "phone.heic"
    pillow_heif.register_heif_opener()
    Image.new("RGB", (64, 64), "orange").save(photo, "HEIF")
    assert writer.write(photo, proposal(photo)).status == "written"
    assert read_metadata(pool, photo).keywords == ["tree", "café", "Zürich", "東京"]


def test_iptc_only_legacy_file_gets_xmp_and_utf8_iptc(photos, writer, pool):
    photo = ph.iptc_only_jpeg(photos)
    assert writer.write(photo, proposal(photo)).status == "written"
    values = ph.tags(photo, "IPTC:Keywords", "XMP-dc:Subject", "IPTC:CodedCharacterSet",
                     "IPTC:ObjectName", "XMP-dc:Title")
    assert values["IPTC:Keywords"] == ["Legacy", "Zürich", "tree", "café", "東京"]
    assert values["XMP-dc:Subject"] == ["Legacy", "Zürich", "tree", "café", "東京"]
    assert values["IPTC:CodedCharacterSet"] == "UTF8"
    assert values["IPTC:ObjectName"] == "Old title" and "XMP-dc:Title" not in values
    assert ph.exiv2_read(photo)["Iptc.Application2.Keywords"][-1] == "東京"


def test_raw_is_never_touched_and_adobe_sidecar_keeps_camera_raw_settings(photos, writer):
    raw, sidecar = ph.raw_with_adobe_sidecar(photos)
    raw_hash = sha(raw)
    outcome = writer.write(raw, proposal(raw, title="New"))
    assert outcome.status == "written" and outcome.target == str(sidecar)
    assert sha(raw) == raw_hash
    values = ph.tags(sidecar, "XMP-crs:all", "XMP-dc:Subject", "XMP-dc:Title")
    assert values["XMP-crs:Exposure2012"] == "+0.50"
    assert values["XMP-crs:ProcessVersion"] == "11.0"
    assert values["XMP-dc:Subject"] == ["Existing", "tree", "café", "Zürich", "東京"]
    assert values["XMP-dc:Title"] == "Sidecar title"
    assert not (photos / "IMG_0001.CR2.xmp").exists()


def test_darktable_sidecar_is_updated_in_place_with_its_history(photos, writer):
    raw, sidecar = ph.raw_with_darktable_sidecar(photos)
    raw_hash = sha(raw)
    assert writer.write(raw, proposal(raw)).status == "written"
    assert sha(raw) == raw_hash
    assert not raw.with_suffix(".xmp").exists()  # no second, Adobe-style sidecar
    second = ph.exiv2_read(sidecar)
    assert second["Xmp.darktable.history[2]/darktable:operation"] == "colorin"
    assert second["Xmp.darktable.history_end"] == "2"
    assert second["Xmp.xmp.Rating"] == "3"
    assert second["Xmp.dc.subject"] == ["Zürich", "darktable|format|nef", "tree", "café", "東京"]
    # darktable imports only lr:hierarchicalSubject when a sidecar has it: the new keywords go
    # there too (one level each), or darktable would never show them.
    assert second["Xmp.lr.hierarchicalSubject"] == ["Places|Zürich", "tree", "café", "東京"]


@pytest.mark.parametrize(("style", "expected"), [("adobe", "IMG_9.ARW"), ("darktable", "")])
def test_raw_without_sidecar_gets_one_in_the_configured_style(photos, pool, style, expected):
    raw = photos / "IMG_9.ARW"
    raw.write_bytes(b"not really a raw file")
    writer = MetadataWriter(pool, settings=MetadataSettings(sidecar_style=style))
    outcome = writer.write(raw, proposal(raw))
    assert outcome.status == "written", outcome.reason
    sidecar = photos / ("IMG_9.xmp" if style == "adobe" else "IMG_9.ARW.xmp")
    assert outcome.target == str(sidecar)
    assert ph.exiv2_read(sidecar)["Xmp.dc.subject"] == ["tree", "café", "Zürich", "東京"]
    assert raw.read_bytes() == b"not really a raw file"
    assert sorted(p.name for p in photos.iterdir()) == sorted(["IMG_9.ARW", sidecar.name])


def test_dng_goes_to_a_sidecar_unless_embedded_writing_is_enabled(photos, pool):
    dng = ph.make_image(photos / "scan.tif").rename(photos / "scan.dng")
    digest = sha(dng)
    outcome = MetadataWriter(pool).write(dng, proposal(dng))
    assert outcome.target == str(photos / "scan.xmp") and sha(dng) == digest


def test_dng_is_written_inside_when_the_setting_allows_it(photos, pool):
    dng = ph.make_image(photos / "scan.tif").rename(photos / "scan.dng")
    writer = MetadataWriter(pool, settings=MetadataSettings(write_dng_embedded=True))
    outcome = writer.write(dng, proposal(dng))
    assert outcome.status == "written" and outcome.target == str(dng)
    assert not (photos / "scan.xmp").exists()
    assert ph.exiv2_read(dng)["Xmp.dc.subject"] == ["tree", "café", "Zürich", "東京"]


def test_same_proposal_twice_writes_nothing_the_second_time(photos, writer):
    photo = ph.lightroom_jpeg(photos)
    assert writer.write(photo, proposal(photo)).status == "written"
    stamp = (photo.stat().st_mtime_ns, sha(photo))
    again = writer.write(photo, proposal(photo))
    assert again.status == "unchanged"
    assert (photo.stat().st_mtime_ns, sha(photo)) == stamp


def test_read_reports_sidecars_and_merged_values(photos, pool):
    raw, sidecar = ph.raw_with_adobe_sidecar(photos)
    metadata = read_metadata(pool, raw)
    assert metadata.is_raw and metadata.target == str(sidecar)
    assert metadata.sidecars == [str(sidecar)]
    assert metadata.title == "Sidecar title" and metadata.keywords == ["Existing"]
    assert metadata.size == sidecar.stat().st_size
    assert metadata.mtime_ns == sidecar.stat().st_mtime_ns
    legacy = read_metadata(pool, ph.iptc_only_jpeg(photos))
    assert legacy.has_iptc and not legacy.has_xmp
    assert legacy.description == "Old caption" and legacy.keywords == ["Legacy", "Zürich"]
    assert legacy.values[Tag.IPTC_TITLE] == "Old title"


def test_hierarchy_prefix_writes_lightroom_paths(photos, pool):
    photo = ph.xmp_only(photos, "h.jpg")
    writer = MetadataWriter(pool, settings=MetadataSettings(hierarchy_prefix="AI"))
    assert writer.write(photo, proposal(photo, keywords=["dog"])).status == "written"
    values = ph.tags(photo, "XMP-lr:HierarchicalSubject", "XMP-dc:Subject")
    # A new lr:hierarchicalSubject also holds the photo's own keywords (one level each):
    # darktable, and digiKam without a TagsList, read only this field once it exists.
    assert values["XMP-lr:HierarchicalSubject"] == ["東京", "Tree", "AI|dog"]
    assert values["XMP-dc:Subject"] == ["東京", "Tree", "AI", "dog"]


def test_batch_reports_every_file_and_calls_back(photos, writer):
    files = [ph.xmp_only(photos, f"b{i}.jpg") for i in range(4)]
    seen: list[str] = []
    result = writer.write_batch([proposal(f) for f in files],
                                on_result=lambda outcome: seen.append(outcome.status))
    assert [o.status for o in result.outcomes] == ["written"] * 4
    assert sorted(seen) == ["written"] * 4 and result.batch_id
    assert not list(photos.glob(".iwtmp-*"))  # no temp folders left behind


def test_async_service_reads_and_writes_off_the_loop(photos, writer):
    import asyncio

    from imageworks_gui.services.metadata import AsyncMetadataService

    photo = ph.xmp_only(photos, "async.jpg")
    service = AsyncMetadataService(writer)

    async def main() -> tuple[list[str], list[str]]:
        seen: list[str] = []
        result = await service.write_batch([proposal(photo)], on_result=lambda o: seen.append(
            o.status))
        await asyncio.sleep(0)  # callbacks are delivered on the loop
        metadata = await service.read(photo)
        assert result.count("written") == 1
        return seen, metadata.keywords

    seen, keywords = asyncio.run(main())
    assert seen == ["written"] and "Zürich" in keywords


def test_pool_fixture_is_real(pool: ExifToolPool):
    assert pool.execute(["-ver"]).stdout.strip()


def test_keyword_longer_than_64_bytes_goes_to_xmp_only_with_a_note(photos, writer):
    photo = ph.iptc_only_jpeg(photos)
    long_keyword = "Überlanges Stichwort " * 4  # 84 bytes in UTF-8
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=[long_keyword, "short"]))
    assert outcome.status == "written"
    assert any("longer than IPTC's 64 bytes" in note for note in outcome.notes)
    values = ph.tags(photo, "XMP-dc:Subject", "IPTC:Keywords")
    assert values["XMP-dc:Subject"] == ["Legacy", "Zürich", long_keyword.strip(), "short"]
    assert values["IPTC:Keywords"] == ["Legacy", "Zürich", "short"]


def test_cancelled_batch_writes_nothing_more(photos, writer):
    import threading

    files = [ph.xmp_only(photos, f"c{i}.jpg") for i in range(3)]
    digests = [sha(f) for f in files]
    cancel = threading.Event()
    cancel.set()
    result = writer.write_batch([proposal(f) for f in files], cancel=cancel)
    assert [o.status for o in result.outcomes] == ["cancelled"] * 3
    assert [sha(f) for f in files] == digests and result.batch_id is None
