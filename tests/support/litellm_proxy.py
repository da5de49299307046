"""A real LiteLLM proxy (``litellm --config``) on 127.0.0.1 in front of test model servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

POOL_NAME = "pool-vlm"
MASTER_KEY = "sk-" + "5e" * 32
"""The proxy's master key (the proxy refuses to start without a strong one)."""


def free_port() -> int:
    """A port that was free a moment ago (the proxy binds it itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proxy_config(base_urls: list[str], served: str, *, rpm: int | None = None,
                 num_retries: int = 3, cooldown_time: int = 60,
                 routing_strategy: str = "simple-shuffle") -> str:
    """The YAML config: one ``model_name`` with one deployment per test server."""
    lines = ["model_list:"]
    for url in base_urls:
        lines += [f"  - model_name: {POOL_NAME}",
                  "    litellm_params:",
                  f"      model: openai/{served}",
                  f"      api_base: {url}",
                  "      api_key: not-needed"]
        if rpm is not None:
            lines.append(f"      rpm: {rpm}")
    lines += ["router_settings:",
              f"  routing_strategy: {routing_strategy}",
              f"  num_retries: {num_retries}",
              "  allowed_fails: 1",
              f"  cooldown_time: {cooldown_time}",
              "litellm_settings:",
              "  drop_params: false",
              ""]
    return "\n".join(lines)


def find_litellm() -> str | None:
    """The ``litellm`` CLI: ``$IMAGEWORKS_LITELLM`` (the proxy's own venv, which ``make test``
    builds), else next to this interpreter, else on PATH."""
    explicit = os.environ.get("IMAGEWORKS_LITELLM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    local = Path(sys.executable).with_name("litellm")
    if local.exists():
        return str(local)
    return shutil.which("litellm")


def litellm_command() -> list[str]:
    """The command that starts the proxy."""
    found = find_litellm()
    if not found:
        raise RuntimeError("the litellm CLI is not installed: make test installs it into "
                           ".venv-litellm, or set IMAGEWORKS_LITELLM to its path")
    return [found]


@contextmanager
def litellm_proxy(folder: Path, config: str, *, start_timeout_s: float = 120.0) -> Iterator[str]:
    """Start the proxy, wait (bounded) until it answers, yield its base URL; stop it after."""
    cfg = folder / "litellm.yaml"
    cfg.write_text(config, encoding="utf-8")
    port = free_port()
    log_path = folder / "litellm.log"
    log = log_path.open("wb")
    env = {**os.environ, "LITELLM_MASTER_KEY": MASTER_KEY, "LITELLM_LOG": "ERROR",
           "LITELLM_TELEMETRY": "False",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_DOCS": "True", "DISABLE_ADMIN_UI": "True"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([*litellm_command(), "--config", str(cfg), "--host", "127.0.0.1",
                             "--port", str(port), "--num_workers", "1"],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_timeout_s
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("litellm proxy exited: "
                                   + log_path.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{url}/health/liveliness", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"litellm proxy did not start within {start_timeout_s:.0f} s: "
                                   + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.25)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
