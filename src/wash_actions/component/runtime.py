"""The language runtime and the toolchain a component carries inside it, read from the component itself.

A component made by componentize-py or jco is an interpreter plus the program: its ``producers`` sections
(WebAssembly tool-conventions ``ProducersSection.md``) name only the tools that compiled the interpreter, so a
componentize-py component says ``language: Rust`` and names no Python. What each toolchain leaves in the binary:

- componentize-py links CPython as a shared library and its own runtime: core modules named ``libpython3.<minor>.so``
  and ``componentize_py_runtime`` (the module names of their ``name`` sections); the interpreter's ``sys.version``
  string (``3.14.0 (main, <date>, <time>) [<compiler>]``) is in its data, and componentize-py's own distribution
  (``componentize_py-<version>.dist-info``) is named in the snapshot of the import system it takes at build time;
- jco (``jco componentize``) runs ComponentizeJS, which says so in ``processed-by`` (``ComponentizeJS <version>``)
  and embeds the StarlingMonkey engine (SpiderMonkey), whose own messages name it.

Everything here is evidence found in the bytes; nothing is guessed from file names or the project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from .sections import MalformedWasm, read_leb128

# tool-conventions ProducersSection.md language names, as a person writes them
LANGUAGES = {"C_plus_plus": "C++", "C_plus_plus_11": "C++", "C_plus_plus_14": "C++", "C11": "C", "C99": "C"}
_LIBPYTHON = re.compile(r"libpython(3\.\d{1,2})\.(?:so|a)\b")
_COMPONENTIZE_PY_DIST = re.compile(
    rb"componentize_py-(\d{1,4}(?:\.\d{1,4}){1,3}(?:(?:a|b|rc|\.dev|\.post)\d{1,4})?)\.dist-info"
)
_COMPONENTIZE_JS = "ComponentizeJS"
_STARLINGMONKEY = b"StarlingMonkey"


class Embedded(NamedTuple):
    """One piece of software inside the component: ``kind`` is ``runtime`` (an interpreter or engine) or
    ``sdk`` (the toolchain's own runtime library); ``evidence`` says where in the binary it was found."""

    name: str
    version: str
    purl: str
    cpe: str
    kind: str
    evidence: str


class Runtime(NamedTuple):
    """The component's source language (``""`` when nothing says), what runs it, and the tools that processed it
    (``processed-by``: name, version)."""

    language: str
    embedded: tuple[Embedded, ...]
    tools: tuple[tuple[str, str], ...]


def module_names(name_sections: Iterable[bytes]) -> list[str]:
    """The module names (subsection 0) of core modules' ``name`` sections; a malformed section is skipped."""
    found = []
    for data in name_sections:
        try:
            pos = 0
            while pos < len(data):
                subsection = data[pos]
                size, start = read_leb128(data, pos + 1)
                if subsection == 0:
                    length, at = read_leb128(data, start)
                    if at + length <= len(data):
                        found.append(bytes(data[at : at + length]).decode("utf-8", errors="replace"))
                    break
                pos = start + size
        except (MalformedWasm, IndexError):
            continue
    return found


def python_version(wasm: bytes, minor: str) -> str:
    """CPython's ``sys.version`` number for ``minor`` (``3.14``) from the interpreter's data, or ``""``: the form
    ``3.14.0 (main, Sep 11 2026, 23:47:35) [Clang …`` (Python/getversion.c: version, build info, compiler), each
    part of bounded length without repetition inside repetition, so a hostile component costs linear time."""
    pattern = re.compile(
        re.escape(minor.encode())
        + rb"\.(\d{1,2}(?:(?:a|b|rc)\d{1,2})?\+?) \([\w.:/+-]{1,60}, [A-Z][a-z]{2} [ \d]\d \d{4}, \d\d:\d\d:\d\d\) \["
    )
    match = pattern.search(wasm)
    return f"{minor}.{match[1].decode()}" if match else ""


def detect(wasm: bytes, producers: Mapping[str, tuple[tuple[str, str], ...]], modules: Iterable[str]) -> Runtime:
    """What the component carries, from its bytes, its ``producers`` and its core modules' names."""
    names = list(modules)
    tools = tuple(dict.fromkeys(producers.get("processed-by", ())))
    embedded: list[Embedded] = []
    language = ""
    pythons = sorted({m[1] for name in names if (m := _LIBPYTHON.search(name))})
    if pythons:
        language = "Python"
        for minor in pythons:
            version = python_version(wasm, minor) or minor
            embedded.append(
                Embedded(
                    "python",
                    version,
                    f"pkg:generic/python@{version}",
                    f"cpe:2.3:a:python:python:{version}:*:*:*:*:*:*:*",
                    "runtime",
                    f"core module libpython{minor}; sys.version in its data",
                )
            )
    if any(name.startswith("componentize_py_runtime") for name in names):
        language = language or "Python"
        match = _COMPONENTIZE_PY_DIST.search(wasm)
        version = match[1].decode() if match else ""
        embedded.append(
            Embedded(
                "componentize-py",
                version,
                f"pkg:pypi/componentize-py@{version}" if version else "pkg:pypi/componentize-py",
                "",
                "sdk",
                "core module componentize_py_runtime"
                + ("; componentize_py-" + version + ".dist-info named in its snapshot" if version else ""),
            )
        )
    for tool, version in tools:
        if tool == _COMPONENTIZE_JS:
            language = language or "JavaScript"
            embedded.append(
                Embedded(
                    "@bytecodealliance/componentize-js",
                    version,
                    f"pkg:npm/%40bytecodealliance/componentize-js@{version}",
                    "",
                    "sdk",
                    f"producers processed-by {tool} {version}",
                )
            )
            if _STARLINGMONKEY in wasm:
                embedded.append(
                    Embedded(
                        "StarlingMonkey",
                        "",
                        "pkg:github/bytecodealliance/starlingmonkey",
                        "",
                        "runtime",
                        f"the engine's own messages; embedded by ComponentizeJS {version}",
                    )
                )
            break
    if not language:
        stated = [name for name, _ in producers.get("language", ())]
        language = LANGUAGES.get(stated[0], stated[0]) if stated else ""
    return Runtime(language, tuple(embedded), tools)
