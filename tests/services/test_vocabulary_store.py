"""Vocabulary store: files in the user config folder, atomic, broken files never overwritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_text
from imageworks_gui.services.vocabulary_store import (
    VocabularyStore,
    VocabularyStoreError,
    file_name,
    read_vocabulary_file,
    vocabularies_dir,
)

HOSTILE_NAMES = ["[/x] é", "../../etc/passwd", "-rf", "CON", "x" * 100, "名前 🐦"]


def vocab(name: str, text: str = "Animals|Birds|Heron = grey heron\n") -> Vocabulary:
    return Vocabulary(name=name, format="text", source="/somewhere/list.txt",
                      terms=parse_text(text))


def test_store_lives_in_the_user_config_folder(isolated_user_dirs):
    assert vocabularies_dir() == isolated_user_dirs["config"] / "vocabularies"
    path = VocabularyStore().add(vocab("birds"))
    assert path.parent == isolated_user_dirs["config"] / "vocabularies"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_round_trip_with_hostile_names_stays_inside_the_folder(name, tmp_path):
    store = VocabularyStore(tmp_path / "v")
    path = store.add(vocab(name))
    assert path.parent == tmp_path / "v" and path.name == file_name(name)
    assert path.name.endswith(".json") and not path.name.startswith("-")
    loaded = store.get(name)
    assert loaded.name == name and loaded.terms == vocab(name).terms
    assert loaded.imported_at and loaded.active and loaded.source == "/somewhere/list.txt"
    assert [v.name for v in store.load_all()[0]] == [name]
    assert list((tmp_path / "v").iterdir()) == [path]  # no temp file left behind


def test_several_vocabularies_active_in_name_order_and_toggled(tmp_path):
    store = VocabularyStore(tmp_path)
    for name in ("zoo", "Birds", "cars"):
        store.add(vocab(name))
    assert [v.name for v in store.active()] == ["Birds", "cars", "zoo"]
    assert store.set_active("cars", False).active is False
    assert [v.name for v in store.active()] == ["Birds", "zoo"]
    assert store.get("cars").active is False and store.get("cars").terms == vocab("x").terms
    store.set_active("cars", True)
    assert [v.name for v in store.active()] == ["Birds", "cars", "zoo"]


def test_remove_deletes_only_that_vocabulary(tmp_path):
    store = VocabularyStore(tmp_path)
    store.add(vocab("a"))
    store.add(vocab("b"))
    assert store.remove("a").name == "a"
    assert [v.name for v in store.load_all()[0]] == ["b"]
    with pytest.raises(VocabularyStoreError, match=r"no vocabulary named 'a' \(stored: 'b'\)"):
        store.remove("a")


def test_duplicate_names_need_replace_and_case_twins_are_refused(tmp_path):
    store = VocabularyStore(tmp_path)
    store.add(vocab("Birds"))
    with pytest.raises(VocabularyStoreError, match=r"already exists.*--replace"):
        store.add(vocab("Birds", "Owl\n"))
    assert [t.lr_path for t in store.get("Birds").terms][-1] == "Animals|Birds|Heron"
    store.add(vocab("Birds", "Owl\n"), replace=True)
    assert [t.lr_path for t in store.get("Birds").terms] == ["Owl"]
    with pytest.raises(VocabularyStoreError, match="only in case"):
        store.add(vocab("birds"))


def test_broken_file_is_reported_and_never_overwritten(tmp_path):
    store = VocabularyStore(tmp_path)
    store.add(vocab("good"))
    broken = tmp_path / file_name("bad")
    broken.write_text('{"name": "bad", "format": "text", "terms": [', encoding="utf-8")
    found, problems = store.load_all()
    assert [v.name for v in found] == ["good"]
    assert len(problems) == 1 and str(broken) in problems[0] and "delete the file" in problems[0]
    for replace in (False, True):
        with pytest.raises(VocabularyStoreError, match="not a valid vocabulary file"):
            store.add(vocab("bad"), replace=replace)
    assert broken.read_text(encoding="utf-8").endswith("[")


def test_invalid_term_in_a_stored_file_is_an_error_not_a_crash(tmp_path):
    store = VocabularyStore(tmp_path)
    path = store.add(vocab("v"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["terms"][0]["path"] = ["a|b"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(VocabularyStoreError, match=r"invalid vocabulary file \(terms.0.path"):
        store.get("v")


def test_copied_file_under_another_name_is_ignored_with_a_note(tmp_path):
    store = VocabularyStore(tmp_path)
    path = store.add(vocab("v"))
    (tmp_path / "copy.json").write_bytes(path.read_bytes())
    found, problems = store.load_all()
    assert [v.name for v in found] == ["v"] and "copy.json" in problems[0]


def test_unknown_fields_survive_activation(tmp_path):
    store = VocabularyStore(tmp_path)
    path = store.add(vocab("v"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["colour"] = "blue"
    data["terms"][0]["note"] = "kept"
    path.write_text(json.dumps(data), encoding="utf-8")
    store.set_active("v", False)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["colour"] == "blue" and saved["terms"][0]["note"] == "kept"
    assert saved["active"] is False


def test_read_vocabulary_file_names_the_file_and_line(tmp_path):
    (tmp_path / "IMG[").mkdir()
    bad = tmp_path / "IMG[/x] é.txt"
    bad.write_text("Animals\n\t\tBirds\n", encoding="utf-8")
    with pytest.raises(VocabularyStoreError) as info:
        read_vocabulary_file(bad)
    assert str(info.value).startswith(f"{bad}: line 2: ")
    with pytest.raises(VocabularyStoreError, match="cannot read the file"):
        read_vocabulary_file(tmp_path / "missing.txt")


def test_non_utf8_file_name_becomes_a_storable_name(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.txt"
    Path(os.fsdecode(raw)).write_bytes(b"Birds\n")
    vocabulary = read_vocabulary_file(Path(os.fsdecode(raw)))
    assert vocabulary.name == "caf\ufffd" and "\ufffd" in vocabulary.source
    store = VocabularyStore(tmp_path / "v")
    store.add(vocabulary)
    assert store.get("caf\ufffd").terms[0].lr_path == "Birds"


def test_name_with_control_characters_is_refused(tmp_path):
    with pytest.raises(VocabularyStoreError, match="control characters"):
        read_vocabulary_file(_file(tmp_path), name="a\nb")
    with pytest.raises(VocabularyStoreError, match="cannot be empty"):
        read_vocabulary_file(_file(tmp_path), name=" ")


def _file(folder: Path) -> Path:
    path = folder / "v.txt"
    path.write_text("Birds\n", encoding="utf-8")
    return path


def test_huge_fifo_and_folder_are_refused_quickly(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(VocabularyStoreError, match="too large for a keyword list"):
        read_vocabulary_file(huge)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(VocabularyStoreError, match="not a regular file"):
        read_vocabulary_file(fifo)
    with pytest.raises(VocabularyStoreError, match="not a regular file"):
        read_vocabulary_file(tmp_path)


def test_add_term_keeps_the_tree_and_refuses_a_split_keyword(tmp_path):
    store = VocabularyStore(tmp_path / "v")
    store.add(vocab("[/x] é"))
    before = store.get("[/x] é")
    after = store.add_term("[/x] é", "fog bank")
    assert [t.path for t in after.terms] == [*(t.path for t in before.terms), ("fog bank",)]
    assert store.get("[/x] é").terms == after.terms
    assert store.add_term("[/x] é", "fog bank").terms == after.terms  # no duplicate
    with pytest.raises(VocabularyStoreError, match="'\\|' separates levels"):
        store.add_term("[/x] é", "a|b")
    with pytest.raises(VocabularyStoreError, match="no vocabulary named 'missing'"):
        store.add_term("missing", "fog")
    assert store.get("[/x] é").terms == after.terms
