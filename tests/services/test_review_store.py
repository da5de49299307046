"""Review journal: decisions survive a restart, damaged lines are skipped, compaction is atomic."""

from __future__ import annotations

import pytest

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.review_store import ReviewStore, ReviewStoreError


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEWORKS_DATA_DIR", str(tmp_path / "data"))


def _approved(path: str) -> PhotoReview:
    r = rv.apply_result(PhotoReview(path=path, state="queued"),
                        TagResult(path=path, status="ok", caption="Título", keywords=["a", "b"]))
    return rv.approve(rv.add_keyword(rv.reject_keyword(r, "a"), "ç"))


def test_round_trip_restores_last_state_per_photo(tmp_path):
    store = ReviewStore(tmp_path / "photos")
    first = _approved("/photos/1.jpg")
    store.append([PhotoReview(path="/photos/1.jpg", state="queued"), first])
    store.append([rv.reject(first)])
    again = ReviewStore(tmp_path / "photos").load()
    assert len(again) == 1
    assert again[0].state == "rejected"
    assert again[0].rejected_keywords == ["a"] and again[0].added_keywords == ["ç"]
    assert again[0].proposed_title == "Título"


def test_each_folder_has_its_own_journal(tmp_path):
    ReviewStore(tmp_path / "one").append([_approved("/one/x.jpg")])
    assert ReviewStore(tmp_path / "two").load() == []
    assert ReviewStore(tmp_path / "one").path.parent == tmp_path / "data" / "review"


def test_damaged_line_is_skipped_and_kept_on_compaction(tmp_path):
    store = ReviewStore(tmp_path / "p")
    store.append([_approved("/p/1.jpg")])
    with store.path.open("a", encoding="utf-8") as fh:
        fh.write('{"path": "/p/2.jpg", "state": "approv')  # a crash mid-write
    loaded = store.load()
    assert [r.path for r in loaded] == ["/p/1.jpg"]
    assert store.skipped_lines == 1
    store.compact(loaded)
    assert store.path.with_suffix(".damaged").exists()
    assert len(store.path.read_text(encoding="utf-8").splitlines()) == 2  # header + one photo


def test_compaction_needed_after_many_edits(tmp_path):
    store = ReviewStore(tmp_path / "p")
    r = _approved("/p/1.jpg")
    for _ in range(600):
        store.append([r])
    assert store.needs_compaction(live=1)
    store.compact([r])
    assert not store.needs_compaction(live=1)
    assert ReviewStore(tmp_path / "p").load() == [r]


def test_unwritable_data_dir_gives_actionable_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the review folder should be", encoding="utf-8")
    with pytest.raises(ReviewStoreError, match="permissions"):
        ReviewStore(tmp_path / "p", root=blocker / "review").append([_approved("/p/1.jpg")])


def test_unknown_record_fields_survive(tmp_path):
    store = ReviewStore(tmp_path / "p")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('{"path": "/p/1.jpg", "state": "proposed", "future": 1}\n',
                          encoding="utf-8")
    loaded = store.load()
    assert loaded[0].model_extra == {"future": 1}


def test_non_utf8_photo_names_survive_the_review_journal_and_the_export(tmp_path):
    import json
    import os

    from imageworks_gui.services.review_export import write_exports

    folder = tmp_path / os.fsdecode(b"caf\xe9")  # the folder name itself is not UTF-8
    odd = os.fsdecode(os.fsencode(folder) + b"/\xff.jpg")
    store = ReviewStore(folder)
    store.append([_approved(odd)])
    store.compact([_approved(odd)])
    store.append([rv.reject(_approved(odd))])
    store.path.read_bytes().decode("utf-8")  # the journal is valid UTF-8
    (again,) = ReviewStore(folder).load()
    assert again.path == odd and again.state == "rejected"
    export = tmp_path / "export.jsonl"
    write_exports([again], str(folder), export, None)
    (line,) = export.read_bytes().decode("utf-8").splitlines()
    assert odd in json.loads(line).values()
    summary = tmp_path / "export.md"
    write_exports([again], str(folder), None, summary)
    text = summary.read_bytes().decode("utf-8")  # the Markdown is valid UTF-8 too
    assert "caf\\xe9" in text and "\\xff.jpg" in text


def test_export_of_an_approved_photo_gives_the_title_the_write_would_leave():
    from imageworks_gui.core.settings import MetadataSettings
    from imageworks_gui.services.review_export import export_record, markdown_summary

    own = _approved("/photos/own.jpg").model_copy(
        update={"existing_title": "My title", "existing_description": "Mine"})
    final = export_record(own)["final"]
    assert (final["title"], final["description"]) == ("My title", "Mine")
    assert "My title" in markdown_summary([own]) and "Título" not in markdown_summary([own])
    assert export_record(rv.edit_title(own, "Edited"))["final"]["title"] == "Edited"
    overwrite = MetadataSettings(overwrite_title=True)
    assert export_record(own, overwrite)["final"]["title"] == "Título"
    assert export_record(_approved("/photos/empty.jpg"))["final"]["title"] == "Título"
