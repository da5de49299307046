"""Burst grouping rules on measured facts: gaps, hashes, missing times, ties, determinism."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from imageworks_gui.core.bursts import (
    NO_CAPTURE_TIME,
    CaptureTime,
    FrameFacts,
    group_bursts,
    hash_distance,
    needs_hash,
    parse_capture_time,
    pick_representative,
)
from imageworks_gui.core.settings import GroupingSettings, Settings

T0 = datetime(2024, 5, 1, 10, 0, 0)
SCENE_A = "f0f0f0f00f0f0f0f"
SCENE_B = "0f0f0f0ff0f0f0f0"


def frame(name, seconds=None, phash=SCENE_A, sharpness=100.0, offset=None, error=None):
    captured = None if seconds is None else CaptureTime(
        local=T0 + timedelta(seconds=seconds), offset_minutes=offset)
    return FrameFacts(path=name, captured=captured, phash=phash, sharpness=sharpness,
                      error=error)


def members(groups):
    return [list(g.members) for g in groups]


def test_parse_exif_times_with_subseconds_and_offsets():
    t = parse_capture_time("2024:05:01 10:00:00", "5", "+02:00")
    assert t.local == datetime(2024, 5, 1, 10, 0, 0, 500000)
    assert t.utc.hour == 8 and t.offset_minutes == 120
    assert parse_capture_time("2024:05:01 10:00:00", "050").local.microsecond == 50000
    xmp = parse_capture_time("2024:05:01 10:00:00.25-05:30")
    assert xmp.local.microsecond == 250000 and xmp.offset_minutes == -330
    assert parse_capture_time("2024:05:01 10:00:00Z").offset_minutes == 0
    for bad in (None, "", "0000:00:00 00:00:00", "2024:13:40 10:00:00", "yesterday"):
        assert parse_capture_time(bad) is None
    assert parse_capture_time("2024:05:01 10:00:00", None, "+99:00").offset_minutes is None


def test_hash_distance_counts_differing_bits():
    assert hash_distance(SCENE_A, SCENE_A) == 0
    assert hash_distance("0000000000000000", "0000000000000003") == 2
    assert hash_distance(SCENE_A, SCENE_B) == 64


def test_ten_frames_one_second_apart_are_one_burst_and_a_long_gap_splits():
    frames = [frame(f"a{i}", i) for i in range(10)] + [frame(f"b{i}", 40 + i) for i in range(3)]
    groups = group_bursts(frames, max_gap_s=3, max_hash_distance=12)
    assert members(groups) == [[f"a{i}" for i in range(10)], ["b0", "b1", "b2"]]
    assert all(g.reason is None and g.is_burst for g in groups)


def test_same_moment_different_scene_is_split_by_the_hash():
    frames = [frame("a", 0), frame("b", 0.5, phash=SCENE_B), frame("c", 1)]
    assert members(group_bursts(frames, 3, 12)) == [["a"], ["b"], ["c"]]


def test_photos_without_time_or_unreadable_stay_single_with_a_reason():
    frames = [frame("t0", 0), frame("none", None), frame("t1", 1),
              frame("broken", 0.5, phash=None, sharpness=None, error="truncated")]
    groups = group_bursts(frames, 3, 12)
    assert members(groups) == [["t0", "t1"], ["none"], ["broken"]]
    assert groups[1].reason == NO_CAPTURE_TIME and groups[2].reason == "truncated"


def test_offsets_compare_the_real_instants():
    # Same wall clock, recorded an hour apart in UTC: two cameras, not one burst.
    frames = [frame("paris", 0, offset=120), frame("london", 0.5, offset=60)]
    assert members(group_bursts(frames, 3, 12)) == [["paris"], ["london"]]
    # An hour apart on the wall clock but the same instant (a time-zone change mid-burst).
    frames = [frame("before", 0, offset=60), frame("after", 3600.5, offset=120)]
    assert members(group_bursts(frames, 3, 12)) == [["before", "after"]]


def test_sharpest_frame_leads_and_ties_go_to_the_middle():
    frames = [frame(f"f{i}", i, sharpness=s) for i, s in enumerate([50, 80, 90, 200, 60])]
    assert group_bursts(frames, 3, 12)[0].representative == "f3"
    same = [frame(f"f{i}", i, sharpness=100.0 + i * 0.1) for i in range(5)]
    assert pick_representative(same) == "f2"
    even = [frame(f"f{i}", i) for i in range(4)]
    assert pick_representative(even) == "f1"


def test_output_does_not_depend_on_input_order():
    frames = ([frame(f"a{i}", i, sharpness=10 + i % 3) for i in range(8)]
              + [frame(f"b{i}", 100 + i, phash=SCENE_B) for i in range(4)]
              + [frame("x", None)])
    expected = group_bursts(frames, 3, 12)
    for seed in range(5):
        shuffled = frames[:]
        random.Random(seed).shuffle(shuffled)
        got = group_bursts(shuffled, 3, 12)
        assert {(g.group_id, g.members, g.representative) for g in got} == \
            {(g.group_id, g.members, g.representative) for g in expected}


def test_only_photos_with_a_close_neighbour_need_a_decode():
    frames = [frame("a", 0), frame("b", 2), frame("alone", 60), frame("none", None)]
    assert needs_hash(frames, 3) == {"a", "b"}


def test_grouping_is_on_by_default_and_can_be_turned_off():
    assert Settings().grouping.enabled
    off = Settings.model_validate({"grouping": {"enabled": False, "max_gap_s": 1}})
    assert not off.grouping.enabled and off.grouping.max_gap_s == 1
    assert GroupingSettings().max_hash_distance == 12
