"""Preflight probes: is the server up, is the model served, does it chat, does it see images."""

from __future__ import annotations

import base64
import io
import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from PIL import Image
from pydantic import BaseModel, Field

from imageworks_gui.core.keywords import strip_reasoning
from imageworks_gui.core.registry import VISION_ROLES, RegistryEntry, replace_entry
from imageworks_gui.core.settings import Settings
from imageworks_gui.services.backends.client import BackendClient
from imageworks_gui.services.backends.errors import BackendError, BackendRequestError
from imageworks_gui.services.backends.status import (
    ServerState,
    ServerStatus,
    status_from_error,
    status_from_listing,
)
from imageworks_gui.services.logs import log_event

PROBE_COLOURS: dict[str, tuple[int, int, int]] = {"red": (220, 20, 20), "blue": (20, 40, 220)}
"""Solid colours of the vision probe images; a model must name each one correctly."""
_COLOUR_WORDS = ("red", "blue", "green", "yellow", "orange", "purple", "pink", "black",
                 "white", "grey", "gray", "brown")
VISION_QUESTION = "Which colour fills this image? Answer with one word."
NOT_STREAMED = ("the server did not stream: it ignored \"stream\": true and answered with one "
                "JSON body, so time to first token was not measured")
log = logging.getLogger("imageworks.backends")


class ProbeReport(BaseModel):
    """What the probes found for one entry; ``ok`` is true when every check passed."""

    entry: str
    backend: str
    endpoint: str
    online: bool = False
    """The server answers and serves this model (``services.backends.status``)."""
    state: str = ServerState.NOT_RUNNING.value
    """The ``ServerState`` found: online, not running, serves other models, loading, error."""
    state_detail: str = ""
    """Why the server is in that state (short; ``status().describe`` makes the sentence)."""
    served_name: str | None = None
    served_listed: bool | None = None
    served_models: list[str] = Field(default_factory=list)
    text_ok: bool | None = None
    vision_checked: bool = False
    vision_ok: bool | None = None
    vision_answers: dict[str, str] = Field(default_factory=dict)
    vision_latency_ms: float | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    streamed: bool | None = None
    """False when the server ignored ``"stream": true`` and answered with one JSON body (time
    to first token then not measured)."""
    message: str = ""
    checked_at: str = ""
    replica_notes: list[str] = Field(default_factory=list)
    """For an entry with several replicas: each replica left out or refused, and why."""

    @property
    def ok(self) -> bool:
        return bool(self.online and self.served_listed and self.text_ok
                    and (self.vision_ok or not self.vision_checked))

    def status(self) -> ServerStatus:
        """The server status this probe found (the same definition as the status check)."""
        return ServerStatus(ServerState(self.state), self.endpoint, self.served_name,
                            tuple(self.served_models), self.state_detail)

    @property
    def failure(self) -> str | None:
        """Why the probe failed (None when every check passed)."""
        return None if self.ok else (self.message or self.state)


def solid_jpeg(rgb: tuple[int, int, int], size: int = 64) -> bytes:
    """A small solid-colour JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", (size, size), rgb).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def image_message(prompt: str, jpeg: bytes, system: str | None = None) -> list[dict[str, Any]]:
    """Chat messages carrying one JPEG as a data URL and a question."""
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": [
        {"type": "text", "text": prompt},
        {"type": "image_url", "image_url": {"url": url}},
    ]})
    return messages


def _names_colour(answer: str, expected: str) -> bool:
    # Reasoning models think aloud ("red or blue?") before answering: judge the answer only.
    words = [w.strip(".,!?;:'\"*`()").lower() for w in strip_reasoning(answer).split()]
    named = [w for w in words if w in _COLOUR_WORDS]
    return bool(named) and named[0] == expected and all(w == expected for w in named)


async def vision_probe(backend: BackendClient) -> tuple[bool, dict[str, str], float]:
    """Ask for the colour of solid red and blue images; true only if both answers are right."""
    answers: dict[str, str] = {}
    start = time.perf_counter()
    for name, rgb in PROBE_COLOURS.items():
        try:
            result = await backend.chat(image_message(VISION_QUESTION, solid_jpeg(rgb)),
                                        max_tokens=10, temperature=0.0, top_p=1.0, retries=1)
        except BackendRequestError as exc:
            # Servers without a vision projector often refuse image parts outright.
            answers[name] = f"refused the image: {exc}"[:300]
            break
        answers[name] = (strip_reasoning(result.text) or result.text.strip())[:80]
    latency = (time.perf_counter() - start) * 1000 / len(PROBE_COLOURS)
    ok = len(answers) == len(PROBE_COLOURS) and all(
        _names_colour(answer, name) for name, answer in answers.items())
    return ok, answers, latency


def blind_message(entry: RegistryEntry, answers: dict[str, str]) -> str:
    shown = "; ".join(f"{c} image -> {a!r}" for c, a in answers.items())
    return (f"model {entry.name!r} did not pass the vision probe: it does not seem to see images "
            f"({shown}); check its mmproj/vision support or its capabilities.vision flag")


async def probe_entry(client: httpx.AsyncClient, entry: RegistryEntry, settings: Settings,
                      *, check_vision: bool | None = None, served_name: str | None = None,
                      backend: BackendClient | None = None) -> ProbeReport:
    """Run every probe against ``entry``'s server; never raises for backend failures.

    ``check_vision`` defaults to true for entries with the vision capability or a vision role.
    """
    backend = backend or BackendClient(client, entry, settings.backend, served_name=served_name)
    if check_vision is None:
        check_vision = entry.capabilities.has("vision") or any(
            r in VISION_ROLES for r in entry.roles)
    report = ProbeReport(entry=entry.name, backend=entry.backend, endpoint=backend.endpoint,
                         vision_checked=check_vision,
                         checked_at=datetime.now(UTC).isoformat(timespec="seconds"))
    try:
        try:
            report.served_models = await backend.list_models(
                retries=settings.backend.max_retries)
        except BackendError as exc:
            status = status_from_error(entry, exc)
            report.state, report.state_detail = status.state.value, status.detail
            report.message = str(exc)
            return report
        status = status_from_listing(entry, report.served_models, name=served_name)
        report.state, report.state_detail = status.state.value, status.detail
        report.online = report.served_listed = status.online
        report.served_name = status.served_name
        if not status.online:
            report.message = (
                f"model {entry.name!r}: {status.served_name!r} is not served at "
                f"{backend.endpoint} (served: {', '.join(report.served_models) or 'nothing'}); "
                f"set served_model_id or model_aliases to a served name"
                if status.served_name else f"model {entry.name!r}: {status.describe(entry)}")
            return report
        timed = await backend.chat_streamed(
            [{"role": "user", "content": "Reply with the single word OK."}], max_tokens=16)
        report.text_ok = bool(strip_reasoning(timed.text))
        report.streamed = timed.streamed
        report.latency_ms = round(timed.latency_ms, 1)
        report.ttft_ms = round(timed.ttft_ms, 1) if timed.ttft_ms is not None else None
        tokens = timed.completion_tokens
        gen_s = (timed.latency_ms - (timed.ttft_ms or 0)) / 1000
        if tokens and gen_s > 0:
            report.tokens_per_s = round(tokens / gen_s, 1)
        if not report.text_ok:
            report.message = (f"model {entry.name!r} answered a text chat with an empty reply: "
                              f"check its chat template and generation_defaults")
            return report
        if check_vision:
            ok, answers, latency = await vision_probe(backend)
            report.vision_ok, report.vision_answers = ok, answers
            report.vision_latency_ms = round(latency, 1)
            if not ok:
                report.message = blind_message(entry, answers)
                return report
        report.message = f"model {entry.name!r} at {backend.endpoint} passed every probe"
        if report.streamed is False:
            report.message += f" ({NOT_STREAMED})"
    except BackendError as exc:
        report.message = str(exc)
    finally:
        log_event(log, "probe", report.message, entry=entry.name, backend=entry.backend,
                  endpoint=report.endpoint, ok=report.ok, online=report.online,
                  served_name=report.served_name, text_ok=report.text_ok,
                  vision_ok=report.vision_ok, streamed=report.streamed,
                  ttft_ms=report.ttft_ms, tokens_per_s=report.tokens_per_s)
    return report


def entry_with_probe_results(entry: RegistryEntry, report: ProbeReport) -> RegistryEntry:
    """A new entry recording ``probes.vision`` and rolling ``performance`` from ``report``."""
    changes: dict[str, Any] = {}
    if report.vision_checked and report.vision_ok is not None:
        probes = entry.probes.model_dump(mode="json", exclude_unset=True) if entry.probes else {}
        notes = "; ".join(f"{c}: {a}" for c, a in report.vision_answers.items())
        probes["vision"] = {"vision_ok": report.vision_ok, "timestamp": report.checked_at,
                            "latency_ms": report.vision_latency_ms, "notes": notes[:300]}
        changes["probes"] = probes
    if report.ttft_ms is not None or report.tokens_per_s is not None:
        perf = entry.performance.model_dump(mode="json", exclude_unset=True) if (
            entry.performance) else {}
        n = int(perf.get("rolling_samples") or 0)

        def rolling(old: Any, new: float | None) -> float | None:
            if new is None:
                return old
            return round(new if old is None or n == 0 else (old * n + new) / (n + 1), 2)

        perf["ttft_ms_avg"] = rolling(perf.get("ttft_ms_avg"), report.ttft_ms)
        perf["throughput_toks_per_s_avg"] = rolling(perf.get("throughput_toks_per_s_avg"),
                                                    report.tokens_per_s)
        perf["rolling_samples"] = n + 1
        perf["last_sample"] = {"ttft_ms": report.ttft_ms, "tokens_per_s": report.tokens_per_s,
                               "latency_ms": report.latency_ms, "timestamp": report.checked_at}
        if report.streamed is False:
            perf["last_sample"]["streamed"] = False  # why ttft_ms is missing
        changes["performance"] = perf
    return replace_entry(entry, **changes) if changes else entry
