"""A component's bytes: the binary format, its world, metadata, the project manifests, the runtime inside."""
