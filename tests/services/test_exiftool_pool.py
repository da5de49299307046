"""The ExifTool pool: long-lived processes, timeouts, restarts, safe file names, shutdown."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from imageworks_gui.services.metadata.exiftool import (
    ExifToolError,
    ExifToolNotFoundError,
    ExifToolPool,
    ExifToolTimeoutError,
    file_arg,
)
from tests.support import metadata_fixtures
from tests.support.photos import exiftool, make_image, tags

pool = metadata_fixtures.pool


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_processes_stay_open_and_serve_many_commands(tmp_path: Path):
    photo = make_image(tmp_path / "a.jpg")
    with ExifToolPool(size=2) as pool:
        for _ in range(20):
            records, _ = pool.execute_json(["-FileTypeExtension", file_arg(photo)])
            assert records[0]["FileTypeExtension"] == "jpg"
        assert len(pool.pids) == 1  # sequential use keeps one process busy


def test_parallel_callers_use_up_to_pool_size_processes(tmp_path: Path):
    photo = make_image(tmp_path / "a.jpg")
    with ExifToolPool(size=2) as pool:
        def work() -> None:
            for _ in range(10):
                pool.execute(["-FileType", file_arg(photo)])

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 1 <= len(pool.pids) <= 2


# ExifTool evaluates -if per file: a command that hangs for a minute (sleeping in a loop, as
# signals cut single sleeps short).
HANG = ["-if", "sleep 1 for 1 .. 60; 1"]


def test_hung_command_times_out_and_process_is_replaced(tmp_path: Path):
    photo = make_image(tmp_path / "ok.jpg")
    with ExifToolPool(size=1, timeout=1.0) as pool:
        pool.execute(["-ver"])
        (old_pid,) = pool.pids
        started = time.monotonic()
        with pytest.raises(ExifToolTimeoutError, match="did not answer within 1 s"):
            pool.execute([*HANG, "-FileType", file_arg(photo)])
        assert time.monotonic() - started < 5
        assert not _pid_alive(old_pid)
        records, _ = pool.execute_json(["-FileTypeExtension", file_arg(photo)])
        assert records[0]["FileTypeExtension"] == "jpg"
        assert pool.pids and pool.pids != [old_pid]


def test_crashed_process_is_restarted(tmp_path: Path):
    photo = make_image(tmp_path / "ok.jpg")
    with ExifToolPool(size=1) as pool:
        pool.execute(["-ver"])
        (pid,) = pool.pids
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
        records, _ = pool.execute_json(["-FileTypeExtension", file_arg(photo)])
        assert records[0]["FileTypeExtension"] == "jpg"
        assert pool.pids != [pid]


def test_process_killed_mid_command_reports_an_error_then_recovers(tmp_path: Path):
    photo = make_image(tmp_path / "ok.jpg")
    with ExifToolPool(size=1, timeout=10) as pool:
        pool.execute(["-ver"])
        (pid,) = pool.pids
        threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()
        with pytest.raises(ExifToolError, match="exited unexpectedly"):
            pool.execute([*HANG, "-FileType", file_arg(photo)])
        assert pool.execute(["-ver"]).stdout.strip()


@pytest.mark.parametrize(
    "name",
    ["-XMP-dc:Title=pwned.jpg", "-overwrite_original.jpg", "-@ args.jpg",
     "with space and 'quotes\".jpg", "Zürich 東京 café.jpg", "-", "#comment.jpg"],
)
def test_file_names_are_never_read_as_options(tmp_path: Path, name: str, pool: ExifToolPool):
    photo = make_image(tmp_path / "real.jpg")
    tricky = tmp_path / name
    tricky.write_bytes(photo.read_bytes())
    result = pool.execute(["-XMP-dc:Subject=safe", "-overwrite_original", file_arg(tricky)])
    assert "1 image files updated" in result.stdout, result.stderr
    assert tags(tricky, "XMP-dc:Subject", "XMP-dc:Title") == {"XMP-dc:Subject": ["safe"]}
    assert tags(photo, "XMP-dc:Subject") == {}


def test_file_names_with_line_breaks_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="line breaks"):
        file_arg(tmp_path / "bad\nname.jpg")


def test_values_are_passed_verbatim(tmp_path: Path, pool: ExifToolPool):
    photo = make_image(tmp_path / "a.jpg")
    value = "50% off $HOME @all \"quoted\" back\\slash #hash"
    pool.execute([f"-XMP-dc:Title={value}", "-overwrite_original", file_arg(photo)])
    assert tags(photo, "XMP-dc:Title")["XMP-dc:Title"] == value


def test_numbers_keep_their_exact_text(tmp_path: Path, pool: ExifToolPool):
    photo = make_image(tmp_path / "a.jpg")
    exiftool("-overwrite_original", "-XMP-dc:Subject=007", "-XMP-dc:Subject=1.50", photo)
    records, _ = pool.execute_json(["-XMP-dc:Subject", file_arg(photo)])
    assert records[0]["Subject"] == ["007", "1.50"]


def test_close_stops_every_process_and_refuses_new_work():
    pool = ExifToolPool(size=2)
    pool.execute(["-ver"])
    pids = pool.pids
    pool.close()
    assert pids and not any(_pid_alive(pid) for pid in pids)
    with pytest.raises(ExifToolError, match="closed"):
        pool.execute(["-ver"])
    pool.close()  # idempotent


def test_missing_exiftool_has_an_actionable_message():
    with pytest.raises(ExifToolNotFoundError, match="libimage-exiftool-perl"):
        ExifToolPool(executable="/nonexistent/exiftool")


def test_processes_of_a_killed_application_exit_by_themselves(tmp_path: Path):
    import subprocess
    import sys

    script = ("from imageworks_gui.services.metadata.exiftool import ExifToolPool\n"
              "import sys, time\n"
              "p = ExifToolPool(size=2)\n"
              "p.execute(['-ver'])\n"
              "print(*p.pids, flush=True)\n"
              "time.sleep(60)\n")
    root = Path(__file__).resolve().parents[2]
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=root)
    assert app.stdout is not None
    pids = [int(pid) for pid in app.stdout.readline().split()]
    app.kill()  # SIGKILL: no atexit, no close()
    app.wait()
    app.stdout.close()
    deadline = time.monotonic() + 5
    while any(_pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pids and not any(_pid_alive(pid) for pid in pids)
