"""Admission before the cluster: a wasmCloud manifest checked as the Kubernetes API server checks it.

The schemas are the runtime operator's CRDs (``charts/runtime-operator/crds/runtime.wasmcloud.dev_*.yaml`` of
wasmCloud/wasmCloud, the ``openAPIV3Schema`` of each, vendored in ``data/workload-crds.json`` with their source
paths and commit). What the API server applies to a custom resource, and so what this module applies:

- the structural schema's keywords present in those CRDs: ``type``, ``properties``, ``required``, ``items``,
  ``additionalProperties``, ``minItems``, ``maxItems``, ``maxLength``, ``pattern``, ``minimum``, ``format``
  (``int32``/``int64`` ranges);
- a ``null`` value is pruned (the field counts as absent), as for any field not marked ``nullable``;
- an unknown field is an error, as kubectl's default ``--validate=strict`` field validation makes it;
- the CEL rules (``x-kubernetes-validations``) of ``hostInterfaces``: no two entries with the same namespace,
  package, name and version, and at most one unnamed entry per namespace:package. CEL is not evaluated: each
  rule of the vendored schemas is implemented here by its exact text, and a rule without an implementation
  fails a test.

Every problem carries the line of the offending value (:mod:`yaml_source`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from . import yaml_source

API_VERSION = "runtime.wasmcloud.dev/v1alpha1"
DATA = Path(__file__).resolve().parents[1] / "data" / "workload-crds.json"
LIMITS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
MAX_PROBLEMS = 20
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


class Violation(NamedTuple):
    """One thing the API server would refuse: where (a path and its line) and what."""

    path: str  # spec.template.spec.hostInterfaces[1].interfaces
    line: int
    message: str


@cache
def crds() -> dict[str, Any]:
    """The vendored CRD data: ``source`` (repository, commit, paths) and ``kinds`` (kind -> group, version,
    schema)."""
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def kinds() -> tuple[str, ...]:
    """The kinds the operator defines (Artifact, Workload, WorkloadReplicaSet, WorkloadDeployment)."""
    return tuple(sorted(crds()["kinds"]))


def _text(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the document)"


def _field(x: dict[str, Any], key: str) -> Any:
    return x.get(key) if x.get(key) is not None else ""


def _no_duplicates(items: list[Any]) -> list[int]:
    def key(x: dict[str, Any]) -> tuple[Any, ...]:
        return (x.get("namespace"), x.get("package"), _field(x, "name"), _field(x, "version"))

    keys = [key(x) if isinstance(x, dict) else None for x in items]
    return [i for i, k in enumerate(keys) if keys.count(k) != 1]


def _one_unnamed(items: list[Any]) -> list[int]:
    def unnamed(x: Any) -> bool:
        return isinstance(x, dict) and not x.get("name")

    bad = []
    for i, x in enumerate(items):
        if not unnamed(x):
            continue
        same = [y for y in items if unnamed(y) and (y["namespace"], y["package"]) == (x["namespace"], x["package"])]
        if len(same) != 1:
            bad.append(i)
    return bad


# Each CEL rule of the vendored schemas, by its exact text: the indexes of the items that break it.
RULES: dict[str, Callable[[list[Any]], list[int]]] = {
    "self.all(x, self.exists_one(y, y.__namespace__ == x.__namespace__ && y.__package__ == x.__package__ && "
    "(has(y.name) ? y.name : '') == (has(x.name) ? x.name : '') && (has(y.version) ? y.version : '') == "
    "(has(x.version) ? x.version : '')))": _no_duplicates,
    "self.all(x, (has(x.name) && x.name != '') || self.filter(y, y.__namespace__ == x.__namespace__ && "
    "y.__package__ == x.__package__ && !(has(y.name) && y.name != '')).size() == 1)": _one_unnamed,
}


def validate(document: yaml_source.Document) -> list[Violation]:
    """What the API server would refuse in this document (one of :func:`kinds`), at most :data:`MAX_PROBLEMS`."""
    data = document.data
    found: list[Violation] = []
    kind = data.get("kind") if isinstance(data, dict) else None
    spec = crds()["kinds"].get(kind) if isinstance(kind, str) else None
    if spec is None:
        return [Violation("kind", document.line("kind"), f"{str(kind)[:60]!r} is not a kind of {API_VERSION}")]
    if data.get("apiVersion") != API_VERSION:
        found.append(
            Violation(
                "apiVersion",
                document.line("apiVersion"),
                f"apiVersion {str(data.get('apiVersion'))[:60]!r} is not {API_VERSION}",
            )
        )
    metadata = data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata.get("name"):
        found.append(Violation("metadata.name", document.line("metadata", "name"), "metadata.name is required"))
    _check(spec["schema"], data, (), document, found)
    return found[:MAX_PROBLEMS]


def _check(
    schema: dict[str, Any],
    value: Any,
    path: tuple[str | int, ...],
    document: yaml_source.Document,
    found: list[Violation],
) -> None:
    if len(found) >= MAX_PROBLEMS:
        return

    def bad(message: str, at: tuple[str | int, ...] = path) -> None:
        found.append(Violation(_text(at), document.line(*at), message))

    expected = schema.get("type")
    if expected and not _TYPES[expected](value):
        bad(f"{_text(path)} must be {'an' if expected[0] in 'aeiou' else 'a'} {expected}, not {_kind(value)}")
        return
    if isinstance(value, str):
        limit = schema.get("maxLength")
        if limit is not None and len(value) > limit:
            bad(f"{_text(path)} is {len(value)} characters, more than {limit}")
        pattern = schema.get("pattern")
        if pattern is not None and not re.search(pattern, value):
            bad(f"{_text(path)} {value[:80]!r} does not match {pattern}")
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = LIMITS.get(schema.get("format", ""), (None, None))
        if low is not None and high is not None and not low <= value <= high:
            bad(f"{_text(path)} {value} is out of the {schema['format']} range")
        minimum = schema.get("minimum")
        if minimum is not None and value < minimum:
            bad(f"{_text(path)} {value} is less than {minimum}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            bad(f"{_text(path)} needs at least {schema['minItems']} item{'s' if schema['minItems'] > 1 else ''}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            bad(f"{_text(path)} has {len(value)} items, more than {schema['maxItems']}")
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                _check(items, item, (*path, index), document, found)
        for rule in schema.get("x-kubernetes-validations", ()):
            judge = RULES.get(rule["rule"])
            if judge is None:
                raise KeyError(f"no implementation of the CEL rule {rule['rule']!r}")
            for index in judge(value)[:1]:
                at = (*path, index)
                found.append(Violation(_text(at), document.line(*at), f"{_text(path)}: {rule['message']}"))
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key in schema.get("required", ()):
            if value.get(key) is None:
                bad(f"{_text((*path, key))} is required", (*path, key))
        for key, child in value.items():
            if child is None:  # pruned, as the API server prunes a null
                continue
            at = (*path, key)
            if properties is not None and key in properties:
                _check(properties[key], child, at, document, found)
            elif isinstance(extra, dict):
                _check(extra, child, at, document, found)
            elif properties is not None:
                bad(f"unknown field {_text(at)!r}", at)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")
