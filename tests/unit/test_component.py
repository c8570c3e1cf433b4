"""The one component reader and the one LEB128 reader: bounded as the format says, linear on crafted input.

Hostile inputs run in a subprocess bounded by a timeout (the bound only ends a run that would hang; the
assertions are on what the reader answers).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wash_actions.component import sections
from wash_actions.component import world as component
from wash_actions.component.sections import MalformedWasm, custom_section, leb128, read_leb128, read_s33
from wash_actions.errors import ActionError
from wash_actions.oci import layout
from wash_actions.oci.timestamps import Instant

ROOT = Path(__file__).resolve().parents[2]
FIX = "with:\n  component-path: build/x.wasm"


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + leb128(len(payload)) + payload


def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def name(text: str, lead: int = 0x00) -> bytes:
    return bytes([lead]) + leb(len(text)) + text.encode()


def test_the_reader_takes_every_extern_kind_and_skips_nested_components():
    imports = (
        leb(5)
        + name("wasi:io/poll@0.2.9")
        + b"\x05"
        + leb(0)  # instance
        + name("log", 0x01)
        + b"\x01"
        + leb(1)  # func, the older 0x01 name byte
        + name("cfg")
        + b"\x02"
        + b"\x73"  # value of a primitive type
        + name("res")
        + b"\x03\x01"  # type (sub resource)
        + name("plug")
        + b"\x00\x11"
        + leb(2)  # core module
    )
    nested = section(4, component.PREAMBLE + section(10, leb(1) + name("inner") + b"\x01\x00"))  # not ours
    exports = leb(2) + name("wasi:http/incoming-handler@0.2.0") + b"\x05" + leb(0) + b"\x00"
    exports += name("run", 0x02) + leb(1) + b"\x01" + leb(1) + b"x"  # options: a version suffix
    exports += b"\x01" + leb(3) + b"\x01\x01" + leb(1)  # func 3, described as func type 1
    wasm = component.PREAMBLE + nested + section(10, imports) + section(11, exports) + section(0, name("x")[1:])
    world = component.parse(wasm)
    assert [(e.name, e.kind) for e in world.imports] == [
        ("wasi:io/poll@0.2.9", "instance"),
        ("log", "func"),
        ("cfg", "value"),
        ("res", "type"),
        ("plug", "module"),
    ]
    assert [(e.name, e.kind) for e in world.exports] == [
        ("wasi:http/incoming-handler@0.2.0", "instance"),
        ("run", "func"),
    ]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\0asm\x01\x00\x00\x00", "core WebAssembly module"),
        (b"PK\x03\x04", "no component preamble"),
        (component.PREAMBLE + b"\x0a\x10\x01", "runs past the end"),
        (component.PREAMBLE + section(10, leb(1) + name("x") + b"\x09\x00"), "invalid extern kind 0x09"),
        (component.PREAMBLE + section(10, leb(1) + b"\x00\xff\xff\xff\xff\x1f"), "LEB128"),
        (component.PREAMBLE + section(10, leb(1) + b"\x00\x02\xff\xfe\x05\x00"), "not UTF-8"),
    ],
)
def test_what_is_not_a_component_is_one_clear_error(data, why):
    with pytest.raises(ActionError) as caught:
        component.read_world(data, name="x.wasm")
    assert "x.wasm is not a readable WebAssembly component" in caught.value.what
    assert why in caught.value.why


@pytest.mark.parametrize(
    ("encoded", "value", "after"),
    [
        (b"\x00", 0, 1),
        (b"\x7f", 127, 1),
        (b"\x80\x01", 128, 2),
        (b"\xff\xff\xff\xff\x0f", 0xFFFF_FFFF, 5),
        (b"\x80\x80\x80\x80\x00", 0, 5),  # padded: five bytes is allowed
    ],
)
def test_u32_leb128_within_the_bound(encoded, value, after):
    assert read_leb128(encoded + b"\xaa", 0) == (value, after)


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        (b"\x80\x80\x80\x80\x80\x00", "longer than 5 bytes"),
        (b"\x80" * 100_000, "longer than 5 bytes"),
        (b"\xff\xff\xff\xff\x1f", "overflows a u32"),
        (b"\xff\xff\xff\xff\x7f", "overflows a u32"),
        (b"\x80\x80", "runs past the end"),
        (b"", "runs past the end"),
    ],
)
def test_u32_leb128_outside_the_bound_is_malformed(encoded, why):
    with pytest.raises(MalformedWasm, match=why):
        read_leb128(encoded, 0)


@pytest.mark.parametrize(
    ("encoded", "value"),
    [
        (b"\x7f", -1),
        (b"\x40", -64),
        (b"\x3f", 63),
        (b"\x80\x7f", -128),
        (b"\xff\xff\xff\xff\x0f", 0xFFFF_FFFF),  # the largest type index
        (b"\x80\x80\x80\x80\x70", -(1 << 32)),
    ],
)
def test_s33_leb128(encoded, value):
    assert read_s33(encoded, 0) == (value, len(encoded))


@pytest.mark.parametrize("encoded", [b"\x80\x80\x80\x80\x80\x00", b"\xff\xff\xff\xff\x3f", b"\x80\x80\x80\x80\x40"])
def test_s33_leb128_outside_the_bound_is_malformed(encoded):
    with pytest.raises(MalformedWasm):
        read_s33(encoded, 0)


def test_the_component_reader_uses_the_bounded_reader():
    overlong = component.PREAMBLE + section(10, b"\x81\x80\x80\x80\x80\x00")
    with pytest.raises(ActionError) as caught:
        component.read_world(overlong, name="x.wasm")
    assert "LEB128" in caught.value.why and "longer than 5 bytes" in caught.value.why


def test_component_name_ignores_an_overlong_number():
    assert layout.component_name(b"\x00" + b"\x80" * 64 + b"\x01") == ""
    assert layout.component_name(b"\x00\x06\x05hello") == "hello"
    assert layout.component_name(b"\x00\x06\x09hello") == ""  # a name longer than its subsection


def test_nesting_deeper_than_the_bound_is_malformed():
    wasm = component.PREAMBLE
    for _ in range(sections.MAX_DEPTH + 2):
        wasm = component.PREAMBLE + section(4, wasm)
    with pytest.raises(MalformedWasm, match="nest deeper"):
        sections.all_custom_sections(wasm)
    assert component.parse(wasm) == component.World((), ())  # the world reader skips nested components whole


@pytest.mark.parametrize(
    ("setup", "what"),
    [
        (lambda p: p.write_bytes(component.CORE_PREAMBLE), "is a core WebAssembly module, not a component"),
        (lambda p: p.write_bytes(b""), "is not a WebAssembly component"),
        (lambda p: p.write_bytes(b"#!/bin/sh\n"), "is not a WebAssembly component"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "does not exist"),
        (lambda p: p.write_bytes(component.PREAMBLE + b"\0" * 100), "more than is read (64 bytes)"),
    ],
    ids=["core-module", "empty", "script", "directory", "missing", "over-limit"],
)
def test_load_refuses_what_is_not_a_component_file(tmp_path: Path, setup, what):
    path = tmp_path / "x.wasm"
    setup(path)
    with pytest.raises(ActionError) as caught:
        component.load(path, label="component-path", fix=FIX, docs="#check", limit=64)
    assert what in caught.value.what and caught.value.docs == "#check"


def test_load_maps_a_component(tmp_path: Path):
    path = tmp_path / "x.wasm"
    path.write_bytes(component.PREAMBLE + custom_section("component-name", b"\x00\x06\x05hello"))
    wasm = component.load(path, label="component-path", fix=FIX, docs="#publish")
    assert bytes(wasm) == path.read_bytes()
    assert layout.build(wasm, Instant(0)).annotations[layout.TITLE] == "hello"


def _bounded(code: str, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter; what it prints. A reader that loops or goes quadratic hits the bound."""
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r})\n" + textwrap.dedent(code),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


HOSTILE = {
    # a component-name subsection size that never ends: the old reader built a number of 8 million bits
    "component-name": "PREAMBLE + custom_section('component-name', b'\\x00' + b'\\x80' * (8 << 20))",
    # a top-level section size that never ends
    "section-size": "PREAMBLE + b'\\x01' + b'\\x80' * (8 << 20)",
    # an import count of 2^32-1 with nothing behind it
    "import-count": "PREAMBLE + section(10, b'\\xff\\xff\\xff\\xff\\x0f' + b'\\x00' * (8 << 20))",
    # a thousand nested components, each a header around the next
    "nesting": "nest(1000)",
    # a hundred thousand custom sections, each with an over-long name length
    "many-sections": "PREAMBLE + section(0, b'\\x80\\x80\\x80\\x80\\x80\\x00') * 100_000",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_crafted_components_cost_linear_time(case):
    out = _bounded(
        f"""
        from wash_actions.component import world as component, sections as wasm_sections
        from wash_actions.oci import layout
        from wash_actions.component.world import PREAMBLE
        from wash_actions.errors import ActionError
        from wash_actions.oci.timestamps import Instant
        from wash_actions.component.sections import MalformedWasm, custom_section, leb128

        def section(i, payload):
            return bytes([i]) + leb128(len(payload)) + payload

        def nest(depth):
            wasm = PREAMBLE
            for _ in range(depth):
                wasm = PREAMBLE + section(4, wasm)
            return wasm

        wasm = {HOSTILE[case]}
        answers = []
        try:
            answers.append("built " + layout.build(wasm, Instant(0)).digest[:7])
        except ActionError as exc:
            answers.append("refused: " + exc.why[:160])
        try:
            answers.append("sections " + str(len(wasm_sections.all_custom_sections(wasm))))
        except MalformedWasm as exc:
            answers.append("malformed: " + str(exc)[:160])
        print("\\n".join(answers))
        """
    )
    publish, sbom = out.splitlines()
    assert publish.startswith("refused: ") or publish == "built sha256:", out
    assert sbom.startswith("malformed: ") or sbom.startswith("sections "), out
    if case == "section-size":
        assert "longer than 5 bytes" in publish and "longer than 5 bytes" in sbom
    if case == "nesting":
        assert publish == "built sha256:" and "nest deeper" in sbom
