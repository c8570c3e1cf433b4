"""wasmCloud workload manifests: the Workload, WorkloadReplicaSet and WorkloadDeployment documents of YAML files,
admitted as the API server would (:mod:`admission`), with their components, host interfaces and artifacts.

A Workload holds its spec at ``spec``; a WorkloadReplicaSet and a WorkloadDeployment at
``spec.template.spec`` (wasmCloud/wasmCloud ``runtime-operator/api/runtime/v1alpha1/*_types.go``, commit
7cd553cc5). A component's ``image`` is an OCI reference (:mod:`image_refs`), or ``artifact://<name>``,
resolved as the operator's ``resolveArtifacts`` does: the WorkloadDeployment's ``spec.artifacts[]`` entry of
that name, its ``artifactFrom`` Artifact (which must be among the manifests read), that Artifact's
``spec.image``. A workload's ``service`` (its long-running component) is bound with its components, as the
host binds it, under the name ``(service)``. Documents of other kinds (a Service, an HPA) are skipped and
listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ..errors import ActionError
from . import admission, host_binding, yaml_source

WORKLOAD_API = "runtime.wasmcloud.dev/"
WORKLOAD_KINDS = ("Workload", "WorkloadReplicaSet", "WorkloadDeployment")
SPEC_PATHS = {  # kind -> where its WorkloadSpec is (runtime-operator/api/runtime/v1alpha1/*_types.go)
    "Workload": ("spec",),
    "WorkloadReplicaSet": ("spec", "template", "spec"),
    "WorkloadDeployment": ("spec", "template", "spec"),
}
ARTIFACT_SCHEME = "artifact://"
SERVICE = "(service)"  # the name spec.service goes by: no component name can have parentheses


class Component(NamedTuple):
    """One entry of ``components[]``."""

    name: str
    image: str  # as written (may be artifact://)
    line: int
    allowed_hosts: tuple[str, ...] | None


class Workload(NamedTuple):
    """One workload document."""

    kind: str
    name: str
    file: str
    line: int
    components: tuple[Component, ...]
    declared: tuple[host_binding.Declared, ...]
    artifacts: dict[str, tuple[str, int]]  # spec.artifacts[].name -> (artifactFrom.name, line)

    @property
    def title(self) -> str:
        """``WorkloadDeployment hello (deploy/hello.yaml:3)``."""
        return f"{self.kind} {self.name} ({self.file}:{self.line})"


class Artifact(NamedTuple):
    """An Artifact document: its name and image."""

    name: str
    image: str
    file: str
    line: int


class Manifests(NamedTuple):
    """What the files hold: the workloads, the Artifacts by name, and the documents skipped."""

    workloads: tuple[Workload, ...]
    artifacts: dict[str, Artifact]
    skipped: tuple[str, ...]  # "deploy/app.yaml:1 Service hello"


def spec_path(kind: str) -> tuple[str, ...]:
    """Where a workload kind keeps its WorkloadSpec (components, service, hostInterfaces): the one place that
    knows it (check reads it, promote pins images under it)."""
    return SPEC_PATHS[kind]


def _spec(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    found: Any = data
    for key in SPEC_PATHS[kind]:
        found = found.get(key) if isinstance(found, dict) else None
    return (found if isinstance(found, dict) else {}), SPEC_PATHS[kind]


def read(sources: Sequence[yaml_source.Source]) -> Manifests:
    """Every workload and Artifact of ``sources``, each admitted; the first file with violations is one error
    listing them (at most :data:`admission.MAX_PROBLEMS`) with their lines."""
    workloads: list[Workload] = []
    artifacts: dict[str, Artifact] = {}
    skipped: list[str] = []
    for source in sources:
        for document in source.documents:
            data = document.data
            if data is None:
                continue
            kind = data.get("kind") if isinstance(data, dict) else None
            api = data.get("apiVersion") if isinstance(data, dict) else None
            if kind not in (*WORKLOAD_KINDS, "Artifact") or not str(api).startswith(WORKLOAD_API):
                name = ((data.get("metadata") or {}).get("name") if isinstance(data, dict) else None) or ""
                skipped.append(f"{source.name}:{document.span.line} {str(kind)[:60]} {str(name)[:60]}".rstrip())
                continue
            violations = admission.validate(document)
            if violations:
                listed = "\n".join(f"{source.name}:{v.line}: {v.message}" for v in violations)
                first = violations[0]
                raise ActionError(
                    what=f"{source.name}:{first.line}: the API server would refuse this {kind}: {first.message}",
                    why=f"The document does not satisfy the {kind} CRD of wasmCloud's runtime operator "
                    f"({len(violations)} problem{'s' if len(violations) > 1 else ''}):\n{listed}",
                    fix="Fix the manifest at those lines (the CRD's schema: charts/runtime-operator/crds/ in "
                    "wasmCloud/wasmCloud).",
                    docs="#workloads",
                )
            name = data["metadata"]["name"]
            if kind == "Artifact":
                artifacts[name] = Artifact(name, data["spec"]["image"], source.name, document.line("spec", "image"))
                continue
            spec, at = _spec(kind, data)
            components = tuple(
                Component(
                    entry["name"],
                    entry["image"],
                    document.line(*at, "components", index),
                    _allowed_hosts(entry),
                )
                for index, entry in enumerate(spec.get("components") or [])
            )
            service = spec.get("service")
            if isinstance(service, dict) and service.get("image"):  # the workload's long-running component
                line = document.line(*at, "service")
                components += (Component(SERVICE, service["image"], line, _allowed_hosts(service)),)
            declared = tuple(
                host_binding.Declared(
                    host_binding.Entry(
                        item["namespace"],
                        item["package"],
                        frozenset(item["interfaces"]),
                        host_binding.host_version(str(item.get("version") or "")),
                        item.get("name") or "",
                    ),
                    index,
                    document.line(*at, "hostInterfaces", index),
                )
                for index, item in enumerate(spec.get("hostInterfaces") or [])
            )
            links = {
                item["name"]: (
                    (item.get("artifactFrom") or {}).get("name") or "",
                    document.line("spec", "artifacts", index),
                )
                for index, item in enumerate((data.get("spec") or {}).get("artifacts") or [])
            }
            workloads.append(Workload(kind, name, source.name, document.span.line, components, declared, links))
    return Manifests(tuple(workloads), artifacts, tuple(skipped))


def _allowed_hosts(entry: dict[str, Any]) -> tuple[str, ...] | None:
    hosts = (entry.get("localResources") or {}).get("allowedHosts")
    return None if hosts is None else tuple(hosts)


def image_of(workload: Workload, component: Component, artifacts: dict[str, Artifact]) -> tuple[str, str]:
    """The OCI reference a component runs, and how it was found (``""`` or ``artifact://x → Artifact y``):
    ``artifact://`` as the operator's ``resolveArtifacts`` resolves it."""
    where = f"{workload.file}:{component.line}"
    if not component.image.startswith(ARTIFACT_SCHEME):
        return component.image, ""
    wanted = component.image.removeprefix(ARTIFACT_SCHEME)
    link = workload.artifacts.get(wanted)
    if link is None:
        raise ActionError(
            what=f"{where}: component {component.name} names {component.image[:120]!r}, which the "
            f"{workload.kind} does not list in spec.artifacts",
            why="The operator resolves artifact://<name> through the WorkloadDeployment's spec.artifacts entry of "
            "that name; without it the workload never deploys.",
            fix=f"spec:\n  artifacts:\n    - name: {wanted[:60]}\n      artifactFrom:\n        name: {wanted[:60]}",
            docs="#workloads",
        )
    target, line = link
    artifact = artifacts.get(target)
    if artifact is None:
        raise ActionError(
            what=f"{workload.file}:{line}: spec.artifacts {wanted[:60]!r} comes from the Artifact {target[:60]!r}, "
            "which no manifest defines",
            why="check resolves artifact:// as the operator does, from an Artifact document; it must be among "
            "the manifests read.",
            fix="Add the file that defines the Artifact to manifests:\nwith:\n  manifests: |\n    deploy/*.yaml",
            docs="#workloads",
        )
    return artifact.image, f"{component.image} → Artifact {artifact.name} ({artifact.file}:{artifact.line})"


def stand_in(workloads: Sequence[Workload], chosen: str, file_stem: str) -> str | None:
    """The manifest component the component under check stands in for: ``manifest-component`` (which must name
    a component of some workload), else the one component whose name is the file's stem (``hello.wasm`` →
    ``hello``) or whose image's repository ends with it; None when nothing matches (the workloads are checked by
    image alone). Two different candidates are one error: manifest-component must choose."""
    names = {c.name for w in workloads for c in w.components}
    if chosen:
        if chosen not in names:
            raise ActionError(
                what=f"manifest-component: no workload in manifests has a component named {chosen[:60]!r}",
                why=f"It names the entry of components[] the component under check stands in for; the workloads "
                f"have {', '.join(sorted(names))[:300] or 'none'}.",
                fix="with:\n  manifest-component: " + (sorted(names)[0] if names else "hello-world"),
                docs="#workloads",
            )
        return chosen
    if not file_stem:
        return None
    matches = {
        c.name
        for w in workloads
        for c in w.components
        if c.name == file_stem
        or (
            not c.image.startswith(ARTIFACT_SCHEME)
            and c.image.split("@")[0].rsplit("/", 1)[-1].split(":")[0] == file_stem
        )
    }
    if len(matches) > 1:
        raise ActionError(
            what=f"manifest-component is required: {file_stem} could stand in for {', '.join(sorted(matches))[:200]}",
            why="check runs before publish on the component this job built; it must know which manifest component "
            "that is.",
            fix=f"with:\n  manifest-component: {sorted(matches)[0]}",
            docs="#workloads",
        )
    return next(iter(matches), None)
