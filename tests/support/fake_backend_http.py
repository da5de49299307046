"""HTTP side of the fake model server: request handler and a server that hides hang-ups."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.fake_backend import FakeBackend

OWNED_BY = {"vllm": "vllm", "lmdeploy": "lmdeploy", "llamacpp": "llamacpp", "ollama": "library",
            "lmstudio": "organization_owner"}


class QuietServer(ThreadingHTTPServer):
    """Clients that hang up early (timeouts, cancellation) are normal here: no tracebacks."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


def response_format_problem(fmt: Any) -> str | None:
    """Why a ``response_format`` would be refused (as vLLM's request validation does), or None.

    ``json_schema`` needs ``{"type": "json_schema", "json_schema": {"name": str, "schema":
    {...}}}``; the old ``guided_json`` style and a bare schema are refused.
    """
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object",
                                                            "json_schema"):
        return "response_format.type must be one of text, json_object, json_schema"
    if fmt["type"] != "json_schema":
        return None
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return "response_format.json_schema.name is required"
    if not isinstance(spec.get("schema"), dict):
        return "response_format.json_schema.schema must be a JSON schema object"
    return None


def make_handler(state: FakeBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Real servers (uvicorn, llama-server, Ollama) set TCP_NODELAY; without it a response
        # written as headers then body waits ~40 ms for a delayed ACK on keep-alive connections.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
                  content_type: str = "application/json") -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _error(self, status: int, message: str, kind: str = "BadRequestError") -> None:
            if state.flavour == "lmdeploy":
                self._send(status, {"object": "error", "message": message, "code": status})
            else:
                self._send(status, {"error": {"message": message, "type": kind,
                                              "param": None, "code": status}})

        def _read_json(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else {}
            except ValueError:
                return None

        def _loading_503(self) -> None:
            self._send(503, {"error": {"code": 503, "message": "Loading model",
                                       "type": "unavailable_error"}})

        def do_GET(self) -> None:
            if state.dead:
                return self._drop()
            state.paths.append(f"GET {self.path}")
            path = self.path.split("?")[0]
            fl = state.flavour
            if path == "/_stats":
                return self._send(200, {"utilisation": state.utilisation(),
                                        "max_active": state.max_active,
                                        "busy_s": state.busy_s,
                                        "requests": len(state.records)})
            if path == "/health" and fl in ("vllm", "llamacpp", "lmdeploy"):
                if state.loading:
                    return self._loading_503()
                return self._send(200, {"status": "ok"} if fl == "llamacpp" else b"")
            if path == "/props" and fl == "llamacpp":
                m = state.models[0]
                return self._send(200, {"model_path": f"/models/{m.name}.gguf",
                                        "modalities": {"vision": m.vision, "audio": False},
                                        "total_slots": state.slots or 1})
            if path == "/v1/models":
                if state.loading and fl == "llamacpp":
                    return self._loading_503()
                data = [{"id": m.name, "object": "model", "created": int(time.time()),
                         "owned_by": OWNED_BY[fl]} for m in state.models]
                if fl == "vllm":  # vLLM describes the model's files too
                    for item, m in zip(data, state.models, strict=True):
                        item.update(root=m.root or f"/models/{m.name}", max_model_len=8192)
                return self._send(200, {"object": "list", "data": data})
            if fl == "lmstudio" and path == "/api/v0/models":
                # LM Studio's native REST API: "type" is llm, vlm or embeddings.
                return self._send(200, {"object": "list", "data": [
                    {"id": m.name, "object": "model", "type": "vlm" if m.vision else "llm",
                     "publisher": "fake", "arch": "fake", "state": "loaded",
                     "max_context_length": 8192} for m in state.models]})
            if fl == "ollama" and path == "/api/version":
                return self._send(200, {"version": "0.12.3"})
            if fl == "ollama" and path == "/api/tags":
                return self._send(200, {"models": [
                    {"name": m.name, "model": m.name, "size": 1000,
                     "details": {"family": "fake", "parameter_size": "1B"}}
                    for m in state.models]})
            if fl == "ollama":
                return self._send(404, b"404 page not found")
            return self._error(404, f"Not Found: {path}", "NotFoundError")

        def do_POST(self) -> None:
            if state.dead:
                return self._drop()
            state.paths.append(f"POST {self.path}")
            state.headers.append(dict(self.headers.items()))
            path = self.path.split("?")[0]
            payload = self._read_json()
            if path == "/_reset":
                state.reset_stats()
                return self._send(200, {"ok": True})
            if state.flavour == "ollama" and path == "/api/show":
                m = state.model(str((payload or {}).get("model", "")))
                if m is None:
                    return self._send(404, {"error": f"model '{payload.get('model')}' not "
                                                     f"found"})
                caps = ["completion"] + (["vision"] if m.vision else [])
                return self._send(200, {"capabilities": caps, "details": {"family": "fake"},
                                        "model_info": {}})
            if path != "/v1/chat/completions":
                return self._error(404, f"Not Found: {path}", "NotFoundError")
            if payload is None:
                return self._error(400, "request body is not valid JSON")
            self._chat(payload)

        def _unknown_model(self, name: str) -> None:
            fl = state.flavour
            if fl == "ollama":
                return self._send(404, {"error": {
                    "message": f'model "{name}" not found, try pulling it first',
                    "type": "api_error", "param": None, "code": None}})
            if fl == "lmdeploy":
                return self._send(200, {"object": "error", "code": 404,
                                        "message": f"The model '{name}' does not exist."})
            return self._error(404, f"The model `{name}` does not exist.", "NotFoundError")

        def _fault(self, fault: str) -> bool:
            if fault in ("503", "503_loading"):
                msg = "Loading model" if fault == "503_loading" else "Server busy, queue full"
                self._send(503, {"error": {"code": 503, "message": msg,
                                           "type": "unavailable_error"}})
            elif fault == "429":
                self._send(429, {"error": {"message": "Too many requests", "code": 429}},
                           {"Retry-After": state.retry_after})
            elif fault == "500":
                self._error(500, state.error_message, "InternalServerError")
            elif fault == "malformed":
                self._send(200, b'{"id": "x", "choices": [ {"message": oops')
            elif fault == "error200":
                self._send(200, {"object": "error", "code": 400,
                                 "message": "lmdeploy: input too long"})
            elif fault == "huge":
                self._send(200, b"{" + b" " * (9 * 1024 * 1024) + b"}")
            elif fault == "huge_sse":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.wfile.write(b"data: " + b" " * (9 * 1024 * 1024))
            elif fault == "trickle":
                self._trickle()
            elif fault == "truncated":
                body = json.dumps({"choices": [{"message": {"content": "x" * 200}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self._drop()
            elif fault == "drop":
                self._drop()
            elif fault == "hang":
                time.sleep(5)
                self._drop()
            else:
                return False
            return True

        def _trickle(self) -> None:
            # A content-length, then one byte at a time: no read ever times out.
            body = json.dumps({"choices": [{"message": {"content": "x" * 400}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.close_connection = True
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(state.trickle_s)
            except OSError:
                return  # the client gave up: what a deadline is for

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _chat(self, payload: dict[str, Any]) -> None:
            if state.loading and state.flavour in ("llamacpp", "vllm"):
                return self._loading_503()
            name = str(payload.get("model", ""))
            if state.model(name) is None and state.flavour != "llamacpp":
                return self._unknown_model(name)
            with state._lock:
                fault = state.faults.popleft() if state.faults else None
            if fault and self._fault(fault):
                return
            model = state.model(name) or state.models[0]
            if not model.json_schema and "response_format" in payload:
                return self._error(400, "response_format is not supported")
            problem = response_format_problem(payload.get("response_format"))
            if problem:
                return self._error(400, problem)
            if model.rejects_images and "image_url" in json.dumps(payload.get("messages")):
                return self._error(400, "image input is not supported by this server")
            state.wait_if_held(payload)
            sem = state._slot_sem
            if sem:
                sem.acquire()
            start = time.monotonic()
            with state._lock:
                state._active += 1
                state.max_active = max(state.max_active, state._active)
                if state.first_start is None:
                    state.first_start = start
            try:
                text, record = state.answer(payload)
                if state.latency_s:
                    time.sleep(state.latency_s)
            finally:
                end = time.monotonic()
                with state._lock:
                    state._active -= 1
                    state.busy_s += end - start
                    state.last_end = end
                if sem:
                    sem.release()
            if state.dead:  # killed while answering: the client gets no answer
                return self._drop()
            with state._lock:
                state.records.append(record)
            usage = {"prompt_tokens": 20, "completion_tokens": max(1, len(text.split())),
                     "total_tokens": 20 + max(1, len(text.split()))}
            if payload.get("stream") and not state.ignores_stream:
                return self._stream(name, text, usage, payload)
            self._send(200, {"id": "chatcmpl-fake", "object": "chat.completion",
                             "created": int(time.time()), "model": name,
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": text}}],
                             "usage": usage},
                       content_type=state.json_content_type if payload.get("stream")
                       else "application/json")

        def _stream(self, name: str, text: str, usage: dict[str, int],
                    payload: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def event(delta: dict[str, Any], finish: str | None = None,
                      extra: dict[str, Any] | None = None) -> None:
                chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                         "model": name, "choices": [{"index": 0, "delta": delta,
                                                     "finish_reason": finish}]}
                chunk.update(extra or {})
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            event({"role": "assistant"})
            for word in text.split(" "):
                event({"content": word + " "})
            include = (payload.get("stream_options") or {}).get("include_usage")
            event({}, "stop", {"usage": usage} if include else None)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler
