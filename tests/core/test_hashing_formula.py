"""Hash formula, ignore list, include/exclude patterns and diffs (pure rules)."""

from __future__ import annotations

import hashlib

import pytest

from imageworks_gui.core.hashing import (
    aggregate_sha256,
    diff_hashes,
    is_ignored,
    is_tracked,
    matches_pattern,
)

A = "a" * 64
B = "b" * 64


def test_aggregate_matches_the_reference_formula() -> None:
    files = {"z/w.bin": B, "config.json": A}
    # Sorted "<sha>  <path>" lines joined with "\n", no trailing newline.
    text = f"{A}  config.json\n{B}  z/w.bin"
    assert aggregate_sha256(files) == hashlib.sha256(text.encode()).hexdigest()


def test_aggregate_ignores_insertion_order_and_sees_every_change() -> None:
    assert aggregate_sha256({"a": A, "b": B}) == aggregate_sha256({"b": B, "a": A})
    assert aggregate_sha256({"a": A, "b": B}) != aggregate_sha256({"a": B, "b": A})
    assert aggregate_sha256({"a": A}) != aggregate_sha256({"c": A})


def test_aggregate_of_non_ascii_paths_uses_utf8() -> None:
    text = f"{A}  modèle/poids.bin"
    assert aggregate_sha256({"modèle/poids.bin": A}) == hashlib.sha256(
        text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("path", [
    ".git/HEAD", "sub/.git/objects/ab", ".cache/huggingface/x", ".DS_Store", "sub/.DS_Store",
    "model.safetensors:Zone.Identifier", "shard.bin.incomplete", "blob.lock",
])
def test_ignore_list(path: str) -> None:
    assert is_ignored(path)
    assert not is_tracked(path)


@pytest.mark.parametrize("path", ["model.safetensors", "sub/config.json", "git/notes.txt",
                                  "cache.bin", "lockfile.txt"])
def test_regular_files_are_tracked(path: str) -> None:
    assert not is_ignored(path)
    assert is_tracked(path)


def test_include_and_exclude_patterns() -> None:
    assert matches_pattern("sub/config.json", "*.json")
    assert matches_pattern("onnx/model.onnx", "onnx/*")
    assert not matches_pattern("model.onnx", "onnx/*")
    include = ["*.safetensors", "*.json"]
    assert is_tracked("model-00001.safetensors", include)
    assert not is_tracked("README.md", include)
    assert not is_tracked("original/consolidated.safetensors", include, ["original/*"])
    assert is_tracked("README.md", None, ["*.bin"])
    assert not is_tracked("pytorch_model.bin", None, ["*.bin"])


def test_diff_reports_changed_added_removed() -> None:
    diff = diff_hashes({"a": A, "b": A, "c": A}, {"a": A, "b": B, "d": A})
    assert (diff.changed, diff.added, diff.removed) == (("b",), ("d",), ("c",))
    assert diff.summary() == "changed: b; added: d; removed: c"
    assert diff_hashes({"a": A}, {"a": A}).is_empty
