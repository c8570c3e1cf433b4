"""check: a component's imports must resolve where it will run — in CI, not at deploy time.

On its own, the component (``component-path``) is read from the binary (:mod:`component`) and each import is
given a provider: the host (the ``wasmcloud`` profile of :mod:`interfaces`, plus ``host-interfaces``), another
component file of the workload (``workload``), or nobody (:func:`host_binding.resolve_imports`).

With ``manifests``, every Workload, WorkloadReplicaSet and WorkloadDeployment in them is admitted as the API
server would (:mod:`admission`) and bound as the host binds it (:mod:`host_binding`): each component read from
its registry by image (:mod:`component_images`), except the one ``manifest-component`` names, which the
component under check stands in for. ``deny-imports`` and ``max-size`` are a capability and a size budget;
``check: report`` turns failures into warnings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from ..component import interfaces
from ..component import world as component
from ..errors import COMPONENT_PATH_FIX, ActionError, cap
from ..runner import gha, paths, sizes
from ..workload import host_binding

MODES = ("true", "report", "false")
READ_LIMIT = 1 << 30  # a component larger than 1 GiB is not read (max-size says how big is too big)
_MANIFESTS_FIX = "with:\n  manifests: |\n    deploy/*.yaml"


class CheckInputs(NamedTuple):
    component: Path | None
    host: str
    host_patterns: tuple[interfaces.Pattern, ...]
    extra: tuple[interfaces.Pattern, ...]
    workload: tuple[Path, ...]
    deny: tuple[interfaces.Pattern, ...]
    max_size: int | None
    mode: str
    manifests: tuple[Path, ...] = ()
    manifest_component: str = ""
    insecure: bool = False

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> CheckInputs:
        mode = (inputs.get("check") or "true").strip().lower()
        if mode not in MODES:
            raise ActionError(
                what=f"check: {mode[:40]!r} is not true, report or false",
                why="check says what a failed check does: true fails the job, report warns, false skips it.",
                fix="with:\n  check: report",
                docs="#check",
            )
        workspace = gha.workspace()
        manifests = files("manifests", inputs.list("manifests"), workspace, fix=_MANIFESTS_FIX)
        raw = inputs.get("component-path")
        if not raw and mode != "false" and not manifests:
            raise ActionError(
                what="Input 'component-path' is required",
                why="check reads the component the build step made (or, with manifests, the workloads' images).",
                fix=COMPONENT_PATH_FIX,
                docs="#check",
            )
        location = (
            paths.workspace_input("component-path", raw, workspace, fix=COMPONENT_PATH_FIX, docs="#check")
            if raw
            else None
        )
        host = (inputs.get("host") or "wasmcloud").strip().lower()
        return cls(
            component=location,
            host=host,
            host_patterns=interfaces.host_profile(host),
            extra=interfaces.parse_patterns(inputs.list("host-interfaces"), input_name="host-interfaces"),
            workload=files(
                "workload",
                inputs.list("workload"),
                workspace,
                fix="with:\n  workload: |\n    build/provider.wasm\n    services/*/build/*.wasm",
            ),
            deny=interfaces.parse_patterns(inputs.list("deny-imports"), input_name="deny-imports"),
            max_size=sizes.parse_size(inputs.get("max-size")),
            mode=mode,
            manifests=manifests,
            manifest_component=inputs.get("manifest-component").strip(),
            insecure=_insecure(inputs.get("insecure")),
        )


def _insecure(raw: str) -> bool:
    value = raw.strip().lower()
    if value in gha.TRUE:
        return True
    if value in gha.FALSE:
        return False
    raise ActionError(
        what=f"insecure: {raw[:40]!r} is not true or false",
        why="insecure allows plain HTTP to registries on this machine (localhost, 127.0.0.0/8, ::1).",
        fix="with:\n  insecure: true",
        docs="#check",
    )


def files(name: str, entries: list[str], workspace: Path, *, fix: str) -> tuple[Path, ...]:
    """Paths or globs relative to the workspace (:func:`paths.workspace_glob`); each must match a file."""
    found: list[Path] = []
    for entry in entries:
        if not entry.strip():
            continue
        matches = paths.workspace_glob(name, entry, workspace, fix=fix, docs="#check")
        if not matches:
            raise ActionError(
                what=f"{name}: {entry.strip()[:120]!r} matches no file",
                why=f"Each {name} entry must name at least one file of the workspace.",
                fix=f"Fix the path (relative to the workspace), or make the files before this step:\n{fix}",
                docs="#check",
            )
        found += matches
    return tuple(dict.fromkeys(found))


def read(path: Path, *, label: str) -> component.World:
    """A component's world, with clear errors for a missing, huge, or non-component file."""
    data = component.load(path, label=label, fix=COMPONENT_PATH_FIX, docs="#check", limit=READ_LIMIT)
    world = component.read_world(data, name=f"{label} {path.name}")
    for item in (*world.imports, *world.exports):
        if item.kind != "type" and not interfaces.is_model_name(item.name):
            raise ActionError(
                what=f"{label} {path.name} has an import or export whose name is not a component-model name",
                why=f"The name {item.name[:80].encode('unicode_escape').decode()!r} is no name a toolchain "
                "writes or a host accepts (control characters, '::'); the file was altered or is not a real "
                "component.",
                fix="Rebuild the component from source.",
                docs="#check",
            )
    return world


def relative(path: Path) -> str:
    """``path`` relative to the workspace when it is inside it."""
    try:
        return path.resolve().relative_to(gha.workspace().resolve()).as_posix()
    except ValueError:
        return str(path)


class Problems:
    """What the check found: errors (fail the job unless report) and warnings (with a file and line)."""

    def __init__(self) -> None:
        self.errors: list[ActionError] = []
        self.warnings: list[tuple[str, str, int, str]] = []  # (message, file, line, title)


def run(inputs: CheckInputs) -> dict[str, str]:
    if inputs.mode == "false":
        gha.info("check: false — nothing was checked.")
        return {"imports": "[]", "exports": "[]", "unresolved": "[]", "result": "skipped", "workloads": "[]"}
    problems = Problems()
    world = read(inputs.component, label="component-path") if inputs.component else None
    workloads: list[dict[str, Any]] = []
    stands_in = False
    if inputs.manifests:
        workloads, stands_in = check_workloads(inputs, world, problems)
    resolutions: list[host_binding.Resolution] = []
    size = 0
    if world is not None and inputs.component is not None:
        others = [(relative(p), read(p, label="workload component").export_names) for p in inputs.workload]
        resolutions = host_binding.resolve_imports(
            world.import_names,
            host=inputs.host,
            host_patterns=inputs.host_patterns,
            extra=inputs.extra,
            deny=inputs.deny,
            workload=others,
        )
        size = inputs.component.stat().st_size
        component_problems(inputs, inputs.component.name, resolutions, size, problems, in_workload=stands_in)
    unresolved = [r.name for r in resolutions if not r.provider]
    outputs = {
        "imports": json.dumps(world.import_names if world else []),
        "exports": json.dumps(world.export_names if world else []),
        "unresolved": json.dumps([] if stands_in else unresolved),
        "result": "failed" if problems.errors else "passed",
        "workloads": json.dumps(workloads, separators=(",", ":")),
    }
    summarize(inputs, world, resolutions, size, workloads, problems)
    for message, file, line, title in problems.warnings:
        gha.command("warning", cap(message, gha.ANNOTATION_LIMIT), file=file, line=str(line), title=title[:200])
    if not problems.errors:
        gha.info(f"check: passed ({len(resolutions)} imports of the component, {len(workloads)} workloads).")
        return outputs
    if inputs.mode == "report":
        for problem in problems.errors:
            gha.warning(f"{problem.what}. {problem.why}", title="check")
        return outputs
    gha.set_outputs(outputs)
    for problem in problems.errors[:-1]:
        problem.docs = gha.docs_url(problem.docs)
        gha.error(problem.one_line(), title=problem.what)
    raise problems.errors[-1]


def check_workloads(
    inputs: CheckInputs, world: component.World | None, problems: Problems
) -> tuple[list[dict[str, Any]], bool]:
    """Every workload of ``manifests``, admitted and bound; the workloads output, and whether the component under
    check stands in for one of their components."""
    from ..oci import references
    from ..runner import extras
    from ..workload import component_images, yaml_source
    from ..workload import manifests as workload_manifests

    extras.ensure_yaml()
    sources = [yaml_source.read_file(path, name=relative(path)) for path in inputs.manifests]
    found = workload_manifests.read(sources)
    for skipped in found.skipped:
        gha.info(f"manifests: {skipped} skipped (not a wasmCloud workload)")
    if not found.workloads:
        raise ActionError(
            what=f"manifests: no Workload, WorkloadReplicaSet or WorkloadDeployment in {len(sources)} file"
            f"{'s' if len(sources) > 1 else ''}",
            why="manifests lists the wasmCloud workloads to check"
            + (f"; these hold only {', '.join(found.skipped)[:300]}." if found.skipped else "."),
            fix=_MANIFESTS_FIX,
            docs="#workloads",
        )
    stand_in = workload_manifests.stand_in(
        found.workloads, inputs.manifest_component, inputs.component.stem if inputs.component else ""
    )
    access = component_images.Access(
        gha.docker_config_dir(),
        gha.env("WASHACTIONS_GITHUB_ACTOR"),
        gha.env("WASHACTIONS_GITHUB_TOKEN"),
        inputs.insecure,
    )
    plugins = host_binding.plugins_for(inputs.host, inputs.extra)
    always = tuple(p for p in inputs.host_patterns if p.text in interfaces.ALWAYS)
    reads: dict[str, component_images.Read] = {}
    results: list[dict[str, Any]] = []
    for workload in found.workloads:
        members: list[host_binding.Member] = []
        described: list[dict[str, Any]] = []
        for entry in workload.components:
            if stand_in is not None and world is not None and entry.name == stand_in:
                used = world
                image, how = entry.image, f"component-path {relative(inputs.component or Path())}"
            else:
                where = f"{workload.file}:{entry.line}"
                reference, via = workload_manifests.image_of(workload, entry, found.artifacts)
                parsed = references.parse(reference, where=where)
                if str(parsed) not in reads:
                    reads[str(parsed)] = component_images.read(parsed, access, where=where)
                got = reads[str(parsed)]
                used, image = got.world, str(parsed)
                how = f"{got.source} of {got.digest[:19]}…" + (f", {via}" if via else "")
            members.append(
                host_binding.Member(
                    entry.name, tuple(used.import_names), tuple(used.export_names), entry.allowed_hosts, entry.line
                )
            )
            described.append({"name": entry.name, "image": image, "read": how})
        bindings, found_problems = host_binding.bind(
            members, workload.declared, plugins, always=always, host=inputs.host
        )
        for problem in found_problems:
            if problem.severity == "error":
                problems.errors.append(problem.error(workload.file))
            else:
                problems.warnings.append(
                    (f"{problem.what}. {problem.why} Fix: {problem.fix}", workload.file, problem.line, problem.what)
                )
        results.append(
            {
                "kind": workload.kind,
                "name": workload.name,
                "file": workload.file,
                "line": workload.line,
                "components": described,
                "bindings": [
                    {"component": b.component, "import": b.imported, "provider": b.provider} for b in bindings
                ],
                "problems": [
                    {"severity": p.severity, "file": workload.file, "line": p.line, "message": p.what}
                    for p in found_problems
                ],
            }
        )
    return results, stand_in is not None


def component_problems(
    inputs: CheckInputs,
    name: str,
    resolutions: list[host_binding.Resolution],
    size: int,
    problems: Problems,
    *,
    in_workload: bool,
) -> None:
    """The component on its own: unresolved imports (unless a manifest's workload decides them), deny-imports,
    max-size."""
    unresolved = [r.name for r in resolutions if not r.provider]
    denied = [r for r in resolutions if r.denied]
    if unresolved and not in_workload:
        many = len(unresolved) > 1
        problems.errors.append(
            ActionError(
                what=f"{name} imports {len(unresolved)} interface{'s' if many else ''} nothing provides: "
                f"{', '.join(unresolved)}",
                why=f"The host ({inputs.host}) does not provide {'them' if many else 'it'}, and no component of the "
                f"workload exports {'them' if many else 'it'}; a wasmCloud v2 host refuses such a workload at "
                "deploy time.",
                fix="Add the component that exports it to the workload, list what the target host provides "
                "(a host plugin), or stop importing it:\nwith:\n  workload: build/provider.wasm\n"
                f"  host-interfaces: {unresolved[0]}",
                docs="#check",
            )
        )
    if denied:
        listed = ", ".join(f"{r.name} (deny-imports: {r.denied})" for r in denied)
        problems.errors.append(
            ActionError(
                what=f"{name} imports what deny-imports forbids: {listed}",
                why="deny-imports lists capabilities this component must not have.",
                fix="Remove the import from the component's world (and the code that uses it), or allow it by "
                "removing the pattern from deny-imports.",
                docs="#check",
            )
        )
    if inputs.max_size is not None and size > inputs.max_size:
        problems.errors.append(
            ActionError(
                what=f"{name} is {sizes.human(size)} ({size} bytes), over max-size {sizes.human(inputs.max_size)}",
                why="max-size is this component's size budget.",
                fix="Make the component smaller (a release build, fewer dependencies), or raise the budget:\n"
                f"with:\n  max-size: {sizes.human(size * 2).replace(' ', '')}",
                docs="#check",
            )
        )


def summarize(
    inputs: CheckInputs,
    world: component.World | None,
    resolutions: list[host_binding.Resolution],
    size: int,
    workloads: list[dict[str, Any]],
    problems: Problems,
) -> None:
    verdict = "passed" if not problems.errors else ("failed (reported)" if inputs.mode == "report" else "failed")
    parts = [f"### Component check: {verdict}\n"]
    if world is not None and inputs.component is not None:
        rows = "".join(
            f"| {gha.code(r.name)} | {gha.text(r.provider) if r.provider else '**unresolved**'}"
            f"{' — **denied** (' + gha.code(r.denied) + ')' if r.denied else ''} |\n"
            for r in resolutions
        )
        exports = ", ".join(gha.code(name) for name in world.export_names) or "none"
        parts.append(
            f"{gha.code(inputs.component.name)}, {sizes.human(size)}; exports {exports}\n\n"
            f"| import | provided by |\n|---|---|\n{rows}"
        )
    for workload in workloads:
        rows = "".join(
            f"| {gha.text(item['component'])} | {gha.code(item['import'])} | "
            f"{gha.text(item['provider']) if item['provider'] else '**unresolved**'} |\n"
            for item in workload["bindings"]
        )
        listed = "".join(
            f"- {'❌' if p['severity'] == 'error' else '⚠️'} {gha.text(p['file'])}:{p['line']}: "
            f"{gha.text(p['message'])}\n"
            for p in workload["problems"]
        )
        images = "".join(
            f"- {gha.text(c['name'])}: {gha.code(c['image'])} ({gha.text(c['read'])})\n" for c in workload["components"]
        )
        parts.append(
            f"\n#### {gha.text(workload['kind'])} {gha.text(workload['name'])} "
            f"({gha.text(workload['file'])}:{workload['line']})\n\n{images}\n"
            f"| component | import | provided by |\n|---|---|---|\n{rows}\n{listed}"
        )
    gha.summary("\n".join(parts))
