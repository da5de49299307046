"""SQLite review store: round trips, odd names, 100k rows, JSONL migration, killed writers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.review_db import ReviewDb
from imageworks_gui.services.review_store import ReviewStore, ReviewStoreError


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEWORKS_DATA_DIR", str(tmp_path / "data"))


def _approved(path: str) -> PhotoReview:
    r = rv.apply_result(PhotoReview(path=path, state="queued"),
                        TagResult(path=path, status="ok", caption="Título", keywords=["a", "b"]))
    return rv.approve(rv.add_keyword(rv.reject_keyword(r, "a"), "ç"))


def test_round_trip_keeps_the_last_state_of_each_photo(tmp_path):
    store = ReviewDb(tmp_path / "photos")
    first = _approved("/photos/1.jpg")
    store.append([PhotoReview(path="/photos/1.jpg", state="queued"), first])
    store.append([rv.reject(first)])
    (again,) = ReviewDb(tmp_path / "photos").load()
    assert again.state == "rejected"
    assert again.rejected_keywords == ["a"] and again.added_keywords == ["ç"]
    assert again.proposed_title == "Título"
    assert store.path == tmp_path / "data" / "review.sqlite3"


def test_folders_share_one_database_but_not_their_reviews(tmp_path):
    ReviewDb(tmp_path / "one").append([_approved("/one/x.jpg")])
    ReviewDb(tmp_path / "two").append([PhotoReview(path="/two/y.jpg", state="proposed")])
    assert [r.path for r in ReviewDb(tmp_path / "one").load()] == ["/one/x.jpg"]
    ReviewDb(tmp_path / "one").forget()
    assert ReviewDb(tmp_path / "one").load() == []
    assert [r.path for r in ReviewDb(tmp_path / "two").load()] == ["/two/y.jpg"]


def test_non_utf8_and_hostile_names_survive(tmp_path):
    folder = tmp_path / os.fsdecode(b"caf\xe9")  # the folder name itself is not UTF-8
    base = os.fsencode(folder)
    names = [os.fsdecode(base + b"/\xff.jpg"), os.fsdecode(base + b"/\xe9t\xe9.jpg"),
             str(folder) + "/'; DROP TABLE reviews; --.jpg", str(folder) + "/new\nline .jpg",
             str(folder) + "/\x1b[31mred.jpg", str(folder) + "/日本 語.jpg"]
    store = ReviewDb(folder)
    store.append([_approved(n) for n in names])
    store.append([rv.reject(_approved(names[0]))])
    again = {r.path: r for r in ReviewDb(folder).load()}
    assert sorted(again) == sorted(names)
    assert again[names[0]].state == "rejected" and again[names[1]].state == "approved"
    with sqlite3.connect(store.path) as conn:
        keys = {bytes(k) for (k,) in conn.execute("SELECT path FROM reviews")}
    assert base + b"/\xff.jpg" in keys  # keyed by the name's real bytes


def test_a_folder_and_a_name_differing_only_by_bytes_stay_apart(tmp_path):
    a = tmp_path / os.fsdecode(b"x\xe9")
    b = tmp_path / "xé"  # same letters in UTF-8, different bytes
    ReviewDb(a).append([PhotoReview(path=str(a / "1.jpg"), state="approved")])
    ReviewDb(b).append([PhotoReview(path=str(b / "1.jpg"), state="rejected")])
    assert [r.state for r in ReviewDb(a).load()] == ["approved"]
    assert [r.state for r in ReviewDb(b).load()] == ["rejected"]


def test_100k_reviews_round_trip_in_one_folder(tmp_path):
    folder = tmp_path / "big"
    reviews = [PhotoReview(path=f"{folder}/{i:06d}.jpg", state="proposed",
                           proposed_keywords=["k", str(i)]) for i in range(100_000)]
    store = ReviewDb(folder)
    store.append(reviews)
    store.append([rv.approve(reviews[12_345])])
    loaded = ReviewDb(folder).load()
    assert len(loaded) == 100_000
    by_path = {r.path: r for r in loaded}
    assert by_path[f"{folder}/012345.jpg"].state == "approved"
    assert by_path[f"{folder}/099999.jpg"].proposed_keywords == ["k", "99999"]
    assert not store.needs_compaction(live=100_000)


def test_compact_replaces_the_folder_atomically(tmp_path):
    store = ReviewDb(tmp_path / "p")
    store.append([_approved("/p/1.jpg"), _approved("/p/2.jpg")])
    store.compact([_approved("/p/2.jpg")])
    assert [r.path for r in store.load()] == ["/p/2.jpg"]


def test_jsonl_journal_is_imported_once_with_damaged_lines_counted(tmp_path):
    folder = tmp_path / "p"
    old = ReviewStore(folder)
    old.append([_approved("/p/1.jpg"), PhotoReview(path="/p/2.jpg", state="proposed")])
    old.append([rv.reject(_approved("/p/1.jpg"))])
    with old.path.open("a", encoding="utf-8") as fh:
        fh.write('{"path": "/p/3.jpg", "state": "approv')  # a crash mid-write
    store = ReviewDb(folder)
    got = {r.path: r.state for r in store.load()}
    assert got == {"/p/1.jpg": "rejected", "/p/2.jpg": "proposed"}
    assert store.skipped_lines == 1
    assert not old.path.exists()
    migrated = old.path.with_name(old.path.name + ".migrated")
    assert "approv" in migrated.read_text(encoding="utf-8")  # nothing lost: the file is kept
    store.append([rv.approve(_approved("/p/2.jpg"))])
    again = ReviewDb(folder)
    assert {r.path: r.state for r in again.load()} == {"/p/1.jpg": "rejected",
                                                     "/p/2.jpg": "approved"}
    assert again.skipped_lines == 0


def test_import_is_not_repeated_when_the_rename_never_happened(tmp_path):
    folder = tmp_path / "p"
    old = ReviewStore(folder)
    old.append([PhotoReview(path="/p/1.jpg", state="proposed")])
    kept = old.path.read_bytes()
    store = ReviewDb(folder)
    store.load()
    store.append([PhotoReview(path="/p/1.jpg", state="approved")])
    old.path.write_bytes(kept)  # as if the process died between the import and the rename
    assert [r.state for r in ReviewDb(folder).load()] == ["approved"]
    assert not old.path.exists()


def test_damaged_database_gives_an_actionable_error(tmp_path):
    db = tmp_path / "data" / "review.sqlite3"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ReviewStoreError, match="move the damaged file away"):
        ReviewDb(tmp_path / "p").load()


def test_unwritable_data_dir_gives_an_actionable_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    with pytest.raises(ReviewStoreError, match="permissions"):
        ReviewDb(tmp_path / "p", root=blocker).append([_approved("/p/1.jpg")])


def test_damaged_row_is_skipped_and_counted(tmp_path):
    store = ReviewDb(tmp_path / "p")
    store.append([_approved("/p/1.jpg"), _approved("/p/2.jpg")])
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE reviews SET data = '{\"path\": 1' WHERE path = ?", (b"/p/2.jpg",))
    assert [r.path for r in store.load()] == ["/p/1.jpg"]
    assert store.skipped_lines == 1


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from imageworks_gui.core.review import PhotoReview
    from imageworks_gui.services.review_db import ReviewDb
    store = ReviewDb(Path(sys.argv[1]))
    batch = 0
    while True:
        store.append([PhotoReview(path=f"/p/{batch}-{i}.jpg", state="approved")
                      for i in range(200)])
        batch += 1
        print(batch, flush=True)
""")


def test_killed_writer_loses_only_its_unfinished_batch(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / "p")], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # wait for five committed batches, then kill mid-write
        if int(line) >= 5:
            break
    proc.kill()
    proc.wait()
    committed = int(line)
    reader = ReviewDb(tmp_path / "p")
    loaded = reader.load()
    assert len(loaded) % 200 == 0  # whole batches only: a transaction is all or nothing
    assert len(loaded) >= committed * 200
    assert reader.skipped_lines == 0
    reader.append([PhotoReview(path="/p/after.jpg", state="rejected")])  # still writable
    assert len(ReviewDb(tmp_path / "p").load()) == len(loaded) + 1


def test_two_writers_at_once_both_land(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from imageworks_gui.core.review import PhotoReview
        from imageworks_gui.services.review_db import ReviewDb
        store = ReviewDb(Path(sys.argv[1]))
        for b in range(20):
            store.append([PhotoReview(path=f"/p/{sys.argv[2]}-{b}-{i}.jpg", state="approved")
                          for i in range(50)])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "p"), tag], env=env)
             for tag in ("a", "b")]
    assert [p.wait() for p in procs] == [0, 0]
    assert len(ReviewDb(tmp_path / "p").load()) == 2 * 20 * 50
