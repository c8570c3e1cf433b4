"""build: run ``wash build -o json`` and report the component it built."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from .. import gha, wash
from ..errors import ActionError
from ..install import sha256_file

CONFIG = Path(".wash") / "config.yaml"


@dataclass(frozen=True)
class BuildInputs:
    project: Path
    skip_fetch: bool
    wash_path: str
    args: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> BuildInputs:
        workdir = inputs.get("working-directory", ".")
        return cls(
            project=(gha.workspace() / workdir).resolve(),
            skip_fetch=inputs.bool("skip-fetch"),
            wash_path=inputs.get("wash-path"),
            args=parse_args(inputs.get("args")),
        )


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


def child_env() -> dict[str, str]:
    """The job's environment minus this action's own inputs."""
    return {k: v for k, v in os.environ.items() if not k.startswith(gha.INPUT_PREFIX)}


def run(inputs: BuildInputs) -> dict[str, str]:
    check_project(inputs.project)
    binary = wash.locate(inputs.wash_path)
    args = ["build", *(["--skip-fetch"] if inputs.skip_fetch else []), *inputs.args]
    gha.group_start(f"wash {' '.join(args)} ({inputs.project})")
    try:
        result = wash.run(binary, args, cwd=inputs.project, env=child_env(), echo=True)
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
            details=result.tail(),
        )
    if not envelope.success or result.returncode != 0:
        raise ActionError(
            what=f"wash build failed: {envelope.message.splitlines()[0] if envelope.message else 'no message'}",
            why=envelope.message or f"wash exited with code {result.returncode}.",
            fix="Fix the build error above; run `wash build` locally in the project to reproduce.",
            docs="#build",
            details=result.tail(40),
        )
    data = envelope.data if isinstance(envelope.data, dict) else {}
    project = Path(str(data.get("project_path") or inputs.project))
    component = Path(str(data.get("component_path") or ""))
    if not component.is_absolute():
        component = project / component
    if not data.get("component_path") or not component.is_file():
        raise ActionError(
            what=f"wash build reported success but the component {component} does not exist",
            why="build.component_path in .wash/config.yaml does not match where build.command writes the component.",
            fix="Make build.component_path the file your build command writes.",
            docs="#build",
        )
    sha256 = sha256_file(component)
    size = component.stat().st_size
    gha.summary(
        "### Component built\n\n| component | size | sha256 |\n|---|---|---|\n"
        f"| `{_relative(component)}` | {size:,} bytes | `{sha256}` |\n"
    )
    return {
        "component-path": str(component),
        "project-path": str(project),
        "component-sha256": sha256,
        "component-size": str(size),
    }


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(gha.workspace().resolve()))
    except ValueError:
        return str(path)
