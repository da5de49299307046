"""`apply`, `undo`, `history` and `run` writing, end to end with real ExifTool and files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imageworks_gui import __version__
from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.cli.tagger.write_cmds import write_results_for_run
from imageworks_gui.core.settings import Settings
from imageworks_gui.core.tagging import StageModel, TagResult, to_journal_line
from tests.support import metadata_fixtures
from tests.support import photos as ph
from tests.support.tagging import make_photos, registry_entry

runner = CliRunner()
_register_commands()
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos


def record(path: Path, **extra: object) -> dict[str, object]:
    st = path.stat()
    result = TagResult(path=str(path), size=st.st_size, mtime_ns=st.st_mtime_ns, status="ok",
                       caption="A caption", description="A description",
                       keywords=["tree", "Zürich"], prompt_profile="default",
                       prompt_sha256="ab" * 32, finished_at="2026-11-27T12:00:00Z",
                       models={"keywords": StageModel(name="vlm", aggregate_sha256="cd" * 32)})
    return {**json.loads(to_journal_line(result)), **extra}


def write_jsonl(path: Path, *lines: object) -> Path:
    text = "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False))
                   + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def keywords(path: Path) -> list[str]:
    value = ph.tags(path, "XMP-dc:Subject").get("XMP-dc:Subject", [])
    return value if isinstance(value, list) else [value]


def test_apply_writes_records_and_undo_last_restores(photos, tmp_path):
    a, b = ph.lightroom_jpeg(photos, "a.jpg"), ph.plain(photos, "b.png")
    before = {p: ph.dump(p) for p in (a, b)}
    results = write_jsonl(tmp_path / "tags.jsonl", record(a), record(b))

    code, output = invoke("apply", results)
    assert code == 0, output
    assert "Wrote 2 file(s): 2 written" in output and "undo with:" in output
    assert keywords(b) == ["tree", "Zürich"]
    assert ph.tags(b, "XMP-dc:Title") == {"XMP-dc:Title": "A caption"}
    assert ph.tags(a, "XMP-imageworks:Models")["XMP-imageworks:Models"] == ["keywords=vlm"]
    prov = ph.tags(b, "XMP-imageworks:Tool", "XMP-imageworks:TaggedAt",
                   "XMP-imageworks:WrittenAt")
    assert prov["XMP-imageworks:Tool"] == f"imageworks {__version__}"
    assert prov["XMP-imageworks:TaggedAt"] == "2026-11-27T12:00:00Z"  # the tagging run
    assert prov["XMP-imageworks:WrittenAt"] > "2026-11-27T12:00:00Z"   # this write

    code, output = invoke("history")
    assert code == 0 and "can be undone" in output and "apply tags.jsonl" in output

    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert all(ph.dump(p) == dump for p, dump in before.items())
    code, output = invoke("undo", "--last")
    assert code == 2 and "no write batch left to undo" in output


def test_apply_dry_run_changes_nothing(photos, tmp_path):
    photo = ph.xmp_only(photos, "d.jpg")
    digest = photo.read_bytes()
    code, output = invoke("apply", write_jsonl(tmp_path / "r.jsonl", record(photo)), "--dry-run")
    assert code == 0, output
    assert "would write" in output and "XMP-dc:Subject: + Zürich" in output
    assert "nothing was written" in output and photo.read_bytes() == digest
    assert invoke("history")[1].strip() == "No metadata has been written yet."


def test_only_approved_and_rejected_records(photos, tmp_path):
    yes, no, unset = (ph.plain(photos, f"{n}.jpg") for n in ("yes", "no", "unset"))
    results = write_jsonl(tmp_path / "r.jsonl", record(yes, approved=True),
                          record(no, approved=False), record(unset))
    code, output = invoke("apply", results, "--only-approved")
    assert code == 0, output
    assert keywords(yes) == ["tree", "Zürich"] and keywords(no) == keywords(unset) == []
    assert "not approved" in output
    code, output = invoke("apply", results)  # without the flag: all but the rejected one
    assert keywords(unset) == ["tree", "Zürich"] and keywords(no) == []


def test_hand_edited_file_reports_each_bad_line_and_applies_the_rest(photos, tmp_path):
    good = ph.plain(photos, "good.jpg")
    failed = ph.plain(photos, "failed.jpg")
    maybe = ph.plain(photos, "maybe.jpg")
    results = write_jsonl(
        tmp_path / "edited.jsonl", "# reviewed by Anna", record(good), "{not json",
        '["a", "list"]', {"path": str(good)}, "",
        record(failed, status="failed", errors={"keywords": "timeout"}),
        record(maybe, approved="maybe"))
    code, output = invoke("apply", results)
    assert code == 1
    assert "edited.jsonl:3: not JSON" in output
    assert "edited.jsonl:4: a journal record must be a JSON object" in output
    assert "edited.jsonl:5: not a tagging record" in output
    assert "tagging status is 'failed': keywords: timeout" in output
    assert "'approved' must be true or false, not 'maybe'" in output
    assert keywords(good) == ["tree", "Zürich"] and keywords(failed) == keywords(maybe) == []


def test_the_last_record_of_a_photo_wins(photos, tmp_path):
    photo = ph.plain(photos, "twice.jpg")
    first = record(photo, keywords=["old"])
    code, output = invoke("apply", write_jsonl(tmp_path / "r.jsonl", first, record(photo)))
    assert code == 0, output
    assert "superseded by line 2" in output and keywords(photo) == ["tree", "Zürich"]


def test_photo_changed_after_tagging_is_a_conflict_unless_ignored(photos, tmp_path):
    photo = ph.plain(photos, "c.jpg")
    results = write_jsonl(tmp_path / "r.jsonl", record(photo))
    ph.exiftool("-overwrite_original", "-XMP-dc:Subject=edited elsewhere", photo)
    code, output = invoke("apply", results)
    assert code == 1 and "changed after it was tagged" in output
    assert keywords(photo) == ["edited elsewhere"]
    code, output = invoke("apply", results, "--ignore-changes")
    assert code == 0 and keywords(photo) == ["edited elsewhere", "tree", "Zürich"]


def test_apply_again_after_apply_or_undo_is_not_a_conflict(photos, tmp_path):
    # The photo changed only through this app's own journaled writes: it is still the photo
    # that was tagged, so applying the same results again is no conflict.
    photo = ph.plain(photos, "again.jpg")
    results = write_jsonl(tmp_path / "r.jsonl", record(photo))
    assert invoke("apply", results)[0] == 0
    code, output = invoke("apply", results)
    assert code == 0 and "changed after it was tagged" not in output, output
    assert "unchanged" in output and keywords(photo) == ["tree", "Zürich"]
    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert keywords(photo) == []
    code, output = invoke("apply", results)
    assert code == 0 and "changed after it was tagged" not in output, output
    assert keywords(photo) == ["tree", "Zürich"]
    # A change by another program after all that is still a conflict.
    ph.exiftool("-overwrite_original", "-XMP-dc:Subject=edited elsewhere", photo)
    code, output = invoke("apply", results)
    assert code == 1 and "changed after it was tagged" in output


def test_bad_files_in_results_get_per_file_errors(photos, tmp_path):
    good = ph.plain(photos, "ok.jpg")
    empty = photos / "empty.jpg"
    empty.write_bytes(b"")
    missing = {**record(good), "path": str(photos / "missing.jpg")}
    code, output = invoke("apply", write_jsonl(tmp_path / "r.jsonl", record(empty), missing,
                                               record(good)))
    assert code == 1
    assert "empty (0 bytes)" in output and "missing.jpg: file is missing" in output
    assert "1 written" in output and "2 error" in output


def test_usage_errors_exit_2(tmp_path):
    code, output = invoke("apply", tmp_path / "nope.jsonl")
    assert code == 2 and "no such results file" in output
    code, output = invoke("undo")
    assert code == 2 and "either --last or a JOURNAL_ID" in output
    code, output = invoke("undo", "20990101T000000Z-abcdef")
    assert code == 2 and "run `history`" in output


def test_write_results_for_run_writes_ok_results(photos):
    photo = ph.plain(photos, "run.jpg")
    result = TagResult.model_validate(record(photo))
    assert write_results_for_run([result], Settings()) == 0
    assert keywords(photo) == ["tree", "Zürich"]


@pytest.mark.usefixtures("app_dirs")
def test_run_without_dry_run_writes_metadata_through_the_writer(tmp_path, fake_backend):
    from tests.support.fake_backend import FakeModel

    server = fake_backend("vllm", [FakeModel("vlm")])
    images = make_photos(tmp_path / "run-photos", 2, size=(320, 240))
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm")]))
    code, output = invoke("run", "-i", images[0].parent, "--registry-path", registry,
                          "--output-jsonl", tmp_path / "o.jsonl")
    assert code == 0, output
    assert "Metadata: wrote 2 file(s): 2 written" in output
    for image in images:
        assert keywords(image), image
        assert "XMP-imageworks:Models" in ph.tags(image, "XMP-imageworks:Models")
    code, output = invoke("undo", "--last")
    assert code == 0 and all(keywords(image) == [] for image in images)


@pytest.mark.usefixtures("app_dirs")
def test_apply_writes_a_dry_run_journal_kept_in_another_folder(tmp_path, fake_backend,
                                                                 monkeypatch):
    from tests.support.fake_backend import FakeModel

    server = fake_backend("vllm", [FakeModel("vlm")])
    images = make_photos(tmp_path / "shoot", 2, size=(320, 240))
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps([registry_entry(server.base_url, "vlm")]))
    monkeypatch.chdir(tmp_path)  # photos given relative to the working folder
    code, output = invoke("run", "-i", "shoot", "--registry-path", registry,
                          "--output-jsonl", Path("reviews") / "tags.jsonl", "--dry-run")
    assert code == 0, output
    code, output = invoke("apply", Path("reviews") / "tags.jsonl")
    assert code == 0, output
    assert "Wrote 2 file(s): 2 written" in output
    assert all(keywords(image) for image in images)


def test_history_shows_a_damaged_batch_and_undo_last_does_not_skip_it(photos, tmp_path,
                                                                      app_dirs):
    older, newer = ph.plain(photos, "older.jpg"), ph.plain(photos, "newer.jpg")
    assert invoke("apply", write_jsonl(tmp_path / "1.jsonl", record(older)))[0] == 0
    assert invoke("apply", write_jsonl(tmp_path / "2.jsonl", record(newer)))[0] == 0
    journals = sorted((app_dirs / "data" / "journal").glob("*.jsonl"))
    newest = journals[-1]
    lines = newest.read_text(encoding="utf-8").splitlines(keepends=True)
    newest.write_text(lines[0] + "garbage\n" + "".join(lines[1:]), encoding="utf-8")

    code, output = invoke("history")
    assert code == 0 and newest.stem in output
    assert "journal damaged at line(s) 2" in output
    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert newest.stem in output
    assert keywords(newer) == [] and keywords(older) == ["tree", "Zürich"]


def test_history_says_when_an_undo_could_not_restore_a_camera_file(photos, tmp_path):
    from tests.support import corpus

    try:
        photo = corpus.copy_to("r_sony.jpg", photos)
    except corpus.CorpusUnavailableError as exc:
        pytest.fail(f"the real-world corpus is unavailable: {exc}")
    code, output = invoke("apply", write_jsonl(tmp_path / "tags.jsonl", record(photo)))
    assert code == 0, output
    photo.chmod(0o444)
    try:
        code, output = invoke("undo", "--last")
        assert code != 0 and "read-only" in output
        code, output = invoke("history")
        assert "undo failed: 1 of 1 file(s) not restored" in output and "read-only" in output
        assert "can be undone" not in output
    finally:
        photo.chmod(0o644)
    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert "undone" in invoke("history")[1]


def test_history_does_not_claim_nothing_was_written_for_an_unreadable_journal(
        photos, tmp_path, app_dirs):
    photo = ph.plain(photos, "p.jpg")
    assert invoke("apply", write_jsonl(tmp_path / "1.jsonl", record(photo)))[0] == 0
    (journal,) = (app_dirs / "data" / "journal").glob("*.jsonl")
    journal.write_bytes(b"\xff\xfe garbage\n" * 3)  # no line of it can be read

    code, output = invoke("history")
    assert code == 0 and journal.stem in output, output
    assert "nothing was written" not in output
    assert "intact files can be undone" not in output
    assert "cannot be restored automatically" in output
    assert keywords(photo) == ["tree", "Zürich"]


def test_undoing_the_undo_of_a_new_sidecar_writes_it_again(photos, tmp_path):
    raw = photos / "IMG_9 é.CR2"
    raw.write_bytes(b"not really a raw file")
    code, output = invoke("apply", write_jsonl(tmp_path / "r.jsonl", record(raw)))
    assert code == 0, output
    sidecar = photos / "IMG_9 é.xmp"
    written = ph.tags(sidecar, "XMP-dc:Title", "XMP-dc:Subject")
    code, output = invoke("undo", "--last")
    assert code == 0 and not sidecar.exists(), output
    undo_id = output.split("Journal: ")[1].split()[0]
    code, output = invoke("undo", undo_id)  # the undo says it can be undone: that re-applies
    assert code == 0, output
    assert "missing" not in output and sidecar.is_file()
    assert ph.tags(sidecar, "XMP-dc:Title", "XMP-dc:Subject") == written
    code, output = invoke("undo", "--last")
    assert code == 0, output
    assert not sidecar.exists() and sorted(p.name for p in photos.iterdir()) == [raw.name]
