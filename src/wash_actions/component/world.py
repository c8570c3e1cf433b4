"""A component's top-level imports and exports, read from the binary with the standard library.

The component binary format (WebAssembly/component-model ``design/mvp/Binary.md``): the preamble
``\\0asm`` + version ``0x0d 0x00`` + layer ``0x01 0x00``, then sections of ``id byte, LEB128 u32 size,
payload``. Only two top-level sections name the component's world: the import section (id 10) and the export
section (id 11); every other section (nested modules and components, types, aliases, canon) is skipped by its
size, so a nested component's imports never count. Each entry is read as bytecodealliance/wasm-tools
``crates/wasmparser/src/readers/component/{imports,exports}.rs`` (commit a7ef4778a) reads it:

- an extern name is a discriminator byte — ``0x00`` (the spec's), ``0x01`` (the older "interface" byte, still
  accepted) or ``0x02`` (a name followed by options: implements / version suffix / external id) — then a
  string;
- an import is a name and an extern description: a kind (``0x00 0x11`` core module, ``0x01`` func,
  ``0x02`` value, ``0x03`` type, ``0x04`` component, ``0x05`` instance) and its type reference;
- an export is a name, a sort (the kind, plus a core sort after ``0x00``), an index and an optional extern
  description (``0x00`` none, ``0x01`` then one).

The names come out in binary order, which is the order wit-component's decoder gives the world's imports
and exports, and so the order ``oci-wasm`` writes into the OCI config and ``wash inspect`` prints.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import NamedTuple

from ..errors import COMPONENT_PATH_FIX, ActionError
from .sections import MalformedWasm, read_leb128, read_s33, sections

PREAMBLE = b"\0asm\x0d\x00\x01\x00"
CORE_PREAMBLE = b"\0asm\x01\x00\x00\x00"
IMPORT_SECTION = 10
EXPORT_SECTION = 11
KINDS = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}
CORE_SORTS = {0x00: "core func", 0x01: "core table", 0x02: "core memory", 0x03: "core global", 0x04: "core tag"}
CORE_SORTS.update({0x10: "core type", 0x11: "core module", 0x12: "core instance"})


class Extern(NamedTuple):
    """One import or export: its name as written (``wasi:io/poll@0.2.9``, ``greet``) and its kind."""

    name: str
    kind: str  # instance, func, value, type, component, module (or a core sort for an export)

    @property
    def interface(self) -> bool:
        """An interface name (``ns:pkg/iface[@version]``) rather than a plain one."""
        return ":" in self.name and "/" in self.name


class World(NamedTuple):
    imports: tuple[Extern, ...]
    exports: tuple[Extern, ...]

    @property
    def import_names(self) -> list[str]:
        return [item.name for item in self.imports]

    @property
    def export_names(self) -> list[str]:
        return [item.name for item in self.exports]


class Malformed(MalformedWasm):
    """The bytes are not a component this reader can read (the message says where)."""


class _Reader:
    """A cursor over ``data[pos:end]`` (one section's payload); numbers are read by :mod:`wasm_sections`'s
    bounded LEB128 readers, and nothing is read past ``end``."""

    def __init__(self, data: memoryview, pos: int, end: int) -> None:
        self.data = data[:end]
        self.pos = pos
        self.end = end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise Malformed(f"unexpected end at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return int(value)

    def u32(self) -> int:
        value, self.pos = read_leb128(self.data, self.pos)
        return value

    def s33(self) -> int:
        value, self.pos = read_s33(self.data, self.pos)
        return value

    def string(self) -> str:
        size = self.u32()
        if self.pos + size > self.end:
            raise Malformed(f"a name runs past the end of its section at byte {self.pos}")
        raw = bytes(self.data[self.pos : self.pos + size])
        self.pos += size
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(f"a name is not UTF-8 at byte {self.pos - size}") from None


def _name(reader: _Reader) -> str:
    lead = reader.byte()
    if lead not in (0x00, 0x01, 0x02):
        raise Malformed(f"invalid extern name byte 0x{lead:02x} at byte {reader.pos - 1}")
    name = reader.string()
    if lead == 0x02:  # options: implements (0x00), version suffix (0x01), external id (0x02), each a string
        for _ in range(reader.u32()):
            option = reader.byte()
            if option not in (0x00, 0x01, 0x02):
                raise Malformed(f"invalid name option 0x{option:02x} at byte {reader.pos - 1}")
            reader.string()
    return name


def _kind(reader: _Reader) -> str:
    lead = reader.byte()
    if lead == 0x00:
        second = reader.byte()
        if second != 0x11:
            raise Malformed(f"invalid core kind 0x{second:02x} in an extern description at byte {reader.pos - 1}")
        return "module"
    if lead not in KINDS:
        raise Malformed(f"invalid extern kind 0x{lead:02x} at byte {reader.pos - 1}")
    return KINDS[lead]


def _type_ref(reader: _Reader) -> str:
    kind = _kind(reader)
    if kind == "value":
        reader.s33()  # a primitive value type (one negative byte) or a type index
    elif kind == "type":
        bound = reader.byte()
        if bound == 0x00:
            reader.u32()
        elif bound != 0x01:
            raise Malformed(f"invalid type bound 0x{bound:02x} at byte {reader.pos - 1}")
    else:
        reader.u32()
    return kind


def _sort(reader: _Reader) -> str:
    lead = reader.byte()
    if lead == 0x00:
        core = reader.byte()
        if core not in CORE_SORTS:
            raise Malformed(f"invalid core sort 0x{core:02x} at byte {reader.pos - 1}")
        return "module" if core == 0x11 else CORE_SORTS[core]
    if lead not in KINDS:
        raise Malformed(f"invalid sort 0x{lead:02x} at byte {reader.pos - 1}")
    return KINDS[lead]


def parse(data: bytes | memoryview) -> World:
    """The component's top-level imports and exports; raises :class:`Malformed` on anything else."""
    view = memoryview(data)
    head = bytes(view[:8])
    if head == CORE_PREAMBLE:
        raise Malformed("a core WebAssembly module, not a component")
    if head != PREAMBLE:
        raise Malformed("no component preamble (\\0asm, version 0x0d, layer 1)")
    try:
        return _world(view)
    except Malformed:
        raise
    except MalformedWasm as exc:  # the shared readers' LEB128 and section errors
        raise Malformed(str(exc)) from None


def _world(view: memoryview) -> World:
    imports: list[Extern] = []
    exports: list[Extern] = []
    for section, start, end in sections(view):
        if section not in (IMPORT_SECTION, EXPORT_SECTION):
            continue
        body = _Reader(view, start, end)
        if section == IMPORT_SECTION:
            for _ in range(body.u32()):
                name = _name(body)
                imports.append(Extern(name, _type_ref(body)))
        else:
            for _ in range(body.u32()):
                name = _name(body)
                kind = _sort(body)
                body.u32()  # the index of what is exported
                described = body.byte()
                if described == 0x01:
                    _type_ref(body)
                elif described != 0x00:
                    raise Malformed(f"invalid export description byte 0x{described:02x} at byte {body.pos - 1}")
                exports.append(Extern(name, kind))
        if body.pos != end:
            raise Malformed(f"section {section} at byte {start} has {end - body.pos} bytes left over")
    return World(tuple(imports), tuple(exports))


def read_world(data: bytes | memoryview, *, name: str = "the component") -> World:
    """:func:`parse`, with one clear error for users when the bytes are not a readable component."""
    try:
        return parse(data)
    except Malformed as exc:
        raise unreadable(name, f"Reading its imports and exports failed: {exc}.") from None


def unreadable(name: str, why: str) -> ActionError:
    """The one error for bytes that are not a readable component (its world or its sections)."""
    return ActionError(
        what=f"{name} is not a readable WebAssembly component",
        why=why,
        fix=f"Pass the component the build produced:\n{COMPONENT_PATH_FIX}\n(a core module must be "
        "componentized first: wasm-tools component new)",
        docs="#publish",
    )


def load(path: Path, *, label: str, fix: str, docs: str, limit: int | None = None) -> memoryview:
    """The one way a component file is read: refused with one clear error when it is missing, a directory, not
    WebAssembly, a core module or (with ``limit``) larger than ``limit`` bytes; else its bytes, mapped rather
    than read (hashing and parsing touch each page once and nothing is copied: a re-run reads an 18 MB
    component only to learn its digest). ``label`` names the input (``component-path``), ``fix`` is the YAML
    that passes the right file."""
    if path.is_dir():
        raise ActionError(
            what=f"{label} {path} is a directory",
            why="A component is one file (.wasm).",
            fix=fix,
            docs=docs,
        )
    if not path.is_file():
        raise ActionError(
            what=f"{label} {path} does not exist",
            why="The build step did not run in this job, or the path is relative to another directory "
            "(relative paths are resolved against the workspace).",
            fix=fix,
            docs=docs,
        )
    with path.open("rb") as handle:
        head = handle.read(8)
        if head == CORE_PREAMBLE:
            raise ActionError(
                what=f"{path.name} is a core WebAssembly module, not a component",
                why="wasmCloud runs WebAssembly components; a core module must be componentized first.",
                fix="Build with a toolchain that emits a component (e.g. target wasm32-wasip2, "
                "componentize-py, jco componentize), or wrap it: wasm-tools component new.",
                docs=docs,
            )
        if head != PREAMBLE:
            raise ActionError(
                what=f"{path.name} is not a WebAssembly component",
                why="The file does not start with the component preamble (no component preamble: \\0asm, "
                "version 0x0d, layer 1).",
                fix=fix,
                docs=docs,
            )
        size = path.stat().st_size
        if limit is not None and size > limit:
            raise ActionError(
                what=f"{label} {path.name} is {size} bytes, more than is read ({limit} bytes)",
                why="No real component is that large; the path names another file.",
                fix=fix,
                docs=docs,
            )
        return memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
