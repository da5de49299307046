"""Imageworks: curate local vision-language models and tag photos with reviewed metadata."""

__version__ = "0.1.0"
