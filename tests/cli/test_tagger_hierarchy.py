"""`apply` and `check` with vocabulary-mapped results: full paths written, shown and undone."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.core.tagging import TagResult, to_journal_line
from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_vocabulary
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
from tests.support import metadata_fixtures
from tests.support import photos as ph

runner = CliRunner()
_register_commands()
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos

LIGHTROOM = "[People]\n\tFamily\n\t\tAnna\n\t\t\t{Annie}\nAnimals\n\tBirds\n\t\tGrey heron\n"


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [a if isinstance(a, str) else os.fspath(a) for a in args])
    return result.exit_code, result.output


def mapped_record(photo: Path, *proposed: str, **extra: object) -> str:
    """A results line as `run --vocabulary` writes it: names in keywords, paths in the mapping."""
    fmt, terms = parse_vocabulary(LIGHTROOM.encode("utf-8"), "lightroom")
    st = photo.stat()
    result = TagResult(path=str(photo), size=st.st_size, mtime_ns=st.st_mtime_ns, status="ok",
                       keywords=list(proposed))
    VocabularyPolicy(VocabularyMapper([Vocabulary(name="lr", format=fmt, terms=terms)])
                     ).apply_to(result)
    return json.dumps({**json.loads(to_journal_line(result)), **extra}, ensure_ascii=False)


def fields(path: Path) -> dict[str, object]:
    return ph.tags(path, "XMP-dc:Subject", "XMP-lr:HierarchicalSubject", "XMP-digiKam:TagsList",
                   "IPTC:Keywords")


def test_apply_writes_mapped_paths_and_undo_restores_the_photo(photos, tmp_path):
    photo = ph.lightroom_jpeg(photos, "IMG [red] é.jpg")
    before = ph.dump(photo)
    results = tmp_path / "tags.jsonl"
    results.write_text(mapped_record(photo, "annie", "grey herons", "kite") + "\n",
                       encoding="utf-8")
    code, output = invoke("apply", results)
    assert code == 0, output
    values = fields(photo)
    assert values["XMP-lr:HierarchicalSubject"] == [
        "Places|Europe|Switzerland", "People|Family|Anna", "Animals|Birds|Grey heron", "kite"]
    # A TagsList is created complete, so digiKam and Immich (which read it first) lose nothing.
    assert values["XMP-digiKam:TagsList"] == [
        "Places/Europe/Switzerland", "Café", "東京", "People/Family/Anna",
        "Animals/Birds/Grey heron", "kite"]
    flat = ["Places", "Europe", "Switzerland", "Café", "東京", "Family", "Anna", "Animals",
            "Birds", "Grey heron", "kite"]
    assert values["XMP-dc:Subject"] == flat and values["IPTC:Keywords"] == flat
    second = ph.exiv2_read(photo)
    assert second["Xmp.lr.hierarchicalSubject"] == values["XMP-lr:HierarchicalSubject"]
    assert second["Xmp.digiKam.TagsList"] == values["XMP-digiKam:TagsList"]
    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert ph.dump(photo) == before


def test_an_old_results_line_without_mapping_is_written_flat(photos, tmp_path):
    photo = ph.plain(photos, "old.jpg")
    line = json.dumps({"path": str(photo), "status": "ok", "keywords": ["Anna", "Birds|Owl"]})
    results = tmp_path / "old.jsonl"
    results.write_text(line + "\n", encoding="utf-8")
    code, output = invoke("apply", results)
    assert code == 0, output
    values = fields(photo)
    assert values["XMP-dc:Subject"] == ["Anna", "Birds", "Owl"]
    assert values["XMP-lr:HierarchicalSubject"] == ["Birds|Owl", "Anna"]


def test_check_shows_the_hierarchy_each_program_will_read(photos, tmp_path):
    photo = ph.xmp_only(photos, "-check é.jpg")
    before = photo.read_bytes()
    results = tmp_path / "r.jsonl"
    results.write_text(mapped_record(photo, "annie") + "\n", encoding="utf-8")
    code, output = invoke("check", photo, "--results", results)
    assert code == 0, output
    assert photo.read_bytes() == before
    after = [line for line in output.splitlines() if line.strip().startswith("after:")]
    assert len(after) == 3  # Lightroom, digiKam/Immich, darktable
    for line in after:
        assert "keywords: 東京, Tree, Family, Anna;" in line
        assert "lr:hierarchicalSubject: 東京, Tree, People|Family|Anna" in line
        assert "digiKam:TagsList: 東京, Tree, People/Family/Anna" in line
    assert "planned: XMP-digiKam:TagsList: + 東京, Tree, People/Family/Anna" in output
    assert "! lost" not in output


def test_check_shows_the_tags_digikam_immich_and_darktable_list(photos):
    photo = ph.xmp_only(photos, "flat.jpg")
    code, output = invoke("check", photo, "--keyword", "Animals|Birds/Owls|Heron")
    assert code == 0, output
    lines = output.splitlines()
    before = [line for line in lines if line.strip().startswith("before:")]
    after = [line for line in lines if line.strip().startswith("after:")]
    # Before: both read dc:subject; after: the new lr:hierarchicalSubject, which holds them all
    # (no TagsList: it would split "Birds/Owls"), so nothing disappears from either.
    assert [line.endswith("shows as tags: 東京, Tree") for line in before] == [False, True, True]
    assert after[1].endswith("shows as tags: 東京, Tree, Animals/Birds|Owls/Heron")  # Immich
    assert after[2].endswith("shows as tags: 東京, Tree, Animals|Birds/Owls|Heron")  # darktable
    assert "digiKam:TagsList not created" in output and "! lost" not in output


def test_check_flags_keywords_a_program_would_stop_showing():
    from imageworks_gui.services.metadata.compat import ProgramView, _lost

    old = ProgramView(program="darktable", reads="x", keywords=["a", "b"], shows=["a", "b"])
    new = ProgramView(program="darktable", reads="x", keywords=["a", "b", "c"],
                      hierarchical=["X|c"], shows=["X/c"])
    assert _lost([old], [new]) == ["darktable would no longer show the keywords: a, b"]
