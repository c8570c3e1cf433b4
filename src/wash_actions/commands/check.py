"""check: a component's imports must resolve where it will run — in CI, not at deploy time.

Reads the component's imports and exports from the binary (:mod:`component`), then decides for each import who
provides it: the host (the ``wasmcloud`` profile of :mod:`interfaces`, plus ``host-interfaces``), another
component of the same workload (``workload``: their exports), or nobody. ``deny-imports`` and ``max-size`` are
a capability and a size budget. ``check: report`` turns failures into warnings.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import component, gha, interfaces, paths
from ..errors import COMPONENT_PATH_FIX, ActionError

MODES = ("true", "report", "false")
READ_LIMIT = 1 << 30  # a component larger than 1 GiB is not read (max-size says how big is too big)
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\Z", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def parse_size(raw: str) -> int | None:
    """``512KiB``, ``20MiB``, ``1.5MB``, ``300000`` (bytes) as bytes; None when empty."""
    text = raw.strip()
    if not text:
        return None
    match = _SIZE.match(text)
    if match is None:
        raise ActionError(
            what=f"max-size: {text[:40]!r} is not a size",
            why="max-size is the component's size budget: a number of bytes, with an optional unit.",
            fix="with:\n  max-size: 20MiB   # or 512KiB, 1.5MB, 300000",
            docs="#check",
        )
    return int(float(match[1]) * _UNITS[(match[2] or "B").lower()])


def human(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


@dataclass(frozen=True)
class CheckInputs:
    component: Path
    host: str
    host_patterns: tuple[interfaces.Pattern, ...]
    extra: tuple[interfaces.Pattern, ...]
    workload: tuple[Path, ...]
    deny: tuple[interfaces.Pattern, ...]
    max_size: int | None
    mode: str

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
        raw = inputs.get("component-path")
        if not raw and mode != "false":
            raise ActionError(
                what="Input 'component-path' is required",
                why="check reads the component the build step made.",
                fix=COMPONENT_PATH_FIX,
                docs="#check",
            )
        workspace = gha.workspace()
        fix = COMPONENT_PATH_FIX
        location = paths.workspace_input("component-path", raw, workspace, fix=fix, docs="#check") if raw else Path()
        host = inputs.get("host") or "wasmcloud"
        return cls(
            component=location,
            host=host.strip().lower(),
            host_patterns=interfaces.host_profile(host),
            extra=interfaces.parse_patterns(inputs.list("host-interfaces"), input_name="host-interfaces"),
            workload=workload_files(inputs.list("workload"), workspace),
            deny=interfaces.parse_patterns(inputs.list("deny-imports"), input_name="deny-imports"),
            max_size=parse_size(inputs.get("max-size")),
            mode=mode,
        )


def workload_files(entries: list[str], workspace: Path) -> tuple[Path, ...]:
    """The workload's other components: paths or globs relative to the workspace; each must match a file."""
    found: list[Path] = []
    for entry in entries:
        pattern = entry.strip()
        if not pattern:
            continue
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ActionError(
                what=f"workload: {pattern[:120]!r} is outside the workspace",
                why="workload lists the other components of the workload, relative to the workspace.",
                fix="with:\n  workload: |\n    build/provider.wasm\n    services/*/build/*.wasm",
                docs="#check",
            )
        matches = sorted(Path(p) for p in glob.glob(str(workspace / pattern), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise ActionError(
                what=f"workload: {pattern[:120]!r} matches no file",
                why="Each workload entry must name at least one component file (build them before this step).",
                fix="Build the workload's other components first, or fix the path:\nwith:\n  workload: "
                "build/provider.wasm",
                docs="#check",
            )
        found += files
    return tuple(dict.fromkeys(found))


def read(path: Path, *, label: str) -> component.World:
    """A component's world, with clear errors for a missing, huge, or non-component file."""
    if not path.is_file():
        raise ActionError(
            what=f"{label} {path} does not exist",
            why="check reads a component file the build step made.",
            fix=COMPONENT_PATH_FIX,
            docs="#check",
        )
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if head != component.PREAMBLE:
            return component.read_world(head, name=f"{label} {path.name}")  # raises: what it is instead
        if size > READ_LIMIT:
            raise ActionError(
                what=f"{label} {path.name} is {human(size)}, more than check reads ({human(READ_LIMIT)})",
                why="No real component is that large; the path names another file.",
                fix=COMPONENT_PATH_FIX,
                docs="#check",
            )
        data = head + handle.read()
    world = component.read_world(data, name=f"{label} {path.name}")
    for item in (*world.imports, *world.exports):
        if _UNSAFE.search(item.name) or "::" in item.name:
            raise ActionError(
                what=f"{label} {path.name} has an import or export whose name is not a component-model name",
                why=f"The name {item.name[:80]!r} holds control characters or '::', which no toolchain writes and no "
                "host accepts; the file was altered or is not a real component.",
                fix="Rebuild the component from source.",
                docs="#check",
            )
    return world


@dataclass(frozen=True)
class Resolution:
    name: str
    provider: str  # "host (wasmcloud)", "host-interfaces (pattern)", "workload: file", "" (unresolved)
    denied: str = ""  # the deny-imports pattern that names it


def resolve(
    world: component.World,
    inputs: CheckInputs,
    workload: dict[Path, component.World],
) -> list[Resolution]:
    """Who provides each import: the host profile, host-interfaces, a workload component, or nobody."""
    results = []
    for item in world.imports:
        name = item.name
        denied = next((p.text for p in inputs.deny if p.matches(name)), "")
        provider = ""
        if any(p.matches(name) for p in inputs.host_patterns):
            provider = f"host ({inputs.host})"
        elif hit := next((p for p in inputs.extra if p.matches(name)), None):
            provider = f"host-interfaces ({hit.text})"
        else:
            for path, other in workload.items():
                if any(_exports(export, name) for export in other.export_names):
                    provider = f"workload: {relative(path)}"
                    break
        results.append(Resolution(name, provider, denied))
    return results


def relative(path: Path) -> str:
    """``path`` relative to the workspace when it is inside it."""
    try:
        return path.resolve().relative_to(gha.workspace().resolve()).as_posix()
    except ValueError:
        return str(path)


def _exports(exported: str, imported: str) -> bool:
    """A workload component's export satisfies the import: the same interface, semver-compatible."""
    mine, theirs = interfaces.parse_interface(imported), interfaces.parse_interface(exported)
    if mine is None or theirs is None:
        return False
    same = (mine.namespace, mine.package, mine.name) == (theirs.namespace, theirs.package, theirs.name)
    return same and interfaces.compatible(mine.version, theirs.version)


def run(inputs: CheckInputs) -> dict[str, str]:
    if inputs.mode == "false":
        gha.info("check: false — the component was not checked.")
        return {"imports": "[]", "exports": "[]", "unresolved": "[]", "result": "skipped"}
    world = read(inputs.component, label="component-path")
    workload = {path: read(path, label="workload component") for path in inputs.workload}
    resolutions = resolve(world, inputs, workload)
    unresolved = [r.name for r in resolutions if not r.provider]
    denied = [r for r in resolutions if r.denied]
    size = inputs.component.stat().st_size
    problems: list[ActionError] = []
    if unresolved:
        problems.append(
            ActionError(
                what=f"{inputs.component.name} imports {len(unresolved)} interface"
                f"{'s' if len(unresolved) > 1 else ''} nothing provides: {', '.join(unresolved)}",
                why=f"The host ({inputs.host}) does not provide "
                f"{'them' if len(unresolved) > 1 else 'it'}, and no component of the workload exports "
                f"{'them' if len(unresolved) > 1 else 'it'}; a wasmCloud v2 host refuses such a workload at deploy "
                "time.",
                fix="Add the component that exports it to the workload, list what the target host provides "
                "(a host plugin), or stop importing it:\nwith:\n  workload: build/provider.wasm\n"
                f"  host-interfaces: {unresolved[0]}",
                docs="#check",
            )
        )
    if denied:
        listed = ", ".join(f"{r.name} (deny-imports: {r.denied})" for r in denied)
        problems.append(
            ActionError(
                what=f"{inputs.component.name} imports what deny-imports forbids: {listed}",
                why="deny-imports lists capabilities this component must not have.",
                fix="Remove the import from the component's world (and the code that uses it), or allow it by "
                "removing the pattern from deny-imports.",
                docs="#check",
            )
        )
    if inputs.max_size is not None and size > inputs.max_size:
        problems.append(
            ActionError(
                what=f"{inputs.component.name} is {human(size)} ({size} bytes), over max-size {human(inputs.max_size)}",
                why="max-size is this component's size budget.",
                fix="Make the component smaller (a release build, fewer dependencies), or raise the budget:\n"
                f"with:\n  max-size: {human(size * 2).replace(' ', '')}",
                docs="#check",
            )
        )
    outputs = {
        "imports": json.dumps(world.import_names),
        "exports": json.dumps(world.export_names),
        "unresolved": json.dumps(unresolved),
        "result": "failed" if problems else "passed",
    }
    summarize(inputs, world, resolutions, size, problems)
    if not problems:
        gha.info(f"check: {inputs.component.name}: every import resolves ({len(resolutions)} imports).")
        return outputs
    if inputs.mode == "report":
        for problem in problems:
            gha.warning(f"{problem.what}. {problem.why}", title="check")
        return outputs
    gha.set_outputs(outputs)
    for problem in problems[:-1]:
        problem.docs = gha.docs_url(problem.docs)
        gha.error(problem.one_line(), title=problem.what)
    raise problems[-1]


def summarize(
    inputs: CheckInputs,
    world: component.World,
    resolutions: list[Resolution],
    size: int,
    problems: list[ActionError],
) -> None:
    rows = "".join(
        f"| `{gha.cell(r.name)}` | {gha.cell(r.provider) if r.provider else '**unresolved**'}"
        f"{' — **denied** (' + gha.cell(r.denied) + ')' if r.denied else ''} |\n"
        for r in resolutions
    )
    exports = ", ".join(f"`{gha.cell(name)}`" for name in world.export_names) or "none"
    verdict = "passed" if not problems else ("failed (reported)" if inputs.mode == "report" else "failed")
    gha.summary(
        f"### Component check: {verdict}\n\n`{gha.cell(inputs.component.name)}`, {human(size)}; exports {exports}\n\n"
        f"| import | provided by |\n|---|---|\n{rows}"
    )
