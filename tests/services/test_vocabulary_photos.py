"""A vocabulary built from keywords already in photos, read with real ExifTool."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.services.vocabulary_photos import vocabulary_from_photos
from imageworks_gui.services.vocabulary_store import VocabularyStore, VocabularyStoreError
from tests.support import metadata_fixtures
from tests.support import photos as ph

pool = metadata_fixtures.pool
runner = CliRunner()
_register_commands()


def digikam_jpeg(folder: Path, name: str) -> Path:
    path = ph.make_image(folder / name)
    ph.exiftool("-overwrite_original", "-XMP-digiKam:TagsList=Events/Wedding",
                "-XMP-digiKam:TagsList=Events", "-XMP-dc:Subject=Wedding",
                "-XMP-dc:Subject=fish|carp", "-XMP-dc:Subject=Café", path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    root.mkdir()
    ph.lightroom_jpeg(root, "[bold]IMG é.jpg")
    digikam_jpeg(root / "sub", "-dash.jpg")
    ph.plain(root, "plain.png")
    (root / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return root


def test_keywords_from_lightroom_digikam_and_flat_fields(pool, folder):
    vocabulary, read, notes = vocabulary_from_photos(pool, [folder], "mine")
    assert read == 3 and vocabulary.format == "photos" and vocabulary.name == "mine"
    paths = [t.lr_path for t in vocabulary.terms]
    assert "Places|Europe|Switzerland" in paths and "Events|Wedding" in paths
    # flat keywords already present as a leaf are not repeated at the top
    assert "Switzerland" not in paths and "Wedding" not in paths and "Events" in paths
    assert {"Café", "東京"} <= set(paths)
    assert any("broken.jpg" in n for n in notes)
    assert any("dc:subject value 'fish|carp' skipped" in n for n in notes)
    assert "fish|carp" not in paths


def test_no_recursion_and_empty_result(pool, folder, tmp_path):
    vocabulary, read, _notes = vocabulary_from_photos(pool, [folder], "top", recursive=False)
    assert read == 2 and "Events|Wedding" not in [t.lr_path for t in vocabulary.terms]
    empty = tmp_path / "empty"
    ph.plain(empty, "a.png")
    with pytest.raises(VocabularyStoreError, match=r"no keywords found in 1 photo\(s\)"):
        vocabulary_from_photos(pool, [empty], "none")


def test_cli_from_photos_stores_an_active_vocabulary(folder):
    result = runner.invoke(app, ["vocabulary", "from-photos", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Imported 'photos' from 3 photo(s):" in result.stdout
    assert "warning:" in result.stderr and "broken.jpg" in result.stderr
    assert [v.name for v in VocabularyStore().active()] == ["photos"]
    mapped = runner.invoke(app, ["vocabulary", "map", "switzerland", "weddings"])
    assert "-> Places|Europe|Switzerland  (normalized" in mapped.stdout
    assert "-> Events|Wedding  (normalized" in mapped.stdout


def test_cli_from_photos_with_non_utf8_folder_name(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9"
    folder = Path(os.fsdecode(raw))
    ph.xmp_only(folder, "a.jpg")
    result = runner.invoke(app, ["vocabulary", "from-photos", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Imported 'caf\ufffd' from 1 photo(s): 2 keyword(s)" in result.stdout
