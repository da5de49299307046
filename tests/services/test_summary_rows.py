"""The run report of a large run: rows spooled to disk, not kept as results; odd names kept."""

from __future__ import annotations

import os

from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.pipeline.outcome import RunOutcome
from imageworks_gui.services.pipeline.summary import SummaryRows, write_summary


def test_a_report_larger_than_memory_spool_keeps_every_row_and_odd_names(tmp_path,
                                                                         monkeypatch):
    odd = os.fsdecode(b"caf\xe9 [/x] -n.jpg")  # not UTF-8: a surrogate in the str
    monkeypatch.setattr(SummaryRows, "SPOOL_BYTES", 64 * 1024)
    count = 20_000  # far more rows than SummaryRows keeps in memory
    outcome = RunOutcome(total=count, ok=count - 1, failed=1)
    with SummaryRows() as rows:
        for i in range(count - 1):
            rows.add(TagResult(path=f"/p/IMG_{i:05d}.jpg", status="ok", caption=f"photo {i}",
                               keywords=["a", "b"]))
        rows.add(TagResult(path=f"/p/{odd}", status="failed",
                           errors={"keywords": "HTTP 500 | [bold]x[/bold]"}))
        assert rows._rows._rolled  # spilled to a temporary file on disk
        report = tmp_path / "out" / "summary.md"
        write_summary(report, outcome, rows)
    text = report.read_bytes().decode("utf-8")  # valid UTF-8 throughout
    lines = text.splitlines()
    assert sum(1 for line in lines if line.startswith("| IMG_")) == count - 1
    assert "| IMG_00000.jpg | ok | photo 0 | a, b |" in text
    assert "| IMG_19998.jpg | ok | photo 19998 |" in text
    assert "caf\\xe9 [/x] -n.jpg" in text  # the undecodable byte shown as an escape
    failures = text.split("## Failures")[1]
    assert "caf\\xe9" in failures and "keywords: HTTP 500 | [bold]x[/bold]" in failures
    assert [p.name for p in report.parent.iterdir()] == ["summary.md"]  # no temp file left
