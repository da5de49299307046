"""Streaming discovery of image files under the inputs a user gave (files and folders)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path

from imageworks_gui.services.thumbnails import RAW_SUFFIXES

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".mpo", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif", ".hif",
     ".avif"}
    | set(RAW_SUFFIXES)
)
"""Extensions (lower case) the tagger picks up: JPEG, MPO, PNG, TIFF, WebP, HEIC/AVIF and RAWs."""

OnError = Callable[[Path, str], None]


class DiscoveryError(ValueError):
    """An input does not exist or cannot be listed."""


def is_image_path(path: Path) -> bool:
    """True when the file name has a supported image extension."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _raise(path: Path, message: str) -> None:
    raise DiscoveryError(message)


def _walk(folder: Path, recursive: bool, on_error: OnError) -> Iterator[Path]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        on_error(folder, f"cannot list folder {folder}: {exc.strerror or exc}")
        return
    subdirs: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_file():
                path = Path(entry.path)
                if is_image_path(path):
                    yield path
            elif recursive and entry.is_dir(follow_symlinks=False):
                subdirs.append(Path(entry.path))
        except OSError:
            continue
    for sub in subdirs:
        yield from _walk(sub, recursive, on_error)


def iter_images(inputs: Iterable[Path | str], recursive: bool = True,
                on_error: OnError | None = None) -> Iterator[Path]:
    """Yield image files lazily, folder by folder (a huge folder starts at once).

    Files given directly are yielded when they have an image extension, or reported through
    ``on_error``; a missing input is reported too (default: ``DiscoveryError``). Each file is
    yielded once even when inputs overlap. Hidden files and folders are skipped; folder
    symlinks are not followed during recursion.
    """
    report = on_error or _raise
    seen: set[Path] = set()
    for raw in inputs:
        item = Path(raw).expanduser()
        if item.is_dir():
            found = _walk(item, recursive, report)
        elif item.is_file():
            if not is_image_path(item):
                kind = item.suffix or "no extension"
                report(item, f"{item} is not a supported image type ({kind}); supported: "
                             f"{', '.join(sorted(IMAGE_EXTENSIONS))}")
                continue
            found = iter([item])
        else:
            report(item, f"input {item} does not exist: check the path")
            continue
        for path in found:
            key = path.absolute()
            if key not in seen:
                seen.add(key)
                yield path


async def aiter_images(inputs: Iterable[Path | str], recursive: bool = True,
                       on_error: OnError | None = None,
                       batch: int = 64) -> AsyncIterator[Path]:
    """``iter_images`` on a worker thread, delivered in small batches to the event loop.

    Errors are reported through ``on_error`` (called on the event loop); without it the first
    error is raised from the iteration. Stopping the iteration early stops the walk.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[list[Path] | BaseException | None] = asyncio.Queue(maxsize=8)
    stop = threading.Event()
    errors: list[tuple[Path, str]] = []

    def put(item: list[Path] | BaseException | None) -> None:
        fut = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        while not stop.is_set():
            try:
                fut.result(timeout=0.2)
                return
            except TimeoutError:
                continue

    def collect(path: Path, message: str) -> None:
        errors.append((path, message))
        if on_error is None:
            raise DiscoveryError(message)

    def worker() -> None:
        pending: list[Path] = []
        try:
            for path in iter_images(inputs, recursive, collect):
                if stop.is_set():
                    return
                pending.append(path)
                if len(pending) >= batch:
                    put(pending)
                    pending = []
            if pending:
                put(pending)
            put(None)
        except BaseException as exc:  # delivered to the consumer
            put(exc)

    thread = threading.Thread(target=worker, name="imageworks-discovery", daemon=True)
    thread.start()
    delivered = 0
    try:
        while True:
            item = await queue.get()
            while on_error is not None and delivered < len(errors):
                on_error(*errors[delivered])
                delivered += 1
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            for path in item:
                yield path
    finally:
        stop.set()
        while on_error is not None and delivered < len(errors):
            on_error(*errors[delivered])
            delivered += 1
