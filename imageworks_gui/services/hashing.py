"""Hash a model's files in parallel threads, with a persistent cache, progress and cancel."""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from imageworks_gui.core.hashing import IGNORED_DIRS, aggregate_sha256, is_tracked
from imageworks_gui.services.hash_cache import FileKey, HashCache

CHUNK_SIZE = 4 * 1024 * 1024
"""Read size: large reads keep the hashing threads in C code without the GIL."""

ProgressCallback = Callable[[int, int], None]
"""``progress(bytes_done, bytes_total)``, called on the thread that called the hasher."""


class HashingError(Exception):
    """Files could not be hashed; the message names the file and what to do."""


class NotHashableError(HashingError):
    """The entry's model_path is not a local file or folder (Ollama store, empty, missing)."""


class HashingCancelled(Exception):
    """Hashing stopped because the cancel event was set."""


@dataclass(frozen=True)
class ArtifactHashes:
    """Hashes of a model's tracked files."""

    files: dict[str, str]
    """POSIX relative path -> SHA-256, sorted by path."""
    aggregate: str
    total_bytes: int
    cached_files: int = 0
    """How many file hashes came from the cache."""
    sizes: dict[str, int] = field(default_factory=dict)
    root: Path | None = None


def resolve_model_dir(model_path: str | os.PathLike[str] | None) -> Path:
    """The local file or folder behind ``backend_config.model_path``, or ``NotHashableError``."""
    text = os.fspath(model_path).strip() if model_path is not None else ""
    if not text:
        raise NotHashableError("backend_config.model_path is empty: set it to the local folder "
                               "holding the model files before verifying")
    scheme, sep, _rest = text.partition(":")
    if sep and len(scheme) > 1 and "/" not in scheme and "\\" not in scheme:
        raise NotHashableError(
            f"model_path {text!r} is not a local folder ({scheme} keeps its models in its own "
            f"store), so there are no files to hash; pin the model by tag instead")
    path = Path(text).expanduser()
    if not path.exists():
        raise NotHashableError(f"model folder {path} does not exist: fix "
                               "backend_config.model_path or download the model again")
    problem = system_folder_problem(path)
    if problem:
        raise NotHashableError(problem)
    return path


_SYSTEM_TREES = ("/proc", "/sys", "/dev", "/etc", "/boot", "/bin", "/sbin", "/lib", "/lib32",
                 "/lib64", "/run", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/include",
                 "/var/run", "/var/log", "/System", "/private/etc", "/private/var/run")
"""Operating-system folders (and everything inside them): never a model folder."""
_TOO_BROAD = ("/", "/usr", "/var", "/home", "/Users", "/opt", "/tmp", "/mnt", "/media",
              "/srv", "/usr/local", "/usr/share")
"""Folders that hold whole trees of other things: a model is always a folder inside them."""


def system_folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a model folder (a system folder or a whole tree), or None."""
    real = Path(os.path.realpath(path))
    text = real.as_posix()
    broad = {*(_TOO_BROAD), Path.home().as_posix()}
    windows = real.drive and (real == Path(real.anchor)
                              or real.parts[1:2] in (("Windows",), ("Program Files",)))
    if text in broad or windows or any(text == tree or text.startswith(tree + "/")
                                       for tree in _SYSTEM_TREES):
        return (f"{path} is a system folder (or a whole tree of folders), not a model "
                "folder: point it at the folder holding the model's own files")
    return None


def list_tracked_files(root: Path, include: Iterable[str] | None = None,
                       exclude: Iterable[str] | None = None) -> dict[str, Path]:
    """Tracked files under ``root`` (relative POSIX path -> absolute path), sorted.

    File symlinks are followed (Hugging Face snapshots point into a blobs folder); folder
    symlinks are not, so a link loop cannot hang the walk.
    """
    include, exclude = list(include or ()), list(exclude or ())
    if root.is_file():
        return {root.name: root} if is_tracked(root.name, include, exclude) else {}
    found: dict[str, Path] = {}
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            items = list(os.scandir(folder))
        except OSError as exc:
            raise HashingError(f"cannot list {folder}: {exc.strerror}; check its "
                               "permissions") from exc
        for item in items:
            rel = prefix + item.name
            if item.is_dir(follow_symlinks=False):
                if item.name not in IGNORED_DIRS:
                    stack.append((Path(item.path), rel + "/"))
                continue
            try:
                regular = item.is_file(follow_symlinks=True)  # FIFOs, sockets: never opened
            except OSError as exc:  # e.g. a symlink loop
                raise HashingError(f"{Path(item.path)}: cannot follow this link "
                                   f"({exc.strerror}): remove or fix it") from exc
            if not (regular or item.is_symlink()) or not is_tracked(rel, include, exclude):
                continue
            if not regular and not os.path.exists(item.path):
                raise HashingError(
                    f"{rel} is a broken symlink (to {os.readlink(item.path)}): the download "
                    f"is incomplete; download the model again")
            if regular:
                _check_utf8_name(rel, root)
                found[rel] = Path(item.path)
    return dict(sorted(found.items()))


def _check_utf8_name(rel: str, root: Path) -> None:
    """File names enter the aggregate as UTF-8 text: refuse names that are not UTF-8."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
        raise HashingError(f"{shown} in {root}: the file name is not valid UTF-8, so it cannot "
                           "be recorded in the registry; rename the file") from None


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


_local = threading.local()


def _buffer() -> tuple[bytearray, memoryview]:
    # One read buffer per hashing thread: allocating (and zeroing) 4 MiB for each of many
    # small files would cost more than hashing them.
    if not hasattr(_local, "buf"):
        _local.buf = bytearray(CHUNK_SIZE)
        _local.view = memoryview(_local.buf)
    return _local.buf, _local.view


def _hash_file(path: Path, stop: threading.Event, counter: _Counter) -> str:
    digest = hashlib.sha256()
    buf, view = _buffer()
    with open(path, "rb", buffering=0) as handle:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while True:
            if stop.is_set():
                raise HashingCancelled()
            n = handle.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
            counter.add(n)
    return digest.hexdigest()


def _file_key(path: Path) -> FileKey:
    real = os.path.realpath(path)
    st = os.stat(real)
    return FileKey(real, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def default_workers() -> int:
    """Hashing threads: one per CPU (hashing is CPU bound), at least 2, at most 16."""
    return max(2, min(16, os.cpu_count() or 2))


def compute_artifact_hashes(
    model_path: str | os.PathLike[str] | None,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    *,
    deep: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cache: HashCache | None = None,
    workers: int | None = None,
) -> ArtifactHashes:
    """SHA-256 of every tracked file under ``model_path`` and their aggregate.

    ``deep`` re-reads every file instead of trusting the cache (the cache is still refreshed).
    Raises ``NotHashableError`` for a non-local or missing path or an empty file set,
    ``HashingError`` for unreadable files and ``HashingCancelled`` when ``cancel`` is set.
    """
    root = resolve_model_dir(model_path)
    tracked = list_tracked_files(root, include, exclude)
    if not tracked:
        raise NotHashableError(f"no files to hash in {root} (after the ignore list and the "
                               "include/exclude patterns): check model_path and the patterns")
    cache = cache if cache is not None else HashCache()
    try:
        keys = {rel: _file_key(path) for rel, path in tracked.items()}
    except OSError as exc:
        raise HashingError(f"cannot read {exc.filename}: {exc.strerror}") from exc
    sizes = {rel: key.size for rel, key in keys.items()}
    total = sum(sizes.values())
    known = {} if deep else cache.get_many(keys.values())
    hashes: dict[str, str] = {rel: known[key] for rel, key in keys.items() if key in known}
    todo = sorted((rel for rel in tracked if rel not in hashes), key=lambda r: -sizes[r])
    counter = _Counter()
    counter.add(sum(sizes[rel] for rel in hashes))
    stop = threading.Event()

    last_report = 0.0

    def report(force: bool = True) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress is not None and (force or now - last_report >= 0.1):
            last_report = now
            progress(min(counter.value, total), total)

    report()
    if todo:
        pool = ThreadPoolExecutor(max_workers=min(workers or default_workers(), len(todo)),
                                  thread_name_prefix="imageworks-hash")
        finished: queue.SimpleQueue[tuple[str, Future[str]]] = queue.SimpleQueue()
        try:
            for rel in todo:
                fut = pool.submit(_hash_file, tracked[rel], stop, counter)
                fut.add_done_callback(lambda f, rel=rel: finished.put((rel, f)))
            remaining = len(todo)
            while remaining:
                if cancel is not None and cancel.is_set():
                    raise HashingCancelled()
                try:
                    rel, fut = finished.get(timeout=0.1)
                except queue.Empty:
                    report()
                    continue
                remaining -= 1
                try:
                    hashes[rel] = fut.result()
                except OSError as exc:
                    raise HashingError(f"cannot read {tracked[rel]}: {exc.strerror}; check "
                                       "the file and its permissions") from exc
                report(force=False)
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        fresh = []
        for rel in todo:
            try:
                if _file_key(tracked[rel]) == keys[rel]:  # unchanged while it was read
                    fresh.append((keys[rel], hashes[rel]))
            except OSError:
                continue
        cache.put_many(fresh)
    report()
    files = dict(sorted(hashes.items()))
    return ArtifactHashes(root=root, files=files, aggregate=aggregate_sha256(files),
                          total_bytes=total, cached_files=len(known), sizes=sizes)
