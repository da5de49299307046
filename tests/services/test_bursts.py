"""Burst grouping on generated bursts: real JPEGs, capture times written and read by ExifTool."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta

import pytest

from imageworks_gui.core.bursts import NO_CAPTURE_TIME
from imageworks_gui.core.settings import GroupingSettings
from imageworks_gui.services.bursts import BurstService, SignatureCache
from imageworks_gui.services.metadata.capture import read_capture_times
from imageworks_gui.services.metadata.exiftool import ExifToolPool
from tests.support.bursts import T0, burst, save, scene, set_time, variant

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")


@pytest.fixture(scope="module")
def pool():
    with ExifToolPool(size=1, timeout=30) as shared:
        yield shared


def members(groups):
    return [[os.path.basename(m) for m in g.members] for g in groups]


def names(paths):
    return [os.path.basename(p) for p in paths]


async def test_ten_frames_one_second_apart_are_one_burst(tmp_path, pool):
    frames = burst(tmp_path, "IMG_", seed=1, count=10)
    groups = await BurstService(pool).group(frames[::-1])  # input order does not matter
    assert members(groups) == [names(frames)]
    assert groups[0].representative in {str(p) for p in frames}


async def test_capture_times_come_back_from_one_exiftool_call_as_written(tmp_path, pool):
    import exiv2

    path = set_time(save(scene(3), tmp_path / "a.jpg"), T0, subsec="25", offset="+02:00")
    image = exiv2.ImageFactory.open(str(path))
    image.readMetadata()
    assert image.exifData()["Exif.Photo.DateTimeOriginal"].toString() == "2024:05:01 10:00:00"
    read = read_capture_times(pool, [path, tmp_path / "missing.jpg"])
    assert read[str(path)].captured.local == T0 + timedelta(milliseconds=250)
    assert read[str(path)].captured.offset_minutes == 120
    assert "cannot read the file" in read[str(tmp_path / "missing.jpg")].error


async def test_a_thirty_second_gap_splits_the_burst(tmp_path, pool):
    first = burst(tmp_path, "A_", seed=1, count=4)
    second = burst(tmp_path, "B_", seed=1, count=4, start=T0 + timedelta(seconds=33))
    groups = await BurstService(pool).group(first + second)
    assert members(groups) == [names(first), names(second)]


async def test_same_moment_but_another_scene_is_split_by_the_hash(tmp_path, pool):
    cat = burst(tmp_path, "cat_", seed=1, count=3)
    # A second camera shooting something else at the very same moments.
    other = burst(tmp_path, "car_", seed=2, count=3, start=T0 + timedelta(milliseconds=500))
    groups = await BurstService(pool).group(cat + other)
    assert sorted(members(groups)) == [[p] for p in sorted(names(cat + other))]


async def test_the_gap_and_distance_settings_are_honoured(tmp_path, pool):
    frames = burst(tmp_path, "S_", seed=4, count=4, every_s=2.5)
    service = BurstService(pool)
    assert len(await service.group(frames, GroupingSettings(max_gap_s=3))) == 1
    assert len(await service.group(frames, GroupingSettings(max_gap_s=2))) == 4
    assert len(await service.group(frames, GroupingSettings(max_hash_distance=0))) >= 2


async def test_no_capture_time_means_a_single_photo(tmp_path, pool):
    img = scene(1)
    untimed = [save(variant(img, i), tmp_path / f"scan_{i}.jpg") for i in range(3)]
    timed = burst(tmp_path, "IMG_", seed=1, count=3)
    groups = await BurstService(pool).group(untimed + timed)
    assert members(groups) == [["scan_0.jpg"], ["scan_1.jpg"], ["scan_2.jpg"], names(timed)]
    assert [g.reason for g in groups[:3]] == [NO_CAPTURE_TIME] * 3


async def test_sub_second_times_order_frames_within_one_second(tmp_path, pool):
    img = scene(5)
    # File names run against capture order; only SubSecTimeOriginal tells them apart.
    order = {"c.jpg": "10", "a.jpg": "40", "b.jpg": "70"}
    paths = [set_time(save(variant(img, i), tmp_path / name), T0, subsec=sub)
             for i, (name, sub) in enumerate(order.items())]
    groups = await BurstService(pool).group(sorted(paths))
    assert members(groups) == [["c.jpg", "a.jpg", "b.jpg"]]


async def test_sharpest_frame_leads_and_identical_frames_elect_the_middle(tmp_path, pool):
    frames = burst(tmp_path, "F_", seed=6, count=5, blur={0: 2, 1: 2, 2: 2, 4: 2})
    groups = await BurstService(pool).group(frames)
    assert groups[0].representative == str(frames[3])
    img = scene(7)
    same = [set_time(save(img, tmp_path / f"same_{i}.jpg"), T0 + timedelta(minutes=5,
                                                                          seconds=i))
            for i in range(5)]
    assert (await BurstService(pool).group(same))[0].representative == str(same[2])


async def test_broken_and_hostile_files_never_break_grouping(tmp_path, pool):
    frames = burst(tmp_path, "IMG_", seed=8, count=4)
    hostile = [tmp_path / "IMG[x] é.jpg", tmp_path / "-rf.jpg",
               tmp_path / os.fsdecode(b"caf\xe9.jpg"), tmp_path / ("long" * 50 + ".jpg")]
    for i, path in enumerate(hostile):
        shutil.copy(frames[-1], path)
        set_time(path, T0 + timedelta(seconds=4 + i))
    broken = tmp_path / "IMG_broken.jpg"
    shutil.copy(frames[1], broken)
    broken.write_bytes(broken.read_bytes()[:6000])  # EXIF time intact, image data cut off
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    groups = await BurstService(pool).group([*frames, broken, *hostile, empty, text])
    by_first = {os.path.basename(g.members[0]): g for g in groups}
    assert len(by_first["IMG_00.jpg"].members) == 4 + len(hostile)
    assert "truncated" in by_first["IMG_broken.jpg"].reason
    assert "empty" in by_first["empty.jpg"].reason
    assert by_first["notes.jpg"].reason == NO_CAPTURE_TIME
    assert sum(len(g.members) for g in groups) == 4 + len(hostile) + 3


async def test_signatures_are_cached_beside_the_thumbnails_until_the_file_changes(
        tmp_path, pool, isolated_user_dirs):
    frames = burst(tmp_path / "p", "IMG_", seed=9, count=3)
    service = BurstService(pool)
    assert len(await service.group(frames)) == 1
    cached = sorted((isolated_user_dirs["cache"] / "thumbnails").rglob("*.json"))
    assert len(cached) == 3
    # A stale answer planted in the cache is used as long as the file is unchanged...
    data = json.loads(cached[0].read_text())
    data["phash"] = "%016x" % (int(data["phash"], 16) ^ 0xFFFFFFFFFFFFFFFF)
    for entry in cached:
        entry.write_text(json.dumps(data if entry == cached[0] else json.loads(
            entry.read_text())))
    assert len(await BurstService(pool).group(frames)) > 1
    # ...and ignored once the file changed (new modification time).
    for path in frames:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert len(await BurstService(pool).group(frames)) == 1


async def test_without_exiftool_nothing_is_grouped(tmp_path):
    frames = burst(tmp_path, "IMG_", seed=1, count=3)
    groups = await BurstService(None, SignatureCache(tmp_path / "cache")).group(frames)
    assert [len(g.members) for g in groups] == [1, 1, 1]
