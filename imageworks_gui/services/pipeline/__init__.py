"""The tagging pipeline: role resolution, image preparation, staged requests, journal, report."""

from imageworks_gui.services.pipeline.journal import (
    JournalWriter,
    append_record,
    completed_index,
    read_journal,
)
from imageworks_gui.services.pipeline.outcome import PreflightError, RunOutcome
from imageworks_gui.services.pipeline.roles import StageBinding, explicit_entries, resolve_stages
from imageworks_gui.services.pipeline.runner import ProgressSink, ResultSink, TaggingPipeline
from imageworks_gui.services.pipeline.stages import StageError
from imageworks_gui.services.pipeline.summary import render_summary, write_summary

__all__ = [
    "JournalWriter",
    "PreflightError",
    "ProgressSink",
    "ResultSink",
    "RunOutcome",
    "StageBinding",
    "StageError",
    "TaggingPipeline",
    "append_record",
    "completed_index",
    "explicit_entries",
    "read_journal",
    "render_summary",
    "resolve_stages",
    "write_summary",
]
