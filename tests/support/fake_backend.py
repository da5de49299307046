"""A protocol-faithful model server on 127.0.0.1 (vLLM, LMDeploy, llama.cpp, Ollama flavours).

Start it with ``start_fake_backend(...)`` (bench scripts) or the ``fake_backend`` fixture (tests).
A "seeing" model decodes the image it receives and answers with its dominant colour, so a test
can prove that the image travelled; a "blind" model ignores images, as a text-only model on
llama.cpp does. Faults are queued per chat request with ``backend.fail(...)``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.support.fake_backend_http import QuietServer, make_handler

FLAVOURS = ("vllm", "lmdeploy", "llamacpp", "ollama", "lmstudio")
FAULTS = ("503", "503_loading", "429", "500", "malformed", "truncated", "drop", "error200",
          "huge", "huge_sse", "hang", "trickle")
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30), "green": (30, 170, 60), "blue": (30, 60, 220),
    "yellow": (235, 220, 40), "orange": (240, 140, 20), "purple": (130, 40, 170),
    "white": (245, 245, 245), "black": (10, 10, 10), "grey": (128, 128, 128),
}

def colour_name(rgb: tuple[int, int, int]) -> str:
    """Nearest palette colour name."""
    return min(PALETTE, key=lambda n: sum((a - b) ** 2 for a, b in zip(PALETTE[n], rgb,
                                                                           strict=True)))


@dataclass
class FakeModel:
    """A served model: ``sees`` decides whether it looks at images."""

    name: str
    sees: bool = True
    vision: bool = True
    """What the server advertises (/props modalities, /api/show capabilities)."""
    keyword_style: str = "json"
    """How keyword answers are written: json, fenced, think, list, control (keywords holding
    NUL and other control characters)."""
    json_schema: bool = True
    """False: answer requests carrying ``response_format`` with 400 (an older server)."""
    honours_schema: bool = False
    """Answer keyword requests whose schema has an ``enum`` with enum values only (as a server
    with constrained decoding does); False: ignore the schema, as some servers do."""
    rejects_images: bool = False
    """Answer image requests with 400, as llama-server without a vision projector does."""
    thinks: bool = False
    """Start every answer with a ``<think>`` block that names other colours (reasoning models)."""
    prose_style: str = "plain"
    """How descriptions are written: plain, json (``{"description": ...}`` with ``\\u``
    escapes), nested (the text inside an inner object), data (JSON with no text field),
    broken (JSON cut short) or fenced (a code fence around JSON)."""
    root: str | None = None
    """What a vLLM server lists as the model's ``root`` (its files); default /models/NAME."""
    fused_style: str = "json"
    """How combined requests (title, keywords and description in one JSON answer) are
    answered: json (every field good), fenced (inside a code fence), bad_title (the title is
    a JSON data string), bad_description (the description is JSON cut short), bad_keywords
    (only empty keywords), keywords_only (a model that answers just the keyword part) or
    broken (the whole answer cut short)."""


@dataclass
class RequestRecord:
    """What the server saw for one chat request."""

    model: str
    prompt: str
    image_bytes: int = 0
    image_size: tuple[int, int] | None = None
    image_format: str | None = None
    response_format: bool = False
    fused: bool = False
    """A combined request: it asked for title, keywords and description at once."""
    payload: dict[str, Any] = field(default_factory=dict)


class FakeBackend:
    """The server state; ``url`` is ``http://127.0.0.1:PORT`` and ``base_url`` adds ``/v1``."""

    def __init__(self, flavour: str = "vllm", models: list[FakeModel] | None = None, *,
                 latency_s: float = 0.0, slots: int | None = None, loading_s: float = 0.0,
                 retry_after: str = "1", port: int = 0, ignores_stream: bool = False,
                 json_content_type: str = "application/json",
                 trickle_s: float = 0.2) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {FLAVOURS}")
        self.flavour = flavour
        self.models = models if models is not None else [FakeModel("seeing-model")]
        self.latency_s = latency_s
        self.slots = slots
        self.retry_after = retry_after
        self.error_message = "CUDA error: an illegal memory access"
        """The message of the ``500`` fault (servers echo prompt text such as ``[/INST]``)."""
        self.ignores_stream = ignores_stream
        self.json_content_type = json_content_type
        """Content type of the one JSON body sent instead of a stream (some proxies say
        ``text/plain`` or nothing useful)."""
        """Answer ``"stream": true`` requests with one JSON body, as some proxies do."""
        self.trickle_s = trickle_s
        """Seconds between the bytes of a ``trickle`` fault's body."""
        self.loading_until = time.monotonic() + loading_s
        self.faults: deque[str] = deque()
        self.records: list[RequestRecord] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.max_active = 0
        self.busy_s = 0.0
        self.first_start: float | None = None
        self.last_end: float | None = None
        self._active = 0
        self.dead = False
        """Set by ``die()``: every request, even one already being answered, is dropped."""
        self._lock = threading.Lock()
        self._slot_sem = threading.BoundedSemaphore(slots) if slots else None
        self._held_sizes: set[tuple[int, int]] = set()
        self._release = threading.Event()
        self._server = QuietServer(("127.0.0.1", port), make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True,
                                        name=f"fake-{flavour}")

    # ------------------------------------------------------------------ control
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> FakeBackend:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def die(self) -> None:
        """Crash like a server process killed mid-run: requests being answered lose their
        connection without an answer, and nothing listens on the port any more."""
        self.dead = True
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, *faults: str) -> None:
        """Queue faults; each chat request consumes one (in arrival order)."""
        for f in faults:
            if f not in FAULTS:
                raise ValueError(f"unknown fault {f!r}; known: {FAULTS}")
        self.faults.extend(faults)

    def hold(self, *image_sizes: tuple[int, int]) -> None:
        """Stall chat requests whose image has one of these sizes until ``release()``.

        A stalled request holds no server slot, so other images are still answered.
        """
        self._held_sizes.update(image_sizes)
        self._release.clear()

    def release(self) -> None:
        """Let every stalled request go on (``stop()`` does this too)."""
        self._held_sizes.clear()
        self._release.set()

    def wait_if_held(self, payload: dict[str, Any]) -> None:
        """Block the calling handler thread while the request's image is held."""
        if not self._held_sizes:
            return
        for message in payload.get("messages", []):
            for part in message.get("content") if isinstance(message.get("content"),
                                                             list) else []:
                if part.get("type") == "image_url":
                    raw = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
                    with Image.open(io.BytesIO(raw)) as img:
                        if img.size in self._held_sizes:
                            self._release.wait(timeout=60)
                            return

    def set_loading(self, seconds: float) -> None:
        self.loading_until = time.monotonic() + seconds

    @property
    def loading(self) -> bool:
        return time.monotonic() < self.loading_until

    def utilisation(self) -> float:
        """Busy slot time divided by (slots x the span from first to last request)."""
        if not self.slots or self.first_start is None or self.last_end is None:
            return 0.0
        span = self.last_end - self.first_start
        return self.busy_s / (self.slots * span) if span > 0 else 0.0

    def reset_stats(self) -> None:
        with self._lock:
            self.records.clear()
            self.max_active = 0
            self.busy_s = 0.0
            self.first_start = self.last_end = None

    def chat_count(self) -> int:
        """Chat requests received (including the ones answered with a fault)."""
        return sum(1 for p in self.paths if p.endswith("/chat/completions"))

    def model(self, name: str) -> FakeModel | None:
        return next((m for m in self.models if m.name == name), None)

    # ------------------------------------------------------------------ answers
    def answer(self, payload: dict[str, Any]) -> tuple[str, RequestRecord]:
        name = str(payload.get("model", ""))
        model = self.model(name) or self.models[0]
        text, record = self._answer(model, name, payload)
        if model.thinks:
            text = ("<think>\nIs it green, yellow or purple? Let me look again.\n</think>\n\n"
                    + text)
        return text, record

    def _answer(self, model: FakeModel, name: str,
                payload: dict[str, Any]) -> tuple[str, RequestRecord]:
        prompt, image_url = "", None
        for message in payload.get("messages", []):
            content = message.get("content")
            if message.get("role") != "user":
                continue
            if isinstance(content, str):
                prompt += content + "\n"
            elif isinstance(content, list):
                for part in content:
                    if part.get("type") == "text":
                        prompt += part.get("text", "") + "\n"
                    elif part.get("type") == "image_url":
                        image_url = part["image_url"]["url"]
        record = RequestRecord(model=name, prompt=prompt, payload=payload,
                               response_format="response_format" in payload)
        colour = "red"
        if image_url and model.sees:
            raw = base64.b64decode(image_url.split(",", 1)[1])
            record.image_bytes = len(raw)
            with Image.open(io.BytesIO(raw)) as img:
                record.image_format = img.format
                record.image_size = img.size
                img.load()  # a real server decodes the whole image
                colour = colour_name(img.convert("RGB").resize((1, 1)).getpixel((0, 0)))
        record.fused = _is_fused(payload, prompt)
        if record.fused and (image_url or not model.sees):
            return _fused_answer(colour, model), record
        text = prompt.lower()
        if model.sees and not image_url and any(w in text for w in ("image", "photo", "colour")):
            return "I do not see any image.", record
        if ("colour" in text or "color" in text) and "keyword" not in text:
            # The vision probe's question (a keyword prompt may list a term such as "Colours").
            return f"{colour.capitalize()}.", record
        describe = "describe" in text or "description" in text
        enum = _keyword_enum(payload.get("response_format"))
        if model.honours_schema and enum:
            # Constrained decoding: the colour's term when offered, then the first others.
            chosen = [t for t in enum if t.casefold() == colour] + [
                t for t in enum if t.casefold() != colour]
            return json.dumps({"keywords": chosen[:3]}), record
        if record.response_format or ("keyword" in text and not describe):
            kws = [colour, f"{colour} tones", "test pattern", colour.upper()]
            body = json.dumps({"keywords": kws})
            dirty = json.dumps({"keywords": [f"{colour}\x00", "bell\x07tower", "\x1b[31m",
                                             "tab\tseparated", "test pattern"]})
            styled = {"json": body, "fenced": f"```json\n{body}\n```", "control": dirty,
                      "think": f"<think>The image looks {colour}.</think>\n{body}",
                      "list": "\n".join(f"{i}. {k}" for i, k in enumerate(kws, 1))}
            return styled[model.keyword_style], record
        if describe:
            prose = (f"A photograph filled mostly with {colour}. It shows a plain {colour} "
                     f"surface, caf\u00e9 style.")
            return _styled_prose(prose, colour, model.prose_style), record
        if "caption" in text or "title" in text:
            return f"A {colour} photograph", record
        return "OK", record


def _keyword_enum(fmt: Any) -> list[str]:
    """The keyword items' enum of a ``response_format`` (either schema shape), else []."""
    if not isinstance(fmt, dict):
        return []
    schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema") or {}
    try:
        enum = schema["properties"]["keywords"]["items"].get("enum")
    except (KeyError, TypeError, AttributeError):
        return []
    return [str(t) for t in enum] if isinstance(enum, list) else []


def _is_fused(payload: dict[str, Any], prompt: str) -> bool:
    """A request for title, keywords and description at once (by schema or by its prompt)."""
    fmt = payload.get("response_format")
    if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        props = (fmt["json_schema"].get("schema") or {}).get("properties") or {}
        return "keywords" in props and len(props) > 1
    return '"keywords"' in prompt and ('"title"' in prompt or '"description"' in prompt)


def _fused_answer(colour: str, model: FakeModel) -> str:
    """A combined answer in the shape ``FakeModel.fused_style`` names; its fields are written
    the way the model writes them in stage answers (``keyword_style`` control, ``prose_style``)."""
    style = model.fused_style
    prose = (f"A photograph filled mostly with {colour}. It shows a plain {colour} surface, "
             f"caf\u00e9 style.")
    dirty = [f"{colour}\x00", "bell\x07tower", "\x1b[31m", "tab\tseparated", "test pattern"]
    clean = [colour, f"{colour} tones", "test pattern"]
    keywords = dirty if model.keyword_style == "control" else clean
    good: dict[str, Any] = {"title": f"A {colour} photograph", "keywords": keywords,
                            "description": _styled_prose(prose, colour, model.prose_style)}
    if style == "bad_title":
        good["title"] = json.dumps({"objects": [colour], "count": 1})
    elif style == "bad_description":
        good["description"] = json.dumps({"description": prose})[:30]
    elif style == "bad_keywords":
        good["keywords"] = ["", "  "]
    elif style == "keywords_only":
        good = {"keywords": good["keywords"]}
    body = json.dumps(good)
    if style == "broken":
        return body[: len(body) // 2]
    return f"```json\n{body}\n```" if style == "fenced" else body


def _styled_prose(prose: str, colour: str, style: str) -> str:
    """A description answer in one of the shapes models produce (``FakeModel.prose_style``)."""
    escaped = json.dumps({"description": prose})  # ensure_ascii: é becomes \\u00e9
    return {"plain": prose, "json": escaped,
            "nested": json.dumps({"result": {"text": prose}, "confidence": 0.9}),
            "data": json.dumps({"objects": [colour, "surface"], "count": 2}),
            "broken": escaped[:40],
            "fenced": f"```json\n{escaped}\n```"}[style]


def start_fake_backend(flavour: str = "vllm", models: list[FakeModel] | None = None,
                       **kwargs: Any) -> FakeBackend:
    """Start a server in a background thread; call ``.stop()`` when done."""
    return FakeBackend(flavour, models, **kwargs).start()


def main(argv: list[str] | None = None) -> None:
    """Run a server in the foreground (for benchmarks): prints ``READY <port>`` when listening.

    Besides the backend endpoints it serves ``GET /_stats`` (slot utilisation, request count)
    and ``POST /_reset`` so another process can measure it.
    """
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flavour", default="vllm", choices=FLAVOURS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--slots", type=int, default=None)
    parser.add_argument("--model", action="append", default=None)
    args = parser.parse_args(argv)
    models = [FakeModel(name) for name in (args.model or ["seeing-model"])]
    server = FakeBackend(args.flavour, models, latency_s=args.latency, slots=args.slots,
                         port=args.port)
    print(f"READY {server.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._server.serve_forever(0.05)


if __name__ == "__main__":
    main()
