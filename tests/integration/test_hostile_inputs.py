"""Hostile inputs, through the commands as a runner calls them (issue 14, classes 1, 2, 6, 7, 8, 9, 10).

Each failing case gives exactly one ``::error`` (what, why, fix), exit 1, no traceback, and leaves nothing
half-done: no tag moved, no file outside the workspace touched, no credential printed or left on disk. Each
case also checks that nothing the step printed can act as a workflow command other than the step's own
(the runner's rules, actions/runner ``src/Runner.Common/ActionCommand.cs``: a line that starts with ``::``
once leading whitespace is trimmed, or that contains the legacy ``##[``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import Run, assert_one_clear_error, run_command
from tests.integration.test_faults import run_action
from tests.stacks import proxy as proxy_stack

# Payloads a directory name, a manifest field, a file name, a URL or a build's output may carry.
PAYLOADS = (
    "\n::error title=PWNED::owned",
    "\n::add-mask::PWNED",
    "\n::stop-commands::PWNEDTOKEN",
    "\n  ::warning::PWNED indented",
    " ##[error]PWNED legacy",
)
HOSTILE = "x" + "".join(PAYLOADS)
SECRET = "hunter2-Sekr1t"
OURS = re.compile(r"^::(error|warning|notice|group|endgroup)( [\w-]+=[^:,]*(,[\w-]+=[^:,]*)*)?::")


def runner_commands(text: str) -> list[str]:
    """The lines of ``text`` the runner would run as workflow commands."""
    return [line for line in text.splitlines() if line.lstrip().startswith("::") or "##[" in line]


def assert_no_injection(run: Run) -> None:
    """Every command line is one of the step's own, and no payload became a command of its own."""
    for line in runner_commands(run.stdout + "\n" + run.stderr):
        assert "##[" not in line, line
        assert OURS.match(line), line  # never ::add-mask::, ::stop-commands::, nor indented
        head, _, data = line[2:].partition("::")
        assert not re.match(r"[\w-]+ title=PWNED", head), line
        assert not data.startswith("PWNED") and not data.startswith("owned"), line
    assert SECRET not in run.stdout + run.stderr + run.summary


def python_path() -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


# -- class 1: workflow-command injection through printed values -----------------------------------------------


@pytest.fixture
def hostile_tree(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    for name in ("app", HOSTILE.replace("/", "-")):
        (workspace / name / ".wash").mkdir(parents=True)
        (workspace / name / ".wash" / "config.yaml").write_text("build:\n  command: 'true'\n")
    return workspace


def test_discover_prints_hostile_directory_names_as_text(monkeypatch, capfd, tmp_path, hostile_tree):
    run = run_command(
        "discover", {}, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "r", workspace=hostile_tree
    )
    assert run.code == 0, run.stdout
    assert_no_injection(run)
    assert not run.errors
    paths = json.loads(run.outputs["projects"])
    assert HOSTILE in paths  # the output keeps the name whole: GITHUB_OUTPUT's delimiter is not in it
    assert "PWNED" in run.stdout  # shown, as text


def test_discover_error_lists_hostile_names_in_one_error(monkeypatch, capfd, tmp_path, hostile_tree):
    run = run_command(
        "discover",
        {"include": "nothing-matches/*"},
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=tmp_path / "r",
        workspace=hostile_tree,
    )
    assert_one_clear_error(run, "left none of the 2 wash projects")
    assert_no_injection(run)


@pytest.fixture
def copy_project(tmp_path: Path, built_python: Path):
    """A workspace with one project whose build copies the prebuilt component into place."""

    def make(config: str = "", files: dict[str, str] | None = None, name: str = "app") -> Path:
        workspace = tmp_path / "ws"
        project = workspace / name
        (project / ".wash").mkdir(parents=True, exist_ok=True)
        (workspace / "prebuilt.wasm").write_bytes(built_python.read_bytes())
        config = config or f"build:\n  command: cp {workspace / 'prebuilt.wasm'} out.wasm\n  component_path: out.wasm\n"
        (project / ".wash" / "config.yaml").write_text(config)
        for rel, text in (files or {}).items():
            (project / rel).write_text(text)
        return workspace

    return make


def build(monkeypatch, capfd, tmp_path, wash_binary, workspace: Path, env: dict[str, str] | None = None, **inputs):
    return run_command(
        "build",
        {"wash-path": str(wash_binary), "skip-fetch": "true", "working-directory": "app", **inputs},
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=tmp_path / "runner",
        workspace=workspace,
        env={**python_path(), **(env or {})},
    )


@pytest.mark.parametrize(
    "manifest",
    [
        {"package.json": json.dumps({"name": "app", "version": "1.0.0", "description": HOSTILE})},
        {"package.json": json.dumps({"name": "app", "version": "1.0.0", "license": "MIT" + PAYLOADS[0]})},
        {"Cargo.toml": f'[package]\nname = "app"\nversion = "1.0.0"\ndescription = {json.dumps(HOSTILE)}\n'},
    ],
    ids=["package-json-description", "package-json-license", "cargo-toml-description"],
)
def test_build_prints_hostile_manifest_fields_as_text(
    monkeypatch, capfd, tmp_path, wash_binary, copy_project, manifest
):
    run = build(monkeypatch, capfd, tmp_path, wash_binary, copy_project(files=manifest))
    assert run.code == 0, run.stdout + run.stderr
    assert not run.errors
    assert_no_injection(run)


def test_build_output_cannot_issue_commands(monkeypatch, capfd, tmp_path, wash_binary, copy_project):
    script = "".join(f"print({p!r})\n" for p in PAYLOADS) + "raise SystemExit(3)\n"
    workspace = copy_project("build:\n  command: python3 evil.py\n  component_path: out.wasm\n", {"evil.py": script})
    run = build(monkeypatch, capfd, tmp_path, wash_binary, workspace)
    assert_one_clear_error(run, "wash build failed")
    assert_no_injection(run)


def test_component_file_name_in_an_error_is_text(monkeypatch, capfd, tmp_path, wash_binary, copy_project):
    name = "out" + PAYLOADS[1].replace("\n", "") + ".wasm"  # a file name cannot hold a newline in YAML here
    workspace = copy_project(f"build:\n  command: 'true'\n  component_path: {json.dumps(name + PAYLOADS[0])}\n")
    run = build(monkeypatch, capfd, tmp_path, wash_binary, workspace)
    assert_one_clear_error(run)
    assert_no_injection(run)


@pytest.mark.parametrize(
    ("case", "url", "fragment"),
    [
        ("payload", "https://mirror.example" + PAYLOADS[0], "has spaces or line breaks"),
        ("payload-and-credentials", f"https://u:{SECRET}@mirror.example" + PAYLOADS[1], "has spaces or line breaks"),
        ("credentials-unreachable", f"https://u:{SECRET}@127.0.0.1:1/mirror", "Could not reach 127.0.0.1:1"),
    ],
)
def test_download_base_url_hostile(case, url, fragment, monkeypatch, capfd, tmp_path, release_server):
    inputs = {"wash-version": "2.10.3", "github-api-url": release_server.url, "verify": "false"}
    inputs["download-base-url"] = url
    run = run_command("setup-wash", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "r")
    assert_one_clear_error(run, fragment)
    assert_no_injection(run)
    assert run.path == []


# -- class 2: paths leave the workspace -----------------------------------------------------------------------


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


@pytest.fixture
def victim(tmp_path: Path, built_python: Path) -> Path:
    """A component outside the workspace that a hostile config points at: metadata must never reach it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "victim.wasm"
    target.write_bytes(built_python.read_bytes())
    (outside / ".wash").mkdir()
    (outside / ".wash" / "config.yaml").write_text(f"build:\n  command: 'true'\n  component_path: {target}\n")
    return target


@pytest.mark.parametrize(
    ("case", "layout", "workdir", "fragment"),
    [
        ("workdir-dotdot", None, "../outside", "is outside the workspace"),
        ("workdir-symlink", "link-dir", "link", "is outside the workspace"),
        ("component-absolute", "absolute", "app", "points outside the workspace"),
        ("component-dotdot", "dotdot", "app", "points outside the workspace"),
        ("component-symlink", "link-file", "app", "points outside the workspace"),
        ("component-symlinked-dir", "link-parent", "app", "points outside the workspace"),
    ],
)
def test_build_stays_in_the_workspace(
    case, layout, workdir, fragment, monkeypatch, capfd, tmp_path, wash_binary, copy_project, victim
):
    config = "build:\n  command: 'true'\n  component_path: {path}\n"
    paths = {"absolute": str(victim), "dotdot": "../../outside/victim.wasm", "link-file": "out.wasm"}
    workspace = copy_project(config.format(path=paths.get(layout or "", "out/victim.wasm")))
    project = workspace / "app"
    if layout == "link-dir":
        (workspace / "link").symlink_to(victim.parent)
    if layout == "link-file":
        (project / "out.wasm").symlink_to(victim)
    if layout == "link-parent":
        (project / "out").symlink_to(victim.parent)
    before = fingerprint(victim)
    run = build(monkeypatch, capfd, tmp_path, wash_binary, workspace, **{"working-directory": workdir})
    assert_one_clear_error(run, fragment)
    assert fingerprint(victim) == before  # no metadata appended to a file the project does not own
    assert "component-path" not in run.outputs


# -- publish: shared setup ------------------------------------------------------------------------------------


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path, wash_binary, built_python, no_sleep):
    def run(registry_host: str, repository: str, tags: str, env: dict[str, str] | None = None, **inputs: str) -> Run:
        all_inputs = {
            "component-path": str(built_python),
            "registry": registry_host,
            "repository": repository,
            "tags": tags,
            "insecure": "true",
            **inputs,
        }
        env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "", **(env or {})}
        return run_command(
            "publish", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", env=env
        )

    return run


def test_publish_component_path_stays_in_the_workspace(publish, registry, tmp_path, victim):
    workspace = tmp_path / "runner"  # run_command's workspace
    workspace.mkdir(exist_ok=True)
    (workspace / "link.wasm").symlink_to(victim)
    for raw in ("../outside/victim.wasm", "link.wasm"):
        run = publish(registry.host, "hostile/component-path", "v1", **{"component-path": raw})
        assert_one_clear_error(run, "is outside the workspace")
    assert registry.tags("hostile/component-path") == []


# -- class 7: silent rewrites and silent moves ----------------------------------------------------------------

TAG_CASES = [
    ("dash-latest", "-latest", {}, "'-latest' is not a valid OCI tag"),
    ("dot-latest", ".latest", {}, "'.latest' is not a valid OCI tag"),
    ("cyrillic-lookalike", "l\u0430test", {}, "U+0430"),
    ("slash", "feature/x", {}, "'feature/x' is not a valid OCI tag"),
    ("too-long", "t" * 134, {}, "134 characters long"),
    ("templates-collapse", "{{branch}}-a,{{branch}}-b", {"GITHUB_REF": "refs/heads/" + "b" * 134}, "both become"),
    ("template-meets-literal", "{{branch}},feature-x", {"GITHUB_REF": "refs/heads/feature/x"}, "both become"),
]


@pytest.mark.parametrize(("case", "tags", "env", "fragment"), TAG_CASES, ids=[c[0] for c in TAG_CASES])
def test_invalid_tags_are_refused_not_rewritten(case, tags, env, fragment, publish, registry):
    repository = f"hostile/tags-{case}"
    run = publish(registry.host, repository, tags, env=env)
    assert_one_clear_error(run, fragment)
    assert registry.tags(repository) == []  # latest was not moved, nothing was pushed


def test_a_sanitised_template_warns_before_and_after(publish, registry):
    run = publish(registry.host, "hostile/tags-warn", "{{branch}}", env={"GITHUB_REF": "refs/heads/feat/x"})
    assert run.code == 0, run.stdout
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert any("'feat/x'" in w and "'feat-x'" in w for w in warnings), warnings
    assert registry.tags("hostile/tags-warn") == ["feat-x"]


def test_a_moved_tag_reports_its_previous_digest(publish, registry):
    first = publish(registry.host, "hostile/moved", "edge")
    assert first.code == 0, first.stdout
    second = publish(registry.host, "hostile/moved", "edge", created="now")  # another time: another digest
    assert second.code == 0, second.stdout
    old, new = first.outputs["digest"], second.outputs["digest"]
    assert old != new
    assert f"Moved {registry.host}/hostile/moved:edge from {old} to {new}" in second.stdout
    assert f"moved from `{old}`" in second.summary


def test_an_existing_release_tag_is_never_moved(publish, registry):
    first = publish(registry.host, "hostile/immutable", "1.2.3")
    assert first.code == 0, first.stdout
    held = first.outputs["digest"]
    run = publish(registry.host, "hostile/immutable", "1.2.3,latest", created="now")  # another digest
    line = assert_one_clear_error(run, "Refusing to move published release tag 1.2.3", held)
    assert "immutable-tags: none" in line
    assert registry.tags("hostile/immutable") == ["1.2.3"]  # latest not created, 1.2.3 not moved
    assert registry.manifest("hostile/immutable", "1.2.3").headers["Docker-Content-Digest"] == held


@pytest.mark.parametrize(
    ("case", "mode", "tags", "fragment"),
    [
        ("all-mode-protects-latest", "all", "latest", "Refusing to move"),
        ("bad-mode", "sometimes", "latest", "must be releases, all or none"),
    ],
)
def test_immutable_tags_modes(case, mode, tags, fragment, publish, registry):
    repository = f"hostile/{case}"
    if mode == "all":
        assert publish(registry.host, repository, tags, **{"immutable-tags": "none"}).code == 0
    before = registry.tags(repository)
    run = publish(registry.host, repository, tags, created="now", **{"immutable-tags": mode})
    assert_one_clear_error(run, fragment)
    assert registry.tags(repository) == before


def test_immutable_tags_none_moves_a_release_on_purpose(publish, registry):
    assert publish(registry.host, "hostile/overwrite", "2.0.0").code == 0
    run = publish(registry.host, "hostile/overwrite", "2.0.0", created="now", **{"immutable-tags": "none"})
    assert run.code == 0, run.stdout
    assert "Moved " in run.stdout


# -- class 8: partial failure is reported tag by tag ----------------------------------------------------------


def test_a_500_on_the_third_of_five_tags(publish, registry):
    tags = ["t1", "t2", "t3", "t4", "t5"]
    with proxy_stack.serving(registry.url) as proxy:
        proxy.faults.put(proxy_stack.Fault.status(500, method="PUT", path=r"/manifests/t3$").persistent())
        run = publish(proxy.host, "hostile/partial", ",".join(tags))
    line = assert_one_clear_error(run, "could not tag t3", "HTTP 500", "1 of 5 tags")
    assert "Naming sha256:" in line and "t1, t2, t4, t5" in line
    assert "insecure: true" not in line and "unreachable" not in line.split("%0A")[0]
    digest = registry.manifest("hostile/partial", "t1").headers["Docker-Content-Digest"]
    assert sorted(registry.tags("hostile/partial")) == ["t1", "t2", "t4", "t5"]  # t3 never moved
    for tag in ("t2", "t4", "t5"):
        assert registry.manifest("hostile/partial", tag).headers["Docker-Content-Digest"] == digest


# -- class 9: output size and echoed credentials --------------------------------------------------------------


def test_a_six_megabyte_build_failure_is_capped(monkeypatch, capfd, tmp_path, wash_binary, copy_project):
    script = "import sys\nfor i in range(60000):\n    print('noise %06d ' % i + 'x' * 90)\nprint('THE REAL ERROR')\n"
    script += "raise SystemExit(3)\n"
    workspace = copy_project("build:\n  command: python3 loud.py\n  component_path: out.wasm\n", {"loud.py": script})
    run = build(monkeypatch, capfd, tmp_path, wash_binary, workspace)
    line = assert_one_clear_error(run, "wash build failed")
    assert len(line) < 8 * 1024, len(line)
    assert len(run.summary.encode()) < 1024 * 1024, len(run.summary)
    assert "THE REAL ERROR" in run.summary  # the tail is kept
    assert "earlier characters left out" in run.summary
    assert "noise 059999" in run.stdout  # the full output is in the log


@pytest.mark.parametrize(
    "value",
    [f"ci:{SECRET}@ghcr.io", f"https://ci:{SECRET}@ghcr.io", f"ci:{SECRET}@ghcr.io/acme"],
    ids=["userinfo", "url-userinfo", "userinfo-path"],
)
def test_registry_with_credentials_is_refused_without_echoing_them(value, publish, registry):
    run = publish(value, "hostile/creds", "v1")
    assert_one_clear_error(run, "must not carry credentials")
    assert SECRET not in run.stdout + run.stderr + run.summary + json.dumps(run.outputs)


# -- class 10: WASH_* overrides in any case -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wash_build.command", "Wash_Build.Command", "WASH_BUILD.COMMAND"])
def test_wash_overrides_in_any_case_are_dropped_and_named(
    name, monkeypatch, capfd, tmp_path, wash_binary, copy_project
):
    workspace = copy_project()
    hijack = tmp_path / "hijacked"
    run = build(monkeypatch, capfd, tmp_path, wash_binary, workspace, env={name: f"touch {hijack}"})
    assert run.code == 0, run.stdout + run.stderr
    assert not hijack.exists()  # wash 2.10.3 would run it: it reads WASH_* names in any case
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert any(name in w for w in warnings), warnings
    assert not any(str(hijack) in w for w in warnings)  # names only, never values


# -- class 6: cancellation ------------------------------------------------------------------------------------


def test_sigterm_during_a_push_removes_the_credentials(auth_registry, built_python, wash_binary, tmp_path):
    """The runner cancels a step with SIGINT, then SIGTERM (actions/runner src/Runner.Sdk/ProcessInvoker.cs)."""
    job = tmp_path / "job"
    with proxy_stack.serving(auth_registry.url) as slow:
        # hold back the push's upload session for long enough to cancel it
        slow.faults.put(proxy_stack.Fault.slow_body(30.0, method="POST", path=r"/blobs/uploads/").persistent())
        inputs = {
            "component-path": str(built_python),
            "insecure": "true",
            "registry": slow.host,
            "repository": "hostile/sigterm",
            "tags": "v1",
            "username": auth_registry.username,
            "password": auth_registry.password,
        }
        proc, files = run_action("publish", inputs, job)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not slow.requests_to(r"/blobs/uploads/", "POST"):
            time.sleep(0.1)
        assert slow.requests_to(r"/blobs/uploads/", "POST"), "the push never started"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, out + err
    assert "Traceback" not in out + err
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "SIGTERM" in errors[0], out
    secret = auth_registry.password.encode()
    assert [p for p in job.rglob("*") if p.is_file() and secret in p.read_bytes()] == []
    assert auth_registry.password not in out + err + files["GITHUB_STEP_SUMMARY"].read_text()
    assert auth_registry.tags("hostile/sigterm") == []
    # no process is left pushing this repository
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"hostile/sigterm" in (entry / "cmdline").read_bytes():
                    alive.append(entry.name)
            except OSError:
                continue
    assert alive == []
