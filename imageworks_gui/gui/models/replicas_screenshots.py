"""Screenshots of an entry with replicas: the Replicas editor and the table's replica states."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from imageworks_gui.services.backends.replica_status import ReplicaState

_ENTRY = {"name": "qwen2.5-vl-7b-pool", "display_name": "Qwen2.5-VL 7B (3 GPUs)",
          "backend": "vllm", "capabilities": {"text": True, "vision": True},
          "roles": ["caption", "keywords"], "served_model_id": "Qwen/Qwen2.5-VL-7B-Instruct",
          "backend_config": {"max_concurrency": 4, "endpoints": [
              "http://10.0.0.11:8000/v1",
              {"host": "gpu-b.lan", "port": 8000, "max_concurrency": 8},
              {"base_url": "https://vlm.example.org/v1", "api_key_env": "VLM_API_KEY"}]}}
_STATES = (ReplicaState("10.0.0.11:8000", "http://10.0.0.11:8000/v1", "online",
                        "serves Qwen/Qwen2.5-VL-7B-Instruct"),
           ReplicaState("gpu-b.lan:8000", "http://gpu-b.lan:8000/v1", "online",
                        "serves Qwen/Qwen2.5-VL-7B-Instruct"),
           ReplicaState("vlm.example.org:443", "https://vlm.example.org/v1", "offline",
                        "nothing is listening"))


async def render_replicas(out: Path, root: Path) -> list[Path]:
    """Render the replicas entry selected, at the smallest and a large window size."""
    from imageworks_gui.gui.context import build_context
    from imageworks_gui.gui.render_env import show_window

    root.mkdir(parents=True, exist_ok=True)
    registry = root / "model_registry.json"
    registry.write_text(json.dumps([_ENTRY], indent=2))
    context = build_context(registry)
    window = show_window(context)
    ws = window.models
    saved: list[Path] = []
    try:
        context.registry.set_runtime(_ENTRY["name"], replicas=_STATES)
        ws.select_name(_ENTRY["name"])
        for width, height in ((1024, 700), (1920, 1200)):
            window.resize(width, height)
            await asyncio.sleep(0.05)
            top = ws.details.replicas.mapTo(ws.details.widget(), ws.details.replicas.pos()).y()
            ws.details.verticalScrollBar().setValue(max(0, top - 260))
            ws.details.horizontalScrollBar().setValue(0)
            await asyncio.sleep(0.05)
            path = out / f"models-replicas-{width}x{height}.png"
            window.grab().save(str(path))
            saved.append(path)
    finally:
        window._closing_confirmed = True
        window.close()
        await context.shutdown()
        await context.http.aclose()
    return saved
