"""Wash itself: versions resolved, releases, download, tool cache, plugins, Rust."""
