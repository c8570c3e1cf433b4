"""workload_manifests: workloads from the documents, image references, artifact://, the stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.workload import manifests, yaml_source

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "wasmcloud-samples"


def read(*names: str) -> manifests.Manifests:
    return manifests.read([yaml_source.read_file(SAMPLES / n, name=n) for n in names])


def test_the_samples_as_workloads() -> None:
    found = read("blobby.yaml", "service_deployment.yaml", "hpa.yaml")
    assert [(w.kind, w.name, w.file, w.line) for w in found.workloads] == [
        ("WorkloadDeployment", "blobby", "blobby.yaml", 1),
        ("WorkloadDeployment", "hello-workload", "service_deployment.yaml", 18),
    ]
    blobby = found.workloads[0]
    assert [(c.name, c.line, c.allowed_hosts) for c in blobby.components] == [("test", 30, None)]
    assert [(d.entry.text, d.position, d.line) for d in blobby.declared] == [
        ("wasi:http/incoming-handler", 0, 10),
        ("wasi:blobstore/blobstore@0.2.0-draft", 1, 17),
        ("wasi:logging/logging@0.1.0-draft", 2, 24),
    ]
    assert found.skipped == (
        "service_deployment.yaml:1 Service hello-workload",
        "hpa.yaml:9 HorizontalPodAutoscaler hello",
    )


ARTIFACT = """\
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: WorkloadDeployment
metadata: {name: app}
spec:
  artifacts:
    - name: main
      artifactFrom: {name: main-release}
  template:
    spec:
      components:
        - name: main
          image: artifact://main
        - name: other
          image: artifact://nothing
---
apiVersion: runtime.wasmcloud.dev/v1alpha1
kind: Artifact
metadata: {name: main-release}
spec: {image: "ghcr.io/org/main:2.0"}
"""


def test_artifact_references_resolve_as_the_operator_does() -> None:
    found = manifests.read([yaml_source.load(ARTIFACT, name="a.yaml")])
    (workload,) = found.workloads
    main, other = workload.components
    image, via = manifests.image_of(workload, main, found.artifacts)
    assert image == "ghcr.io/org/main:2.0"
    assert via == "artifact://main → Artifact main-release (a.yaml:19)"
    with pytest.raises(ActionError, match=r"a\.yaml:13: component other names 'artifact://nothing'"):
        manifests.image_of(workload, other, found.artifacts)
    with pytest.raises(ActionError, match="which no manifest defines"):
        manifests.image_of(workload, main, {})


@pytest.mark.parametrize(
    ("chosen", "stem", "expected"),
    [("", "blobby-rust", "test"), ("", "test", "test"), ("", "unrelated", None), ("test", "", "test"), ("", "", None)],
)
def test_the_stand_in(chosen: str, stem: str, expected: str | None) -> None:
    found = read("blobby.yaml")
    assert manifests.stand_in(found.workloads, chosen, stem) == expected


def test_the_stand_in_must_be_chosen_when_ambiguous() -> None:
    found = read("deployment.yaml", "blobby.yaml")
    workloads = [
        found.workloads[0],
        found.workloads[1]._replace(
            components=(found.workloads[1].components[0]._replace(name="http-hello-world-rust"),)
        ),
    ]
    with pytest.raises(ActionError, match="manifest-component is required"):
        manifests.stand_in(workloads, "", "http-hello-world-rust")


def test_a_workloads_service_is_bound_with_its_components() -> None:
    text = (
        "apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: Workload\nmetadata: {name: w}\nspec:\n"
        "  components:\n    - {name: api, image: ghcr.io/o/api:1}\n"
        "  service:\n    image: ghcr.io/o/svc:1\n    localResources: {allowedHosts: ['*']}\n"
    )
    (workload,) = manifests.read([yaml_source.load(text, name="w.yaml")]).workloads
    assert [(c.name, c.image, c.line, c.allowed_hosts) for c in workload.components] == [
        ("api", "ghcr.io/o/api:1", 6, None),
        ("(service)", "ghcr.io/o/svc:1", 8, ("*",)),
    ]
