"""Apply a change plan to one file: ExifTool writes a temp copy, we verify it, then rename it."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from imageworks_gui.core.metadata import (
    ChangePlan,
    Tag,
    TagEdit,
    TagValue,
    as_list,
    normalise_tag_value,
)
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool, file_arg
from imageworks_gui.services.metadata.reader import MetadataError, read_tag_values
from imageworks_gui.services.metadata.stale_temps import (
    TEMP_PREFIX,
    is_stale,
    temp_dir_name,
)
from imageworks_gui.services.writable import is_read_only

# New versions are written to ``.iwtmp-<host>-<pid>-<random>/<name>`` beside the photo, then
# renamed (see ``stale_temps`` for how a killed writer's folders are found and removed).


RECORD_VERSIONS = frozenset({Tag.IPTC_APP_VERSION, Tag.IPTC_ENVELOPE})
"""IPTC tags ExifTool re-adds while it edits IPTC: removing them takes a step of its own."""

FAILING_WARNINGS = ("truncated", "exceeds length limit")
"""ExifTool write warnings that mean a value was not stored as given: the photo fails."""


def _needs_file(value: str) -> bool:
    """Values the argfile protocol cannot carry exactly (line breaks, outer white space)."""
    return "\n" in value or "\r" in value or value != value.strip()


class ConflictError(MetadataError):
    """The file changed between read and write; it was skipped."""


def edit_args(edits: list[TagEdit], value_dir: str) -> list[str]:
    """ExifTool arguments for ``edits``: set, per-item add pairs or removals, never a list clear.

    Values with line breaks or outer white space (camera padding) cannot travel exactly in the
    argfile protocol: they are written to a file in ``value_dir`` and passed with
    ``-TAG<=FILE``.
    """
    args: list[str] = []
    for edit in edits:
        tag = edit.tag
        if edit.mode == "add":
            for item in edit.items:
                args += [f"-{tag}-={item}", f"-{tag}+={item}"]
        elif edit.mode == "remove":
            args += [f"-{tag}-={item}" for item in edit.items]
        elif edit.after is None or edit.after == []:
            args.append(f"-{tag}=")
        elif isinstance(edit.after, list):
            args += [f"-{tag}={item}" for item in edit.after]
        elif _needs_file(edit.after):
            handle, name = tempfile.mkstemp(dir=value_dir, suffix=".txt")
            with os.fdopen(handle, "wb") as out:
                out.write(edit.after.encode("utf-8"))
            args.append(f"-{tag}<={name}")
        else:
            args.append(f"-{tag}={edit.after}")
    return args


def mismatches(plan: ChangePlan, record: dict[str, object]) -> list[str]:
    """Tags whose read-back value differs from what the plan wrote (empty when all match)."""
    problems: list[str] = []
    for tag, expected in plan.expected_values().items():
        if tag.endswith(":all"):
            continue
        found: TagValue = normalise_tag_value(tag, record.get(tag))
        if isinstance(expected, list) and as_list(found) == expected:
            continue
        if found != expected:
            problems.append(f"{tag}: expected {expected!r}, found {found!r}")
    return problems


def _fsync_path(path: str, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # directories cannot be opened on Windows; rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_unchanged(plan: ChangePlan) -> None:
    """Raise ConflictError when the target is not as it was when read."""
    target = plan.target
    if not plan.target_exists:
        if os.path.lexists(target):
            raise ConflictError(f"{target}: a sidecar appeared after the photo was read; "
                                "re-read it and review again")
        return
    try:
        st = os.stat(target)
    except FileNotFoundError:
        raise ConflictError(f"{target}: the file disappeared after it was read") from None
    if (st.st_size, st.st_mtime_ns) != (plan.expected_size, plan.expected_mtime_ns):
        raise ConflictError(f"{target}: the file was modified after it was read (size or "
                            "modification time differ); skipped: re-read it and review again")


def check_writable(plan: ChangePlan) -> None:
    """Raise MetadataError for read-only files and folders (before anything is written)."""
    folder = os.path.dirname(plan.target) or "."
    if plan.target_exists and is_read_only(plan.target):
        raise MetadataError(f"{plan.target}: the file is read-only; make it writable "
                            "(e.g. chmod u+w) or leave it out")
    if is_read_only(folder) or not os.access(folder, os.X_OK):
        raise MetadataError(f"{folder}: the folder is read-only, so no file in it can be "
                            "replaced safely; make it writable or leave its photos out")


def make_temp_dir(target: str) -> str:
    """A private folder beside ``target`` (same file system, so the final rename is atomic)."""
    folder = os.path.dirname(target) or "."
    path = os.path.join(folder, temp_dir_name())
    os.mkdir(path, 0o700)
    return path


LEFTOVER_RESCAN_S = 60.0
"""How long a folder's list of leftover temp folders is trusted before it is listed again."""

_leftover_lock = threading.Lock()
_leftover_dirs: dict[str, tuple[float, list[Path]]] = {}


def _leftover_temp_dirs(folder: Path) -> list[Path]:
    """Temp folders in ``folder`` as listed at most ``LEFTOVER_RESCAN_S`` ago.

    Listing a folder of 10,000 photos for every photo written would make a batch quadratic;
    the temp folders of this process are always removed by the write that made them.
    """
    key = os.path.abspath(folder)
    now = time.monotonic()
    with _leftover_lock:
        listed_at, found = _leftover_dirs.get(key, (None, []))
        if listed_at is None or now - listed_at > LEFTOVER_RESCAN_S:
            found = list(folder.glob(f"{TEMP_PREFIX}*"))
            _leftover_dirs[key] = (now, found)
        return [d for d in found if os.path.isdir(d)]


def remove_stale_temps(target: str) -> None:
    """Delete what a killed earlier write of ``target`` left in its temp folders, and every
    stale temp folder (one whose writer is gone) beside it."""
    path = Path(target)
    for folder in _leftover_temp_dirs(path.parent):
        if is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            continue
        leftovers = list(folder.glob(f"{glob.escape(path.name)}*"))
        for stale in leftovers:
            with contextlib.suppress(OSError):
                stale.unlink()
        if leftovers:
            with contextlib.suppress(OSError):
                folder.rmdir()


def write_steps(plan: ChangePlan, value_dir: str) -> list[list[str]]:
    """The ExifTool commands (without file names) that apply ``plan``, in order.

    Removing IPTC's UTF-8 declaration and record versions is a second step: ExifTool re-adds
    the versions while it edits IPTC values, and it must still read and remove our values as
    UTF-8. ``Photoshop:IPTCDigest`` is recomputed in the last step.
    """
    late = [e for e in plan.edits if (e.tag in RECORD_VERSIONS and e.after is None)
            or (e.tag == Tag.IPTC_CHARSET and e.after != "UTF8")]
    main = [e for e in plan.edits if e not in late]
    steps = [edit_args(main, value_dir)] if main else []
    if late:
        steps.append(edit_args(late, value_dir))
    if plan.update_iptc_digest and steps:
        steps[-1].append("-Photoshop:IPTCDigest=new")
    return steps or [[]]


def _failing_warnings(warnings: list[str]) -> list[str]:
    return [w.removeprefix("Warning: ") for w in warnings
            if any(marker in w.lower() for marker in FAILING_WARNINGS)]


def apply_plan(pool: ExifToolPool, plan: ChangePlan, backup_dir: Path | None = None) -> None:
    """Write ``plan`` into its target atomically, or raise (the target then stays untouched).

    ExifTool writes a new temp file in the same folder; the temp file is read back and checked
    against the plan; only then, after a last conflict check, is it fsynced and renamed over
    the original. A crash at any point leaves either the old or the new file.
    """
    check_writable(plan)
    check_unchanged(plan)
    target = plan.target
    remove_stale_temps(target)
    temp_dir = make_temp_dir(target)
    tmp = os.path.join(temp_dir, os.path.basename(target))
    try:
        with tempfile.TemporaryDirectory(prefix="imageworks-values-") as value_dir:
            # "-o DIR/" keeps name and type (a renamed output would fail for e.g. WebP).
            out_dir = file_arg(temp_dir) + os.fsencode(os.sep)
            source = [file_arg(target)] if plan.target_exists else []
            steps = write_steps(plan, value_dir)
            try:
                for number, command in enumerate(steps):
                    if number == 0:
                        command = [*command, "-o", out_dir, *source] if source else \
                            [*command, file_arg(tmp)]
                    else:
                        command = [*command, "-overwrite_original", file_arg(tmp)]
                    result = pool.execute(command)
                    if result.errors or _failing_warnings(result.warnings):
                        break
            except (ExifToolError, ValueError) as exc:
                raise MetadataError(f"{target}: {exc}") from exc
        failing = _failing_warnings(result.warnings)
        if failing:
            raise MetadataError(f"{target}: ExifTool would not store a value as given "
                                f"({'; '.join(failing)}); the file was left unchanged")
        if result.errors or not os.path.exists(tmp):
            reason = "; ".join(e.removeprefix("Error: ") for e in result.errors) or "no file"
            raise MetadataError(f"{target}: ExifTool could not write it ({reason}); the file "
                                "was left unchanged")
        problems = mismatches(plan, read_tag_values(pool, tmp, verify=True))
        if problems:
            raise MetadataError(f"{target}: read-back check failed ({'; '.join(problems)}); "
                                "the original was left unchanged")
        if plan.target_exists:
            _copy_owner_and_mode(target, tmp)
        check_unchanged(plan)
        if backup_dir is not None and plan.target_exists:
            backup(target, backup_dir)
        _fsync_path(tmp)
        _install(tmp, target, replace=plan.target_exists)
        _fsync_path(os.path.dirname(target) or ".", directory=True)
    finally:
        # The folder is private to this write: clear it even of what a killed ExifTool left.
        shutil.rmtree(temp_dir, ignore_errors=True)


def _copy_owner_and_mode(original: str, new: str) -> None:
    """Give the new version the original's permission bits and (when allowed) owner."""
    st = os.stat(original)
    shutil.copymode(original, new)
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):
            os.chown(new, st.st_uid, st.st_gid)


def _install(tmp: str, target: str, replace: bool) -> None:
    """Atomically put ``tmp`` at ``target``; a new file never replaces one that appeared."""
    if replace:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if a file appeared at target meanwhile
    except FileExistsError:
        raise ConflictError(f"{target}: a sidecar appeared while it was being written; "
                            "re-read the photo and review again") from None
    except OSError:
        # No hard links on this file system (e.g. exFAT): rename after the check above.
        os.replace(tmp, target)
        return
    os.remove(tmp)


def delete_file(plan: ChangePlan) -> None:
    """Remove a sidecar we created (undo), after the usual conflict checks."""
    check_writable(plan)
    check_unchanged(plan)
    os.remove(plan.target)
    _fsync_path(os.path.dirname(plan.target) or ".", directory=True)


def backup(target: str, backup_dir: Path) -> Path:
    """Copy the original into ``backup_dir`` (mirroring its absolute path) before replacing."""
    relative = Path(os.path.abspath(target)).as_posix().lstrip("/").replace(":", "")
    destination = backup_dir / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(target, destination)
    return destination


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_stat(path: str) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of a file, or None when it does not exist (or cannot be read)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def keep_copy(target: str, folder: Path, name: str) -> str:
    """Copy ``target`` (as it is before a write) to ``folder/name`` for an exact undo."""
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / name
    shutil.copy2(target, destination)
    _fsync_path(str(destination))
    return str(destination)


def restore_copy(plan: ChangePlan) -> None:
    """Put a kept original back over the target atomically (undo), after the usual checks."""
    assert plan.restore_from is not None
    check_writable(plan)
    check_unchanged(plan)
    target = plan.target
    temp_dir = make_temp_dir(target)
    tmp = os.path.join(temp_dir, os.path.basename(target))
    try:
        shutil.copy2(plan.restore_from, tmp)
        _copy_owner_and_mode(target, tmp)
        check_unchanged(plan)
        _fsync_path(tmp)
        os.replace(tmp, target)
        _fsync_path(os.path.dirname(target) or ".", directory=True)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.remove(plan.restore_from)
