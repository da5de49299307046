"""Try a prompt profile on one photo against one model: every stage's answer, nothing written."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.errors import BackendError
from imageworks_gui.services.images import ImagePreparationError, prepare_image_async
from imageworks_gui.services.pipeline.stages import (
    StageError,
    run_keywords_stage,
    run_text_stage,
)


@dataclass
class TrialResult:
    """What the model answered per stage, and per stage why it did not (plain text)."""

    profile_sha256: str
    model: str
    caption: str = ""
    keywords: list[str] = field(default_factory=list)
    description: str = ""
    errors: dict[str, str] = field(default_factory=dict)


async def try_profile(http: httpx.AsyncClient, entry: RegistryEntry, settings: Settings,
                      profile: PromptProfile, photo: Path) -> TrialResult:
    """Run the caption, keywords and description stages of ``profile`` on ``photo``.

    The photo is only read. When the server is down the first failure is reported once
    (under ``server``) and the remaining stages are not tried.
    """
    result = TrialResult(profile.sha256, entry.name)
    try:
        prepared = await prepare_image_async(photo, settings.tagging.image_long_edge,
                                             settings.tagging.jpeg_quality)
    except (ImagePreparationError, OSError) as exc:
        result.errors["photo"] = f"cannot read {photo}: {exc}; choose another photo"
        return result
    image_url = "data:image/jpeg;base64," + base64.b64encode(prepared.jpeg).decode("ascii")
    client = BackendClient(http, entry, settings.backend)
    low, high = profile.keyword_range(settings.tagging.max_keywords)
    for stage in ("caption", "keywords", "description"):
        prompt = profile.stage(stage)
        try:
            if stage == "keywords":
                result.keywords = await run_keywords_stage(
                    client, prompt, image_url, high, settings.tagging.banned_keywords,
                    min_keywords=low)
            else:
                values = {"caption": result.caption, "keywords": ", ".join(result.keywords),
                          "max_keywords": high, "min_keywords": low}
                text = await run_text_stage(client, stage, prompt, image_url, **values)
                setattr(result, stage, text)
        except StageError as exc:
            result.errors[stage] = str(exc)
        except BackendError as exc:
            result.errors["server"] = str(exc)
            break
    return result
