"""Asyncio front end of the metadata service: every call runs off the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterable

from imageworks_gui.core.metadata import ChangePlan, PhotoMetadata, Proposal
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.metadata.journal import BatchSummary
from imageworks_gui.services.metadata.reader import read_metadata
from imageworks_gui.services.metadata.writer import (
    BatchResult,
    MetadataWriter,
    ResultCallback,
    WriteItem,
)


class AsyncMetadataService:
    """Read, write and undo from coroutines; per-file callbacks arrive on the loop's thread.

    Cancelling an awaiting ``write_batch`` stops it after the files already in progress
    (those finish atomically; the rest are reported as ``cancelled``).
    """

    def __init__(self, writer: MetadataWriter) -> None:
        self.writer = writer

    async def read(self, path: str | os.PathLike[str]) -> PhotoMetadata:
        return await run_blocking(read_metadata, self.writer.pool, path, self.writer.settings)

    async def plan(self, proposal: Proposal) -> ChangePlan:
        return await run_blocking(self.writer.plan, proposal)

    async def write_batch(
        self,
        items: Iterable[WriteItem],
        on_result: ResultCallback | None = None,
        description: str = "",
    ) -> BatchResult:
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        callback: ResultCallback | None = None
        if on_result is not None:
            def callback(outcome) -> None:  # noqa: ANN001 - matches ResultCallback
                loop.call_soon_threadsafe(on_result, outcome)
        try:
            return await run_blocking(self.writer.write_batch, list(items), callback, cancel,
                                      description)
        except asyncio.CancelledError:
            cancel.set()
            raise

    async def undo(self, batch_id: str, on_result: ResultCallback | None = None) -> BatchResult:
        loop = asyncio.get_running_loop()
        callback: ResultCallback | None = None
        if on_result is not None:
            def callback(outcome) -> None:  # noqa: ANN001 - matches ResultCallback
                loop.call_soon_threadsafe(on_result, outcome)
        return await run_blocking(self.writer.undo, batch_id, callback)

    async def list_batches(self) -> list[BatchSummary]:
        return await run_blocking(self.writer.list_batches)

    async def close(self) -> None:
        """Stop the ExifTool processes (call once on shutdown)."""
        await run_blocking(self.writer.pool.close)
