"""Same source, same digest: the source key and the published build it finds."""
