"""Registry store: find, load and atomically save model_registry.json (the only registry writer)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from imageworks_gui.core.registry import (
    RegistryEntry,
    RegistryIssue,
    RegistryValidationError,
    dump_entries,
    entry_number,
    parse_entries,
)
from imageworks_gui.services.paths import config_dir
from imageworks_gui.services.writable import is_read_only

REGISTRY_ENV = "IMAGEWORKS_REGISTRY_PATH"
"""Environment variable naming the registry file (below --registry-path, above the defaults)."""

REGISTRY_FILENAME = "model_registry.json"


REGISTRY_SIZE_LIMIT = 256 * 1024 * 1024
"""Largest registry file read (real ones are a few hundred KB)."""


class _NotRegularError(OSError):
    """The registry path names a FIFO, a device or a huge file: it is never read."""


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path``, opened without blocking and checked before reading, so a FIFO
    (which would wait forever for a writer) or a device such as ``/dev/zero`` is refused."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _NotRegularError("it is not a regular file (a folder, FIFO or device)")
        if st.st_size > REGISTRY_SIZE_LIMIT:
            raise _NotRegularError(f"it is larger than {REGISTRY_SIZE_LIMIT // 2**20} MB")
        return handle.read()


class RegistryLoadError(Exception):
    """The registry file cannot be read or is not valid JSON; the file is left untouched."""

    def __init__(self, path: Path, reason: str, line: int | None = None,
                 column: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        where = f"{path}:{line}:{column}" if line is not None else str(path)
        super().__init__(f"{where}: cannot load the model registry: {reason}")


class RegistryConflictError(Exception):
    """The registry file changed on disk since it was loaded; saving would lose those edits."""

    def __init__(self, path: Path, reason: str | None = None) -> None:
        self.path = path
        super().__init__(
            f"{path}: {reason or 'the file changed on disk since it was loaded'}; reload it "
            f"and redo your edits, or save with force to overwrite it")


class RegistryReadOnlyError(PermissionError):
    """The registry file or its folder is read-only; nothing was written."""


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(data: object, indent: int | None = 2) -> str:
    """JSON with non-ASCII kept, and lone surrogates (``"\\ud800"`` in a file, undecodable
    file names) kept as ``\\uXXXX`` escapes: UTF-8 cannot hold them, JSON can."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def serialize_entries(entries: Iterable[RegistryEntry]) -> str:
    """Canonical registry text: 2-space indent, UTF-8 (non-ASCII kept), trailing newline."""
    return json_text(dump_entries(entries)) + "\n"


def check_replaceable(path: Path) -> None:
    """``RegistryReadOnlyError`` when ``path`` (or its folder) must not be replaced.

    A file without write permission bits was made read-only on purpose: it is refused even
    when the process could replace it (root, or a writable folder).
    """
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and is_read_only(target):
        raise RegistryReadOnlyError(
            f"{path}: the registry file is read-only, so it was not changed; make it "
            "writable (chmod u+w) to save, or pass --registry-path with a writable copy")
    folder = target.parent
    if folder.is_dir() and (is_read_only(folder) or not os.access(folder, os.X_OK)):
        raise RegistryReadOnlyError(
            f"{path}: the folder {folder} is read-only, so the registry cannot be replaced "
            "safely and was not changed; make the folder writable, or pass --registry-path "
            "with a copy in a writable folder")


def atomic_write_text(path: Path, text: str, *, default_mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` atomically: temp file in the same folder, fsync, rename.

    The mode of an existing file is kept; a symlinked path writes through to its target.
    """
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = default_mode & ~umask
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    with contextlib.suppress(OSError):  # persist the rename itself (not supported everywhere)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def packaged_default_registry() -> str:
    """Text of the default registry shipped inside the package."""
    return (resources.files("imageworks_gui") / "data" / REGISTRY_FILENAME).read_text("utf-8")


def resolve_registry_path(cli_path: Path | None = None) -> Path:
    """Where the registry lives.

    ``--registry-path`` > ``$IMAGEWORKS_REGISTRY_PATH`` > ``./configs/model_registry.json`` when
    it exists > the user config dir, seeded from the packaged default on first use.
    """
    if cli_path is not None:
        return Path(cli_path).expanduser()
    env = os.environ.get(REGISTRY_ENV)
    if env:
        return Path(env).expanduser()
    local = Path.cwd() / "configs" / REGISTRY_FILENAME
    if local.is_file():
        return local
    user = config_dir() / REGISTRY_FILENAME
    if not user.exists():
        atomic_write_text(user, packaged_default_registry())
    return user


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RegistryStore:
    """Loads and saves one registry file, refusing to overwrite changes made by someone else."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        self._loaded_digest: str | None = None
        self._load_failed = False

    def _read_bytes(self) -> bytes | None:
        try:
            return _read_regular(self.path)
        except FileNotFoundError:
            return None

    def load(self) -> list[RegistryEntry]:
        """Read and validate the file; ``warnings`` lists non-fatal problems.

        Raises ``RegistryLoadError`` (missing, unreadable, not UTF-8, malformed JSON with line
        and column) or ``RegistryValidationError`` (wrong root, invalid entries, duplicate or
        empty names). After a failed load, ``save`` refuses to touch the file.
        """
        self._load_failed = True
        self.warnings = []
        try:
            raw = _read_regular(self.path)
        except FileNotFoundError:
            raise RegistryLoadError(
                self.path, "the file does not exist; pass --registry-path or set "
                f"{REGISTRY_ENV} to an existing registry") from None
        except _NotRegularError as exc:
            raise RegistryLoadError(self.path, f"{exc}; pass the registry JSON file itself "
                                    "(nothing was read)") from None
        except OSError as exc:
            raise RegistryLoadError(self.path, f"cannot read the file ({exc.strerror}); check "
                                    "its permissions") from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RegistryLoadError(self.path, f"the file is not UTF-8 text (bad byte at "
                                    f"offset {exc.start}); re-save it as UTF-8") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RegistryLoadError(self.path, f"malformed JSON: {exc.msg}; fix the file in a "
                                    "text editor (nothing was changed)",
                                    exc.lineno, exc.colno) from exc
        except RecursionError as exc:
            raise RegistryLoadError(self.path, "lists or objects are nested too deeply to be "
                                    "read; flatten the data (nothing was changed)") from exc
        except ValueError as exc:  # e.g. an integer longer than Python's digit limit
            raise RegistryLoadError(self.path, f"unreadable JSON value: {exc}; fix the value "
                                    "in a text editor (nothing was changed)") from exc
        entries, warnings = parse_entries(data, source=str(self.path))
        self.warnings = warnings
        self._loaded_digest = _digest(raw)
        self._load_failed = False
        return entries

    def reload(self) -> list[RegistryEntry]:
        """Forget the previous load and read the file again."""
        self._loaded_digest = None
        return self.load()

    def changed_on_disk(self) -> bool:
        """True when the file differs from what was last loaded or saved (or was deleted)."""
        if self._loaded_digest is None:
            return self.path.exists()
        raw = self._read_bytes()
        return raw is None or _digest(raw) != self._loaded_digest

    def save(self, entries: Iterable[RegistryEntry], *, force: bool = False) -> bool:
        """Write ``entries`` canonically and atomically; returns False when nothing changed.

        Raises ``RegistryConflictError`` when the file changed on disk since it was loaded (unless
        ``force``), when it was never loaded but exists (unless ``force``) or when its last
        load failed (always: a file that fails to parse is never overwritten), and
        ``RegistryReadOnlyError`` when the file or its folder is read-only.
        """
        items = list(entries)
        if self._load_failed:
            raise RegistryConflictError(
                self.path, "the file failed to load, so it is not overwritten; fix it by hand "
                "and reload")
        seen: dict[str, int] = {}
        for index, entry in enumerate(items):
            if entry.name in seen:
                raise RegistryValidationError(str(self.path), [RegistryIssue(
                    severity="error", index=index, name=entry.name, field="name",
                    message=f"entry {entry_number(index)} ({entry.name!r}): duplicate name "
                            f"{entry.name!r} (first used by entry "
                            f"{entry_number(seen[entry.name])}); rename one of them")])
            seen[entry.name] = index
        if not force and self.changed_on_disk():
            raise RegistryConflictError(self.path)
        text = serialize_entries(items)
        data = text.encode("utf-8")
        if self._read_bytes() == data:
            self._loaded_digest = _digest(data)
            return False
        check_replaceable(self.path)
        atomic_write_text(self.path, text)
        self._loaded_digest = _digest(data)
        return True
