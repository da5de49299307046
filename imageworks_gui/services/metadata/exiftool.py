"""A small pool of long-lived ExifTool processes (-stay_open) with timeouts and restarts."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_S = 60.0
INSTALL_HINT = (
    "install ExifTool (Debian/Ubuntu: apt install libimage-exiftool-perl; macOS: brew install "
    "exiftool; Windows: exiftool.org) or set IMAGEWORKS_EXIFTOOL to its full path"
)


class ExifToolError(RuntimeError):
    """ExifTool could not run a command (missing, crashed, timed out)."""


class ExifToolNotFoundError(ExifToolError):
    """No ExifTool executable was found."""


class ExifToolTimeoutError(ExifToolError):
    """A command took longer than its timeout; the process was killed and will be restarted."""


def config_path() -> Path:
    """The shipped ExifTool config that defines our XMP-imageworks namespace."""
    return Path(str(resources.files("imageworks_gui") / "data" / "imageworks.exiftool.config"))


def find_exiftool(executable: str | None = None) -> str:
    """The ExifTool executable: explicit, ``IMAGEWORKS_EXIFTOOL``, or ``exiftool`` on PATH."""
    candidate = executable or os.environ.get("IMAGEWORKS_EXIFTOOL") or "exiftool"
    found = shutil.which(candidate)
    if found is None:
        raise ExifToolNotFoundError(f"ExifTool not found ({candidate!r}): {INSTALL_HINT}")
    return found


def file_arg(path: str | os.PathLike[str]) -> bytes:
    """A file name as an argfile line ExifTool can never read as an option.

    The name is made absolute (so it starts with a path separator or drive, never ``-``) and
    passed as raw bytes; ExifTool's argfile protocol cannot carry line breaks, so such names
    are refused.
    """
    name = os.path.abspath(os.fspath(path))
    if "\n" in name or "\r" in name:
        raise ValueError(f"{name!r}: file names with line breaks are not supported; rename it")
    return os.fsencode(name)


@dataclass(frozen=True)
class ExifToolResult:
    """Raw output of one command."""

    stdout: str
    stderr: str
    stdout_bytes: bytes = b""
    """``stdout`` undecoded, for binary output such as ``-b -PreviewImage``."""

    @property
    def errors(self) -> list[str]:
        """ExifTool's ``Error:`` lines (per-file failures)."""
        return [line for line in self.stderr.splitlines() if line.startswith("Error")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("Warning")]

    def json(self) -> list[dict[str, Any]]:
        """Parse ``-json`` output, keeping numbers as their exact text ("007", "1.50")."""
        if not self.stdout.strip():
            return []
        data = json.loads(self.stdout, parse_int=str, parse_float=str,
                          object_pairs_hook=_merge_duplicates)
        return data if isinstance(data, list) else [data]


def _merge_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose repeated keys (``-a`` output: several warnings) become lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            previous = out[key] if isinstance(out[key], list) else [out[key]]
            out[key] = [*previous, *(value if isinstance(value, list) else [value])]
        else:
            out[key] = value
    return out


class _Stream:
    """Collects a pipe's bytes on a reader thread so waits can have a timeout."""

    def __init__(self, pipe: Any) -> None:
        self._pipe = pipe
        self._buffer = bytearray()
        self._closed = False
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True, name="exiftool-reader").start()

    def _pump(self) -> None:
        while True:
            try:
                chunk = self._pipe.read1(65536)
            except (OSError, ValueError):
                chunk = b""
            with self._cond:
                if not chunk:
                    self._closed = True
                    self._cond.notify_all()
                    return
                self._buffer += chunk
                self._cond.notify_all()

    def read_until(self, marker: bytes, deadline: float) -> bytes | None:
        """Everything before ``marker`` (consumed); None on timeout; EOFError if closed."""
        with self._cond:
            while True:
                index = self._buffer.find(marker)
                if index >= 0:
                    data = bytes(self._buffer[:index])
                    del self._buffer[: index + len(marker)]
                    return data
                if self._closed:
                    raise EOFError
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)


class ExifToolProcess:
    """One ``exiftool -stay_open True -@ -`` process; not thread-safe (the pool serialises)."""

    _ids = itertools.count(1)

    def __init__(self, executable: str, common_args: Sequence[str] = ()) -> None:
        args = [executable, "-config", str(config_path()), "-stay_open", "True", "-@", "-",
                "-common_args", "-charset", "filename=utf8", *common_args]
        try:
            # The shipped config makes ExifTool exit if this process dies without closing it.
            env = {**os.environ, "IMAGEWORKS_PARENT_PID": str(os.getpid())}
            self._proc = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            raise ExifToolNotFoundError(f"cannot start ExifTool ({executable}): {exc}; "
                                        f"{INSTALL_HINT}") from exc
        self._stdout = _Stream(self._proc.stdout)
        self._stderr = _Stream(self._proc.stderr)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def execute(self, args: Sequence[str | bytes], timeout: float) -> ExifToolResult:
        """Run one command; raises ExifToolTimeoutError / ExifToolError (process then dead)."""
        n = next(self._ids)
        lines = [a if isinstance(a, bytes) else a.encode("utf-8") for a in args]
        for line in lines:
            if b"\n" in line or b"\r" in line:
                raise ValueError(f"argument {line[:40]!r}... contains a line break")
        payload = b"\n".join([*lines, b"-echo4", b"{ready%d}" % n, b"-execute%d" % n]) + b"\n"
        deadline = time.monotonic() + timeout
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(payload)
            self._proc.stdin.flush()
            out = self._stdout.read_until(b"{ready%d}\n" % n, deadline)
            err = self._stderr.read_until(b"{ready%d}\n" % n, deadline) if out is not None \
                else None
        except (OSError, EOFError) as exc:
            self.kill()
            raise ExifToolError(f"ExifTool (pid {self.pid}) exited unexpectedly while running "
                                "a command; it will be restarted, retry the operation") from exc
        if out is None or err is None:
            self.kill()
            raise ExifToolTimeoutError(
                f"ExifTool did not answer within {timeout:g} s (file too large, slow disk or "
                "network share?); the process was restarted: retry, or raise the timeout"
            )
        return ExifToolResult(out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                              out)

    def close(self, timeout: float = 5.0) -> None:
        """Ask ExifTool to exit; kill it if it does not."""
        if self.alive:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(b"-stay_open\nFalse\n")
                self._proc.stdin.flush()
                self._proc.stdin.close()
                self._proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self._reap()

    def kill(self) -> None:
        if self.alive:
            self._proc.kill()
        self._reap()

    def _reap(self) -> None:
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - kill never fails on POSIX
            return
        for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


_open_pools: weakref.WeakSet[ExifToolPool] = weakref.WeakSet()


@atexit.register
def _close_open_pools() -> None:
    """Stop the ExifTool processes of pools nobody closed before the interpreter exits."""
    for pool in list(_open_pools):
        pool.close()


class ExifToolPool:
    """About one ExifTool process per core, started on demand, restarted after a failure.

    ``execute`` is thread-safe: each call borrows one idle process (waiting if all are busy).
    Call ``close()`` (or use ``with``) on shutdown.
    """

    def __init__(
        self,
        size: int | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        executable: str | None = None,
    ) -> None:
        self.size = max(1, size if size is not None else min(os.cpu_count() or 1, 4))
        self.timeout = timeout
        self.executable = find_exiftool(executable)
        self._idle: queue.LifoQueue[ExifToolProcess | None] = queue.LifoQueue()
        for _ in range(self.size):
            self._idle.put(None)  # a slot; the process starts on first use
        self._all: set[ExifToolProcess] = set()
        self._lock = threading.Lock()
        self._closed = False
        _open_pools.add(self)

    def __enter__(self) -> ExifToolPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        """Process ids of the running ExifTool processes (for diagnostics and tests)."""
        with self._lock:
            return sorted(p.pid for p in self._all if p.alive)

    def execute(self, args: Sequence[str | bytes], timeout: float | None = None) -> ExifToolResult:
        """Run one command on an idle process and return its output."""
        if self._closed:
            raise ExifToolError("the ExifTool pool is closed (application shutting down)")
        proc = self._idle.get()
        try:
            if proc is None or not proc.alive:
                if proc is not None:
                    self._forget(proc)
                proc = ExifToolProcess(self.executable)
                with self._lock:
                    self._all.add(proc)
            result = proc.execute(args, self.timeout if timeout is None else timeout)
        except BaseException:
            if proc is not None and not proc.alive:
                self._forget(proc)
                proc = None
            raise
        finally:
            self._idle.put(proc)
        return result

    def execute_json(
        self, args: Sequence[str | bytes], timeout: float | None = None
    ) -> tuple[list[dict[str, Any]], ExifToolResult]:
        """Run a ``-json`` command; returns the parsed records and the raw result."""
        result = self.execute(["-json", *args], timeout)
        try:
            return result.json(), result
        except ValueError as exc:
            raise ExifToolError(f"ExifTool returned unreadable JSON: {exc}") from exc

    def _forget(self, proc: ExifToolProcess) -> None:
        with self._lock:
            self._all.discard(proc)

    def close(self) -> None:
        """Stop every process (idempotent)."""
        self._closed = True
        with self._lock:
            procs = list(self._all)
            self._all.clear()
        for proc in procs:
            proc.close()
