"""The Tagging workspace: open photos, run tagging, review proposals, write approved metadata."""
