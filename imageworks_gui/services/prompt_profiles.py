"""Prompt profile files: shipped defaults in the package plus user overrides in the config dir."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from imageworks_gui.core.prompts import PromptProfile, parse_profile
from imageworks_gui.services.paths import config_dir


class PromptProfileError(LookupError):
    """A profile is unknown or its file is invalid; the message says which and what to do."""


def user_profiles_dir() -> Path:
    """Folder of user profile files (``<config>/prompts/NAME.json``); they override shipped ones."""
    return config_dir() / "prompts"


def _shipped() -> dict[str, str]:
    folder = resources.files("imageworks_gui") / "data" / "prompts"
    return {
        item.name[:-5]: item.read_text(encoding="utf-8")
        for item in folder.iterdir()
        if item.name.endswith(".json")
    }


def _user(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in folder.glob("*.json") if p.is_file()}


def list_prompt_profiles(user_dir: Path | None = None) -> list[str]:
    """Names of every available profile (shipped and user), sorted."""
    folder = user_dir if user_dir is not None else user_profiles_dir()
    return sorted(set(_shipped()) | set(_user(folder)))


def load_prompt_profile(name: str, user_dir: Path | None = None) -> PromptProfile:
    """The profile called ``name``: the user's file when present, else the shipped one.

    An unknown name is an error (never a silent fallback to the default profile).
    """
    folder = user_dir if user_dir is not None else user_profiles_dir()
    user = _user(folder)
    if name in user:
        path = user[name]
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PromptProfileError(
                f"cannot read prompt profile {path}: {exc.strerror or exc}; fix its "
                f"permissions or remove it to use the shipped profile") from exc
    else:
        shipped = _shipped()
        if name not in shipped:
            known = ", ".join(list_prompt_profiles(folder))
            raise PromptProfileError(
                f"unknown prompt profile {name!r}: available profiles are {known}; add "
                f"{folder / (name + '.json')} to define it")
        text, source = shipped[name], f"shipped prompt profile {name!r}"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PromptProfileError(f"{source} is not valid JSON: {exc}; fix the file") from exc
    try:
        profile = parse_profile(data, source)
    except ValueError as exc:
        raise PromptProfileError(f"{exc}; fix the file") from exc
    if profile.name != name:
        raise PromptProfileError(
            f"{source} declares name {profile.name!r} but is loaded as {name!r}; make the "
            f"file name and its \"name\" field agree")
    return profile
