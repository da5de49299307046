"""File discovery: extensions, recursion, bad inputs, and streaming without listing first."""

from __future__ import annotations

import asyncio
import time

import pytest

from imageworks_gui.services.discovery import (
    DiscoveryError,
    aiter_images,
    is_image_path,
    iter_images,
)

NAMES = ["a.jpg", "b.JPEG", "c.png", "d.tif", "e.webp", "f.heic", "g.CR2", "h.nef", "i.arw",
         "j.dng", "k.orf", "l.raf", "m.rw2", "n.cr3"]


def _tree(root):
    for name in [*NAMES, "notes.txt", "IMG_1.xmp", ".hidden.jpg"]:
        (root / name).write_bytes(b"x")
    sub = root / "sub" / "deeper"
    sub.mkdir(parents=True)
    (sub / "z.jpg").write_bytes(b"x")
    (root / ".cache").mkdir()
    (root / ".cache" / "thumb.jpg").write_bytes(b"x")
    return root


def test_supported_extensions_only(tmp_path):
    found = [p.name for p in iter_images([_tree(tmp_path)], recursive=False)]
    assert sorted(found) == sorted(NAMES)
    assert not is_image_path(tmp_path / "x.xmp")


def test_recursive_option(tmp_path):
    _tree(tmp_path)
    assert "z.jpg" in [p.name for p in iter_images([tmp_path], recursive=True)]
    assert "z.jpg" not in [p.name for p in iter_images([tmp_path], recursive=False)]


def test_files_and_folders_mixed_without_duplicates(tmp_path):
    _tree(tmp_path)
    found = list(iter_images([tmp_path / "a.jpg", tmp_path, tmp_path / "a.jpg"],
                             recursive=False))
    assert [p.name for p in found].count("a.jpg") == 1


def test_missing_input_and_unsupported_file_are_reported(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DiscoveryError, match="does not exist"):
        list(iter_images([tmp_path / "nope"]))
    errors = []
    found = list(iter_images([tmp_path / "nope", tmp_path / "notes.txt"],
                             on_error=lambda p, m: errors.append(m)))
    assert found == []
    assert "does not exist: check the path" in errors[0]
    assert "not a supported image type (.txt)" in errors[1]


def test_folder_with_no_images(tmp_path):
    (tmp_path / "readme.md").write_text("x")
    assert list(iter_images([tmp_path])) == []


def test_streaming_starts_before_the_walk_ends(tmp_path):
    for i in range(3000):
        (tmp_path / f"{i:05d}.jpg").write_bytes(b"")
    it = iter_images([tmp_path])
    start = time.perf_counter()
    first = next(it)
    assert first.name == "00000.jpg"
    assert time.perf_counter() - start < 0.5


async def test_async_discovery_delivers_everything_and_reports_errors(tmp_path):
    _tree(tmp_path)
    errors = []
    found = [p async for p in aiter_images([tmp_path, tmp_path / "missing"], True,
                                           lambda p, m: errors.append(m), batch=4)]
    assert len(found) == len(NAMES) + 1
    assert len(errors) == 1 and "missing" in errors[0]


async def test_async_discovery_can_stop_early(tmp_path):
    for i in range(500):
        (tmp_path / f"{i}.jpg").write_bytes(b"")
    gen = aiter_images([tmp_path], batch=8)
    got = [await gen.__anext__() for _ in range(3)]
    await gen.aclose()
    assert len(got) == 3
    await asyncio.sleep(0.3)  # the worker thread notices and stops


@pytest.mark.parametrize("name", ["frozenpond.mpo", "exif.avif"])
def test_formats_the_writer_handles_are_discovered_and_shown(tmp_path, name):
    from imageworks_gui.services.thumbnails import render_thumbnail
    from tests.support.corpus import copy_to

    photo = copy_to(name, tmp_path)
    assert [p.name for p in iter_images([tmp_path])] == [name]
    assert list(iter_images([photo])) == [photo]
    image, _source = render_thumbnail(photo, 64)
    assert max(image.size) == 64


@pytest.mark.parametrize("name", ["a.crw", "b.MRW", "c.x3f", "d.erf", "e.srf", "f.sr2", "g.KDC"])
def test_every_raw_the_sidecar_rules_know_is_discovered(tmp_path, name):
    import io

    from PIL import Image

    from imageworks_gui.services.thumbnails import render_thumbnail

    (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in iter_images([tmp_path])] == [name]
    preview = io.BytesIO()
    Image.new("RGB", (320, 200), "red").save(preview, "JPEG")
    image, source = render_thumbnail(tmp_path / name, 64, raw_preview=lambda _p: preview.getvalue())
    assert (source, image.size) == ("embedded", (64, 40))
