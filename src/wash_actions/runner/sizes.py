"""Sizes users write (``max-size: 20MiB``) and sizes the log shows."""

from __future__ import annotations

import re

from ..errors import ActionError

_SIZE = re.compile(r"(\d{1,20}(?:\.\d{1,20})?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\Z", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
    "tb": 1000**4,
    "tib": 1024**4,
}
LARGEST = 1 << 50  # 1 PiB: any budget above it is a typo


def parse_size(raw: str, *, input_name: str = "max-size") -> int | None:
    """``512KiB``, ``20MiB``, ``1.5MB``, ``300000`` (bytes) as bytes; None when empty; one clear error for
    anything else, a size too large included (never an overflow)."""
    text = raw.strip()
    if not text:
        return None
    from decimal import Decimal  # only when a size is given: exact for 1.5MB, and not loaded by every step

    match = _SIZE.match(text)
    size = int(Decimal(match[1]) * _UNITS[(match[2] or "B").lower()]) if match else -1
    if match is None or size > LARGEST:
        why = (
            f"{input_name} is the component's size budget: a number of bytes, with an optional unit."
            if match is None
            else f"It is more than {LARGEST:,} bytes (1 PiB); no component is near that."
        )
        raise ActionError(
            what=f"{input_name}: {text[:40]!r} is not a size check can use",
            why=why,
            fix=f"with:\n  {input_name}: 20MiB   # or 512KiB, 1.5MB, 300000",
            docs="#check",
        )
    return size


def human(size: int) -> str:
    """``20.0 MiB``, ``512 B``: a size for people."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"
