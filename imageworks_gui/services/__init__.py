"""I/O services with no Qt: registry store, hashing, backends, images, metadata, pipeline."""
