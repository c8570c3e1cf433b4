"""WebAssembly custom sections: reading them (top level, or every nested module and component) and writing one.

A component (or core module) is ``\\0asm`` + version + layer, then sections of ``id byte, LEB128 u32 size,
payload``; a custom section (id 0) is ``LEB128 name length, name, data`` and may appear anywhere among the
top-level sections. :func:`replace` writes a file's new bytes atomically; metadata appends its sections at the
end: the bytes before them are untouched, so the component, its WIT and its nested modules stay exactly as built.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
    """Decode a u32 LEB128 at ``pos``: (value, position after it).

    The one unsigned reader of the project, bounded as the format says (WebAssembly core spec, "Integers"): at
    most 5 bytes, and the value fits 32 bits, so a hostile run of continuation bytes costs 5 steps, not a
    number that grows with the file.
    """
    value = 0
    end = len(data)
    for shift in (0, 7, 14, 21, 28):
        if pos >= end:
            raise MalformedWasm(f"LEB128 runs past the end of the binary at offset {pos}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if value > 0xFFFF_FFFF:
                raise MalformedWasm(f"LEB128 at offset {pos - 1} overflows a u32")
            return value, pos
    raise MalformedWasm(f"LEB128 at offset {pos - 1} is longer than 5 bytes")


def read_s33(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a signed 33-bit LEB128 at ``pos`` (a component value type or type index): at most 5 bytes, the
    unused bits of the last byte a sign extension, as the format requires."""
    value = shift = 0
    end = len(data)
    for _ in range(5):
        if pos >= end:
            raise MalformedWasm(f"LEB128 runs past the end of the binary at offset {pos}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte & 0x40:
                value -= 1 << shift
            if not -(1 << 32) <= value < 1 << 32:
                raise MalformedWasm(f"LEB128 at offset {pos - 1} overflows an s33")
            return value, pos
    raise MalformedWasm(f"LEB128 at offset {pos - 1} is longer than 5 bytes")


def sections(wasm: bytes | memoryview, pos: int = 8) -> Iterator[tuple[int, int, int]]:
    """The top-level sections after the preamble, in file order: (id, payload start, payload end). Each is
    skipped whole by its size, so what a section holds (a nested module or component) costs nothing here."""
    end = len(wasm)
    while pos < end:
        section_id = wasm[pos]
        size, start = read_leb128(wasm, pos + 1)
        if start + size > end:
            raise MalformedWasm(f"section {section_id} at offset {pos} runs past the end of the binary")
        yield section_id, start, start + size
        pos = start + size


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
    for section_id, start, end in sections(view):
        if section_id == CUSTOM:
            name_len, name_start = read_leb128(view, start)
            if name_start + name_len > end:
                raise MalformedWasm(f"custom section name at offset {start} runs past its section")
            try:
                name = bytes(view[name_start : name_start + name_len]).decode()
            except UnicodeDecodeError:
                raise MalformedWasm(f"custom section name at offset {start} is not UTF-8") from None
            found.append((name, bytes(view[name_start + name_len : end])))
    return found


# In a component (layer 1 of the preamble) section 1 holds a nested core module and section 4 a nested
# component, each a whole binary with its own preamble; in a core module (layer 0) no section nests.
_NESTED_IN_COMPONENT = {1, 4}
MAX_DEPTH = 16


def all_custom_sections(wasm: bytes | memoryview, depth: int = 0) -> list[tuple[str, bytes]]:
    """Every custom section, the top level's first, then those of nested modules and components, depth-first.

    A Rust component built for ``wasm32-wasip2`` keeps rustc's sections (``producers``, cargo-auditable's
    ``.dep-v0``) inside the core module that wasm-component-ld wraps, not at the top level. Nested binaries are
    read in place (views, not copies) and at most :data:`MAX_DEPTH` deep: a crafted file costs time linear in
    its size.
    """
    if depth > MAX_DEPTH:
        raise MalformedWasm(f"components nest deeper than {MAX_DEPTH} levels")
    view = memoryview(wasm)
    found = custom_sections(view)
    if bytes(view[6:8]) != b"\x01\x00":  # a core module: nothing nested
        return found
    for section_id, start, end in sections(view):
        if section_id in _NESTED_IN_COMPONENT:
            found.extend(all_custom_sections(view[start:end], depth + 1))
    return found


def replace(path: Path, data: bytes) -> None:
    """Write ``data`` as the file at ``path``, atomically (a reader never sees half a file), keeping its mode."""
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
