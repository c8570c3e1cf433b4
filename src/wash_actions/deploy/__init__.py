"""After publish: digests pinned into manifests, committed, pushed, proposed as a pull request."""
