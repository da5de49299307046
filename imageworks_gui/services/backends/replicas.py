"""The replicas of one entry: least-loaded choice within each limit, cool-down, rate-limit pauses.

One ``ReplicaPool`` per client. Slots live in the run's ``EndpointLimits`` (per server URL), so
two entries on the same server still share its slots. Every choice happens between awaits on
the one event loop, so taking a slot needs no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx

from imageworks_gui.core.settings import BackendSettings
from imageworks_gui.services.backends.endpoints import Replica
from imageworks_gui.services.backends.errors import (
    BackendBusyError,
    BackendError,
    BackendServerError,
    BackendTimeoutError,
    BackendUnavailableError,
    RequestDeadlineError,
)
from imageworks_gui.services.backends.limits import EndpointLimits, Slots
from imageworks_gui.services.logs import log_event

log = logging.getLogger("imageworks.backends")

HealthCheck = Callable[[Replica], Awaitable[bool]]
"""True when the replica answers again (checked before a cooled-down replica comes back)."""

DEFAULT_PAUSE_S = 1.0
"""Pause of a replica that said 429/503 without saying for how long."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def reset_seconds(text: str | None) -> float | None:
    """Seconds in an ``x-ratelimit-reset-*`` value: ``"2"``, ``"1.5s"``, ``"6m0s"``, ``"20ms"``."""
    if not text:
        return None
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            return None
        return sum(float(n) * _UNIT_S[u] for n, u in parts)
    return value if value >= 0 else None


@dataclass(eq=False)
class ReplicaState:
    """Live state of one replica during a run."""

    replica: Replica
    slots: Slots
    failures: int = 0
    """Failures in a row (reset by any answer)."""
    down_until: float = 0.0
    """Left out until then (monotonic seconds), and after that until a health check passes."""
    paused_until: float = 0.0
    """Asked to wait (429/503 Retry-After, an exhausted rate limit) until then."""
    refused: str | None = None
    """Why preflight refused this replica; it is then never used."""
    sent: int = 0
    answered: int = 0

    @property
    def down(self) -> bool:
        return self.down_until > 0.0

    @property
    def label(self) -> str:
        return self.replica.label


class ReplicaPool:
    """Spreads one entry's requests over its replicas.

    Each attempt takes the usable replica with the lowest load (requests in flight relative
    to its limit; counts include other entries on the same server) and never exceeds a
    replica's limit. A replica that refuses or drops connections is left out at once; one that
    answers 5xx or times out ``replica_failure_threshold`` times in a row is left out after the
    last of them. It stays out for ``replica_cooldown_s``, then comes back once a health check
    passes. The last usable replica is never left out, so a single-endpoint entry keeps the
    client's retries with back-off. 429/503 with ``Retry-After`` pause a replica of a
    multi-replica entry (one server alone: the client waits and retries); an answer saying
    ``x-ratelimit-remaining-requests: 0`` pauses any replica until its reset.
    """

    def __init__(self, limits: EndpointLimits, replicas: list[tuple[Replica, Slots]],
                 settings: BackendSettings, health: HealthCheck | None = None) -> None:
        self.limits = limits
        self.states = [ReplicaState(r, slots) for r, slots in replicas]
        self.settings = settings
        self.health = health
        self._checks: set[asyncio.Task[None]] = set()

    @property
    def single(self) -> bool:
        return len(self.states) == 1

    def usable(self) -> list[ReplicaState]:
        """Replicas requests may go to now (not refused, not cooling down)."""
        now = time.monotonic()
        for state in self.states:
            if state.down and now >= state.down_until and state.refused is None:
                self._start_check(state)
        return [s for s in self.states if s.refused is None and not s.down]

    def has_alternative(self, tried: set[int]) -> bool:
        """True when a usable replica not yet tried for this request exists."""
        return any(s.replica.index not in tried for s in self.usable())

    def _candidates(self, tried: set[int]) -> list[ReplicaState]:
        usable = self.usable()
        if not usable:
            refused = [s for s in self.states if s.refused is not None]
            if len(refused) == len(self.states):
                raise BackendUnavailableError(
                    "no replica of this model can be used: " + "; ".join(
                        f"{s.label}: {s.refused}" for s in refused),
                    endpoint=self.states[0].label)
            return []  # every one is cooling down: wait for a health check
        return [s for s in usable if s.replica.index not in tried] or usable

    def _next_change(self) -> float | None:
        """Seconds until a pause or cool-down ends (None: only a freed slot can help)."""
        now = time.monotonic()
        ends = [t - now for s in self.states if s.refused is None
                for t in (s.paused_until, s.down_until) if t > now]
        return min(ends) if ends else None

    async def _acquire(self, tried: set[int], limited: bool) -> ReplicaState:
        while True:
            now = time.monotonic()
            ready = [s for s in self._candidates(tried) if s.paused_until <= now]
            free = [s for s in ready if s.slots.free or not limited]
            if free:
                best = min(free, key=lambda s: (s.slots.load, s.sent, s.replica.index))
                if limited:
                    best.slots.in_flight += 1
                return best
            await self.limits.changed(self._next_change())

    @contextlib.asynccontextmanager
    async def attempt(self, limited: bool, tried: set[int]) -> AsyncIterator[ReplicaState]:
        """One attempt on the chosen replica; a ``limited`` attempt holds one of its slots
        (waiting, without a deadline, until one frees)."""
        state = await self._acquire(tried, limited)
        state.sent += 1
        try:
            yield state
        finally:
            if limited:
                state.slots.in_flight -= 1
                self.limits.notify()

    # ----------------------------------------------------------------- outcomes
    def succeeded(self, state: ReplicaState, response: httpx.Response | None) -> None:
        state.failures = 0
        state.answered += 1
        if response is not None:
            self._rate_limit(state, response)

    def failed(self, state: ReplicaState, exc: BackendError) -> None:
        """Count a failure: pause on 429/503, leave out a dead or repeatedly failing one."""
        if isinstance(exc, BackendBusyError):
            if not self.single:
                pause = exc.retry_after_s if exc.retry_after_s is not None else DEFAULT_PAUSE_S
                self._pause(state, pause)
            return
        if isinstance(exc, BackendUnavailableError):
            state.failures = self.settings.replica_failure_threshold
        elif isinstance(exc, (BackendServerError, BackendTimeoutError)) and not isinstance(
                exc, RequestDeadlineError):
            state.failures += 1
        else:
            return  # an answer about this request (bad input, auth): the replica is fine
        if state.failures >= self.settings.replica_failure_threshold:
            self._cool_down(state, str(exc))

    def _pause(self, state: ReplicaState, seconds: float) -> None:
        state.paused_until = max(state.paused_until, time.monotonic() + seconds)
        self.limits.notify()

    def _rate_limit(self, state: ReplicaState, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining-requests")
        try:
            exhausted = remaining is not None and float(remaining.strip()) <= 0
        except ValueError:
            exhausted = False
        if exhausted:
            reset = reset_seconds(response.headers.get("x-ratelimit-reset-requests"))
            self._pause(state, reset if reset is not None else DEFAULT_PAUSE_S)

    def _cool_down(self, state: ReplicaState, reason: str) -> None:
        if state.down or not any(s is not state for s in self.usable()):
            return  # the last usable replica stays in: the client's back-off applies
        state.down_until = time.monotonic() + self.settings.replica_cooldown_s
        self.limits.notify()
        log_event(log, "replica_down", f"replica {state.label} left out for "
                  f"{self.settings.replica_cooldown_s:g} s after: {reason}",
                  level=logging.WARNING, endpoint=state.label, url=state.replica.base_url)

    def _start_check(self, state: ReplicaState) -> None:
        if any(getattr(t, "replica_index", None) == state.replica.index for t in self._checks):
            return
        task = asyncio.get_running_loop().create_task(self._check(state))
        task.replica_index = state.replica.index  # type: ignore[attr-defined]
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _check(self, state: ReplicaState) -> None:
        try:
            healthy = self.health is None or await self.health(state.replica)
        except Exception:  # a failing check only keeps the replica out
            healthy = False
        if healthy:
            state.down_until = 0.0
            state.failures = 0
            log_event(log, "replica_up", f"replica {state.label} is back after a health check",
                      endpoint=state.label, url=state.replica.base_url)
        else:
            state.down_until = time.monotonic() + self.settings.replica_cooldown_s
        self.limits.notify()

    def refuse(self, index: int, reason: str) -> None:
        """Never use replica ``index`` in this run (preflight found it unfit)."""
        state = self.states[index]
        state.refused = reason
        self.limits.notify()
        log_event(log, "replica_refused", f"replica {state.label} is not used: {reason}",
                  level=logging.WARNING, endpoint=state.label, url=state.replica.base_url)

    def set_down(self, index: int, reason: str) -> None:
        """Leave replica ``index`` out for a cool-down (preflight found it not answering)."""
        self._cool_down(self.states[index], reason)

    async def aclose(self) -> None:
        """Stop health checks still running (end of a run)."""
        for task in list(self._checks):
            task.cancel()
        for task in list(self._checks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
