"""The structured JSON-lines log in the user log folder, shared by both CLIs and the GUI."""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imageworks_gui.core.undecodable import escape_controls
from imageworks_gui.services.paths import log_dir

LOG_FILE = "imageworks.jsonl"
ROOT_LOGGER = "imageworks"
MAX_LOG_BYTES = 5 * 1024 * 1024
"""The log rolls over to ``imageworks.jsonl.1`` (three kept) at this size."""

_EXTRA_KEY = "event"


def log_event(logger: logging.Logger, event_type: str, message: str, *,
              level: int = logging.INFO, **fields: Any) -> None:
    """Log ``message`` with a structured record ``{"event_type": event_type, **fields}``."""
    logger.log(level, message, extra={_EXTRA_KEY: {"event_type": event_type, **fields}})


def event_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a record: its ``event`` extra, or a JSON-object message that
    carries an ``event_type`` (as ``core.resolution`` logs role resolutions)."""
    event = getattr(record, _EXTRA_KEY, None)
    if isinstance(event, dict):
        return dict(event)
    message = record.getMessage()
    if message.startswith("{") and '"event_type"' in message:
        try:
            data = json.loads(message)
        except ValueError:
            return {}
        if isinstance(data, dict):
            return data
    return {}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line; ASCII-escaped, so non-UTF-8 (surrogate) paths survive."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
        }
        event = event_of(record)
        data["event_type"] = event.pop("event_type", "message")
        if not (event and record.getMessage().startswith("{")):
            data["message"] = record.getMessage()
        data.update(event)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=True, default=str)


class _FileHandler(logging.handlers.RotatingFileHandler):
    """The log file handler (a distinct class so setup can find and replace it)."""

    def handleError(self, record: logging.LogRecord) -> None:
        # A full disk or a log file that became unwritable must not print a traceback per
        # record: warn once and go on without the file, as when it cannot be opened.
        exc = sys.exc_info()[1]
        root = logging.getLogger(ROOT_LOGGER)
        root.removeHandler(self)
        with contextlib.suppress(Exception):
            self.close()
        reason = getattr(exc, "strerror", None) or exc
        root.warning("cannot write the log file %s (%s); running without it",
                     self.baseFilename, reason)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Warnings (or, verbose, everything) on the current ``sys.stderr`` as plain text."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr  # looked up per record: a test runner may swap it

    @stream.setter
    def stream(self, value: Any) -> None:
        return


class _LevelFormatter(logging.Formatter):
    """``warning: message`` (lower-case level), printed literally: terminal control characters
    (from names or server messages) are shown escaped, as ``\\x1b``."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {escape_controls(record.getMessage())}"


def log_file() -> Path:
    """Where the structured log of this user lives."""
    return log_dir() / LOG_FILE


def setup_logging(tool: str, *, verbose: bool = False, stderr: bool = True) -> Path | None:
    """Send ``imageworks.*`` records to the JSON-lines log (INFO and up) and to stderr
    (WARNING and up, INFO with ``verbose``). Idempotent: a second call re-points the handlers
    (the log folder may have changed). Returns the log file, or None when it cannot be opened
    (the tool then runs on with a warning: a log must never stop the work)."""
    root = teardown_logging()
    root.setLevel(logging.INFO)
    if stderr:
        console = _StderrHandler()
        console.setLevel(logging.INFO if verbose else logging.WARNING)
        console.setFormatter(_LevelFormatter())
        root.addHandler(console)
    path: Path | None = None
    try:
        path = log_file()
        handler = _FileHandler(path, maxBytes=MAX_LOG_BYTES, backupCount=3, encoding="utf-8")
    except OSError as exc:
        root.warning("cannot open the log file %s (%s); running without it",
                     path or "in the user log folder", exc.strerror or exc)
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(JsonLinesFormatter())
    root.addHandler(handler)
    log_event(root, "session", f"{tool} started", tool=tool, argv=sys.argv[1:],
              cwd=os.getcwd())
    return path


def teardown_logging() -> logging.Logger:
    """Remove (and close) the handlers ``setup_logging`` added; returns the root logger."""
    root = logging.getLogger(ROOT_LOGGER)
    for handler in list(root.handlers):
        if isinstance(handler, (_FileHandler, _StderrHandler)):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.NOTSET)
    return root


def read_log(path: Path | None = None) -> list[dict[str, Any]]:
    """The records of a structured log (unreadable lines skipped)."""
    records = []
    with (path or log_file()).open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                records.append(data)
    return records
