"""ComparisonRun against two test-server models that answer differently; nothing written."""

from __future__ import annotations

import asyncio

import httpx

from imageworks_gui.core.compare import Combination
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.compare import ComparisonRun
from tests.support.fake_backend import FakeModel
from tests.support.tagging import entries, make_photos, registry_entry


def test_each_combination_answers_with_its_own_model(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("blind", sees=False)])
    photos = make_photos(tmp_path / "photos", 2, size=(300, 200))
    before = {p: p.read_bytes() for p in photos}
    registry = entries(registry_entry(server.base_url, "vlm"),
                       registry_entry(server.base_url, "blind"))
    progress: list[tuple[int, int]] = []

    async def go():
        async with httpx.AsyncClient() as http:
            run = ComparisonRun(http, registry, Settings(),
                                [Combination("vlm"), Combination("blind")])
            return await run.run([str(p) for p in photos],
                                 on_progress=lambda d, t: progress.append((d, t)))

    table = asyncio.run(go())
    green = table[str(photos[1])]
    assert green[0].caption == "A green photograph"
    assert green[1].caption == "A red photograph"  # the blind model always says red
    assert all(p.error is None and p.seconds is not None for row in table.values() for p in row)
    assert progress[-1] == (4, 4)
    assert {p: p.read_bytes() for p in photos} == before
    assert sorted(x.name for x in photos[0].parent.iterdir()) == sorted(p.name for p in photos)
