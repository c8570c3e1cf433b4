"""The four project manifests metadata values are read from: Cargo.toml, package.json, pyproject.toml, go.mod.

Every value is checked the way wash will check it (:mod:`spdx`, :mod:`urls`); what would make the push fail
is left out with a warning. Reading never raises on a manifest's content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from .spdx import spdx_expression
from .urls import OWNER_REPO, normalize_url, repository_url

MANIFESTS: tuple[str, ...] = ("Cargo.toml", "package.json", "pyproject.toml", "go.mod")


class ManifestValues(NamedTuple):
    """What a project's manifest says, keyed by section name; ``warnings`` name what was left out."""

    manifest: Path | None = None
    values: Mapping[str, str] = MappingProxyType({})
    warnings: tuple[str, ...] = ()


def from_manifests(project: Path) -> ManifestValues:
    """Values from the first manifest in :data:`MANIFESTS` found in ``project``; never raises on its content."""
    for name in MANIFESTS:
        path = project / name
        if path.is_file():
            return _read_manifest(path)
    return ManifestValues()


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
    except (OSError, ValueError) as exc:  # ValueError: bad UTF-8, TOML or JSON
        out.warn(f"cannot be read ({exc}); no metadata taken from it")
    return out.result()


def _toml(text: str) -> dict[str, Any]:
    import tomllib  # for TOML manifests only: a step that reads none (publish) starts without it

    return tomllib.loads(text)


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _cargo(path: Path, out: _Collector) -> None:
    package = _table(_toml(path.read_text()).get("package"))
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
                workspace = _toml(candidate.read_text()).get("workspace")
            except (OSError, ValueError):  # bad UTF-8 or TOML
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
    project = _table(_toml(path.read_text()).get("project"))
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
                rf"(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/({OWNER_REPO})(/.*)?", module
            )
            if match:
                out.add("source", f"https://{match.group(1)}/{match.group(2)}", "module")
            return
