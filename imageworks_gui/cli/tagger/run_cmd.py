"""`imageworks-personal-tagger run`: tag a folder (placeholder until the engine lands)."""
