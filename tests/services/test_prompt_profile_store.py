"""The prompt profile store: atomic saves that keep earlier texts, restore, duplicate, delete."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.services.prompt_profile_store import PromptProfileStore, profile_text
from imageworks_gui.services.prompt_profiles import PromptProfileError, load_prompt_profile


@pytest.fixture
def store(tmp_path: Path) -> PromptProfileStore:
    return PromptProfileStore(tmp_path / "prompts")


def edited(profile: PromptProfile, **changes: object) -> PromptProfile:
    return PromptProfile.model_validate({**profile.model_dump(), **changes})


def test_duplicate_a_shipped_profile_writes_a_user_file(store: PromptProfileStore) -> None:
    copy = store.duplicate("stock", "my-stock")
    path = store.folder / "my-stock.json"
    assert json.loads(path.read_text(encoding="utf-8"))["name"] == "my-stock"
    assert load_prompt_profile("my-stock", store.folder) == copy
    shipped = load_prompt_profile("stock")
    assert copy.stages == shipped.stages and copy.max_keywords == shipped.max_keywords
    assert copy.sha256 != shipped.sha256  # the name is part of the hashed text
    origins = {r.name: r.origin for r in store.records()}
    assert origins == {"archive": "shipped", "default": "shipped", "stock": "shipped",
                       "my-stock": "user"}
    # Only the profile file is in the folder: no temporary files left behind.
    assert sorted(p.name for p in store.folder.iterdir()) == ["my-stock.json"]


def test_saving_over_a_profile_keeps_the_earlier_text(store: PromptProfileStore) -> None:
    first = store.duplicate("default", "mine")
    second = edited(first, description="Second text")
    store.save(second)
    versions = store.versions("mine")
    assert [v.hash8 for v in versions] == [first.sha256[:8]]
    assert versions[0].path.parent == store.folder / ".versions" / "mine"
    assert store.read_version(versions[0], "mine") == first
    third = edited(second, description="Third text")
    store.save(third)
    assert [v.hash8 for v in store.versions("mine")] == [second.sha256[:8], first.sha256[:8]]
    # Saving the same text again keeps no extra version.
    store.save(third)
    assert len(store.versions("mine")) == 2
    # Restoring the first text makes it current and keeps the third as a version.
    restored = store.restore("mine", store.versions("mine")[-1])
    assert restored == first == load_prompt_profile("mine", store.folder)
    assert store.versions("mine")[0].hash8 == third.sha256[:8]


def test_a_broken_user_file_is_never_overwritten(store: PromptProfileStore) -> None:
    store.folder.mkdir(parents=True)
    broken = store.folder / "default.json"
    broken.write_text('{"name": "default", "stages": ', encoding="utf-8")
    records = {r.name: r for r in store.records()}
    assert records["default"].origin == "override" and records["default"].profile is None
    assert "not valid JSON" in (records["default"].problem or "")
    with pytest.raises(PromptProfileError, match=r"was not overwritten.*delete it"):
        store.save(edited(load_prompt_profile("stock"), name="default"))
    assert broken.read_text(encoding="utf-8") == '{"name": "default", "stages": '
    # Deleting it keeps a copy and brings the shipped profile back.
    message = store.delete("default")
    assert "shipped profile 'default' is used again" in message
    kept = store.versions("default")
    assert kept[0].path.read_text(encoding="utf-8") == '{"name": "default", "stages": '
    assert load_prompt_profile("default", store.folder) == load_prompt_profile("default")


def test_a_shipped_profile_cannot_be_deleted(store: PromptProfileStore) -> None:
    with pytest.raises(PromptProfileError, match="shipped profile and cannot be deleted"):
        store.delete("stock")
    with pytest.raises(PromptProfileError, match="no profile called 'ghost'"):
        store.delete("ghost")


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x" * 65, "tab\tname",
                                  "new\n", "naïve", "<b>bold</b>", "-rf"])
def test_hostile_names_are_refused_and_nothing_is_written(store: PromptProfileStore,
                                                          name: str) -> None:
    with pytest.raises(PromptProfileError, match="not a usable profile name"):
        store.duplicate("default", name)
    assert not store.folder.exists() or list(store.folder.rglob("*")) == []
    assert not (store.folder.parent / "escape.json").exists()


def test_duplicate_refuses_a_name_in_use(store: PromptProfileStore) -> None:
    with pytest.raises(PromptProfileError, match="'archive' already exists"):
        store.duplicate("default", "archive")
    store.duplicate("default", "mine")
    with pytest.raises(PromptProfileError, match="'mine' already exists"):
        store.duplicate("stock", "mine")


def test_invalid_content_is_refused_before_writing(store: PromptProfileStore) -> None:
    profile = load_prompt_profile("default")
    bad = profile.model_construct(**{**dict(profile), "name": "bad", "min_keywords": 9,
                                     "max_keywords": 3})
    with pytest.raises(ValueError,
                       match=r"profile 'bad': invalid prompt profile: .*min_keywords \(9\)"):
        store.save(bad)
    assert not (store.folder / "bad.json").exists()


def test_save_is_atomic_and_keeps_the_file_mode(store: PromptProfileStore) -> None:
    copy = store.duplicate("default", "mine")
    path = store.folder / "mine.json"
    os.chmod(path, 0o600)
    inode = path.stat().st_ino
    store.save(edited(copy, description="new"))
    assert path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text(encoding="utf-8") == profile_text(edited(copy, description="new"))


def test_deleting_a_user_profile_keeps_a_copy(store: PromptProfileStore) -> None:
    copy = store.duplicate("default", "mine")
    assert store.delete("mine") == "Deleted profile 'mine' (a copy is kept under its versions)."
    assert "mine" not in {r.name for r in store.records()}
    assert store.read_version(store.versions("mine")[0], "mine") == copy
