"""Component metadata: the wasm-metadata custom sections that ``wash oci push`` turns into OCI annotations.

wash 2.x reads a component with the ``wasm-metadata`` crate (bytecodealliance/wasm-tools) and copies
these *top-level* custom sections, each a plain UTF-8 string, into the manifest's annotations:

=============  =======================================  ======================================
section        annotation                               what wash requires of the value
=============  =======================================  ======================================
version        org.opencontainers.image.version         any string
description    org.opencontainers.image.description     any string
authors        org.opencontainers.image.authors         any string
licenses       org.opencontainers.image.licenses        an SPDX expression of known, current ids
homepage       org.opencontainers.image.url             an absolute URL (stored normalised)
source         org.opencontainers.image.source          an absolute URL (stored normalised)
revision       org.opencontainers.image.revision        any string
=============  =======================================  ======================================

A value wash cannot parse (``MIT/Apache-2.0``, ``GPL-3.0`` (deprecated), ``github.com/x`` (relative))
makes the whole push fail, so values from manifests are checked here and dropped with a warning, and
:func:`embed` refuses them. Licenses are checked against a built-in list of common SPDX ids
(:data:`SPDX_LICENSES`); an id outside it is skipped rather than risked. URLs are normalised the way
wash stores them (``https://example.com`` becomes ``https://example.com/``), so the annotation is
exactly the embedded value. GHCR links a package to its repository through ``org.opencontainers.image.source``.

Writing: a component (or core module) is ``\\0asm`` + version + layer, then sections of
``id byte, LEB128 u32 size, payload``; a custom section (id 0) is ``LEB128 name length, name, data``
and may appear anywhere among the top-level sections. :func:`embed` appends new custom sections at
the end of the file: the bytes before them are untouched, so the component, its WIT and its nested
modules stay exactly as built. This is a few lines of pure Python, runs offline, and takes
milliseconds on an 18 MB component. The alternatives were checked and rejected: ``jco metadata-add``
(npm) writes only the producers section and needs Node; the PyPI ``wasm-tools`` package is an
unrelated pure-Python parser, not the Bytecode Alliance tool.

Precedence (:func:`plan`): a section already in the component is never replaced; ``source`` and
``revision`` come from the GitHub context (the repository that builds and pushes, which is the one
GHCR must link and whose commit the revision names) before the manifest's repository URL; every
other value comes from the first manifest found, in the order of :data:`MANIFESTS`.

This module decides which sections to embed; the pieces live beside it: :mod:`wasm_sections` (reading and
writing custom sections), :mod:`spdx` and :mod:`urls` (values wash accepts), :mod:`manifests` (the readers).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .project_manifests import MANIFESTS, ManifestValues, from_manifests
from .sections import MalformedWasm, custom_section, custom_sections, replace
from .spdx import spdx_expression
from .urls import normalize_url

SECTIONS: tuple[str, ...] = ("version", "description", "authors", "licenses", "homepage", "source", "revision")
ANNOTATIONS: Mapping[str, str] = {
    "version": "org.opencontainers.image.version",
    "description": "org.opencontainers.image.description",
    "authors": "org.opencontainers.image.authors",
    "licenses": "org.opencontainers.image.licenses",
    "homepage": "org.opencontainers.image.url",
    "source": "org.opencontainers.image.source",
    "revision": "org.opencontainers.image.revision",
}


def read_sections(wasm: bytes) -> dict[str, str]:
    """The metadata sections (:data:`SECTIONS`) at the component's top level; the last wins, as in wash."""
    return {name: data.decode(errors="replace") for name, data in custom_sections(wasm) if name in SECTIONS}


def check(name: str, value: str) -> str | None:
    """Why wash would reject this section (or None when it is fine)."""
    if name not in SECTIONS:
        return f"{name!r} is not a metadata section wash reads (one of {', '.join(SECTIONS)})"
    if not value.strip():
        return f"{name} is empty"
    if name == "licenses" and spdx_expression(value) is None:
        return f"licenses {value!r} is not an SPDX expression of known, current license ids"
    if name in {"homepage", "source"} and normalize_url(value) is None:
        return f"{name} {value!r} is not an absolute http(s) URL without credentials"
    return None


def from_git(server_url: str, repository: str, sha: str = "") -> dict[str, str]:
    """``source`` (server/owner/repo) and ``revision`` (the commit) from the GitHub context, when given."""
    values: dict[str, str] = {}
    if server_url.strip() and repository.strip("/ "):
        source = normalize_url(f"{server_url.strip().rstrip('/')}/{repository.strip('/ ')}")
        if source:
            values["source"] = source
    if sha.strip():
        values["revision"] = sha.strip()
    return values


def plan(
    existing: Mapping[str, str], manifest_values: Mapping[str, str], git_values: Mapping[str, str]
) -> dict[str, str]:
    """The sections to add: never one the component has; GitHub context before the manifest; no empty value."""
    merged = {**manifest_values, **{k: v for k, v in git_values.items() if v.strip()}}
    return {
        name: merged[name].strip()
        for name in SECTIONS
        if name not in existing and name in merged and merged[name].strip()
    }


def embed(
    path: Path, values: Mapping[str, str], *, wasm: bytes | None = None, existing: Mapping[str, str] | None = None
) -> tuple[dict[str, str], bytes]:
    """Append the sections ``path`` lacks (atomically): those added and the file's bytes now. ``wasm`` and
    ``existing``: the file's bytes and sections when the caller has read them already. Raises ValueError on a
    bad value."""
    if wasm is None:
        wasm = path.read_bytes()
    if existing is None:
        existing = read_sections(wasm)
    added = {name: value for name, value in values.items() if name not in existing}
    problems = [problem for name, value in added.items() if (problem := check(name, value))]
    if problems:
        raise ValueError("; ".join(problems))
    if not added:
        return {}, wasm
    data = wasm + b"".join(custom_section(name, value.encode()) for name, value in added.items())
    replace(path, data)
    return added, data


__all__ = [
    "ANNOTATIONS",
    "MANIFESTS",
    "SECTIONS",
    "MalformedWasm",
    "ManifestValues",
    "check",
    "embed",
    "from_git",
    "from_manifests",
    "plan",
    "read_sections",
]
