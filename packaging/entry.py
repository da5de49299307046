"""Entry script frozen by PyInstaller: starts the desktop application."""

from imageworks_gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
