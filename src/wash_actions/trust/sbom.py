"""A CycloneDX SBOM for a built component, in any language, and the pieces that attest an SBOM.

Where the packages come from, first match wins:

- Rust: cargo-auditable's ``.dep-v0`` custom section read straight from the component (zlib-compressed
  JSON ``{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}``, format of
  rust-secure-code/cargo-auditable ``cargo-auditable.schema.json``/``PARSING.md``), else ``Cargo.lock``;
- JavaScript: ``package-lock.json`` (lockfile v2/v3 ``packages`` map);
- Python (componentize-py projects): ``uv.lock``, ``pylock.toml`` (PEP 751), ``poetry.lock``, then pinned
  ``requirements.txt`` lines;
- Go: ``go.sum`` (module lines, not the ``/go.mod``-only ones).

For every language the component's ``producers`` sections (tool-conventions ``ProducersSection.md``:
``language``, ``processed-by``, ``sdk``) name what built it; ``sdk`` entries (componentize-py, jco, …) are
also listed as components, since their runtime is inside the component.

The document is built with the standard library (the runtime imports nothing else) and checked in the
tests against the official CycloneDX 1.5/1.6 JSON schemas and read back by cyclonedx-python-lib.

Attestation: :func:`read_sbom` accepts a user's own SPDX or CycloneDX JSON the way actions/attest
(``src/sbom.ts``) does — SPDX when ``spdxVersion`` and ``SPDXID`` are present, CycloneDX when ``bomFormat``,
``serialNumber`` and ``specVersion`` are, at most 16 MiB — read whole and checked before anything is published,
and names the predicate type actions/attest uses (``https://spdx.dev/Document/v<version>``,
``https://cyclonedx.org/bom``); :func:`attest.statement` makes the in-toto Statement v1 of it.
"""

from __future__ import annotations

import base64
import json
import re
import stat
import tomllib
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..component import runtime as component_runtime
from ..component.sections import MalformedWasm, all_custom_sections, read_leb128
from ..errors import ActionError
from . import js_json
from .sbom_inputs import DEFAULT_SPEC_VERSION, SPEC_VERSIONS

DEP_V0 = ".dep-v0"
PRODUCERS = "producers"
# cargo-auditable's PARSING.md: "8 MiB should be more than enough to hold any legitimate audit data".
MAX_AUDIT_DATA = 8 * 1024 * 1024
# actions/attest src/sbom.ts: MAX_SBOM_SIZE_BYTES = 16 * 1024 * 1024.
MAX_SBOM_SIZE = 16 * 1024 * 1024
PREDICATE_CYCLONEDX = "https://cyclonedx.org/bom"
TOOL_NAME = "wash-actions"
LOCKFILES: tuple[str, ...] = (
    "Cargo.lock",
    "package-lock.json",
    "uv.lock",
    "pylock.toml",
    "poetry.lock",
    "requirements.txt",
    "go.sum",
)


class SbomError(ValueError):
    """A source the SBOM is read from is malformed."""


@dataclass(frozen=True)
class Package:
    """One dependency: ``ecosystem`` is the purl type (cargo, npm, pypi, golang)."""

    ecosystem: str
    name: str
    version: str
    purl: str = ""
    scope: str = "required"  # CycloneDX scope: required, optional, excluded (build/dev only)
    hashes: tuple[tuple[str, str], ...] = ()  # (CycloneDX alg, hex)
    depends_on: tuple[str, ...] = ()  # bom-refs
    properties: tuple[tuple[str, str], ...] = ()
    root: bool = False

    @property
    def ref(self) -> str:
        return self.purl or f"{self.ecosystem}:{self.name}@{self.version}"


@dataclass(frozen=True)
class Inventory:
    """What the component is made of, and where that was read (``source``: a section or a file name)."""

    packages: tuple[Package, ...] = ()
    source: str = ""
    producers: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    runtime: component_runtime.Runtime | None = None  # the language runtime and toolchain inside the component


# --- purls (package-url/purl-spec PURL-TYPES) ------------------------------------------------------------


def _segment(text: str) -> str:
    return quote(text, safe="")


def purl(ecosystem: str, name: str, version: str) -> str:
    """``pkg:<type>/<namespace>/<name>@<version>`` with each part percent-encoded, names normalised per type."""
    if ecosystem == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    parts = name.split("/") if ecosystem in {"npm", "golang"} else [name]
    path = "/".join(_segment(p) for p in parts)
    return f"pkg:{ecosystem}/{path}@{_segment(version)}" if version else f"pkg:{ecosystem}/{path}"


# --- wasm custom sections -------------------------------------------------------------------------------


def _string(data: bytes, pos: int) -> tuple[str, int]:
    length, start = read_leb128(data, pos)
    if start + length > len(data):
        raise MalformedWasm("producers string runs past its section")
    return data[start : start + length].decode(errors="replace"), start + length


def parse_producers(data: bytes) -> dict[str, list[tuple[str, str]]]:
    """A ``producers`` section: ``vec(field name, vec(value name, version))`` (WebAssembly tool-conventions)."""
    fields: dict[str, list[tuple[str, str]]] = {}
    count, pos = read_leb128(data, 0)
    for _ in range(count):
        field_name, pos = _string(data, pos)
        values, pos = read_leb128(data, pos)
        for _ in range(values):
            name, pos = _string(data, pos)
            version, pos = _string(data, pos)
            fields.setdefault(field_name, []).append((name, version))
    return fields


def producers(wasm: bytes, sections: list[tuple[str, bytes]] | None = None) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every ``producers`` section of the component and its nested modules, merged, duplicates dropped."""
    merged: dict[str, list[tuple[str, str]]] = {}
    for name, data in all_custom_sections(wasm) if sections is None else sections:
        if name != PRODUCERS:
            continue
        try:
            fields = parse_producers(data)
        except MalformedWasm:
            continue  # a broken producers section says nothing; the SBOM does not depend on it
        for key, values in fields.items():
            bucket = merged.setdefault(key, [])
            bucket.extend(v for v in values if v not in bucket)
    return {key: tuple(values) for key, values in merged.items()}


def audit_data(wasm: bytes) -> bytes | None:
    """The raw ``.dep-v0`` section (the first, at any depth), or None when the build was not auditable."""
    return next((data for name, data in all_custom_sections(wasm) if name == DEP_V0), None)


# --- Rust -----------------------------------------------------------------------------------------------


def _cargo_source(source: object) -> str:
    other = source.get("Other") if isinstance(source, dict) else None
    return other if isinstance(other, str) else str(source)


def _cargo_purl(name: str, version: str, source: str) -> str:
    return purl("cargo", name, version) if source.lower() in {"crates.io", "cratesio"} else ""


def from_dep_v0(data: bytes) -> tuple[Package, ...]:
    """cargo-auditable's embedded dependency list: decompressed with a size cap, checked, edges kept."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, MAX_AUDIT_DATA)
    except zlib.error as exc:
        raise SbomError(f".dep-v0 is not zlib data ({exc})") from None
    if inflater.unconsumed_tail:
        raise SbomError(f".dep-v0 inflates to more than {MAX_AUDIT_DATA} bytes")
    try:
        doc = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SbomError(f".dep-v0 is not UTF-8 JSON ({exc})") from None
    entries = doc.get("packages") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SbomError('.dep-v0 has no "packages" list')
    refs: list[str] = []
    for entry in entries:
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            raise SbomError(".dep-v0 has a package without a name or version")
        source = _cargo_source(entry.get("source", ""))
        refs.append(_cargo_purl(name, version, source) or f"cargo:{name}@{version}")
    if len(set(refs)) != len(refs):
        refs = [f"{ref}#{index}" if refs.count(ref) > 1 else ref for index, ref in enumerate(refs)]
    packages = []
    for index, entry in enumerate(entries):
        deps = entry.get("dependencies") or []
        if not isinstance(deps, list) or not all(isinstance(d, int) and 0 <= d < len(entries) for d in deps):
            raise SbomError(f".dep-v0 package {entry['name']} names a dependency that is not in the list")
        source = _cargo_source(entry.get("source", ""))
        packages.append(
            Package(
                ecosystem="cargo",
                name=entry["name"],
                version=entry["version"],
                purl=_cargo_purl(entry["name"], entry["version"], source),
                scope="excluded" if entry.get("kind") == "build" else "required",
                depends_on=tuple(dict.fromkeys(refs[d] for d in deps if d != index)),
                properties=(("cargo:source", source),),
                root=entry.get("root") is True,
            )
        )
    if sum(p.root for p in packages) > 1:
        raise SbomError(".dep-v0 names more than one root package")
    return tuple(packages)


def from_cargo_lock(text: str, root_name: str = "") -> tuple[Package, ...]:
    """``Cargo.lock`` (v1 to v4): every ``[[package]]``; local ones (no ``source``) carry no purl."""
    try:
        entries = tomllib.loads(text).get("package", [])
    except tomllib.TOMLDecodeError as exc:
        raise SbomError(f"Cargo.lock is not TOML ({exc})") from None
    if not isinstance(entries, list):
        raise SbomError("Cargo.lock has no [[package]] list")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("version"), str):
            by_name.setdefault(entry["name"], []).append(entry)

    def ref(entry: Mapping[str, Any]) -> str:
        source = str(entry.get("source", ""))
        if source.startswith("registry+https://github.com/rust-lang/crates.io-index") or source.startswith(
            "sparse+https://index.crates.io/"
        ):
            return purl("cargo", entry["name"], entry["version"])
        return f"cargo:{entry['name']}@{entry['version']}"

    def resolve(spec: str) -> str | None:
        words = spec.split()
        candidates = by_name.get(words[0], [])
        if len(words) > 1:
            candidates = [c for c in candidates if c["version"] == words[1]]
        return ref(candidates[0]) if candidates else None

    packages = []
    for candidates in by_name.values():
        for entry in candidates:
            deps = entry.get("dependencies", [])
            depends = [r for d in deps if isinstance(d, str) and (r := resolve(d))] if isinstance(deps, list) else []
            checksum = entry.get("checksum")
            reference = ref(entry)
            packages.append(
                Package(
                    ecosystem="cargo",
                    name=entry["name"],
                    version=entry["version"],
                    purl=reference if reference.startswith("pkg:") else "",
                    hashes=(("SHA-256", checksum),) if isinstance(checksum, str) else (),
                    depends_on=tuple(dict.fromkeys(depends)),
                    properties=(("cargo:source", str(entry.get("source", "local"))),),
                    root=bool(root_name) and entry["name"] == root_name and "source" not in entry,
                )
            )
    return tuple(packages)


# --- JavaScript -----------------------------------------------------------------------------------------


def _sri_hashes(integrity: object) -> tuple[tuple[str, str], ...]:
    algs = {"sha512": "SHA-512", "sha384": "SHA-384", "sha256": "SHA-256", "sha1": "SHA-1"}
    found = []
    for item in str(integrity or "").split():
        alg, _, b64 = item.partition("-")
        if alg in algs and b64:
            try:
                found.append((algs[alg], base64.b64decode(b64, validate=True).hex()))
            except ValueError:
                continue
    return tuple(found)


def from_package_lock(text: str) -> tuple[Package, ...]:
    """npm's ``package-lock.json`` v2/v3: the ``packages`` map; dev-only packages are scope ``excluded``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SbomError(f"package-lock.json is not JSON ({exc})") from None
    entries = doc.get("packages") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise SbomError('package-lock.json has no "packages" map (lockfile v1 is not read; run npm install once)')
    packages = []
    for key, entry in entries.items():
        if not key or not isinstance(entry, dict) or entry.get("link") or not isinstance(entry.get("version"), str):
            continue
        stated, version = entry.get("name"), entry["version"]
        name = stated if isinstance(stated, str) else key.rsplit("node_modules/", 1)[-1]
        packages.append(
            Package(
                ecosystem="npm",
                name=name,
                version=version,
                purl=purl("npm", name, version),
                scope="excluded" if entry.get("dev") else ("optional" if entry.get("optional") else "required"),
                hashes=_sri_hashes(entry.get("integrity")),
            )
        )
    return tuple(_unique(packages))


# --- Python ---------------------------------------------------------------------------------------------


def _pypi(name: str, version: str, properties: tuple[tuple[str, str], ...] = ()) -> Package:
    return Package("pypi", name, version, purl=purl("pypi", name, version), properties=properties)


def from_python_lock(name: str, text: str) -> tuple[Package, ...]:
    """``uv.lock``, ``pylock.toml`` and ``poetry.lock`` (TOML), or ``name==version`` lines of requirements."""
    if name == "requirements.txt":
        found = []
        for line in text.splitlines():
            line = line.split(" #")[0].split(";")[0].strip().rstrip("\\").strip()
            if match := re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s,]+)", line):
                found.append(_pypi(match.group(1), match.group(2)))
        return tuple(_unique(found))
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SbomError(f"{name} is not TOML ({exc})") from None
    entries = doc.get("packages" if name == "pylock.toml" else "package", [])
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        version = entry.get("version")
        source = entry.get("source")
        if name == "uv.lock" and isinstance(source, dict) and ("editable" in source or "virtual" in source):
            continue  # the project itself
        if isinstance(version, str):
            found.append(_pypi(entry["name"], version))
    return tuple(_unique(found))


# --- Go -------------------------------------------------------------------------------------------------


def from_go_sum(text: str) -> tuple[Package, ...]:
    """``go.sum``: one package per module version whose content was hashed (``/go.mod``-only lines skipped)."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) == 3 and not words[1].endswith("/go.mod"):
            module, version, h1 = words
            # h1: is go's dirhash (SHA-256 over the module's file list), not a hash of one file: a property
            found.append(
                Package(
                    "golang", module, version, purl=purl("golang", module, version), properties=(("golang:h1", h1),)
                )
            )
    return tuple(_unique(found))


def _unique(packages: Iterable[Package]) -> list[Package]:
    seen: dict[str, Package] = {}
    for package in packages:
        seen.setdefault(package.ref, package)
    return list(seen.values())


# --- finding the sources --------------------------------------------------------------------------------


def find_lockfile(project: Path, stop: Path | None = None) -> Path | None:
    """The first of :data:`LOCKFILES` in ``project`` or a parent directory up to ``stop`` (a workspace root)."""
    project = project.resolve()
    limit = stop.resolve() if stop else None
    if limit is not None and limit != project and limit not in project.parents:
        limit = None  # a boundary that does not contain the project: look in the project only
    for directory in (project, *project.parents):
        for name in LOCKFILES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        if directory == limit or limit is None:
            break
    return None


def from_lockfile(path: Path, root_name: str = "") -> tuple[Package, ...]:
    """The packages a lock file names: Cargo.lock, package-lock.json, go.sum or a Python lock."""
    text = path.read_text(encoding="utf-8")
    if path.name == "Cargo.lock":
        return from_cargo_lock(text, root_name)
    if path.name == "package-lock.json":
        return from_package_lock(text)
    if path.name == "go.sum":
        return from_go_sum(text)
    return from_python_lock(path.name, text)


def inventory(wasm: bytes, project: Path | None = None, stop: Path | None = None, root_name: str = "") -> Inventory:
    """The component's packages: ``.dep-v0`` first, else the project's lock file; its producers; the language
    runtime and toolchain inside it (:mod:`component_runtime`)."""
    sections = all_custom_sections(wasm)
    made_by = producers(wasm, sections)
    modules = component_runtime.module_names(data for name, data in sections if name == "name")
    runtime = component_runtime.detect(wasm, made_by, modules)
    data = next((data for name, data in sections if name == DEP_V0), None)
    if data is not None:
        return Inventory(from_dep_v0(data), DEP_V0, made_by, runtime)
    if project is not None and (lockfile := find_lockfile(project, stop)):
        return Inventory(tuple(from_lockfile(lockfile, root_name)), lockfile.name, made_by, runtime)
    return Inventory((), "", made_by, runtime)


# --- the CycloneDX document -----------------------------------------------------------------------------


def _component(package: Package) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "library", "bom-ref": package.ref, "name": package.name}
    if package.version:
        out["version"] = package.version
    if package.scope != "required":
        out["scope"] = package.scope
    if package.hashes:
        out["hashes"] = [{"alg": alg, "content": content} for alg, content in package.hashes]
    if package.purl:
        out["purl"] = package.purl
    if package.properties:
        out["properties"] = [{"name": k, "value": v} for k, v in package.properties]
    return out


def document(
    wasm: bytes,
    found: Inventory,
    *,
    name: str,
    version: str = "",
    spec_version: str = DEFAULT_SPEC_VERSION,
    serial: uuid.UUID | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A CycloneDX JSON document whose subject is the component (its SHA-256), listing ``found``'s packages.

    The root package of ``.dep-v0`` (or the project's own lock entry) becomes the subject's identity; its
    direct dependencies hang from the subject. The serial number and time default to fresh ones.
    """
    if spec_version not in SPEC_VERSIONS:
        raise ValueError(f"CycloneDX {spec_version} is not supported (one of {', '.join(SPEC_VERSIONS)})")
    roots = [p for p in found.packages if p.root]
    root = roots[0] if roots else None
    subject_ref = f"component:{name}"
    subject: dict[str, Any] = {"type": "application", "bom-ref": subject_ref, "name": name}
    if version or (root and root.version):
        subject["version"] = version or (root.version if root else "")
    subject["hashes"] = [{"alg": "SHA-256", "content": sha256(wasm).hexdigest()}]
    runtime = found.runtime or component_runtime.Runtime("", (), ())
    properties = [{"name": "wasm:language", "value": runtime.language}] if runtime.language else []
    if found.source:
        properties.append({"name": "wasm:source", "value": found.source})
    for key in ("language", "processed-by", "sdk"):
        for tool, tool_version in found.producers.get(key, ()):
            properties.append({"name": f"wasm:producers:{key}", "value": f"{tool} {tool_version}".strip()})
    if properties:
        subject["properties"] = properties

    packages = [p for p in found.packages if p is not root]
    inside = {e.name for e in runtime.embedded}
    sdk = [Package("generic", tool, v, purl="") for tool, v in found.producers.get("sdk", ()) if tool not in inside]
    refs = {p.ref for p in packages}
    sdk = [p for p in sdk if p.ref not in refs]
    components = [_component(p) for p in (*packages, *sdk)]
    for item in components[len(packages) :]:
        item["type"] = "framework"
        item["bom-ref"] = f"sdk:{item['name']}@{item.get('version', '')}"
    by_purl = {c["purl"]: c for c in components if c.get("purl")}
    for piece in runtime.embedded:
        evidence = {"name": "wasm:embedded", "value": f"{piece.kind}: {piece.evidence}"}
        if piece.purl in by_purl:  # the lock file lists it (as a dev dependency): it is inside all the same
            listed = by_purl[piece.purl]
            listed.pop("scope", None)
            listed.setdefault("properties", []).append(evidence)
            continue
        made: dict[str, Any] = {"type": "framework", "bom-ref": piece.purl, "name": piece.name}
        if piece.version:
            made["version"] = piece.version
        if piece.cpe:
            made["cpe"] = piece.cpe
        made["purl"] = piece.purl
        made["properties"] = [evidence]
        components.append(made)
        by_purl[piece.purl] = made

    def remap(ref: str) -> str:
        return subject_ref if root is not None and ref == root.ref else ref

    if root is not None:
        direct = [remap(r) for r in root.depends_on]
    else:
        depended = {r for p in packages for r in p.depends_on}
        direct = [p.ref for p in packages if p.ref not in depended]
    direct += [c["bom-ref"] for c in components[len(packages) :]]
    direct += [by_purl[piece.purl]["bom-ref"] for piece in runtime.embedded]
    dependencies = [{"ref": subject_ref, "dependsOn": list(dict.fromkeys(direct))}]
    dependencies += [
        {"ref": p.ref, "dependsOn": list(dict.fromkeys(remap(r) for r in p.depends_on))}
        for p in packages
        if p.depends_on
    ]
    # the toolchain that made the component (producers processed-by), beside the tool that wrote this document
    tools = [
        {"type": "application", "name": tool, **({"version": tool_version} if tool_version else {})}
        for tool, tool_version in runtime.tools
    ]
    when = (timestamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec_version}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec_version,
        "serialNumber": (serial or uuid.uuid4()).urn,
        "version": 1,
        "metadata": {
            "timestamp": when.isoformat().replace("+00:00", "Z"),
            "tools": {"components": [{"type": "application", "name": TOOL_NAME, "version": __version__}, *tools]},
            "component": subject,
        },
        "components": components,
        "dependencies": dependencies,
    }


def write(path: Path, doc: Mapping[str, Any]) -> Path:
    """Write the SBOM as indented JSON, creating the directory; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- attesting an SBOM (actions/attest src/sbom.ts) ---------------------------------------------------


@dataclass(frozen=True)
class Sbom:
    format: str  # "spdx" or "cyclonedx"
    predicate_type: str
    document: Mapping[str, Any]
    predicate: str  # the document as JSON.stringify writes it: the predicate's bytes in the signed statement


_SPDX_VERSION = re.compile(r"SPDX-(\d+\.\d+)")


def classify(doc: object) -> Sbom:
    """SPDX (``spdxVersion`` and ``SPDXID``) before CycloneDX (``bomFormat``, ``serialNumber``, ``specVersion``),
    as actions/attest tells them apart, with the types their JSON schemas give those fields; the predicate
    written once, here, so that nothing about the document can fail once publishing has begun."""
    if not isinstance(doc, dict):
        raise SbomError(f"a JSON {_json_kind(doc)}, not an SPDX or CycloneDX JSON document (an object)")
    if doc.get("spdxVersion") and doc.get("SPDXID"):
        version = doc["spdxVersion"]
        match = _SPDX_VERSION.fullmatch(version) if isinstance(version, str) else None
        if match is None:
            raise SbomError(
                f"an SPDX document whose spdxVersion {_shown(version)} is not of the form SPDX-<major.minor>"
            )
        if not isinstance(doc["SPDXID"], str):
            raise SbomError(f"an SPDX document whose SPDXID is a JSON {_json_kind(doc['SPDXID'])}, not a string")
        return _sbom("spdx", f"https://spdx.dev/Document/v{match[1]}", doc)
    if doc.get("bomFormat") and doc.get("serialNumber") and doc.get("specVersion"):
        if doc["bomFormat"] != "CycloneDX":
            raise SbomError(f'a document whose bomFormat is {_shown(doc["bomFormat"])}, not "CycloneDX"')
        for key in ("specVersion", "serialNumber"):
            if not isinstance(doc[key], str):
                raise SbomError(f"a CycloneDX document whose {key} is a JSON {_json_kind(doc[key])}, not a string")
        return _sbom("cyclonedx", PREDICATE_CYCLONEDX, doc)
    raise SbomError(
        "not an SPDX JSON document (spdxVersion and SPDXID) nor a CycloneDX JSON document "
        "(bomFormat, serialNumber and specVersion)"
    )


def _sbom(kind: str, predicate_type: str, doc: Mapping[str, Any]) -> Sbom:
    try:
        return Sbom(kind, predicate_type, doc, js_json.stringify(doc))
    except js_json.JsonError as exc:
        raise SbomError(f"a document that cannot be written as JSON: {exc}") from None


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _shown(value: object) -> str:
    text = js_json.stringify(value) if not isinstance(value, dict | list) else _json_kind(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_sbom(path: Path) -> Sbom:
    """A user's ``sbom-path``, read whole and checked before anything is published: one clear ActionError when it
    is missing, not a regular file, too large, not UTF-8, not JSON (or JSON that cannot be signed as Unicode
    text: lone surrogates, ``NaN``, numbers beyond a double, nesting beyond :data:`js_json.MAX_DEPTH`) or
    neither format."""
    fix = "with:\n  sbom-path: sbom.spdx.json   # SPDX 2.x or CycloneDX JSON, at most 16 MiB"
    try:
        regular = stat.S_ISREG(path.stat().st_mode)  # not a FIFO or a device, whose reading could block
        if regular:
            with path.open("rb") as handle:  # at most one byte more than allowed, even if the file grows meanwhile
                raw = handle.read(MAX_SBOM_SIZE + 1)
    except OSError as exc:
        regular, reason = False, str(exc.strerror or exc)
    else:
        reason = "It is a directory" if path.is_dir() else "It is not a regular file"
    if not regular:
        raise ActionError(
            what=f"sbom-path {str(path)!r} cannot be read",
            why=f"{reason}. The path is relative to the workspace.",
            fix=fix,
            docs="#sbom",
        )
    if len(raw) > MAX_SBOM_SIZE:
        raise ActionError(
            what=f"sbom-path {str(path)!r} is larger than {MAX_SBOM_SIZE} bytes",
            why=f"GitHub's attestations take SBOMs of at most {MAX_SBOM_SIZE} bytes (as actions/attest checks).",
            fix="Attest a smaller SBOM, or leave sbom-path empty to attest the one publish makes.",
            docs="#sbom",
        )
    only = "Only the JSON forms of SPDX and CycloneDX, as UTF-8 text, can be attested."
    try:
        return classify(js_json.parse(raw.decode("utf-8")))
    except UnicodeDecodeError as exc:
        why = f"It is not UTF-8 text (byte {exc.start}: {exc.reason}). {only}"
    except js_json.JsonError as exc:
        why = f"{str(exc)[:1].upper()}{str(exc)[1:]}. {only}"
    except SbomError as exc:
        why = f"It is {exc}."
    raise ActionError(what=f"sbom-path {str(path)!r} is not an SBOM", why=why, fix=fix, docs="#sbom")
