"""Golden sets survive a round trip through the quality database, odd names included."""

from __future__ import annotations

import os
from pathlib import Path

from imageworks_gui.core.golden import GoldenPhoto, baseline_figures, figures, verdict
from imageworks_gui.services.golden_store import GoldenStore


def test_save_list_run_remove(tmp_path: Path) -> None:
    store = GoldenStore(tmp_path / "q.sqlite")
    odd = os.fsdecode(b"/photos/caf\xe9 \xff.jpg")  # not valid UTF-8
    photos = [GoldenPhoto(path=odd, truth_keywords=["fox"], baseline_keywords=["fox", "x"])]
    store.save("keywords", "birds", photos, {"entry": "vl", "aggregate": "abc"})
    [saved] = store.list_sets("keywords")
    assert saved.name == "birds" and saved.photos[0].path == odd
    assert saved.baseline_model == {"entry": "vl", "aggregate": "abc"}
    old = baseline_figures(saved.photos)
    result = verdict(old, figures(saved.photos, []))
    store.record_run("keywords", "birds", "vl", "def", result)
    assert [r[0] for r in store.runs("keywords", "birds")] == ["vl"]
    assert store.remove("keywords", "birds") is True
    assert store.list_sets() == [] and store.remove("keywords", "birds") is False
