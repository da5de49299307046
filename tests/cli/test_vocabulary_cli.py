"""`imageworks-personal-tagger vocabulary ...` end to end with real files in temp folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from imageworks_gui.cli.tagger import _register_commands, app

runner = CliRunner()
_register_commands()

LIGHTROOM = (
    "[Animals]\n\tBirds\n\t\tGrey heron\n\t\t\t{heron}\n\t\t\t{[bold]egret[/]}\n"
    "[People]\n\t[/x] Anna\n"
    "Cars\n\tAC/DC tour bus\n"
)


def invoke(*args: object):
    return runner.invoke(app, ["vocabulary", *(str(a) for a in args)])


def lightroom_file(folder: Path, name: str = "Keywords.txt") -> Path:
    path = folder / name
    path.write_bytes(b"\xef\xbb\xbf" + LIGHTROOM.replace("\n", "\r\n").encode("utf-8"))
    return path


def test_import_list_show_map_remove(tmp_path, isolated_user_dirs):
    result = invoke("import", lightroom_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert ("Imported 'Keywords' (lightroom format): 5 keyword(s), 2 synonym(s), "
            "2 container(s); active.") in result.stdout
    assert str(isolated_user_dirs["config"] / "vocabularies") in result.stdout
    assert "2 keyword(s) contain '/'" in result.stdout  # '[/x] Anna' and 'AC/DC tour bus'

    listed = invoke("list")
    assert listed.exit_code == 0
    assert listed.stdout.startswith("active   Keywords  [lightroom] 5 keyword(s)")
    assert str(tmp_path / "Keywords.txt") in listed.stdout

    shown = invoke("show", "Keywords")
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[1:] == [
        "  [Animals]", "    Birds", "      Grey heron", "        {heron}",
        "        {[bold]egret[/]}", "  Cars", "    AC/DC tour bus", "  [People]",
        "    [/x] Anna"]

    mapped = invoke("map", "heron", "Grey Herons", "Grey haeron", "dog", "black/white",
                    "[bold]egret[/]")
    assert mapped.exit_code == 0, mapped.output
    lines = mapped.stdout.splitlines()
    assert lines[0] == ("'heron' -> Animals|Birds|Grey heron  (synonym on 'heron', "
                        "vocabulary 'Keywords')")
    assert lines[1].startswith("'Grey Herons' -> Animals|Birds|Grey heron  (normalized on")
    assert lines[2].startswith("'Grey haeron' -> Animals|Birds|Grey heron  (fuzzy 9")
    assert lines[3] == "'dog' -> new term 'dog' (not in your vocabulary)"
    assert lines[4].startswith("'black/white' -> refused: '/' separates levels")
    assert lines[5].startswith("'[bold]egret[/]' -> Animals|Birds|Grey heron  (synonym")

    removed = invoke("remove", "Keywords")
    assert removed.exit_code == 0 and "Removed 'Keywords'" in removed.stdout
    assert "No vocabularies yet" in invoke("list").stdout
    assert list((isolated_user_dirs["config"] / "vocabularies").iterdir()) == []


def test_hostile_vocabulary_name_prints_literally(tmp_path):
    name = "[/x] [red]é"
    assert invoke("import", lightroom_file(tmp_path), "--name", name).exit_code == 0
    listed = invoke("list").stdout
    assert f"active   {name}  [lightroom]" in listed
    assert invoke("show", name).stdout.startswith(f"{name} (active): ")
    assert f"vocabulary {name!r}" in invoke("map", "heron").stdout


def test_text_format_and_explicit_format_option(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("Animals/Birds/Heron = grey heron\nsunset\n", encoding="utf-8")
    as_text = invoke("import", listing, "--name", "as text")
    assert as_text.exit_code == 0
    assert "(text format): 4 keyword(s), 1 synonym(s), 0 container(s)" in as_text.stdout
    assert "      Heron" in invoke("show", "as text").stdout.splitlines()
    forced = invoke("import", listing, "--name", "as lr", "--format", "lightroom")
    assert forced.exit_code == 0 and "(lightroom format): 2 keyword(s)" in forced.stdout
    assert "Animals/Birds/Heron = grey heron" in invoke("show", "as lr").stdout


def test_bad_file_gives_line_number_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Animals\n\tBirds\n    Heron\n")
    result = invoke("import", bad)
    assert result.exit_code == 2
    assert f"error: {bad}: line 3: indented with spaces" in result.stderr
    assert "Traceback" not in result.output
    assert "No vocabularies yet" in invoke("list").stdout

    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Café\n".encode("latin-1"))
    result = invoke("import", latin1)
    assert result.exit_code == 2 and "line 1: byte 0xE9 at column 4 is not UTF-8" in \
        result.stderr


def test_errors_for_unknown_names_and_duplicates(tmp_path):
    assert invoke("show", "nope").exit_code == 2
    assert "no vocabulary named 'nope'" in invoke("remove", "nope").stderr
    assert "no active vocabulary" in invoke("map", "heron").stderr
    path = lightroom_file(tmp_path)
    invoke("import", path)
    again = invoke("import", path)
    assert again.exit_code == 2 and "--replace" in again.stderr
    assert invoke("import", path, "--replace").exit_code == 0
    missing = invoke("import", tmp_path / "missing.txt")
    assert missing.exit_code == 2 and "cannot read the file" in missing.stderr


def test_deactivate_excludes_from_map_and_vocabulary_option_picks_one(tmp_path):
    invoke("import", lightroom_file(tmp_path))
    other = tmp_path / "other.txt"
    other.write_text("Waders|Egret = heron\n", encoding="utf-8")
    invoke("import", other)
    both = invoke("map", "heron").stdout
    assert "Animals|Birds|Grey heron" in both and "also: Waders|Egret" in both
    assert "'Keywords' is now inactive." in invoke("deactivate", "Keywords").stdout
    assert invoke("list").stdout.splitlines()[1].startswith("inactive Keywords")
    assert "-> Waders|Egret" in invoke("map", "heron").stdout
    picked = invoke("map", "heron", "--vocabulary", "Keywords").stdout
    assert "-> Animals|Birds|Grey heron" in picked and "also" not in picked
    from_file = invoke("map", "heron", "--vocabulary", str(other)).stdout
    assert "vocabulary 'other'" in from_file
    invoke("activate", "Keywords")
    assert "Animals|Birds|Grey heron" in invoke("map", "heron").stdout


def test_fuzzy_threshold_comes_from_settings(tmp_path, isolated_user_dirs):
    invoke("import", lightroom_file(tmp_path))
    assert "fuzzy" in invoke("map", "Grey haeron").stdout
    (isolated_user_dirs["config"] / "settings.json").write_text(
        '{"vocabulary": {"fuzzy_threshold": 99}}', encoding="utf-8")
    assert "new term 'Grey haeron'" in invoke("map", "Grey haeron").stdout


def test_console_script_with_non_utf8_file_name(tmp_path, isolated_user_dirs):
    raw = os.fsencode(tmp_path) + b"/kw-\xff.txt"
    with open(raw, "wb") as handle:
        handle.write(b"Birds\n\tHeron\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code = "import sys; from imageworks_gui.cli.tagger import main; sys.argv[0] = 't'; main()"
    done = subprocess.run([sys.executable, "-c", code, "vocabulary", "import", raw],
                          env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Imported 'kw-\ufffd' (lightroom format): 2 keyword(s)".encode() in done.stdout
    shown = subprocess.run([sys.executable, "-c", code, "vocabulary", "show", "kw-\ufffd"],
                           env=env, capture_output=True, timeout=120, check=False)
    assert shown.returncode == 0 and b"    Heron" in shown.stdout


def test_names_and_files_starting_with_a_dash(tmp_path):
    dashed = tmp_path / "-rf.txt"
    dashed.write_text("Birds|Heron\n", encoding="utf-8")
    result = invoke("import", "--name", "-n", "--", dashed)
    assert result.exit_code == 0, result.output
    assert "Imported '-n' (text format): 2 keyword(s)" in result.stdout
    assert invoke("show", "--", "-n").stdout.splitlines()[1:] == ["  Birds", "    Heron"]
    assert invoke("remove", "--", "-n").exit_code == 0


def test_overlong_and_empty_names_are_refused(tmp_path):
    path = lightroom_file(tmp_path)
    long = invoke("import", path, "--name", "x" * 101)
    assert long.exit_code == 2 and "at most 100 characters" in long.stderr
    empty = invoke("import", path, "--name", "")
    assert empty.exit_code == 2 and "cannot be empty" in empty.stderr
    assert "No vocabularies yet" in invoke("list").stdout
