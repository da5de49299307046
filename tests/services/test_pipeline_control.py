"""Pipeline control: journal and resume, skip-tagged, cancel, pause, progress, the report."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import TagResult, from_journal_line, to_journal_line
from imageworks_gui.services.pipeline import (
    TaggingPipeline,
    completed_index,
    read_journal,
    write_summary,
)
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry


def make(http, server, **kw) -> TaggingPipeline:
    settings = kw.pop("settings", Settings())
    return TaggingPipeline(http, entries(registry_entry(server.base_url, "vlm")), settings,
                           backoff_base_s=0.01, **kw)


def journal_records(path):
    return [from_journal_line(line) for line in path.read_text().splitlines() if line.strip()]


def test_journal_record_round_trip():
    result = TagResult(path="/p/ä.jpg", size=3, mtime_ns=4, status="ok", caption="Ä",
                       keywords=["x"], errors={}, timings_ms={"total": 1.5})
    line = to_journal_line(result)
    assert "\n" not in line and '"v":1' in line and "Ä" in line
    assert from_journal_line(line) == result


async def test_resume_skips_unchanged_completed_images(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "p", 4)
    journal = tmp_path / "run.jsonl"
    settings = Settings.model_validate({"backend": {"max_retries": 0}})
    server.fail("500")  # one image fails the first time
    first = await make(http, server, journal_path=journal, settings=settings,
                       concurrency=1).run(photos)
    assert (first.ok, first.failed) == (3, 1)
    # Change one finished photo and add a new one.
    changed = next(p for p in photos if p.name != first.failures[0].file_path.name)
    changed.write_bytes(photos[0].read_bytes() if changed != photos[0] else photos[1].read_bytes())
    os.utime(changed, ns=(time.time_ns(), time.time_ns() + 10**9))
    photos += make_photos(tmp_path / "extra", 1, colours=["green"])
    seen = []
    second = await make(http, server, journal_path=journal, resume=True).run(
        photos, on_result=seen.append)
    redone = sorted(r.file_path.name for r in seen if r.status == "ok")
    assert second.skipped == 2
    assert redone == sorted([first.failures[0].file_path.name, changed.name, "00-green.jpg"])
    assert all(r.skip_reason == "already tagged in this journal" for r in seen
               if r.status == "skipped")
    records = journal_records(journal)
    assert len(records) == 4 + 3  # appended, nothing rewritten
    assert len(completed_index(journal)) == 5


async def test_without_resume_the_journal_starts_over(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "p", 2)
    journal = tmp_path / "run.jsonl"
    await make(http, server, journal_path=journal).run(photos)
    await make(http, server, journal_path=journal).run(photos[:1])
    assert len(journal_records(journal)) == 1


async def test_a_journal_cut_by_a_crash_is_repaired_on_resume(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "p", 3)
    journal = tmp_path / "run.jsonl"
    await make(http, server, journal_path=journal).run(photos[:2])
    text = journal.read_text()
    journal.write_text(text[: len(text) - 40])  # the second record lost its end
    outcome = await make(http, server, journal_path=journal, resume=True).run(photos)
    assert (outcome.skipped, outcome.ok) == (1, 2)
    assert len(list(read_journal(journal))) == 3  # the broken line is skipped when read


async def test_skip_tagged_uses_the_injected_check(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path, 3)
    outcome = await make(http, server, has_keywords=lambda p: "green" in p.name).run(photos)
    assert (outcome.ok, outcome.skipped) == (2, 1)
    assert not any(r.image_size and r.image_size[0] and "green" in r.prompt
                   for r in server.records)


async def test_a_failing_hook_fails_only_that_image(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])

    def has_keywords(path):
        if "green" in path.name:
            raise RuntimeError("metadata reader crashed")
        return False

    seen: list[TagResult] = []
    outcome = await make(http, server, has_keywords=has_keywords).run(
        make_photos(tmp_path, 3), on_result=seen.append)
    assert (outcome.ok, outcome.failed) == (2, 1)
    failed = outcome.failures[0]
    assert failed.file_path.name == "01-green.jpg"
    assert failed.errors["internal"] == "unexpected error: RuntimeError: metadata reader crashed"


async def test_stopping_early_closes_a_streaming_discovery(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    closed = []

    async def source():
        try:
            for path in make_photos(tmp_path, 3):
                yield path
        finally:
            closed.append(True)

    p = make(http, server)
    p.cancel()
    outcome = await p.run(source())
    assert outcome.total == 0 and closed == [True]


async def test_cancel_is_prompt_and_leaves_a_consistent_journal(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.25)
    photos = make_photos(tmp_path / "p", 12, size=(200, 150))
    journal = tmp_path / "run.jsonl"
    p = make(http, server, journal_path=journal, concurrency=2)
    seen: list[TagResult] = []

    def on_result(result: TagResult) -> None:
        seen.append(result)
        if len(seen) == 1:
            p.cancel()

    start = time.monotonic()
    outcome = await p.run(photos, on_result=on_result)
    assert time.monotonic() - start < 3
    assert outcome.was_cancelled and outcome.exit_code == 1
    assert outcome.cancelled >= 1 and outcome.ok + outcome.cancelled == outcome.total
    records = journal_records(journal)
    assert [r.status for r in records] == ["ok"] * outcome.ok  # no half-done records
    # A resumed run picks up exactly what is missing.
    server.latency_s = 0
    rest = await make(http, server, journal_path=journal, resume=True).run(photos)
    assert rest.skipped == outcome.ok and rest.ok == 12 - outcome.ok


async def test_cancelling_the_run_task_closes_the_journal(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.3)
    journal = tmp_path / "run.jsonl"
    p = make(http, server, journal_path=journal)
    task = asyncio.ensure_future(p.run(make_photos(tmp_path / "p", 6, size=(200, 150))))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert journal.read_text() == ""  # nothing finished, nothing half-written


async def test_pause_stops_new_images_until_resume(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")], latency_s=0.02)
    p = make(http, server, concurrency=1)
    p.pause()
    task = asyncio.ensure_future(p.run(make_photos(tmp_path, 3, size=(200, 150))))
    await asyncio.sleep(0.3)
    assert server.chat_count() == 0 and p.paused
    p.resume()
    outcome = await asyncio.wait_for(task, 10)
    assert outcome.ok == 3


async def test_progress_reports_counts_and_eta(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    folder = tmp_path / "p"
    make_photos(folder, 4)
    (folder / "broken.jpg").write_bytes(b"")
    updates = []
    outcome = await make(http, server).run(sorted(folder.iterdir()),
                                           on_progress=updates.append)
    last = updates[-1]
    assert (last.done, last.total, last.failed) == (5, 5, 1)
    assert not last.discovering and last.eta_s == 0
    assert [u.done for u in updates] == sorted(u.done for u in updates)
    assert any(u.eta_s is not None and u.eta_s > 0 for u in updates[:-1]) or outcome.ok == 4


async def test_summary_report(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    folder = tmp_path / "p"
    make_photos(folder, 2)
    (folder / "empty.jpg").write_bytes(b"")
    p = make(http, server)
    results: list[TagResult] = []
    outcome = await p.run(sorted(folder.iterdir()), on_result=results.append)
    report = tmp_path / "out" / "summary.md"
    write_summary(report, outcome, results, p.profile)
    text = report.read_text()
    assert "| 3 | 2 | 1 | 0 | 0 |" in text
    assert "| caption | caption | vlm | vllm | vlm | priority |" in text
    assert "`default`" in text
    assert "A red photograph" in text
    assert "empty.jpg" in text and "the file is empty (0 bytes)" in text
