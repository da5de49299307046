"""Start the built bundle offscreen, outside the source tree, and check the window opens on the
default registry: ``python packaging/smoke_test.py dist/imageworks-gui``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def smoke(bundle: Path, timeout: float = 120) -> tuple[bool, str]:
    exe = bundle / ("imageworks-gui.exe" if os.name == "nt" else "imageworks-gui")
    if not exe.exists():
        return False, f"{exe} not found: build the bundle first (make package)"
    with tempfile.TemporaryDirectory(prefix="imageworks-smoke-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTHON", "IMAGEWORKS_", "VIRTUAL_ENV"))}
        env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home),
                   IMAGEWORKS_CONFIG_DIR=str(home / "config"),
                   IMAGEWORKS_CACHE_DIR=str(home / "cache"),
                   IMAGEWORKS_DATA_DIR=str(home / "data"))
        # Run from an empty folder so nothing from the source tree can be picked up.
        result = subprocess.run([str(exe), "--quit-after", "3"], cwd=home, env=env,
                                capture_output=True, text=True, timeout=timeout)
        log = result.stdout + result.stderr
        seeded = home / "config" / "model_registry.json"
        checks = {
            "exit code 0": result.returncode == 0,
            "window shown": "window shown" in log,
            "default registry seeded": seeded.is_file(),
            "registry loaded without errors": "registry load failed" not in log,
            "no traceback": "Traceback" not in log,
        }
    failed = [name for name, ok in checks.items() if not ok]
    report = "\n".join(f"  [{'ok' if ok else 'FAIL'}] {name}" for name, ok in checks.items())
    return not failed, f"{report}\n--- log ---\n{log[-3000:]}"


def main() -> int:
    bundle = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/imageworks-gui").resolve()
    ok, report = smoke(bundle)
    print(f"smoke test of {bundle}: {'PASSED' if ok else 'FAILED'}\n{report}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
