"""Freeze the app into dist/imageworks-gui/ (a one-folder PyInstaller bundle) and smoke-test it."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(clean: bool = True) -> Path:
    """Run PyInstaller on the spec; returns the bundle folder."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit("PyInstaller is not installed: run `pip install -e '.[package]'` (or "
                 "`make package`, which does it)")
    dist, work = ROOT / "dist", ROOT / "build" / "pyinstaller"
    if clean:
        shutil.rmtree(dist / "imageworks-gui", ignore_errors=True)
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work),
           str(ROOT / "packaging" / "imageworks.spec")]
    subprocess.run(cmd, check=True, cwd=ROOT)
    bundle = dist / "imageworks-gui"
    _write_desktop_entry(bundle)
    return bundle


def _write_desktop_entry(bundle: Path) -> None:
    """A ready-to-install desktop entry next to the executable (Linux)."""
    template = (ROOT / "resources" / "imageworks.desktop.in").read_text(encoding="utf-8")
    icon = bundle / "_internal" / "resources" / "icons" / "app.svg"
    if not icon.exists():
        icon = bundle / "resources" / "icons" / "app.svg"
    text = template.replace("@EXEC@", str(bundle / "imageworks-gui")).replace("@ICON@",
                                                                            str(icon))
    (bundle / "imageworks-gui.desktop").write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke test")
    args = parser.parse_args()
    bundle = build()
    print(f"bundle: {bundle}")
    if args.no_smoke:
        return 0
    return subprocess.run([sys.executable, str(ROOT / "packaging" / "smoke_test.py"),
                           str(bundle)], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
