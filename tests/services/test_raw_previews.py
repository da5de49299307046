"""RAW previews from the pooled ExifTool: same bytes as a spawned ExifTool, far cheaper."""

from __future__ import annotations

import io
import shutil

import pytest
from PIL import Image

from imageworks_gui.services.images import prepare_image
from imageworks_gui.services.metadata.previews import PooledRawPreview
from imageworks_gui.services.thumbnails import exiftool_raw_preview
from tests.support import metadata_fixtures
from tests.support.photos import raw_with_preview

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")
pool = metadata_fixtures.pool
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos


def test_pooled_preview_matches_a_spawned_exiftool_and_feeds_preparation(photos, pool):
    raw = raw_with_preview(photos / "-IMG_0001.CR2")  # a leading '-' is not an option
    pooled = PooledRawPreview(pool)
    data = pooled(raw)
    assert data is not None and data == exiftool_raw_preview(raw)
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (300, 200)
    prepared = prepare_image(raw, raw_preview=pooled)
    assert prepared.from_preview and (prepared.width, prepared.height) == (300, 200)
    with Image.open(io.BytesIO(prepared.jpeg)) as img:
        red, _green, blue = img.convert("RGB").getpixel((150, 100))
        assert blue > 180 and red < 80  # the preview, not the main image


def test_files_without_a_preview_and_missing_files_give_none(photos, pool):
    bare = photos / "IMG_0002.NEF"
    bare.write_bytes(b"not really a raw file")
    pooled = PooledRawPreview(pool)
    assert pooled(bare) is None
    assert pooled(photos / "gone.CR2") is None
