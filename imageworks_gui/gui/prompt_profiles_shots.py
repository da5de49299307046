"""Screenshots of Settings > Prompt profiles: an edited copy with a trial answer, and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any


async def render_prompt_profiles(window: Any, photo: Path, out_dir: Path,
                                 wait: Callable[..., Any]) -> list[Path]:
    """The profile editor at 1024x700 and 1920x1200 (a duplicated shipped profile, edited,
    with a trial's answers), and at 1024x700 with validation errors next to their fields."""
    from imageworks_gui.gui.prompt_profiles_page import PromptProfilesPage
    from imageworks_gui.gui.prompt_trial_panel import trial_text
    from imageworks_gui.services.profile_trial import TrialResult

    window.tagging.select_path(str(photo))
    window.open_settings()
    dialog = window.settings_dialog
    page = dialog.findChild(PromptProfilesPage)
    dialog.tabs.setCurrentWidget(page)
    await wait(lambda: page.list.count() > 0)
    page.select("stock")
    await page.duplicate("agency-stock")
    editor = page.editor
    editor.description.setText("Stock agency: 30 to 45 keywords, English, no brand names")
    editor.min_keywords.setValue(30)
    editor.max_keywords.setValue(45)
    editor.stage_tabs.setCurrentIndex(1)
    profile = editor.profile()
    assert profile is not None
    result = TrialResult(profile.sha256, page.trial.models.currentText() or "qwen2.5-vl-7b",
                         caption="Rows of lavender in bloom under a summer sky",
                         keywords=["lavender", "field", "summer", "Provence", "purple",
                                   "rows", "agriculture", "flowers", "countryside", "bloom"],
                         description="Long rows of flowering lavender run towards a line of "
                                     "trees under a clear blue summer sky.")
    page.trial.output.setPlainText(trial_text(result))
    saved: list[Path] = []
    for name, width, height in (("settings-prompt-profiles-1024x700.png", 1024, 700),
                                ("settings-prompt-profiles-1920x1200.png", 1920, 1200)):
        dialog.resize(width, height)
        dialog.show()
        await asyncio.sleep(0.15)
        target = out_dir / name
        dialog.grab().save(str(target))
        saved.append(target)

    editor.language.setText("english")
    editor.min_keywords.setValue(50)
    editor.stages["keywords"].user.setPlainText(
        "List {min_keywords} to {max_keyword} keywords for this photo as JSON.")
    dialog.resize(1024, 700)
    await asyncio.sleep(0.15)
    target = out_dir / "settings-prompt-profiles-errors.png"
    dialog.grab().save(str(target))
    saved.append(target)
    page.dirty = False  # nothing to ask about: the shot is done
    dialog.close()
    return saved
