"""Allows `python -m imageworks_gui` to start the desktop application."""

from imageworks_gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
