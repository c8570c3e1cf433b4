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
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
MANIFESTS: tuple[str, ...] = ("Cargo.toml", "package.json", "pyproject.toml", "go.mod")
MAGIC = b"\0asm"
CUSTOM = 0

# Current (non-deprecated) SPDX ids that wash 2.10.3's SPDX parser accepts; every one is pushed through
# the real wash in tests/integration/test_metadata.py. Matching is case-insensitive, output canonical.
SPDX_LICENSES: frozenset[str] = frozenset(
    """0BSD AFL-3.0 AGPL-3.0-only AGPL-3.0-or-later Apache-1.1 Apache-2.0 APSL-2.0 Artistic-1.0 Artistic-2.0
    Beerware BlueOak-1.0.0 BSD-1-Clause BSD-2-Clause BSD-2-Clause-Patent BSD-3-Clause BSD-3-Clause-Clear
    BSD-4-Clause BSL-1.0 BUSL-1.1 CAL-1.0 CC-BY-3.0 CC-BY-4.0 CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-ND-4.0
    CC-BY-SA-3.0 CC-BY-SA-4.0 CC0-1.0 CDDL-1.0 CDDL-1.1 CECILL-2.1 curl ECL-2.0 EFL-2.0 Elastic-2.0 EPL-1.0
    EPL-2.0 EUPL-1.1 EUPL-1.2 GFDL-1.3-only GFDL-1.3-or-later GPL-2.0-only GPL-2.0-or-later GPL-3.0-only
    GPL-3.0-or-later HPND ICU IJG ISC JSON LGPL-2.0-only LGPL-2.0-or-later LGPL-2.1-only LGPL-2.1-or-later
    LGPL-3.0-only LGPL-3.0-or-later Libpng libpng-2.0 LPPL-1.3c MirOS MIT MIT-0 MIT-CMU MIT-Modern-Variant
    MPL-1.1 MPL-2.0 MPL-2.0-no-copyleft-exception MS-PL MS-RL MulanPSL-2.0 NCSA OFL-1.1 OpenSSL OSL-3.0
    PHP-3.01 PolyForm-Noncommercial-1.0.0 PolyForm-Small-Business-1.0.0 PostgreSQL PSF-2.0 Python-2.0 Ruby
    SSPL-1.0 Unicode-3.0 Unicode-DFS-2016 Unlicense UPL-1.0 Vim W3C WTFPL X11 Zlib zlib-acknowledgement
    ZPL-2.1""".split()
)
SPDX_EXCEPTIONS: frozenset[str] = frozenset(
    """Autoconf-exception-2.0 Autoconf-exception-3.0 Bison-exception-2.2 Classpath-exception-2.0
    eCos-exception-2.0 FLTK-exception Font-exception-2.0 GCC-exception-2.0 GCC-exception-3.1
    GPL-3.0-linking-exception GPL-3.0-linking-source-exception LGPL-3.0-linking-exception Libtool-exception
    Linux-syscall-note LLVM-exception mif-exception OCaml-LGPL-linking-exception Qt-GPL-exception-1.0
    Qt-LGPL-exception-1.1 Swift-exception u-boot-exception-2.0 Universal-FOSS-exception-1.0
    WxWindows-exception-3.1""".split()
)
_LICENSE_BY_KEY = {i.lower(): i for i in SPDX_LICENSES}
_EXCEPTION_BY_KEY = {i.lower(): i for i in SPDX_EXCEPTIONS}
_IDSTRING = r"[A-Za-z0-9.\-]+"
_LICENSE_REF = re.compile(rf"(?:DocumentRef-{_IDSTRING}:)?LicenseRef-{_IDSTRING}")
_OPERATORS = {"AND", "OR", "WITH", "and", "or", "with"}
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9\-.]*[a-z0-9])?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORGES = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_OWNER_REPO = r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+"


class MalformedWasm(ValueError):
    """The bytes are not a WebAssembly binary whose top-level sections can be walked."""


# --- reading and writing custom sections -------------------------------------------------------------


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


def custom_sections(wasm: bytes) -> list[tuple[str, bytes]]:
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


def read_sections(wasm: bytes) -> dict[str, str]:
    """The metadata sections (:data:`SECTIONS`) at the component's top level; the last wins, as in wash."""
    return {name: data.decode(errors="replace") for name, data in custom_sections(wasm) if name in SECTIONS}


# --- values wash accepts -------------------------------------------------------------------------------


def spdx_expression(raw: str) -> str | None:
    """``raw`` as a canonical SPDX expression wash accepts, or None (unknown, deprecated or malformed).

    A state machine over the tokens: ``operand`` wants a license id or ``(``; ``license`` may be followed
    by WITH, AND/OR, ``)`` or the end; ``closed`` (after ``)`` or an exception) by all of those but WITH.
    Operators are all upper or all lower case, as wash accepts; the result is upper case.
    """
    out: list[str] = []
    state, depth = "operand", 0
    for word in re.findall(r"[()]|[^\s()]+", raw):
        if state == "operand" and word == "(":
            depth += 1
            out.append(word)
        elif state == "operand" and (license_id := _license_id(word)):
            out.append(license_id)
            state = "license"
        elif state == "exception" and (exception := _EXCEPTION_BY_KEY.get(word.lower())):
            out.append(exception)
            state = "closed"
        elif state in {"license", "closed"} and word == ")" and depth > 0:
            depth -= 1
            out.append(word)
            state = "closed"
        elif state in {"license", "closed"} and word in _OPERATORS and word.upper() != "WITH":
            out.append(word.upper())
            state = "operand"
        elif state == "license" and word in _OPERATORS:
            out.append("WITH")
            state = "exception"
        else:
            return None
    if state not in {"license", "closed"} or depth:
        return None
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _license_id(token: str) -> str | None:
    if _LICENSE_REF.fullmatch(token):
        return token
    base, plus = (token[:-1], "+") if token.endswith("+") else (token, "")
    canonical = _LICENSE_BY_KEY.get(base.lower())
    if canonical is None or (plus and canonical.endswith(("-only", "-or-later"))):
        return None
    return canonical + plus


def normalize_url(raw: str) -> str | None:
    """An absolute http(s) URL without credentials, serialised as wash stores it; None if it is not one."""
    text = raw.strip()
    if not text.isascii() or not _URL_CHARS.fullmatch(text):
        return None
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in _DEFAULT_PORTS or "@" in parts.netloc or not _HOST.fullmatch(host):
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{scheme}://{netloc}{parts.path or '/'}{query}{fragment}"


def repository_url(raw: str) -> str | None:
    """A manifest's repository (``git+https://host/o/r.git``, ``git@host:o/r``, ``github:o/r``, ``o/r``) as https."""
    text = raw.strip()
    if match := re.fullmatch(rf"(?:(github|gitlab|bitbucket):)?({_OWNER_REPO})", text):
        text = f"https://{_FORGES[match.group(1) or 'github']}/{match.group(2)}"
    elif match := re.fullmatch(r"[\w.\-]+@([\w.\-]+):(?!//)(.+)", text):
        text = f"https://{match.group(1)}/{match.group(2)}"
    elif match := re.fullmatch(r"(?:git\+)?(https?|git|ssh|git\+ssh)://(?:[^@/]+@)?([^/@]+)(/.*)", text):
        scheme, host, rest = match.groups()
        if not scheme.startswith("http"):  # a git or ssh port says nothing about the web server's
            scheme, host = "https", host.split(":")[0]
        text = f"{scheme}://{host}{rest}"
    text = text.rstrip("/").removesuffix(".git").rstrip("/")
    return normalize_url(text)


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


# --- where values come from ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestValues:
    """What a project's manifest says, keyed by section name; ``warnings`` name what was left out."""

    manifest: Path | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def from_manifests(project: Path) -> ManifestValues:
    """Values from the first manifest in :data:`MANIFESTS` found in ``project``; never raises on its content."""
    for name in MANIFESTS:
        path = project / name
        if path.is_file():
            return _read_manifest(path)
    return ManifestValues()


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


def embed(path: Path, values: Mapping[str, str]) -> dict[str, str]:
    """Append the sections ``path`` lacks (atomically); return those added. Raises ValueError on a bad value."""
    wasm = path.read_bytes()
    existing = read_sections(wasm)
    added = {name: value for name, value in values.items() if name not in existing}
    problems = [problem for name, value in added.items() if (problem := check(name, value))]
    if problems:
        raise ValueError("; ".join(problems))
    if not added:
        return {}
    tail = b"".join(custom_section(name, value.encode()) for name, value in added.items())
    _replace(path, wasm + tail)
    return added


def _replace(path: Path, data: bytes) -> None:
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


# --- manifests ---------------------------------------------------------------------------------------


class _Collector:
    """Accumulates checked values and the warnings for what had to be left out."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest
        self.values: dict[str, str] = {}
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.manifest.name}: {message}")

    def add(self, name: str, value: str | None, label: str) -> None:
        if value is None or not value.strip():
            return
        value = value.strip()
        if name == "licenses":
            canonical = spdx_expression(value)
            if canonical is None:
                self.warn(
                    f"{label} {value!r} is not an SPDX expression of known, current license ids "
                    "(e.g. 'MIT OR Apache-2.0', 'GPL-3.0-only'), so it is not embedded: wash would "
                    "refuse to push the component"
                )
                return
            value = canonical
        elif name in {"homepage", "source"}:
            url = (repository_url if name == "source" else normalize_url)(value)
            if url is None:
                self.warn(f"{label} {value!r} is not an absolute http(s) URL, so it is not embedded")
                return
            value = url
        self.values.setdefault(name, value)

    def string(self, table: Mapping[str, Any], key: str, label: str) -> str | None:
        value = table.get(key)
        if value is None or isinstance(value, str):
            return value
        self.warn(f"{label} is not a string; ignored")
        return None

    def result(self) -> ManifestValues:
        return ManifestValues(self.manifest, dict(self.values), tuple(self.warnings))


def _read_manifest(path: Path) -> ManifestValues:
    out = _Collector(path)
    readers: dict[str, Callable[[Path, _Collector], None]] = {
        "Cargo.toml": _cargo,
        "package.json": _package_json,
        "pyproject.toml": _pyproject,
        "go.mod": _go_mod,
    }
    try:
        readers[path.name](path, out)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        out.warn(f"cannot be read ({exc}); no metadata taken from it")
    return out.result()


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _cargo(path: Path, out: _Collector) -> None:
    package = _table(tomllib.loads(path.read_text()).get("package"))
    workspace: Mapping[str, Any] | None = None
    fields = {
        "version": "version",
        "license": "licenses",
        "description": "description",
        "authors": "authors",
        "homepage": "homepage",
        "repository": "source",
    }
    for key, name in fields.items():
        value = package.get(key)
        if isinstance(value, dict) and value.get("workspace") is True:
            if workspace is None:
                workspace = _cargo_workspace_package(path.parent)
            if key not in workspace:
                out.warn(f"package.{key} is inherited from a workspace whose [workspace.package] has none; skipped")
                continue
            value = workspace[key]
        if key == "authors":
            value = _join_names(value, out, "package.authors")
        elif not (value is None or isinstance(value, str)):
            out.warn(f"package.{key} is not a string; ignored")
            continue
        if key == "license" and isinstance(value, str) and "/" in value:
            value = value.replace("/", " OR ")  # Cargo's legacy separator, read by crates.io as OR
        out.add(name, value, f"package.{key}")


def _cargo_workspace_package(start: Path) -> Mapping[str, Any]:
    """``[workspace.package]`` of the nearest Cargo.toml, from the crate's own upwards, that has [workspace]."""
    for directory in (start, *start.parents):
        candidate = directory / "Cargo.toml"
        if candidate.is_file():
            try:
                workspace = tomllib.loads(candidate.read_text()).get("workspace")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return {}
            if isinstance(workspace, dict):
                return _table(workspace.get("package"))
    return {}


def _join_names(value: object, out: _Collector, label: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(v.strip() for v in value if v.strip())
    out.warn(f"{label} is not a list of strings; ignored")
    return None


def _person(value: object) -> str | None:
    """npm's ``"Name <email> (url)"`` string or ``{name, email}``; pyproject's ``{name, email}``."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        name = str(value.get("name") or "").strip()
        email = str(value.get("email") or "").strip()
        if name and email:
            return f"{name} <{email}>"
        return name or email or None
    return None


def _package_json(path: Path, out: _Collector) -> None:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        out.warn("is not a JSON object; no metadata taken from it")
        return
    out.add("version", out.string(data, "version", "version"), "version")
    license_ = data.get("license")
    if isinstance(license_, dict):  # the legacy {"type": "MIT", "url": …} form
        license_ = license_.get("type")
    out.add("licenses", license_ if isinstance(license_, str) else None, "license")
    out.add("description", out.string(data, "description", "description"), "description")
    people = [data["author"]] if data.get("author") else data.get("contributors")
    names = [p for p in map(_person, people) if p] if isinstance(people, list) else []
    out.add("authors", ", ".join(names) or None, "author")
    out.add("homepage", out.string(data, "homepage", "homepage"), "homepage")
    repository = data.get("repository")
    if isinstance(repository, dict):
        repository = repository.get("url")
    out.add("source", repository if isinstance(repository, str) else None, "repository")


_PYPROJECT_URLS = {
    "homepage": "homepage",
    "home": "homepage",
    "source": "source",
    "sourcecode": "source",
    "repository": "source",
    "repo": "source",
    "code": "source",
    "github": "source",
}


def _pyproject(path: Path, out: _Collector) -> None:
    project = _table(tomllib.loads(path.read_text()).get("project"))
    out.add("version", out.string(project, "version", "project.version"), "project.version")
    license_ = project.get("license")
    if isinstance(license_, dict):  # PEP 621's {text = "…"}; {file = "…"} has no expression to embed
        license_ = license_.get("text")
    out.add("licenses", license_ if isinstance(license_, str) else None, "project.license")
    out.add("description", out.string(project, "description", "project.description"), "project.description")
    authors = project.get("authors")
    names = [p for p in (_person(a) for a in authors) if p] if isinstance(authors, list) else []
    out.add("authors", ", ".join(names) or None, "project.authors")
    for label, url in _table(project.get("urls")).items():
        key = re.sub(r"[\s\-_.]", "", str(label).lower())
        if key in _PYPROJECT_URLS and isinstance(url, str):
            out.add(_PYPROJECT_URLS[key], url, f"project.urls.{label}")


def _go_mod(path: Path, out: _Collector) -> None:
    """go.mod has no version or license; a module on a known forge names its repository."""
    for line in path.read_text().splitlines():
        words = line.split("//")[0].split()
        if len(words) == 2 and words[0] == "module":
            module = words[1].strip('"`')
            match = re.fullmatch(
                rf"(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/({_OWNER_REPO})(/.*)?", module
            )
            if match:
                out.add("source", f"https://{match.group(1)}/{match.group(2)}", "module")
            return
