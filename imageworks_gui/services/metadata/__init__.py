"""Photo metadata I/O on ExifTool: read, write safely (journaled, verified, atomic) and undo."""

from imageworks_gui.services.metadata.aio import AsyncMetadataService
from imageworks_gui.services.metadata.exiftool import (
    ExifToolError,
    ExifToolNotFoundError,
    ExifToolPool,
    ExifToolTimeoutError,
)
from imageworks_gui.services.metadata.journal import BatchSummary, JournalError, MetadataJournal
from imageworks_gui.services.metadata.reader import MetadataError, read_metadata
from imageworks_gui.services.metadata.undo import AlreadyUndoneError
from imageworks_gui.services.metadata.writer import (
    BatchResult,
    MetadataWriter,
    WriteOutcome,
)

__all__ = [
    "AlreadyUndoneError",
    "AsyncMetadataService",
    "BatchResult",
    "BatchSummary",
    "ExifToolError",
    "ExifToolNotFoundError",
    "ExifToolPool",
    "ExifToolTimeoutError",
    "JournalError",
    "MetadataError",
    "MetadataJournal",
    "MetadataWriter",
    "WriteOutcome",
    "read_metadata",
]
