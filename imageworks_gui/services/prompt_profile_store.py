"""User prompt profiles on disk: atomic save with kept versions, restore, duplicate, delete."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from imageworks_gui.core.prompts import _PROFILE_NAME_RE, PromptProfile, parse_profile
from imageworks_gui.services.prompt_profiles import (
    PromptProfileError,
    _shipped,
    load_prompt_profile,
    user_profiles_dir,
)
from imageworks_gui.services.registry_store import atomic_write_text

Origin = Literal["shipped", "user", "override"]
VERSIONS = ".versions"
"""Sub-folder of the profiles folder: ``.versions/NAME/<UTC time>-<hash8>.json``."""


@dataclass(frozen=True)
class ProfileRecord:
    """One listed profile: where it comes from, and the profile or why it cannot be read."""

    name: str
    origin: Origin
    profile: PromptProfile | None
    problem: str | None = None


@dataclass(frozen=True)
class ProfileVersion:
    """A kept earlier text of a user profile."""

    path: Path
    saved_at: datetime
    hash8: str


def profile_text(profile: PromptProfile) -> str:
    """The file text a profile is saved as (indented JSON, fields in schema order)."""
    return json.dumps(profile.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _text_hash8(text: str) -> str:
    try:
        return parse_profile(json.loads(text)).sha256[:8]
    except ValueError:
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


class PromptProfileStore:
    """Owns the files under ``<config>/prompts``; shipped profiles are read only."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else user_profiles_dir()

    # -- reading -----------------------------------------------------------------------------
    def user_path(self, name: str) -> Path:
        self._check_name(name)
        return self.folder / f"{name}.json"

    def _check_name(self, name: str) -> None:
        if not _PROFILE_NAME_RE.fullmatch(name):
            raise PromptProfileError(
                f"{name!r} is not a usable profile name: names start with a letter or digit "
                f"and use letters, digits, '.', '_' and '-' only (at most 64); choose "
                f"another name")

    def records(self) -> list[ProfileRecord]:
        """Every profile, sorted by name; a broken user file is listed with its problem."""
        shipped = set(_shipped())
        users = {p.stem for p in self.folder.glob("*.json")} if self.folder.is_dir() else set()
        out: list[ProfileRecord] = []
        for name in sorted(shipped | users):
            origin: Origin = ("override" if name in shipped else "user") if name in users \
                else "shipped"
            try:
                out.append(ProfileRecord(name, origin, load_prompt_profile(name, self.folder)))
            except PromptProfileError as exc:
                out.append(ProfileRecord(name, origin, None, str(exc)))
        return out

    def is_shipped(self, name: str) -> bool:
        return name in _shipped()

    def exists(self, name: str) -> bool:
        return self.is_shipped(name) or (self.folder / f"{name}.json").is_file()

    # -- writing -----------------------------------------------------------------------------
    def _keep_version(self, name: str, text: str) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.folder / VERSIONS / name / f"{stamp}-{_text_hash8(text)}.json"
        atomic_write_text(path, text)
        return path

    def save(self, profile: PromptProfile) -> Path:
        """Write ``profile`` as the user's file; the text it replaces is kept as a version.

        A current file that is not a valid profile is refused (never overwritten silently):
        fix it by hand or delete it (which keeps a copy) first.
        """
        profile = parse_profile(profile.model_dump(), f"profile {profile.name!r}")
        path = self.user_path(profile.name)
        text = profile_text(profile)
        if path.exists():
            try:
                old = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PromptProfileError(
                    f"cannot read {path} before replacing it: {exc}; fix its permissions "
                    f"or encoding, or delete it, then save again") from exc
            try:
                current = parse_profile(json.loads(old), str(path))
            except ValueError as exc:
                raise PromptProfileError(
                    f"{path} is not a valid prompt profile, so it was not overwritten "
                    f"({exc}); fix the file by hand, or delete it (a copy is kept) and "
                    f"save again") from exc
            if current.sha256 == profile.sha256:
                return path
            self._keep_version(profile.name, old)
        atomic_write_text(path, text)
        return path

    def duplicate(self, source: str, new_name: str) -> PromptProfile:
        """Copy a shipped or user profile under ``new_name`` (a name not in use)."""
        self._check_name(new_name)
        if self.exists(new_name):
            raise PromptProfileError(
                f"a profile called {new_name!r} already exists; choose another name")
        original = load_prompt_profile(source, self.folder)
        copy = PromptProfile.model_validate({**original.model_dump(), "name": new_name})
        self.save(copy)
        return copy

    def delete(self, name: str) -> str:
        """Remove the user's file (a copy is kept as a version); returns what happens next."""
        path = self.user_path(name)
        if not path.is_file():
            if self.is_shipped(name):
                raise PromptProfileError(
                    f"{name!r} is a shipped profile and cannot be deleted; duplicate it to "
                    f"make your own version")
            raise PromptProfileError(f"there is no profile called {name!r}")
        try:
            self._keep_version(name, path.read_text(encoding="utf-8", errors="surrogateescape"))
            os.unlink(path)
        except OSError as exc:
            raise PromptProfileError(
                f"cannot delete {path}: {exc.strerror or exc}; check the folder's "
                f"permissions") from exc
        if self.is_shipped(name):
            return f"Deleted your changes to {name!r}: the shipped profile {name!r} is used again."
        return f"Deleted profile {name!r} (a copy is kept under its versions)."

    # -- versions ----------------------------------------------------------------------------
    def versions(self, name: str) -> list[ProfileVersion]:
        """Kept earlier texts of ``name``, newest first."""
        folder = self.folder / VERSIONS / name
        self._check_name(name)
        out: list[ProfileVersion] = []
        for path in folder.glob("*.json") if folder.is_dir() else []:
            stamp, _, hash8 = path.stem.rpartition("-")
            try:
                when = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            except ValueError:
                continue
            out.append(ProfileVersion(path, when, hash8))
        return sorted(out, key=lambda v: v.saved_at, reverse=True)

    def read_version(self, version: ProfileVersion, name: str) -> PromptProfile:
        try:
            data = json.loads(version.path.read_text(encoding="utf-8"))
            profile = parse_profile(data, str(version.path))
        except (OSError, ValueError) as exc:
            raise PromptProfileError(f"cannot use the kept version {version.path}: {exc}") \
                from exc
        if profile.name != name:
            raise PromptProfileError(
                f"{version.path} holds profile {profile.name!r}, not {name!r}")
        return profile

    def restore(self, name: str, version: ProfileVersion) -> PromptProfile:
        """Make a kept version current again (the text it replaces is kept in turn)."""
        profile = self.read_version(version, name)
        self.save(profile)
        return profile
