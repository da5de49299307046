"""Command-line tools: imageworks-model-registry and imageworks-personal-tagger."""
