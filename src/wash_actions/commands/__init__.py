"""One module per command: parse inputs once, call the rooms below, write outputs."""
