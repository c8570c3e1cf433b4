"""One module per command: parse inputs once into a frozen dataclass, call the domain, write outputs."""
