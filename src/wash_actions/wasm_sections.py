"""WebAssembly custom sections: reading them (top level, or every nested module and component) and writing one.

A component (or core module) is ``\\0asm`` + version + layer, then sections of ``id byte, LEB128 u32 size,
payload``; a custom section (id 0) is ``LEB128 name length, name, data`` and may appear anywhere among the
top-level sections. :func:`append` adds sections at the end of the file: the bytes before them are untouched,
so the component, its WIT and its nested modules stay exactly as built.
"""

from __future__ import annotations

import os
from pathlib import Path

MAGIC = b"\0asm"
CUSTOM = 0


class MalformedWasm(ValueError):
    """The bytes are not a WebAssembly binary whose top-level sections can be walked."""


def leb128(value: int) -> bytes:
    """Unsigned LEB128, as section sizes and name lengths are encoded (u32 range)."""
    if not 0 <= value <= 0xFFFF_FFFF:
        raise ValueError(f"{value} does not fit a u32")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_leb128(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a u32 LEB128 at ``pos``: (value, position after it)."""
    value = 0
    for shift in range(0, 35, 7):
        if pos >= len(data):
            raise MalformedWasm(f"LEB128 runs past the end of the binary at offset {pos}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value > 0xFFFF_FFFF:
                raise MalformedWasm(f"LEB128 at offset {pos} overflows a u32")
            return value, pos
    raise MalformedWasm(f"LEB128 at offset {pos} is longer than 5 bytes")


def custom_section(name: str, data: bytes) -> bytes:
    """One encoded custom section: id 0, size, then the name as a length-prefixed UTF-8 string and data."""
    raw_name = name.encode()
    payload = leb128(len(raw_name)) + raw_name + data
    return bytes([CUSTOM]) + leb128(len(payload)) + payload


def custom_sections(wasm: bytes | memoryview) -> list[tuple[str, bytes]]:
    """Every top-level custom section in file order; nested modules and components are skipped whole."""
    if len(wasm) < 8 or wasm[:4] != MAGIC:
        raise MalformedWasm("not a WebAssembly binary (no \\0asm preamble)")
    view = memoryview(wasm)
    found: list[tuple[str, bytes]] = []
    pos = 8
    while pos < len(view):
        section_id = view[pos]
        size, start = read_leb128(view, pos + 1)
        end = start + size
        if end > len(view):
            raise MalformedWasm(f"section {section_id} at offset {pos} runs past the end of the binary")
        if section_id == CUSTOM:
            name_len, name_start = read_leb128(view, start)
            if name_start + name_len > end:
                raise MalformedWasm(f"custom section name at offset {pos} runs past its section")
            try:
                name = bytes(view[name_start : name_start + name_len]).decode()
            except UnicodeDecodeError:
                raise MalformedWasm(f"custom section name at offset {pos} is not UTF-8") from None
            found.append((name, bytes(view[name_start + name_len : end])))
        pos = end
    return found


# In a component (layer 1 of the preamble) section 1 holds a nested core module and section 4 a nested
# component, each a whole binary with its own preamble; in a core module (layer 0) no section nests.
_NESTED_IN_COMPONENT = {1, 4}
MAX_DEPTH = 16


def all_custom_sections(wasm: bytes, depth: int = 0) -> list[tuple[str, bytes]]:
    """Every custom section, the top level's first, then those of nested modules and components, depth-first.

    A Rust component built for ``wasm32-wasip2`` keeps rustc's sections (``producers``, cargo-auditable's
    ``.dep-v0``) inside the core module that wasm-component-ld wraps, not at the top level.
    """
    if depth > MAX_DEPTH:
        raise MalformedWasm(f"components nest deeper than {MAX_DEPTH} levels")
    found = custom_sections(wasm)
    if wasm[6:8] != b"\x01\x00":  # a core module: nothing nested
        return found
    view = memoryview(wasm)
    pos = 8
    while pos < len(view):
        section_id = view[pos]
        size, start = read_leb128(view, pos + 1)
        if section_id in _NESTED_IN_COMPONENT:
            found.extend(all_custom_sections(bytes(view[start : start + size]), depth + 1))
        pos = start + size
    return found


def append(path: Path, sections: bytes) -> None:
    """Append encoded sections to the binary at ``path``, atomically (a reader never sees half a file)."""
    _replace(path, path.read_bytes() + sections)


def _replace(path: Path, data: bytes) -> None:
    import tempfile  # writing is build's; a step that only reads sections starts without it

    mode = path.stat().st_mode & 0o7777
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
