"""Render key GUI states to PNGs (1440x900; the Models table also at 1024x700 and 1920x1080)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from imageworks_gui.gui.event_loop import ThreadSafeQEventLoop
from imageworks_gui.gui.render_env import SIZE, isolated_env, show_window
from imageworks_gui.services.backends.status import ServerState, ServerStatus


def _snapshot(root: Path, weights: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text('{"architectures": ["Qwen2_5_VLForConditionalGeneration"],'
                                      ' "vision_config": {}}', encoding="utf-8")
    (root / "tokenizer.json").write_text('{"version": "1.0"}', encoding="utf-8")
    for i in range(1, weights + 1):
        (root / f"model-{i:05d}-of-{weights:05d}.safetensors").write_bytes(bytes([i]) * 65536)
    return root


def _scene(root: Path) -> tuple[Path, Path]:
    """A registry of realistic entries and a downloader manifest, under ``root``."""
    models = root / "models"
    qwen = _snapshot(models / "Qwen2.5-VL-7B-Instruct-AWQ")
    llava = _snapshot(models / "llava-v1.6-mistral-7b", 3)
    new = _snapshot(models / "InternVL3-8B", 4)
    entries = [
        {"name": "qwen2.5-vl-7b-awq", "display_name": "Qwen2.5-VL 7B Instruct (AWQ)",
         "backend": "vllm", "backend_config": {"port": 8000, "model_path": str(qwen),
                                               "extra_args": ["--max-model-len", "8192"]},
         "capabilities": {"text": True, "vision": True, "tools": True},
         "generation_defaults": {"max_tokens": 512, "temperature": 0.2, "top_p": 0.9},
         "served_model_id": "Qwen/Qwen2.5-VL-7B-Instruct-AWQ",
         "model_aliases": ["qwen2.5-vl-7b-awq"],
         "roles": ["caption", "keywords", "description"], "license": "apache-2.0",
         "source": {"huggingface_id": "Qwen/Qwen2.5-VL-7B-Instruct-AWQ", "format": "awq",
                    "path": str(qwen)},
         "metadata": {"notes": "Default tagger on a 12-16 GB GPU."}},
        {"name": "llava-1.6-mistral-7b", "display_name": "LLaVA 1.6 Mistral 7B",
         "backend": "vllm", "backend_config": {"port": 8001, "model_path": str(llava)},
         "capabilities": {"text": True, "vision": True},
         "served_model_id": "llava-hf/llava-v1.6-mistral-7b-hf", "roles": ["caption"],
         "source": {"huggingface_id": "llava-hf/llava-v1.6-mistral-7b-hf",
                    "format": "safetensors", "path": str(llava), "size_bytes": 196608}},
        {"name": "llama3.2-vision-ollama", "display_name": "Llama 3.2 Vision 11B",
         "backend": "ollama", "backend_config": {"port": 11434},
         "capabilities": {"text": True, "vision": True},
         "served_model_id": "llama3.2-vision:11b", "roles": ["keywords", "title"]},
        {"name": "qwen2.5-7b-instruct-gguf", "display_name": "Qwen2.5 7B Instruct (GGUF)",
         "backend": "gguf", "backend_config": {"port": 8080,
                                               "model_path": "/models/qwen2.5-7b-q4_k_m.gguf"},
         "capabilities": {"text": True, "vision": False, "tools": True},
         "roles": [], "deprecated": True},
        {"name": "internvl2-8b-lmdeploy", "display_name": "InternVL2 8B",
         "backend": "lmdeploy", "backend_config": {"port": 23333},
         "capabilities": {"text": True, "vision": True}, "roles": ["alt_text"]},
    ]
    registry = root / "model_registry.json"
    registry.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    manifest = root / "models.json"
    manifest.write_text(json.dumps({
        "qwen_qwen2.5-vl-7b-instruct-awq_safetensors_linux": {
            "model_name": "Qwen/Qwen2.5-VL-7B-Instruct-AWQ", "path": str(qwen),
            "format_type": "awq", "size_bytes": 393216},
        "opengvlab_internvl3-8b_safetensors_linux": {
            "model_name": "OpenGVLab/InternVL3-8B", "path": str(new),
            "format_type": "safetensors", "size_bytes": 262144},
        "llava-hf_llava-v1.6-mistral-7b-hf_safetensors_linux": {
            "model_name": "llava-hf/llava-v1.6-mistral-7b-hf", "path": str(llava),
            "format_type": "safetensors", "size_bytes": 196608},
        "broken_download": {"model_name": "someone/partial", "path": str(root / "missing")},
    }, indent=2), encoding="utf-8")
    return registry, manifest


def _composite(window: object, dialog: object, path: Path) -> None:
    """The window, dimmed, with ``dialog`` and a title bar centred on it, saved at 1440x900."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QPainter

    base = window.grab()  # type: ignore[attr-defined]
    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(0, 0, 0, 90))
    shot = dialog.grab()  # type: ignore[attr-defined]
    bar = 30
    x = (base.width() - shot.width()) // 2
    y = (base.height() - shot.height() - bar) // 2
    painter.fillRect(x - 1, y - 1, shot.width() + 2, shot.height() + bar + 2, QColor(60, 60, 60))
    painter.fillRect(x, y, shot.width(), bar, QColor("#e4e6ea"))
    font = QFont(painter.font())
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#202124"))
    painter.drawText(QRect(x, y, shot.width(), bar), Qt.AlignmentFlag.AlignCenter,
                     dialog.windowTitle())  # type: ignore[attr-defined]
    painter.drawPixmap(x, y + bar, shot)
    painter.end()
    base.save(str(path))


async def _render(out: Path, root: Path, main_name: str = "models-drifted-details.png",
                  main_only: bool = False) -> list[Path]:
    from imageworks_gui.gui.context import build_context
    from imageworks_gui.gui.models.discover_dialog import DiscoverDialog
    from imageworks_gui.gui.models.import_dialog import ManifestImportDialog
    from imageworks_gui.gui.settings_dialog import SettingsDialog
    from imageworks_gui.services.backends.discover import DiscoveredModel

    registry, manifest = _scene(root)
    context = build_context(registry)
    window = show_window(context)
    ws = window.models
    doc = context.registry
    ctl = ws.controller
    saved: list[Path] = []
    try:
        await ctl.verify(["qwen2.5-vl-7b-awq", "llava-1.6-mistral-7b"], lock=True)
        target = Path(doc.entry("qwen2.5-vl-7b-awq").backend_config.model_path or "")
        (target / "model-00002-of-00006.safetensors").write_bytes(b"tampered" * 1000)
        (target / "extra_adapter.safetensors").write_bytes(b"new file")
        await ctl.verify(["qwen2.5-vl-7b-awq", "llava-1.6-mistral-7b"])
        for name, status in (
                ("llama3.2-vision-ollama", ServerStatus(ServerState.NOT_RUNNING, "127.0.0.1:11434",
                                                        detail="nothing is listening")),
                ("llava-1.6-mistral-7b", ServerStatus(
                    ServerState.ONLINE, "127.0.0.1:8001", "llava-hf/llava-v1.6-mistral-7b-hf",
                    ("llava-hf/llava-v1.6-mistral-7b-hf",)))):
            entry = doc.entry(name)
            assert entry is not None
            doc.set_runtime(name, server=status, probe_text=status.describe(entry))
        doc.save()
        ws.select_name("qwen2.5-vl-7b-awq")
        await asyncio.sleep(0.05)
        path = out / main_name
        window.grab().save(str(path))
        saved.append(path)
        if main_only:
            return saved
        # The smallest and the largest supported window: columns must fit and stretch.
        for width, height in ((1024, 700), (1920, 1080)):
            window.resize(width, height)
            await asyncio.sleep(0.05)
            path = out / f"models-{width}x{height}.png"
            window.grab().save(str(path))
            saved.append(path)
        window.resize(*SIZE)
        await asyncio.sleep(0.05)

        dialog = ManifestImportDialog(ctl, window, manifest)
        dialog.resize(1100, 420)
        dialog.show()
        await dialog.run_preview(manifest)
        await asyncio.sleep(0.05)
        path = out / "manifest-import-preview.png"
        _composite(window, dialog, path)
        saved.append(path)
        dialog.close()

        discover = DiscoverDialog(ctl, window)
        discover.resize(900, 400)
        discover.show()
        discover.show_results([
            DiscoveredModel(backend="vllm", host="127.0.0.1", port=8000,
                            served_name="Qwen/Qwen2.5-VL-7B-Instruct-AWQ", vision=None),
            DiscoveredModel(backend="ollama", host="127.0.0.1", port=11434,
                            served_name="llama3.2-vision:11b", vision=True),
            DiscoveredModel(backend="ollama", host="127.0.0.1", port=11434,
                            served_name="qwen2.5:7b", vision=False),
            DiscoveredModel(backend="gguf", host="127.0.0.1", port=8080,
                            served_name="gemma-3-4b-it-q4_k_m.gguf", vision=True),
            DiscoveredModel(backend="lmstudio", host="127.0.0.1", port=1234,
                            served_name="qwen2-vl-7b-instruct", vision=True),
        ])
        await asyncio.sleep(0.05)
        path = out / "backend-discovery.png"
        _composite(window, discover, path)
        saved.append(path)
        discover.close()

        settings = SettingsDialog(context.settings, window)
        settings.resize(620, 430)
        settings.show()
        await asyncio.sleep(0.05)
        path = out / "settings-dialog.png"
        _composite(window, settings, path)
        saved.append(path)
        settings.close()
    finally:
        window._closing_confirmed = True
        window.close()
        await context.shutdown()
        await context.http.aclose()
    return saved


def render(out_dir: Path) -> list[Path]:
    """Render the Models workspace states (and the Tagging ones when available)."""
    from PySide6.QtWidgets import QApplication

    from imageworks_gui.gui.models.replicas_screenshots import render_replicas
    from imageworks_gui.gui.palette import apply_palette

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_palette(app, "light")
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="imageworks-shots-") as tmp, \
            isolated_env(Path(tmp)):
        loop = ThreadSafeQEventLoop(app)
        asyncio.set_event_loop(loop)
        try:
            saved = loop.run_until_complete(_render(out, Path(tmp) / "light"))
            saved += loop.run_until_complete(render_replicas(out, Path(tmp) / "replicas"))
            # The dark palette once, to check that every colour stays readable.
            apply_palette(app, "dark")
            saved += loop.run_until_complete(_render(out, Path(tmp) / "dark", "models-dark.png",
                                                     main_only=True))
            apply_palette(app, "light")
        finally:
            loop.close()
            asyncio.set_event_loop(None)
    try:
        from imageworks_gui.gui.tagging import screenshots as tagging_shots
    except ImportError:
        return saved
    return saved + list(tagging_shots.render(out))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m imageworks_gui.gui.screenshots OUTDIR", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for path in render(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
