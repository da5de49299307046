"""What a tagging run reports back: its totals, and a preflight that failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from imageworks_gui.core.tagging import TagResult
from imageworks_gui.services.backends.probes import ProbeReport
from imageworks_gui.services.pipeline.groups import model_requests
from imageworks_gui.services.pipeline.roles import StageBinding

MAX_LISTED_FAILURES = 1000
"""Failed images a ``RunOutcome`` keeps in full; ``failed`` counts them all (memory stays flat)."""


class PreflightError(RuntimeError):
    """At least one resolved model failed its probes; ``reports`` holds every report."""

    def __init__(self, reports: list[ProbeReport]) -> None:
        self.reports = reports
        failed = [r for r in reports if not r.ok]
        super().__init__("preflight failed:\n" + "\n".join(f"  - {r.message}" for r in failed))


@dataclass
class RunOutcome:
    """Totals of a finished (or cancelled) run; ``failures`` lists the first failed images.

    At most ``MAX_LISTED_FAILURES`` are kept (the journal holds every one); ``failed`` counts
    them all and ``unlisted_failures`` says how many were left out.
    """

    total: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    elapsed_s: float = 0.0
    was_cancelled: bool = False
    model_requests: int = 0
    """Stage requests sent to models (a burst member's copied proposal costs none)."""
    request_modes: dict[str, int] = field(default_factory=dict)
    """Photos tagged in this run per ``request_mode`` (fused, fused+fallback, separate)."""
    fallbacks: dict[str, int] = field(default_factory=dict)
    """Per stage: photos whose field in the fused answer was asked again on its own."""
    failures: list[TagResult] = field(default_factory=list)
    bindings: dict[str, StageBinding] = field(default_factory=dict)

    def add_failure(self, result: TagResult) -> None:
        """Keep ``result`` in ``failures`` unless the list is full (``failed`` counts it)."""
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(result)

    @property
    def unlisted_failures(self) -> int:
        """Failed images not kept in ``failures`` (read them from the journal)."""
        return max(0, self.failed - len(self.failures))

    def count_requests(self, result: TagResult) -> None:
        """Add what tagging ``result`` cost (nothing for burst copies and journal replays)."""
        cost = model_requests(result)
        if not cost:
            return
        self.model_requests += cost
        if result.request_mode:
            self.request_modes[result.request_mode] = (
                self.request_modes.get(result.request_mode, 0) + 1)
        for stage in result.fallback or {}:
            self.fallbacks[stage] = self.fallbacks.get(stage, 0) + 1

    @property
    def requests_per_photo(self) -> float:
        """Model requests per photo that was tagged (ok or failed) in this run."""
        return self.model_requests / max(1, self.ok + self.failed)

    @property
    def exit_code(self) -> int:
        """0 all done, 1 some images failed (or the run was cancelled)."""
        return 1 if self.failed or self.was_cancelled else 0
