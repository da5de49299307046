"""Screenshots of the vocabulary: Settings > Vocabulary and a review with the new-terms row."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

LIGHTROOM_EXPORT = (
    "Events\n\tHoliday 2025\n"
    "[Nature]\n\tLandscape\n\t\tField\n\t\t\t{meadow}\n\t\tMountains\n"
    "\tPlants\n\t\tLavender\n\t\t\t{lavandula}\n\t\tPine\n"
    "[People]\n\tFamily\n\tFriends\n"
    "Places\n\tEurope\n\t\tFrance\n\t\t\tProvence\n\t\t\t\t{Provençal}\n\t\t\tValensole\n"
    "Seasons\n\tSummer\n\tWinter\n"
)
"""A small keyword list as Lightroom Classic exports it (Metadata > Export Keywords)."""

SAID = ["lavender", "fields", "summer", "Provence", "purple flowers", "rows", "countryside"]
"""What the model "proposed" for the staged photo: mapped terms and three new ones."""


async def render_vocabulary(window: Any, photo: Path, root: Path, out_dir: Path,
                            wait: Callable[..., Any],
                            dim: Callable[[Any, Any], Any]) -> list[Path]:
    """Import a Lightroom export, show Settings > Vocabulary, then a review whose keywords were
    mapped onto it (new terms in their own row) at 1440x900, 1024x700 and 1920x1080."""
    from imageworks_gui.core import review as rv
    from imageworks_gui.core.tagging import TagResult
    from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
    from imageworks_gui.gui.vocabulary_page import VocabularyPage
    from imageworks_gui.services.vocabulary_store import VocabularyStore, read_vocabulary_file

    export = root / "Lightroom Keywords.txt"
    export.write_text(LIGHTROOM_EXPORT, encoding="utf-8")
    store = VocabularyStore()
    store.add(read_vocabulary_file(export, "Lightroom keywords"))
    saved: list[Path] = []

    window.open_settings()
    dialog = window.settings_dialog
    page = dialog.findChild(VocabularyPage)
    dialog.tabs.setCurrentIndex(dialog.tabs.count() - 1)
    dialog.resize(640, 600)
    dialog.show()
    await wait(lambda: page.tree.topLevelItemCount() > 0)
    page.tree.expandAll()
    page.tree.setCurrentItem(page.tree.topLevelItem(0).child(3).child(0).child(0))
    await asyncio.sleep(0.1)
    target = out_dir / "settings-vocabulary.png"
    dim(window, dialog).save(str(target))
    saved.append(target)
    dialog.close()

    ws = window.tagging
    ctrl = ws.controller
    models = {stage: {"name": "qwen2.5-vl-7b", "backend": "vllm"}
              for stage in ("caption", "keywords", "description")}
    result = TagResult(path=str(photo), status="ok", caption="Lavender rows in summer",
                       keywords=list(SAID), models=models,
                       description="Rows of flowering lavender under a clear sky.")
    VocabularyPolicy(VocabularyMapper(store.active()), "suggest").apply_to(result)
    review = rv.apply_result(rv.queue(ctrl.session.get(str(photo))), result)
    ctrl.put([rv.set_existing(review, None, None, ["Holiday 2025"])])
    ctrl.vocabularies.names = ["Lightroom keywords"]
    ws.review_pane.vocabulary_names = ["Lightroom keywords"]
    ws.select_path(str(photo))
    ctrl.reject_keyword(str(photo), "rows")
    await wait(lambda: ws.review_pane.preview.image is not None
               and ws.review_pane.preview.image.width() > 300)
    size = window.size()
    for name, width, height in (("tagging-vocabulary.png", 1440, 900),
                                ("tagging-vocabulary-1024x700.png", 1024, 700),
                                ("tagging-vocabulary-1920x1080.png", 1920, 1080)):
        window.resize(width, height)
        await asyncio.sleep(0.15)
        target = out_dir / name
        window.grab().save(str(target))
        saved.append(target)
    window.resize(size)
    await asyncio.sleep(0.05)
    return saved
