"""Photos whose names are near the file system's limit: written in the file; sidecars explained."""

from __future__ import annotations

import os

from imageworks_gui.core.metadata import Proposal
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.services.metadata import MetadataWriter
from tests.support import metadata_fixtures
from tests.support import photos as ph

pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos


def keywords(path) -> list[str]:
    value = ph.tags(path, "XMP-dc:Subject").get("XMP-dc:Subject", [])
    return value if isinstance(value, list) else [value]


def test_a_jpeg_with_a_252_character_name_is_written_in_the_file(photos, pool, app_dirs):
    photo = ph.make_image(photos / ("é" * 2 + "x" * 246 + ".jpg"))  # 252 chars, 254 bytes
    assert len(photo.name) == 252 and len(os.fsencode(photo.name)) >= 252
    writer = MetadataWriter(pool)
    outcome = writer.write(photo, Proposal(path=str(photo), keywords=["long"]))
    assert outcome.status == "written", outcome.reason
    assert keywords(photo) == ["long"]
    assert not list(photos.glob(".iwtmp-*"))
    undone = writer.undo(str(writer.list_batches()[0].batch_id))
    assert [o.status for o in undone.outcomes] == ["written"]
    assert keywords(photo) == []


def test_a_raw_whose_sidecar_name_would_be_too_long_is_reported_clearly(photos, pool,
                                                                         app_dirs):
    raw = photos / ("r" * 248 + ".CR2")
    raw.write_bytes(b"II*\x00\x10\x00\x00\x00CR\x02\x00" + os.urandom(4096))
    before = raw.read_bytes()
    darktable = MetadataWriter(pool, settings=MetadataSettings(sidecar_style="darktable"))
    outcome = darktable.write(raw, Proposal(path=str(raw), keywords=["long"]))
    assert outcome.status == "error"
    assert "longer than this file system allows" in str(outcome.reason)
    assert "rename the photo" in str(outcome.reason) and "Traceback" not in str(outcome.reason)
    assert raw.read_bytes() == before
    # The Adobe name (IMG.xmp) fits: that write goes through.
    adobe = MetadataWriter(pool, settings=MetadataSettings(sidecar_style="adobe"))
    outcome = adobe.write(raw, Proposal(path=str(raw), keywords=["long"]))
    assert outcome.status == "written", outcome.reason
    assert keywords(raw.with_suffix(".xmp")) == ["long"] and raw.read_bytes() == before
