"""A golden set re-run against the test server: figures old vs new, and the verdict."""

from __future__ import annotations

from imageworks_gui.core.golden import GoldenPhoto
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.golden import rerun
from imageworks_gui.services.golden_store import GoldenSet
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry


async def test_rerun_compares_with_the_baseline(http, fake_backend, tmp_path):
    server = fake_backend("vllm", [FakeModel("vlm")])
    [photo] = make_photos(tmp_path / "p", 1, size=(320, 240))  # a red photo
    items = entries(registry_entry(server.base_url, "vlm"))
    golden = GoldenSet(role="keywords", name="g", created_at="", baseline_model={}, photos=[
        GoldenPhoto(path=str(photo), truth_keywords=["red", "red tones", "test pattern"],
                    baseline_keywords=["red", "red tones", "test pattern"])])
    result = await rerun(http, golden, items[0], items, Settings())
    # The server proposes red, red tones, test pattern, RED: all kept, as before.
    assert result.old.precision == 1.0 and result.new.precision == 1.0
    assert result.status == "pass"
    wrong = GoldenSet(role="keywords", name="g", created_at="", baseline_model={}, photos=[
        GoldenPhoto(path=str(photo), truth_keywords=["red"], baseline_keywords=["red"])])
    result = await rerun(http, wrong, items[0], items, Settings(), margin=0.05)
    # New: 1 of 3 distinct keywords kept -> 0.333; a drop of 0.667 fails.
    assert abs(result.new.precision - 1 / 3) < 1e-9 and result.status == "fail"
