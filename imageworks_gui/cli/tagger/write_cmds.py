"""`imageworks-personal-tagger apply` and `undo` (placeholder until the metadata writer lands)."""
