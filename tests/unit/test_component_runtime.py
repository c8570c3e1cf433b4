"""component_runtime: the runtime and toolchain a component carries, from synthetic components laid out as
componentize-py and jco lay theirs (the real ones: tests/integration/test_sbom.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.unit.test_sbom import COMPONENT_PREAMBLE, MODULE_PREAMBLE, producers_section, section
from wash_actions.component import runtime as component_runtime
from wash_actions.component.sections import custom_section, leb128
from wash_actions.trust import sbom

SYS_VERSION = b"3.12.7 (main, Sep 11 2026, 23:47:35) [Clang 22.1.0-wasi-sdk (https://github.com/llvm/llvm-project)]"


def named_module(name: str, data: bytes = b"") -> bytes:
    """A core module with a ``name`` section naming it (subsection 0) and ``data`` as a data segment's bytes."""
    raw = name.encode()
    subsection = leb128(len(raw)) + raw
    module = MODULE_PREAMBLE
    if data:
        module += section(11, leb128(1) + b"\x00\x41\x00\x0b" + leb128(len(data)) + data)  # one active segment
    return module + custom_section("name", b"\x00" + leb128(len(subsection)) + subsection)


def componentize_py_like(*, version_string: bytes = SYS_VERSION, dist_info: bytes = b"") -> bytes:
    snapshot = b"\x00d.25" + dist_info + b"\x00" if dist_info else b""
    return (
        COMPONENT_PREAMBLE
        + section(1, named_module("libpython3.12.so", b"\x00" * 16 + version_string + b"\x00"))
        + section(1, named_module("componentize_py_runtime.wasm", snapshot))
        + producers_section({"language": [("Rust", "")], "processed-by": [("wit-component", "0.245.1")]})
    )


def name_payload(name: str) -> bytes:
    raw = name.encode()
    return b"\x00" + leb128(len(raw) + 1) + leb128(len(raw)) + raw


def test_module_names_are_read_from_each_name_section() -> None:
    functions = b"\x01\x02\x00\x00"  # a function-names subsection only
    truncated = b"\x00\x05\x09ab"  # a name longer than its section
    assert component_runtime.module_names([name_payload("libpython3.12.so"), functions, truncated]) == [
        "libpython3.12.so"
    ]
    assert component_runtime.module_names([functions + name_payload("after.wasm")]) == ["after.wasm"]


def test_componentize_py_says_python_and_names_cpython_and_itself() -> None:
    wasm = componentize_py_like(dist_info=b"componentize_py-0.25.1.dist-info")
    runtime = sbom.inventory(wasm).runtime
    assert runtime is not None
    assert runtime.language == "Python"
    python, componentize = runtime.embedded
    assert (python.name, python.version, python.purl) == ("python", "3.12.7", "pkg:generic/python@3.12.7")
    assert python.cpe == "cpe:2.3:a:python:python:3.12.7:*:*:*:*:*:*:*"
    assert (componentize.name, componentize.version, componentize.purl) == (
        "componentize-py",
        "0.25.1",
        "pkg:pypi/componentize-py@0.25.1",
    )
    assert runtime.tools == (("wit-component", "0.245.1"),)


def test_the_sbom_document_says_python_first_and_lists_the_runtime() -> None:
    wasm = componentize_py_like(dist_info=b"componentize_py-0.25.1.dist-info")
    doc = sbom.document(wasm, sbom.inventory(wasm), name="hello")
    subject = doc["metadata"]["component"]
    assert subject["properties"][0] == {"name": "wasm:language", "value": "Python"}
    assert [c["purl"] for c in doc["components"]] == ["pkg:generic/python@3.12.7", "pkg:pypi/componentize-py@0.25.1"]
    assert doc["dependencies"][0]["dependsOn"] == ["pkg:generic/python@3.12.7", "pkg:pypi/componentize-py@0.25.1"]
    assert {"type": "application", "name": "wit-component", "version": "0.245.1"} in doc["metadata"]["tools"][
        "components"
    ]


@pytest.mark.parametrize(
    "version_string",
    [b"3.12.7 [no build info]", b"3.12.7 (main, Sept 11 2026, 23:47:35) [", b"3.13.0 (main, Sep 11 2026, 23:47:35) ["],
)
def test_without_a_sys_version_of_that_minor_the_version_is_the_minor(version_string: bytes) -> None:
    runtime = sbom.inventory(componentize_py_like(version_string=version_string)).runtime
    assert runtime is not None
    assert runtime.embedded[0].version == "3.12"
    assert runtime.embedded[1].purl == "pkg:pypi/componentize-py"  # no dist-info: no version, no guess


def test_jco_says_javascript_and_names_componentize_js_and_its_engine() -> None:
    wasm = (
        COMPONENT_PREAMBLE
        + section(1, named_module("engine.wasm", b"StarlingMonkey engine initializing\x00"))
        + producers_section(
            {
                "language": [("JavaScript", ""), ("Rust", ""), ("C_plus_plus_14", "")],
                "processed-by": [("wit-component", "0.240.0"), ("ComponentizeJS", "0.19.3")],
            }
        )
    )
    runtime = sbom.inventory(wasm).runtime
    assert runtime is not None and runtime.language == "JavaScript"
    assert [(e.name, e.version, e.purl) for e in runtime.embedded] == [
        ("@bytecodealliance/componentize-js", "0.19.3", "pkg:npm/%40bytecodealliance/componentize-js@0.19.3"),
        ("StarlingMonkey", "", "pkg:github/bytecodealliance/starlingmonkey"),
    ]


@pytest.mark.parametrize(
    ("languages", "expected"),
    [([("Rust", "")], "Rust"), ([("C_plus_plus_14", ""), ("C11", "")], "C++"), ([("C11", "")], "C"), ([], "")],
)
def test_other_components_take_the_first_stated_language(languages: list[tuple[str, str]], expected: str) -> None:
    wasm = MODULE_PREAMBLE + producers_section({"language": languages} if languages else {})
    runtime = sbom.inventory(wasm).runtime
    assert runtime is not None and runtime.language == expected and runtime.embedded == ()


def test_a_hostile_version_string_costs_linear_time() -> None:
    """Near-misses of sys.version repeated through 16 MiB: the pattern has no repetition inside repetition, so the
    search ends (bounded by the subprocess's timeout, not by a clock in the test)."""
    script = (
        "from wash_actions.component import runtime as component_runtime\n"
        "near_miss = b'3.12.1 (main, Sep 11 2026, 23:47:3'\n"
        "data = near_miss * (16 * 1024 * 1024 // len(near_miss))\n"
        "print(repr(component_runtime.python_version(data, '3.12')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "''"
