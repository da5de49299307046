"""Helpers for tagging tests: coloured photos on disk and registry entries for fake servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from imageworks_gui.core.registry import RegistryEntry, parse_entries

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30), "green": (30, 170, 60), "blue": (30, 60, 220),
}


def make_photos(folder: Path, count: int = 3, size: tuple[int, int] = (1600, 1200),
                colours: list[str] | None = None) -> list[Path]:
    """``count`` solid-colour JPEGs named ``NN-colour.jpg`` (colours cycle red/green/blue)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = colours or list(COLOURS)
    paths = []
    for i in range(count):
        colour = names[i % len(names)]
        path = folder / f"{i:02d}-{colour}.jpg"
        Image.new("RGB", size, COLOURS[colour]).save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def registry_entry(base_url: str, served: str, name: str | None = None,
                   roles: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A registry entry (JSON dict) for a model served at ``base_url``."""
    data: dict[str, Any] = {
        "name": name or served, "backend": "vllm",
        "backend_config": {"base_url": base_url}, "served_model_id": served,
        "capabilities": {"text": True, "vision": True},
        "roles": roles if roles is not None else ["caption", "keywords", "description"],
    }
    data.update(extra)
    return data


def entries(*items: dict[str, Any]) -> list[RegistryEntry]:
    """Validated entries from JSON dicts (in priority order)."""
    return parse_entries(list(items))[0]
