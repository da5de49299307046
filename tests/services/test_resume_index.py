"""The compact resume index reads records back from the journal; outcomes bound their failures."""

from __future__ import annotations

from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.pipeline.journal import JournalWriter
from imageworks_gui.services.pipeline.outcome import MAX_LISTED_FAILURES, RunOutcome
from imageworks_gui.services.pipeline.resume_index import ResumeIndex


def record(path: str, status: str = "ok", size: int = 10, caption: str = "c") -> TagResult:
    return TagResult(path=path, status=status, size=size, mtime_ns=5, caption=caption)


def test_index_keeps_last_ok_record_and_reads_it_back(tmp_path):
    journal = tmp_path / "j.jsonl"
    writer = JournalWriter(journal)
    a, b = str(tmp_path / "a b.jpg"), str(tmp_path / "b.jpg")
    writer.write(record(a, caption="first"))
    writer.write(record(b))
    writer.write(record(a, caption="second", size=11))
    writer.write(record(b, status="failed"))
    writer.close()
    with journal.open("ab") as fh:
        fh.write(b'{"v": 1, "path": "cut')  # a line cut by a crash
    index = ResumeIndex(journal)
    assert list(index) == [a]  # b failed last; the cut line is skipped
    assert index.lookup(a, 10, 5) is None  # the file changed since the first record
    assert index.lookup(a, 11, 5).caption == "second"
    assert index[a].caption == "second"
    assert ResumeIndex(tmp_path / "missing.jsonl").lookup(a, 11, 5) is None


def test_outcome_lists_at_most_the_first_failures():
    outcome = RunOutcome()
    for i in range(MAX_LISTED_FAILURES + 7):
        outcome.failed += 1
        outcome.add_failure(record(f"/p/{i}.jpg", status="failed"))
    assert len(outcome.failures) == MAX_LISTED_FAILURES
    assert outcome.failures[0].path == "/p/0.jpg"
    assert outcome.unlisted_failures == 7
