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

from typing import NamedTuple

from .errors import COMPONENT_PATH_FIX, ActionError

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


class Malformed(ValueError):
    """The bytes are not a component this reader can read (the message says where)."""


class _Reader:
    def __init__(self, data: bytes | memoryview, pos: int = 0, end: int | None = None) -> None:
        self.data = memoryview(data)
        self.pos = pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise Malformed(f"unexpected end at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return int(value)

    def u32(self) -> int:
        result = shift = 0
        for _ in range(5):
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                if result > 0xFFFFFFFF:
                    raise Malformed(f"LEB128 u32 out of range at byte {self.pos}")
                return result
            shift += 7
        raise Malformed(f"LEB128 u32 too long at byte {self.pos}")

    def s33(self) -> int:
        result = shift = 0
        for _ in range(5):
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result - (1 << shift) if b & 0x40 else result
        raise Malformed(f"LEB128 s33 too long at byte {self.pos}")

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
    reader = _Reader(view, 8)
    imports: list[Extern] = []
    exports: list[Extern] = []
    while reader.pos < reader.end:
        section = reader.byte()
        size = reader.u32()
        start, end = reader.pos, reader.pos + size
        if end > reader.end:
            raise Malformed(f"section {section} at byte {start} runs past the end of the file (truncated?)")
        body = _Reader(view, start, end)
        if section == IMPORT_SECTION:
            for _ in range(body.u32()):
                name = _name(body)
                imports.append(Extern(name, _type_ref(body)))
        elif section == EXPORT_SECTION:
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
        if section in (IMPORT_SECTION, EXPORT_SECTION) and body.pos != end:
            raise Malformed(f"section {section} at byte {start} has {end - body.pos} bytes left over")
        reader.pos = end
    return World(tuple(imports), tuple(exports))


def read_world(data: bytes | memoryview, *, name: str = "the component") -> World:
    """:func:`parse`, with one clear error for users when the bytes are not a readable component."""
    try:
        return parse(data)
    except Malformed as exc:
        raise ActionError(
            what=f"{name} is not a readable WebAssembly component",
            why=f"Reading its imports and exports failed: {exc}.",
            fix=f"Pass the component the build produced:\n{COMPONENT_PATH_FIX}\n(a core module must be "
            "componentized first: wasm-tools component new)",
            docs="#publish",
        ) from None
