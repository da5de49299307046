"""Bursts in a tagging run: one representative is tagged, every member gets its proposal."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import from_journal_line
from imageworks_gui.services.bursts import BurstService
from imageworks_gui.services.metadata.exiftool import ExifToolPool
from imageworks_gui.services.pipeline import TaggingPipeline
from imageworks_gui.services.pipeline.groups import BurstGrouper
from tests.support.bursts import T0, burst
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="needs ExifTool")


@pytest.fixture(scope="module")
def pool():
    with ExifToolPool(size=1, timeout=30) as shared:
        yield shared


def pipeline(http, server, pool, served="vlm", group=True, **kw):
    settings = Settings()
    grouper = BurstGrouper(BurstService(pool), settings.grouping) if group else None
    return TaggingPipeline(http, entries(registry_entry(server.base_url, served)), settings,
                           backoff_base_s=0.01, grouper=grouper, **kw)


@pytest.fixture
def folder(tmp_path):
    first = burst(tmp_path / "p", "A_", seed=1, count=5)
    second = burst(tmp_path / "p", "B_", seed=2, count=5, start=T0 + timedelta(seconds=40),
                   size=SECOND_SIZE)
    singles = make_photos(tmp_path / "p", 2, size=(640, 480))
    return first, second, singles


SECOND_SIZE = (800, 600)
"""The second burst's frame size, so the server can tell its requests apart."""


def journal_records(path):
    return [from_journal_line(line) for line in path.read_text().splitlines()]


async def test_each_burst_is_tagged_once_and_every_member_gets_the_proposal(
        http, fake_backend, pool, folder, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    first, second, singles = folder
    journal = tmp_path / "run.jsonl"
    results, progress = [], []
    outcome = await pipeline(http, server, pool, journal_path=journal).run(
        [*first, *second, *singles], on_result=results.append, on_progress=progress.append)
    assert (outcome.total, outcome.ok, outcome.failed) == (12, 12, 0)
    assert progress[-1].total == progress[-1].done == 12
    # Two bursts and two single photos, one combined request each.
    assert server.chat_count() == 4 and all(r.fused for r in server.records)
    assert outcome.model_requests == 4 and outcome.requests_per_photo == pytest.approx(4 / 12)
    assert outcome.request_modes == {"fused": 4}
    records = {r.file_path.name: r for r in journal_records(journal)}
    assert len(records) == 12
    for frames in (first, second):
        group = [records[p.name] for p in frames]
        rep = {r.representative for r in group}
        assert len(rep) == 1 and rep <= {str(p) for p in frames}
        assert len({r.group_id for r in group}) == 1 and group[0].group_id
        assert len({(r.caption, tuple(r.keywords), r.description) for r in group}) == 1
        for path, record in zip(frames, group, strict=True):
            assert (record.size, record.mtime_ns) == (path.stat().st_size,
                                                      path.stat().st_mtime_ns)
            assert record.inherited == (str(path) not in rep)
            assert record.models["keywords"].name == "vlm"
            assert record.request_mode == "fused"  # members record how their proposal was made
    assert records[first[0].name].group_id != records[second[0].name].group_id
    for path in singles:
        assert records[path.name].group_id is None and records[path.name].representative is None
    assert records[singles[0].name].caption == "A red photograph"
    # Delivered in journal order: a member never arrives before its representative.
    seen: set[str] = set()
    for result in results:
        if result.inherited:
            assert result.representative in seen
        seen.add(result.path)


async def test_without_grouping_every_photo_is_asked(http, fake_backend, pool, folder):
    server = fake_backend("vllm", [FakeModel("vlm")])
    first, _second, _singles = folder
    outcome = await pipeline(http, server, pool, group=False).run(first)
    assert server.chat_count() == 5 and outcome.requests_per_photo == 1.0


async def test_separate_requests_still_group_bursts(http, fake_backend, pool, folder):
    server = fake_backend("vllm", [FakeModel("vlm")])
    first, second, _singles = folder
    outcome = await pipeline(http, server, pool, fused=False).run([*first, *second])
    assert server.chat_count() == 6 and outcome.request_modes == {"separate": 2}
    assert outcome.requests_per_photo == pytest.approx(6 / 10)


async def test_a_fallback_field_is_asked_once_per_burst(http, fake_backend, pool, folder,
                                                       tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="bad_description")])
    first, second, _singles = folder
    journal = tmp_path / "run.jsonl"
    outcome = await pipeline(http, server, pool, journal_path=journal).run([*first, *second])
    assert outcome.ok == 10 and server.chat_count() == 4  # per burst: combined + description
    assert outcome.fallbacks == {"description": 2}
    records = journal_records(journal)
    assert {r.request_mode for r in records} == {"fused+fallback"}
    assert all(set(r.fallback) == {"description"} and "café" in r.description
               for r in records)


async def test_resume_asks_nothing_again(http, fake_backend, pool, folder, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    first, _second, _singles = folder
    journal = tmp_path / "run.jsonl"
    await pipeline(http, server, pool, journal_path=journal).run(first)
    asked = server.chat_count()
    outcome = await pipeline(http, server, pool, journal_path=journal, resume=True).run(first)
    assert server.chat_count() == asked and outcome.skipped == 5
    assert len(journal_records(journal)) == 5


async def test_a_failed_representative_fails_its_members_and_resume_retries_them(
        http, fake_backend, pool, folder, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("noeyes", rejects_images=True)])
    first, _second, _singles = folder
    journal = tmp_path / "run.jsonl"
    results = []
    outcome = await pipeline(http, server, pool, served="noeyes", journal_path=journal).run(
        first, on_result=results.append)
    assert outcome.failed == 5 and outcome.exit_code == 1
    members = [r for r in results if r.inherited]
    assert len(members) == 4
    rep_name = members[0].representative.rsplit("/", 1)[-1]
    assert all(rep_name in r.errors["burst"] and "--resume" in r.errors["burst"]
               for r in members)
    before = server.chat_count()
    outcome = await pipeline(http, server, pool, journal_path=journal, resume=True).run(first)
    assert outcome.ok == 5 and server.chat_count() - before == 1


async def test_a_frame_that_already_has_keywords_stays_out_of_the_burst(
        http, fake_backend, pool, folder):
    server = fake_backend("vllm", [FakeModel("vlm")])
    first, _second, _singles = folder
    tagged = {first[2]}
    results = []
    outcome = await pipeline(http, server, pool, has_keywords=lambda p: p in tagged).run(
        first, on_result=results.append)
    assert outcome.skipped == 1 and outcome.ok == 4 and server.chat_count() == 1
    skipped = next(r for r in results if r.status == "skipped")
    assert skipped.path == str(first[2]) and skipped.group_id is None


async def test_when_capture_times_cannot_be_read_every_photo_is_tagged(
        http, fake_backend, folder):
    server = fake_backend("vllm", [FakeModel("vlm")])
    first, _second, _singles = folder
    closed = ExifToolPool(size=1)
    closed.close()  # ExifTool refuses every command: no capture time for anyone
    grouper = BurstGrouper(BurstService(closed))
    results = []
    outcome = await TaggingPipeline(
        http, entries(registry_entry(server.base_url, "vlm")), Settings(),
        grouper=grouper).run(first, on_result=results.append)
    assert outcome.ok == 5 and server.chat_count() == 5
    assert all(r.group_id is None for r in results)
    assert all("ExifTool pool is closed" in g.reason for g in grouper.last_plan.groups)


async def test_cancelling_mid_run_journals_whole_bursts_only(
        http, fake_backend, pool, folder, tmp_path):
    # Both representatives are in flight at once and race for the server. The server stalls
    # the second burst's requests (two at most: caption and keywords), and a third endpoint
    # slot lets the first burst through, so it is certainly done before the cancel.
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.1, slots=1)
    server.hold(SECOND_SIZE)
    first, second, _singles = folder
    journal = tmp_path / "run.jsonl"
    p = pipeline(http, server, pool, journal_path=journal, concurrency=3)
    results = []

    def on_result(result):
        results.append(result)
        if len(results) == 1:  # the first burst's representative: its members still to come
            p.cancel()

    outcome = await p.run([*first, *second], on_result=on_result)
    assert outcome.was_cancelled and outcome.ok == 5
    assert [r.path for r in results[:5]] == [results[0].path] + [
        str(x) for x in first if str(x) != results[0].path]
    assert len(results) == 10 and {r.status for r in results[5:]} == {"cancelled"}
    assert sorted(r.path for r in results[5:]) == sorted(str(x) for x in second)
    records = journal_records(journal)
    assert sorted(r.file_path.name for r in records) == sorted(x.name for x in first)
    server.release()
    before = server.chat_count()
    outcome = await pipeline(http, server, pool, journal_path=journal, resume=True).run(
        [*first, *second])
    assert (outcome.ok, outcome.skipped) == (5, 5) and server.chat_count() - before == 1
