"""admission: the vendored CRD schemas are the chart's, and what they refuse agrees with jsonschema (the oracle)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from wash_actions.workload import admission, yaml_source

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "tests" / "fixtures" / "wasmcloud-crds"
SAMPLES = ROOT / "tests" / "fixtures" / "wasmcloud-samples"


@cache
def chart_schemas() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        found[crd["spec"]["names"]["kind"]] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return found


def _without_descriptions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_descriptions(v) for k, v in value.items() if k != "description"}
    if isinstance(value, list):
        return [_without_descriptions(v) for v in value]
    return value


def test_the_vendored_schemas_are_the_charts() -> None:
    vendored = admission.crds()
    assert {kind: spec["schema"] for kind, spec in vendored["kinds"].items()} == {
        kind: _without_descriptions(schema) for kind, schema in chart_schemas().items()
    }
    assert vendored["source"]["commit"] == "7cd553cc57cfb5a64717d76b11ddeea2cd8c0a8b"
    assert all(path.startswith("charts/runtime-operator/crds/") for path in vendored["source"]["paths"])


def test_every_cel_rule_of_the_schemas_has_an_implementation() -> None:
    rules: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            rules.update(rule["rule"] for rule in node.get("x-kubernetes-validations", ()))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(chart_schemas())
    assert rules and rules <= set(admission.RULES)


def strict(schema: Any) -> Any:
    """The schema as kubectl's strict field validation applies it: unknown fields refused."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
        if "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def oracle(data: dict[str, Any]) -> set[str]:
    """The paths jsonschema refuses, in admission's notation."""
    schema = strict(chart_schemas()[data["kind"]])
    paths = set()
    for error in jsonschema.Draft7Validator(schema).iter_errors(data):
        path = list(error.absolute_path)
        if error.validator == "required":
            path.append(error.message.split("'")[1])
        if error.validator == "additionalProperties":
            path.append(error.message.split("'")[1])
        out = ""
        for part in path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        paths.add(out)
    return paths


def documents() -> list[tuple[str, int]]:
    found = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        for number, data in enumerate(yaml.safe_load_all(path.read_text())):
            if data and data.get("apiVersion", "").startswith("runtime.wasmcloud.dev/"):
                found.append((path.name, number))
    return found


def sample(name: str, number: int) -> dict[str, Any]:
    return list(yaml.safe_load_all((SAMPLES / name).read_text()))[number]


def _template(data: dict[str, Any]) -> dict[str, Any]:
    return data["spec"]["template"]["spec"] if "template" in data["spec"] else data["spec"]


MUTATIONS = {
    "as-is": lambda d: None,
    "image-missing": lambda d: _template(d)["components"][0].pop("image"),
    "interfaces-empty": lambda d: _template(d)["hostInterfaces"][0].update(interfaces=[]),
    "name-pattern": lambda d: _template(d)["hostInterfaces"][0].update(name="Not_Valid"),
    "namespace-too-long": lambda d: _template(d)["hostInterfaces"][0].update(namespace="w" * 129),
    "replicas-a-string": lambda d: d["spec"].update(replicas="one"),
    "unknown-field": lambda d: _template(d)["components"][0].update(imageTag="1.0"),
    "components-not-a-list": lambda d: _template(d).update(components={"name": "x"}),
    "too-many-interfaces": lambda d: _template(d).update(
        hostInterfaces=[{"namespace": "wasi", "package": f"p{i}", "interfaces": ["x"]} for i in range(65)]
    ),
    "port-pattern": lambda d: (
        _template(d)["components"][0].update(localResources={"allowedHosts": ["*"]})
        or _template(d)["components"][0]["localResources"].update(ports=["http"])
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize(("name", "number"), documents())
def test_admission_agrees_with_jsonschema_on_the_samples(name: str, number: int, mutation: str) -> None:
    data = copy.deepcopy(sample(name, number))
    MUTATIONS[mutation](data)
    text = yaml.safe_dump(data, sort_keys=False)
    document = yaml_source.load(text, name=name).documents[0]
    mine = {v.path for v in admission.validate(document)}
    assert mine == oracle(data)
    assert (mutation == "as-is") == (not mine)


@pytest.mark.parametrize(
    ("entries", "message", "index"),
    [
        (
            [{"namespace": "wasi", "package": "kv", "interfaces": ["a"]}] * 2,
            "must not contain duplicate entries",
            0,
        ),
        (
            [
                {"namespace": "wasi", "package": "kv", "interfaces": ["a"]},
                {"namespace": "wasi", "package": "kv", "interfaces": ["b"], "version": "0.2.0"},
            ],
            "at most one unnamed hostInterface",
            0,
        ),
    ],
)
def test_the_cel_rules_name_the_offending_entry_and_its_line(entries: list[Any], message: str, index: int) -> None:
    data = sample("deployment.yaml", 0)
    _template(data)["hostInterfaces"] = entries
    text = yaml.safe_dump(data, sort_keys=False)
    document = yaml_source.load(text, name="d.yaml").documents[0]
    found = admission.validate(document)
    hit = next(v for v in found if message in v.message)
    path = ("spec", "template", "spec", "hostInterfaces", index)
    assert hit.line == document.values[path].line
    assert hit.path == f"spec.template.spec.hostInterfaces[{index}]"


def test_named_entries_of_one_package_pass_the_cel_rules() -> None:
    data = sample("deployment.yaml", 0)
    _template(data)["hostInterfaces"] = [
        {"namespace": "wasi", "package": "keyvalue", "interfaces": ["store"], "name": "cache"},
        {"namespace": "wasi", "package": "keyvalue", "interfaces": ["store"], "name": "sessions"},
        {"namespace": "wasi", "package": "keyvalue", "interfaces": ["store"]},
    ]
    document = yaml_source.load(json.dumps(data), name="d.yaml").documents[0]
    assert admission.validate(document) == []


def test_a_violation_carries_the_line_of_the_value() -> None:
    text = (
        (SAMPLES / "blobby.yaml")
        .read_text()
        .replace("version: 0.2.0-draft", "version: 0.2.0-draft\n          name: Bad_Name")
    )
    document = yaml_source.load(text, name="blobby.yaml").documents[0]
    (violation,) = admission.validate(document)
    assert violation.path == "spec.template.spec.hostInterfaces[1].name"
    assert text.splitlines()[violation.line - 1].strip() == "name: Bad_Name"


def test_another_kind_or_api_version() -> None:
    document = yaml_source.load("apiVersion: v1\nkind: Workload\nmetadata: {name: x}\n", name="x").documents[0]
    assert [v.message for v in admission.validate(document)] == [
        "apiVersion 'v1' is not runtime.wasmcloud.dev/v1alpha1"
    ]
