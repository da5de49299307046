"""Screenshots of the comparison view (staged proposals of two models) at two sizes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from imageworks_gui.core.compare import Combination, Proposal, Sample

SIZES = {"tagging-compare-1024x700.png": (1024, 700),
         "tagging-compare-1920x1200.png": (1920, 1200)}


async def render_compare(window: Any, photos: list[Path], out_dir: Path) -> list[Path]:
    """The view on a photo where the two models disagree, one photo already marked."""
    from imageworks_gui.gui.tagging.compare_view import CompareView

    combos = [Combination("qwen2.5-vl-7b"), Combination("llava-1.6-7b", "concise")]
    paths = [str(p) for p in photos[:4]]
    view = CompareView(window.context, combos, Sample(tuple(paths), 2025, 4, len(photos)),
                       window)
    view.proposals = {
        paths[0]: [Proposal("Harbour at dusk", ("harbour", "boats", "dusk", "sea"),
                            "Fishing boats moored in a calm harbour at dusk.", 2.4),
                   Proposal("Boats in a harbour", ("boats", "harbour", "evening"),
                            "Boats in a harbour in the evening.", 1.1)],
        paths[1]: [Proposal("Pine forest path", ("forest", "pine trees", "path", "moss"),
                            "A narrow path winds between tall pine trees.", 2.6),
                   Proposal("Forest with <b>trees</b>", ("forest", "trees", "green"),
                            "A green forest with many trees.", 1.0)],
    }
    for p in paths[2:]:
        view.proposals[p] = [Proposal("Lake", ("lake",), "A lake.", 2.0),
                             Proposal(error="the server stopped answering")]
    view.cancel_button.setEnabled(False)
    view.progress.setMaximum(8)
    view.progress.setValue(8)
    view.mark_photo(0)
    view.status.setText("Mark the better proposal per photo (keys 1/2/3, 0 for a tie) or per "
                        "field (Better buttons).")
    saved = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (w, h) in SIZES.items():
        view.resize(w, h)
        view.show()
        await asyncio.sleep(0.2)
        target = out_dir / name
        view.grab().save(str(target))
        saved.append(target)
    view.close()
    return saved
