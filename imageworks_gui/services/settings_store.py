"""Settings store: load and atomically save settings.json in the user config dir."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from imageworks_gui.core.settings import Settings
from imageworks_gui.services.paths import config_dir
from imageworks_gui.services.registry_store import atomic_write_text

SETTINGS_FILENAME = "settings.json"


class SettingsLoadError(Exception):
    """settings.json exists but cannot be used; the file is left untouched."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: cannot load the settings: {reason}; fix or delete the file "
                         "to start from the defaults (nothing was changed)")


class SettingsStore:
    """Reads and writes the user's settings file; a missing file means default settings."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / SETTINGS_FILENAME

    def load(self) -> Settings:
        """The saved settings, or the defaults when the file does not exist yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsLoadError(self.path, f"cannot read the file ({exc})") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SettingsLoadError(
                self.path, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from exc
        if not isinstance(data, dict):
            raise SettingsLoadError(self.path, "the root must be a JSON object")
        try:
            return Settings.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
            raise SettingsLoadError(self.path, f"invalid values ({problems})") from exc

    def save(self, settings: Settings) -> None:
        """Write the settings atomically (unknown keys are kept)."""
        text = json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(self.path, text)
