"""Every output a command writes to GITHUB_OUTPUT reaches the caller, and every output an action reads exists.

The commands run for real, as the actions' steps run them (the local Releases server, the real wash, the real
registry), along each path that sets different outputs: setup-wash resolve on a cold runner, install, resolve
again on the warm runner (the tool-cache hit finishes the install), build, publish pushing and as a dry run,
discover, verify, promote. What they wrote is then held against every action.yml:

- an output a step's command writes is declared in ``outputs:`` as ``${{ steps.<id>.outputs.<name> }}`` (or a
  fallback chain over the steps that may set it), or read by a later step; otherwise it never reaches anyone;
- an output an action reads from a command step (``steps.<id>.outputs.<name>`` anywhere in the file) is one
  the command writes on some path; otherwise it is always empty.
"""

from __future__ import annotations

import os
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, WASH_VERSION
from tests.contract.test_actions import ACTION_FILES, STEP_OUTPUTS, load_action, rel
from tests.helpers import Run, run_command

ROOT = Path(__file__).resolve().parents[2]
# the root action's outputs that a later step's output of the same name gives for the whole pipeline
# (scripts/gen-root-action SHADOWED_OUTPUTS): (step, output) -> the later step
SHADOWED_IN_ROOT = {("build", "reused"): "publish", ("build", "source-key"): "publish"}
STEP_OUTPUT_REF = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")

OBSERVED: dict[str, set[str]] = {}  # command line ("setup-wash resolve") -> outputs written on some path


def _record(command: str, run: Run) -> Run:
    assert run.code == 0, f"{command}: {run.stdout[-3000:]}"
    OBSERVED.setdefault(command, set()).update(run.outputs)
    return run


@pytest.fixture
def observed(monkeypatch, capfd, tmp_path_factory, release_server, registry, wash_binary, built_python, user_sigstore):
    """Run every command along its paths once per session; the outputs each wrote, by command line."""
    if OBSERVED:
        return OBSERVED
    base = tmp_path_factory.mktemp("outputs-contract")

    def run(
        command: str,
        inputs: dict[str, str],
        runner: Path,
        *,
        workspace: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> Run:
        done = run_command(
            command, inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner, workspace=workspace, env=env
        )
        return _record(command, done)

    setup = {"wash-version": WASH_VERSION, "github-api-url": release_server.url, "verify": "false"}
    runner = base / "runner"
    cold = run("setup-wash resolve", setup, runner)
    assert cold.outputs["installed"] == "false"
    env = {
        "WASHACTIONS_RESOLVED": cold.outputs["resolved"],
        "WASHACTIONS_RESOLVED_VERSION": cold.outputs["wash-version"],
    }
    run("setup-wash install", setup, runner, env=env)
    warm = run("setup-wash resolve", setup, runner)
    assert warm.outputs["installed"] == "true"

    workspace = base / "workspace"
    (workspace / ".wash").mkdir(parents=True)
    shutil.copy(built_python, workspace / "prebuilt.wasm")
    (workspace / ".wash" / "config.yaml").write_text(
        "build:\n  command: cp prebuilt.wasm out.wasm\n  component_path: out.wasm\n"
    )
    build = run(
        "build", {"wash-path": str(wash_binary), "skip-fetch": "true"}, base / "build-runner", workspace=workspace
    )
    run("check", {"component-path": build.outputs["component-path"]}, base / "check-runner", workspace=workspace)
    publish = {
        "component-path": build.outputs["component-path"],
        "registry": registry.host,
        "repository": "acme/outputs-contract",
        "insecure": "true",
        "tags": "v1.0.0",
        "attest": "false",
    }
    signs = run("sigstore-cache", {"attest": "true"}, base / "sigstore-runner", env={"WASHACTIONS_ROOT": str(ROOT)})
    assert signs.outputs["key"].startswith("wash-actions-sigstore-")
    run("publish", publish, base / "publish-runner", workspace=workspace)
    run("publish", {**publish, "push": "false"}, base / "dry-run-runner", workspace=workspace)

    monorepo = base / "monorepo"
    shutil.copytree(ROOT / "tests" / "fixtures" / "monorepo", monorepo)
    run("discover", {}, base / "discover-runner", workspace=monorepo)

    deploy = base / "deploy"
    deploy.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "wasmcloud-samples" / "deployment.yaml", deploy / "hello.yaml")
    pinned = "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0@sha256:" + "a" * 64
    promote = {"manifests": "hello.yaml", "images": pinned}
    run("promote", promote, base / "promote-runner", workspace=deploy, env={"WASHACTIONS_ROOT": str(ROOT)})

    from tests.integration.test_verifier_images import GH, push_image
    from tests.integration.test_verify import attach
    from wash_actions.oci.registry import Registry

    client = Registry(registry.host, insecure=True)
    image = push_image(client, "acme/outputs-verify", b"\0asm attested for the outputs contract")
    attach(client, "acme/outputs-verify", image, user_sigstore, monkeypatch)
    verify = {"images": f"{registry.host}/acme/outputs-verify:v1", "insecure": "true", "github-api": "false"}
    trust = {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path)}
    run("verify", verify, base / "verify-runner", env={"PATH": f"{GH.parent}:{os.environ['PATH']}", **trust})
    return OBSERVED


@cache
def _command_steps(path: Path) -> list[tuple[str, str]]:
    """(step id, command line) of each step that runs a wash-actions command."""
    return [(s.id or "", s.command) for s in load_action(path).command_steps]


def test_every_command_the_actions_run_was_observed(observed) -> None:
    commands = {command for path in ACTION_FILES for _, command in _command_steps(path)}
    assert commands <= set(observed), f"not run here: {sorted(commands - set(observed))}"
    assert EXAMPLES.is_dir()


@pytest.mark.parametrize("path", ACTION_FILES, ids=rel)
def test_written_outputs_reach_the_caller_and_read_outputs_exist(path: Path, observed) -> None:
    action = load_action(path)
    steps = _command_steps(path)
    if not steps:
        pytest.skip(f"{rel(path)} runs no wash-actions command")
    writes = {step_id: observed[command] for step_id, command in steps}
    declared = action.outputs
    # references outside outputs:, e.g. a later step's env: or an actions/cache key
    body = yaml.safe_dump({k: v for k, v in action.data.items() if k != "outputs"})
    problems = []
    for step_id, command in steps:
        for name in sorted(writes[step_id]):
            here = f"${{{{ steps.{step_id}.outputs.{name} }}}}"
            if path == ROOT / "action.yml" and (step_id, name) in SHADOWED_IN_ROOT:
                later = SHADOWED_IN_ROOT[(step_id, name)]
                if str(declared[name].get("value") or "") != f"${{{{ steps.{later}.outputs.{name} }}}}":
                    problems.append(f"output {name!r} must be {later}'s: it says it for the whole pipeline")
                continue
            if name in declared:
                value = str(declared[name].get("value") or "")
                refs = STEP_OUTPUT_REF.findall(value)
                if (
                    not STEP_OUTPUTS.match(value.strip())
                    or (step_id, name) not in refs
                    or any(n != name or name not in writes.get(i, set()) for i, n in refs)
                ):
                    problems.append(f"output {name!r} has value {value!r}; expected {here}")
            elif not re.search(rf"steps\.{re.escape(step_id)}\.outputs\.{re.escape(name)}\b", body):
                problems.append(
                    f"`{command}` writes {name!r}, which neither the action's outputs nor a later step reads; "
                    f"declare it:\n    {name}:\n      description: ...\n      value: {here}"
                )
    ids = {s.get("id") for s in action.steps if s.get("id")}
    for step_id, name in STEP_OUTPUT_REF.findall(path.read_text(encoding="utf-8")):
        if step_id not in ids:
            problems.append(f"steps.{step_id}.outputs.{name}: {step_id!r} is not a step id of this action")
        elif step_id in writes and name not in writes[step_id]:
            command = dict(steps)[step_id]
            problems.append(f"steps.{step_id}.outputs.{name} is read, but `{command}` never writes {name!r}")
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(dict.fromkeys(problems))
