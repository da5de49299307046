"""The qasync event loop, with worker-thread wake-ups that never emit a Qt signal off-thread."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import socket
from collections.abc import Callable
from typing import Any

import qasync


class ThreadSafeQEventLoop(qasync.QEventLoop):
    """``qasync.QEventLoop`` whose ``call_soon_threadsafe`` wakes the GUI thread through a
    socket pair instead of emitting a Qt signal from the calling thread.

    Every executor result (``run_blocking``) and every callback handed over from a worker
    thread arrives through ``call_soon_threadsafe``; qasync implements it by emitting a signal
    from that thread, which PySide6 6.8 and later can crash on under load. Here the worker only
    queues the callback and writes one byte; a socket notifier on the GUI thread runs the queue.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._handed_over: collections.deque[asyncio.Handle] = collections.deque()
        self.add_reader(self._wake_read.fileno(), self._run_handed_over)

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any,
                             context: contextvars.Context | None = None) -> asyncio.Handle:
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        handle = asyncio.Handle(callback, args, self, context)
        self._handed_over.append(handle)  # deque.append is atomic
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            self._wake_write.send(b"\0")  # a full buffer already means "wake up"
        return handle

    def _run_handed_over(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError, OSError):
            while self._wake_read.recv(4096):
                pass
        while self._handed_over:
            handle = self._handed_over.popleft()
            if not handle.cancelled():
                handle._run()

    def close(self) -> None:
        if not self.is_closed():
            self.remove_reader(self._wake_read.fileno())
        super().close()
        self._wake_read.close()
        self._wake_write.close()
