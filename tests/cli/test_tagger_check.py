"""`check`: what Lightroom, digiKam/Immich and darktable see, before and after; never writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app
from imageworks_gui.core.tagging import TagResult, to_journal_line
from tests.support import metadata_fixtures
from tests.support import photos as ph
from tests.support import raw_files as rf

runner = CliRunner()
_register_commands()
app_dirs = metadata_fixtures.app_dirs
photos = metadata_fixtures.photos


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [a if isinstance(a, str) else os.fspath(a) for a in args])
    return result.exit_code, result.output


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time, and the folder's own time."""
    state = {os.fsdecode(p.name): (p.read_bytes(), p.stat().st_mtime_ns)
             for p in folder.iterdir()}
    state["."] = (b"", folder.stat().st_mtime_ns)
    return state


def block(output: str, name: str) -> str:
    """The report lines of the file whose path ends with ``name``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(name))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")),
               len(lines))
    return "\n".join(lines[start:end])


def test_check_reports_each_program_and_flags_a_sidecar_collision(photos):
    canon, dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    rf.lightroom_sidecar(photos / "IMG_0001.xmp", "CR2", "Lightroom title")
    nef = rf.nef_with_iptc(photos)
    jpeg = ph.lightroom_jpeg(photos)
    before = snapshot(photos)
    code, output = invoke("check", canon, dng, nef, jpeg, "--title", "A [red]harbour[/red]",
                          "--keyword", "boat", "--keyword", "AI|sea")
    assert code == 1, output  # the DNG would not be seen by Lightroom: a problem
    assert snapshot(photos) == before  # nothing was modified, nothing was created

    cr2_report = block(output, "IMG_0001.CR2")
    assert "Lightroom Classic reads IMG_0001.xmp" in cr2_report
    assert "before: title 'Lightroom title'; no description; no keywords" in cr2_report
    assert "after:  title 'Lightroom title'; no description; keywords: boat, AI, sea; " \
           "lr:hierarchicalSubject: AI|sea" in cr2_report
    assert "darktable reads IMG_0001.CR2.xmp (missing)" in cr2_report
    assert "!" not in cr2_report

    dng_report = block(output, "IMG_0001.DNG")
    assert "metadata goes to: " + str(photos / "IMG_0001.DNG.xmp") in dng_report
    assert "! sidecar_collision (warn): IMG_0001.xmp belongs to IMG_0001.CR2" in dng_report
    assert "Lightroom Classic reads IMG_0001.DNG" in dng_report

    nef_report = block(output, "DSC_0001.NEF")
    assert "before: no title; description 'Harbour at dawn, Île de Ré'; keywords: Boat, " \
           "Harbour" in nef_report  # the NEF's own IPTC
    assert "after:  title 'A [red]harbour[/red]'; description 'Harbour at dawn, Île de Ré';" \
           " keywords: Boat, Harbour, AI, sea" in nef_report  # printed literally, kept
    assert "! lost" not in nef_report

    jpeg_report = block(output, "lightroom.jpg")
    assert "keywords: Places, Europe, Switzerland, Café, 東京, boat, AI, sea" in jpeg_report
    assert "planned: IPTC:Keywords: + boat, AI, sea" in jpeg_report
    assert "Checked 4 file(s): 1 with problems" in output


def test_check_with_a_results_file_and_hostile_names(photos, tmp_path):
    names = ["IMG[red] é.jpg", "-leading.jpg", os.fsdecode(b"caf\xe9.jpg"), "x" * 200 + ".jpg"]
    files = [ph.make_image(photos / name) for name in names]
    # ASCII-escaped JSON carries the undecodable byte of the name (as the journal does).
    lines = [json.dumps(json.loads(to_journal_line(TagResult(
        path=str(f), status="ok", caption=f"Title {i}", keywords=["tree"]))))
        for i, f in enumerate(files)]
    results = tmp_path / "r.jsonl"
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(photos)
    code, output = invoke("check", *files, "--results", results)
    assert code == 0, output
    assert snapshot(photos) == before
    assert "IMG[red] é.jpg" in output and "-leading.jpg" in output and "caf\ufffd.jpg" in output
    assert output.count("after:  title 'Title 0'; no description; keywords: tree") == 3
    assert "Checked 4 file(s): nothing would be lost" in output


def test_check_flags_values_iptc_cannot_take_and_missing_or_broken_files(photos):
    legacy = ph.make_image(photos / "category.jpg")
    # Another program wrote a Category longer than IPTC's 3 bytes (-m lets ExifTool do so).
    ph.exiftool("-overwrite_original", "-m", "-IPTC:Category=Category", "-IPTC:Keywords=old",
                legacy)
    broken = photos / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe1 not a jpeg")
    before = snapshot(photos)
    code, output = invoke("check", legacy, broken, photos / "gone.jpg", "--keyword", "new")
    assert code == 1
    assert snapshot(photos) == before
    assert "iptc_over_limit IPTC:Category" in block(output, "category.jpg")
    broken_report = block(output, "broken.jpg")
    assert "! unsafe_file (refuse)" in broken_report
    assert "error: the write would fail" in broken_report
    assert "file is missing" in block(output, "gone.jpg")


def test_check_without_a_plan_and_usage_errors(photos, tmp_path, monkeypatch):
    photo = ph.make_image(photos / "plain.jpg")
    code, output = invoke("check", photo)
    assert code == 0 and "no planned write" in output and "after:" not in output
    code, output = invoke("check", photo, "--results", tmp_path / "none.jsonl")
    assert code == 2 and "no such results file" in output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n" + json.dumps({"path": str(photo)}) + "\n", encoding="utf-8")
    code, output = invoke("check", photo, "--results", bad)
    assert "bad.jsonl:1" in output
    rejected = tmp_path / "rejected.jsonl"
    record = json.loads(to_journal_line(TagResult(path=str(photo), status="ok",
                                                  keywords=["tree"])))
    rejected.write_text(json.dumps({**record, "approved": False}) + "\n", encoding="utf-8")
    code, output = invoke("check", photo, "--results", rejected)
    assert code == 0 and "no planned write for this file" in output  # never written: no plan
    monkeypatch.setenv("IMAGEWORKS_EXIFTOOL", str(tmp_path / "no-exiftool"))
    code, output = invoke("check", photo, "--keyword", "x")
    assert code == 2 and "ExifTool not found" in output and "Traceback" not in output


def test_apply_shows_and_keeps_what_the_raw_itself_holds(photos, tmp_path):
    nef = rf.nef_with_iptc(photos)
    raw_bytes = nef.read_bytes()
    line = to_journal_line(TagResult(path=str(nef), status="ok", caption="Boats",
                                     description="A proposed description",
                                     keywords=["boat", "gulls"]))
    results = tmp_path / "r.jsonl"
    results.write_text(line + "\n", encoding="utf-8")
    code, output = invoke("apply", results, "--dry-run")
    assert code == 0, output
    assert "in the RAW itself: description, 2 keywords" in output
    assert "description: the photo has one already, kept" in output
    assert "XMP-dc:Description: 'Harbour at dawn, Île de Ré'" in output  # the RAW's, kept
    code, output = invoke("apply", results)
    assert code == 0, output
    assert "+1: gulls" in output and "copied into the new sidecar" in output
    sidecar = ph.exiv2_read(photos / "DSC_0001.xmp")
    assert sidecar["Xmp.dc.description"] == "Harbour at dawn, Île de Ré"
    assert sidecar["Xmp.dc.subject"] == ["Boat", "Harbour", "gulls"]
    assert nef.read_bytes() == raw_bytes


def test_run_output_tells_what_the_raw_already_had(photos, capsys):
    from imageworks_gui.cli.tagger.write_cmds import write_results_for_run
    from imageworks_gui.core.settings import Settings

    nef = rf.nef_with_iptc(photos)
    result = TagResult(path=str(nef), status="ok", description="A proposed description",
                       keywords=["gulls"])
    assert write_results_for_run([result], Settings()) == 0
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert "description: the photo has one already, kept" in text
    assert "copied into the new sidecar" in text
    assert ph.exiv2_read(photos / "DSC_0001.xmp")["Xmp.dc.description"] == \
        "Harbour at dawn, Île de Ré"


def test_check_on_real_files_flags_a_shadowed_exif_block(photos):
    from tests.support import corpus

    png = corpus.copy_to("exif_imagemagick.png", photos)
    camera = corpus.copy_to("r_canon.jpg", photos, "IMG_0001.JPG")  # a real Canon JPEG ...
    canon = rf.cr2(photos)  # ... beside its RAW
    before = snapshot(photos)
    code, output = invoke("check", png, camera, canon, "--description", "Harbour",
                          "--keyword", "boat")
    assert code == 1, output
    assert snapshot(photos) == before
    assert "! png_raw_profile_exif EXIF (skip_field)" in block(output, "exif_imagemagick.png")
    camera_report = block(output, "IMG_0001.JPG")
    assert "after:  no title; description 'Harbour'" in camera_report  # padding is no text
    canon_report = block(output, "IMG_0001.CR2")
    assert "metadata goes to: " + str(photos / "IMG_0001.CR2.xmp") in canon_report
    assert "IMG_0001.xmp would be shared with IMG_0001.JPG" in canon_report


def test_apply_dry_run_refuses_what_a_write_refuses(photos, tmp_path, app_dirs):
    from imageworks_gui.core.settings import Settings
    from imageworks_gui.services.settings_store import SettingsStore

    store = SettingsStore()
    store.save(Settings.model_validate({"metadata": {"sidecar_collision": "refuse"}}))
    canon, _dng = rf.cr2(photos), rf.dng_with_xmp(photos)
    broken = photos / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe1 not a jpeg")
    lines = [to_journal_line(TagResult(path=str(p), status="ok", keywords=["boat"]))
             for p in (canon, broken)]
    results = tmp_path / "r.jsonl"
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(photos)
    code, output = invoke("apply", results, "--dry-run")
    assert code == 1, output
    assert "would write" not in output
    assert "IMG_0001.xmp is shared with IMG_0001.DNG" in output
    assert "broken.jpg: not written" in output
    assert snapshot(photos) == before


def test_check_flags_a_title_iptc_would_cut_short(photos):
    photo = ph.iptc_only_jpeg(photos)
    title = "Évening light over the old harbour of La Rochelle, seen from the tower"
    before = snapshot(photos)
    code, output = invoke("check", photo, "--title", title, "--overwrite")
    assert code == 1, output
    assert snapshot(photos) == before
    assert "! lost: IPTC:ObjectName would hold the title cut to 64 bytes" in output
    code, output = invoke("check", photo, "--title", "Short title", "--overwrite")
    assert code == 0 and "! lost" not in output, output


def test_check_shows_no_after_side_for_a_file_the_writer_refuses(photos):
    from tests.support import corpus

    big = corpus.copy_to("hopper_bigtiff.tif", photos)  # a real BigTIFF
    before = snapshot(photos)
    code, output = invoke("check", big, "--keyword", "x")
    assert code == 1, output
    assert snapshot(photos) == before
    report = block(output, "hopper_bigtiff.tif")
    assert "unsupported_format (refuse): BigTIFF files cannot be written" in report
    assert "error: the write would fail" in report and "not written" in report
    assert "after:" not in report
