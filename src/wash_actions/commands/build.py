"""build: run ``wash build -o json`` and report the component it built."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import NamedTuple

from .. import gha, paths, wash
from ..errors import ActionError
from ..install import sha256_file

CONFIG = Path(".wash") / "config.yaml"
EXPORTED_BY_SETUP = frozenset({"WASH_HOST_PLUGINS"})  # setup-wash's plugins, set on purpose
_WASH_ENV_NAME = re.compile(r"^WASH_[A-Za-z0-9_.]+$")  # wash maps WASH_BUILD.COMMAND to build.command


class BuildInputs(NamedTuple):
    project: Path
    skip_fetch: bool
    wash_path: str
    args: tuple[str, ...] = ()
    metadata: bool = True
    wash_env: tuple[tuple[str, str], ...] = ()
    workspace: Path | None = None  # the project and the component it writes must stay inside it

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> BuildInputs:
        workdir = inputs.get("working-directory", ".")
        workspace = gha.workspace()
        check_working_directory(workdir, workspace)
        return cls(
            workspace=workspace.resolve(),
            project=(workspace / workdir).resolve(),
            skip_fetch=inputs.bool("skip-fetch"),
            wash_path=inputs.get("wash-path"),
            args=parse_args(inputs.get("args")),
            metadata=inputs.bool("metadata", default=True),
            wash_env=parse_wash_env(inputs.get("wash-env")),
        )


def parse_wash_env(raw: str) -> tuple[tuple[str, str], ...]:
    """``WASH_*`` overrides the user passes on purpose, one ``NAME=value`` per line."""
    pairs: list[tuple[str, str]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.strip().partition("=")
        if not sep or not _WASH_ENV_NAME.match(name):
            raise ActionError(
                what=f"Input 'wash-env' has a line that is not WASH_NAME=value: {line.strip()!r}",
                why="'wash-env' passes wash config overrides (WASH_* variables) to wash build, one per line.",
                fix="with:\n  wash-env: |\n    WASH_BUILD.COMMAND=make component",
                docs="#build",
            )
        pairs.append((name, value))
    return tuple(pairs)


def parse_args(raw: str) -> tuple[str, ...]:
    """Extra ``wash build`` arguments, split like a shell would (no shell runs them)."""
    try:
        args = tuple(shlex.split(raw))
    except ValueError as exc:
        raise ActionError(
            what=f"Input 'args' cannot be split into arguments: {exc}",
            why="'args' is split like a shell command line; a quote is not closed.",
            fix="with:\n  args: --skip-fetch",
            docs="#build",
        ) from None
    taken = {"-o", "--output", "-C"} & {a.split("=")[0] for a in args}
    if taken:
        raise ActionError(
            what=f"Input 'args' sets {', '.join(sorted(taken))}, which the action controls",
            why="The action runs wash with -o json in 'working-directory' to read its result.",
            fix="Remove them from 'args'; use 'working-directory' for the project:\n"
            "with:\n  working-directory: path/to/component",
            docs="#build",
        )
    return args


def check_working_directory(workdir: str, workspace: Path) -> None:
    """'working-directory' must name a directory inside the workspace, also after symbolic links."""
    if paths.is_inside(workspace / workdir, workspace):
        return
    raise ActionError(
        what=f"working-directory {workdir!r} is outside the workspace",
        why=f"The build runs only in the checked-out repository: {paths.escape_reason(Path(workdir), workspace)}.",
        fix="Give a path inside the repository, relative to its root:\nwith:\n  working-directory: path/to/component",
        docs="#build",
    )


def check_component_path(component: Path, project: Path, workspace: Path) -> None:
    """The component wash reports (build.component_path) must be a file the project owns: inside the
    workspace once every symbolic link is resolved. The build writes metadata into it."""
    if paths.is_inside(component, workspace):
        return
    raise ActionError(
        what=f"build.component_path points outside the workspace: {component}",
        why="The component must be a file the build wrote inside the repository; "
        f"{paths.escape_reason(component, workspace)}. The action embeds metadata into that file, "
        "so it refuses to touch it.",
        fix=f"In {project / CONFIG}, make build.component_path a relative path inside the repository:\n"
        "build:\n  component_path: build/my_component.wasm",
        docs="#build",
    )


def check_project(project: Path) -> None:
    if not project.is_dir():
        raise ActionError(
            what=f"working-directory {project} does not exist",
            why="The build runs in the directory that holds the wash project (.wash/config.yaml).",
            fix="Check out the repository first and point at the project:\n"
            "- uses: actions/checkout@v4\n- uses: OWNER/wash-actions/actions/build@v1\n"
            "  with:\n    working-directory: path/to/component",
            docs="#build",
        )
    if not (project / CONFIG).is_file():
        raise ActionError(
            what=f"{project} is not a wash project: {CONFIG} is missing",
            why="wash 2.x builds only from .wash/config.yaml with build.command and "
            "build.component_path; it does not detect the language.",
            fix=f"Add {CONFIG} to the project, e.g.\nbuild:\n  command: cargo build --release "
            "--target wasm32-wasip2\n  component_path: target/wasm32-wasip2/release/my_component.wasm",
            docs="#build",
        )


def child_env(wash_env: tuple[tuple[str, str], ...] = ()) -> tuple[dict[str, str], list[str]]:
    """The environment for wash build, and the ``WASH_*`` names it leaves out.

    wash reads every ``WASH_*`` variable as an override of .wash/config.yaml, and matches the prefix and
    the names in any case (``wash_build.command`` works too). A job-level ``env:`` meant for something
    else would silently rewrite the build, so only the overrides given in the 'wash-env' input reach
    wash. This action's own inputs never do.
    """
    env: dict[str, str] = {}
    dropped: list[str] = []
    for key, value in os.environ.items():
        if key.startswith(gha.INPUT_PREFIX):
            continue
        if key.upper().startswith("WASH_") and key not in EXPORTED_BY_SETUP:
            dropped.append(key)
            continue
        env[key] = value
    env.update(dict(wash_env))
    return env, sorted(dropped)


# wash 2.10.4 offline, a world importing wasi:cli/environment@0.2.3 and no wit/deps:
# "package: wasi:cli\n\nCaused by:\n    0: registry error: wasi/cli: error sending request for url
# (https://wasi.dev/v2/): client error (Connect): dns error: …" (tests/unit/test_build_errors.py keeps it whole).
_FETCH_FAILED = re.compile(r"registry error|error sending request for url|failed to (?:fetch|resolve) package", re.I)
_FETCH_PACKAGE = re.compile(r"^package: ([\w.-]+:[\w.-]+)", re.M)
GENERIC_FIX = (
    "Fix the build error shown above (the full output is in the job summary); "
    "run `wash build` in the project locally to reproduce."
)


def failure_fix(message: str) -> str:
    """The fix line for a failed build: the skip-fetch input when wash could not fetch WIT dependencies."""
    if not _FETCH_FAILED.search(message):
        return GENERIC_FIX
    found = _FETCH_PACKAGE.search(message)
    package = f" ({found.group(1)})" if found else ""
    return (
        f"wash could not fetch the WIT dependencies{package} from their registry (offline runner, blocked "
        "network or registry). Vendor them once with `wkg wit fetch` in the project, commit wit/deps (and "
        "wkg.lock), then build without fetching:\nwith:\n  skip-fetch: true"
    )


def run(inputs: BuildInputs) -> dict[str, str]:
    check_project(inputs.project)
    binary = wash.locate(inputs.wash_path)
    args = ["build", *(["--skip-fetch"] if inputs.skip_fetch else []), *inputs.args]
    env, dropped = child_env(inputs.wash_env)
    if dropped:
        gha.warning(
            f"Not passed to wash build: {', '.join(dropped)}. wash reads WASH_* variables as config "
            "overrides; pass the ones you mean through the 'wash-env' input.",
            title="build: WASH_* variables ignored",
        )
    gha.group_start(f"wash {' '.join(args)} ({inputs.project})")
    try:
        result = wash.run(binary, args, cwd=inputs.project, env=env, echo=True)
    finally:
        gha.group_end()
    envelope = result.envelope
    if envelope is None:
        raise ActionError(
            what="wash build printed no JSON result",
            why=f"wash exited with code {result.returncode} without its "
            '{"message","success","data"} envelope; it may have stopped before parsing its config '
            "(exit code 2 is a usage error).",
            fix="Read the last lines below; run `wash build -o json` locally in the project to reproduce.",
            docs="#build",
            details=result.output(),
        )
    if not envelope.success or result.returncode != 0:
        first = envelope.message.splitlines()[0] if envelope.message else "no message"
        last_lines = result.tail(10)
        raise ActionError(
            what=f"wash build failed: {first}",
            why=(envelope.message or f"wash exited with code {result.returncode}.")
            + (f"\nLast lines of the build output:\n{last_lines}" if last_lines else ""),
            fix=failure_fix(envelope.message),
            docs="#build",
            details=result.output(),
        )
    data = envelope.data if isinstance(envelope.data, dict) else {}
    project = Path(str(data.get("project_path") or inputs.project))
    component = Path(str(data.get("component_path") or ""))
    if not component.is_absolute():
        component = project / component
    check_component_path(component, project, inputs.workspace or project)
    if not data.get("component_path") or not component.is_file():
        raise ActionError(
            what=f"wash build reported success but the component {component} does not exist",
            why="build.component_path in .wash/config.yaml does not match where build.command writes the component.",
            fix="Make build.component_path the file your build command writes.",
            docs="#build",
        )
    added = embed_metadata(component, project) if inputs.metadata else {}
    sha256 = sha256_file(component)
    size = component.stat().st_size
    wit = inspect_wit(binary, component, env)
    imports, exports = count_world_items(wit)
    embedded = ", ".join(f"{k}" for k in added) or ("none needed" if inputs.metadata else "off")
    gha.summary(
        "### Component built\n\n| component | size | sha256 | imports | exports | metadata embedded |\n"
        "|---|---|---|---|---|---|\n"
        f"| `{_relative(component)}` | {size:,} bytes | `{sha256}` | {imports} | {exports} | {embedded} |\n"
    )
    return {
        "component-path": str(component),
        "component_path": str(component),
        "component-path-relative": _relative(component),
        "project-path": str(project),
        "component-sha256": sha256,
        "component-size": str(size),
        "wit": wit,
        "json": json.dumps(data),
        "metadata": json.dumps(added),
    }


def embed_metadata(component: Path, project: Path) -> dict[str, str]:
    """Fill the provenance sections the toolchain left empty; never overwrite one it set."""
    from .. import metadata

    try:
        existing = metadata.read_sections(component.read_bytes())
    except metadata.MalformedWasm as exc:
        raise ActionError(
            what=f"{component.name} is not a valid WebAssembly binary",
            why=f"Reading its sections failed: {exc}.",
            fix="Check build.command and build.component_path in .wash/config.yaml.",
            docs="#build",
        ) from None
    found = metadata.from_manifests(project)
    for warning in found.warnings:
        gha.warning(warning, title="build: metadata")
    git = metadata.from_git(gha.env("GITHUB_SERVER_URL"), gha.env("GITHUB_REPOSITORY"), gha.env("GITHUB_SHA"))
    wanted = metadata.plan(existing, found.values, git)
    added = metadata.embed(component, wanted) if wanted else {}
    if added:
        gha.info("Embedded metadata: " + ", ".join(f"{k}={v}" for k, v in added.items()))
    return added


def inspect_wit(binary: str, component: Path, env: dict[str, str]) -> str:
    """The component's WIT world, from ``wash inspect -o json``."""
    result = wash.run(binary, ["inspect", str(component)], env=env)
    if result.envelope is None or not result.envelope.success:
        raise ActionError(
            what=f"wash inspect could not read {component.name}",
            why=(result.envelope.message if result.envelope else result.tail()) or "wash gave no reason.",
            fix="Make sure build.command writes a WebAssembly component (not a core module).",
            docs="#build",
        )
    data = result.envelope.data if isinstance(result.envelope.data, dict) else {}
    return str(data.get("wit") or "")


def count_world_items(wit: str) -> tuple[int, int]:
    """How many imports and exports the world declares (top-level items only)."""
    imports = exports = 0
    depth = 0
    for line in wit.splitlines():
        stripped = line.strip()
        if depth == 1:
            if stripped.startswith("import "):
                imports += 1
            elif stripped.startswith("export "):
                exports += 1
        depth += line.count("{") - line.count("}")
    return imports, exports


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(gha.workspace().resolve()))
    except ValueError:
        return str(path)
