"""promote as a step: write, push and pull-request modes against a real bare Git remote and a stand-in of
GitHub's pulls API (tests/stacks/pulls.py, shaped as the REST docs say); the token never on argv or in a log."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.helpers import Run, assert_one_clear_error, rendered, run_command
from tests.stacks import git_http, pulls
from wash_actions.deploy import git_commit

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "deploy"
A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
IMAGES = f"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0@{A}\nghcr.io/acme/cart@{B}"
TOKEN = "ghs_promoteTOKENnever0nArgv42"
SERVER = "https://github.example"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote with main holding manifests, and a clone of it as the job's workspace."""
    remote = tmp_path / "remote.git"
    seed = tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "deploy").mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "wasmcloud-samples" / "deployment.yaml", seed / "deploy" / "hello.yaml")
    shutil.copy(ROOT / "tests" / "fixtures" / "wasmcloud-samples" / "hpa.yaml", seed / "deploy" / "hpa.yaml")
    shutil.copy(FIXTURES / "crafted" / "kustomization.yaml", seed / "deploy" / "kustomization.yaml")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "manifests")
    git(seed, "push", "--quiet", str(remote), "main")
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "--quiet", str(remote), str(workspace))
    return remote, workspace


def promote(
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    workspace: Path,
    runner: Path,
    inputs: dict[str, str],
    env: dict[str, str] | None = None,
) -> Run:
    base = {"manifests": "deploy", "images": IMAGES, "github-token": TOKEN}
    return run_command(
        "promote",
        {**base, **inputs},
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=runner,
        workspace=workspace,
        env={"GITHUB_SERVER_URL": SERVER, "WASHACTIONS_ROOT": str(ROOT), **(env or {})},
    )


def test_write_edits_only_the_image_lines(monkeypatch, capfd, tmp_path, checkout) -> None:
    _, workspace = checkout
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {})
    assert run.code == 0, run.stdout
    assert run.outputs["changed"] == "true"
    assert json.loads(run.outputs["files"]) == ["deploy/hello.yaml", "deploy/kustomization.yaml"]
    diff = git(workspace, "diff", "--unified=0")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-          image: ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0",
        f"+          image: ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0@{A}",
        "-    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000",
        f"+    digest: {B}",
    ]
    not_promoted = {entry["image"] for entry in json.loads(run.outputs["not-promoted"])}
    assert not_promoted == {"ghcr.io/acme/shop-api:1.4.0", "ghcr.io/acme/worker:0.3.0", "docker.io/library/redis:7"}
    assert "Not promoted (not in `images`)" in run.summary and "docker.io/library/redis:7" in rendered(run.summary)
    assert run.outputs["pull-request-operation"] == "none" and run.outputs["commit"] == ""
    assert git(workspace, "rev-parse", "HEAD") == git(workspace, "rev-parse", "origin/main")  # no commit
    again = promote(monkeypatch, capfd, workspace, tmp_path / "r2", {})
    assert again.code == 0 and again.outputs["changed"] == "false"


def test_push_commits_to_the_checked_out_branch(monkeypatch, capfd, tmp_path, checkout) -> None:
    remote, workspace = checkout
    before = git(remote, "rev-parse", "main")
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push"})
    assert run.code == 0, run.stdout
    after = git(remote, "rev-parse", "main")
    assert after == run.outputs["commit"] != before
    assert git(remote, "rev-parse", "main^") == before
    assert git(remote, "diff", "--name-only", before, after).split() == [
        "deploy/hello.yaml",
        "deploy/kustomization.yaml",
    ]
    assert git(remote, "log", "-1", "--format=%an <%ae>", "main") == f"{git_commit.BOT_NAME} <{git_commit.BOT_EMAIL}>"
    assert git(workspace, "rev-parse", "HEAD") == after == git(workspace, "rev-parse", "origin/main")
    assert git(workspace, "status", "--porcelain") == ""  # the local branch, origin/main and index follow
    again = promote(monkeypatch, capfd, workspace, tmp_path / "r2", {"mode": "push"})
    assert again.code == 0 and again.outputs["changed"] == "false" and again.outputs["commit"] == ""
    assert git(remote, "rev-parse", "main") == after


def test_pull_request_open_update_and_nothing_to_do(monkeypatch, capfd, tmp_path, checkout) -> None:
    remote, workspace = checkout
    store = pulls.PullStore("acme/hello-world", remote, SERVER)
    with pulls.serving(store) as api:
        env = {"GITHUB_API_URL": api.url, "GITHUB_RUN_ID": "77"}
        first = promote(monkeypatch, capfd, workspace, tmp_path / "r1", {"mode": "pull-request"}, env)
        assert first.code == 0, first.stdout
        assert first.outputs["pull-request-operation"] == "created"
        assert first.outputs["pull-request-number"] == "1"
        assert first.outputs["pull-request-url"] == f"{SERVER}/acme/hello-world/pull/1"
        commit = first.outputs["commit"]
        assert git(remote, "rev-parse", "refs/heads/wash-actions/promote") == commit
        assert git(remote, "rev-parse", f"{commit}^") == git(remote, "rev-parse", "main")
        assert git(workspace, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # the checkout stays on its branch
        pull = store.pulls[0]
        assert pull["base_ref"] == "main" and pull["head_ref"] == "wash-actions/promote"
        body = str(pull["body"])
        assert "| image | manifest | old | new |" in body
        assert f"ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0@{A}" in rendered(body)
        assert (
            "gh attestation verify oci://ghcr.io/acme/cart@" + B + " --bundle-from-oci --repo acme/hello-world" in body
        )
        assert (
            f"{SERVER}/acme/hello-world/attestations" in body and f"{SERVER}/acme/hello-world/actions/runs/77" in body
        )
        assert all(auth == f"Bearer {TOKEN}" for auth in store.authorization)

        # a re-run on a fresh checkout: the same commit (dates from its parent), nothing pushed, the PR updated
        git(workspace, "checkout", "--quiet", "--", ".")
        second = promote(
            monkeypatch, capfd, workspace, tmp_path / "r2", {"mode": "pull-request", "title": "Pin v2"}, env
        )
        assert second.code == 0, second.stdout
        assert second.outputs["commit"] == commit
        assert "Already pushed" in second.stdout
        assert second.outputs["pull-request-operation"] == "updated"
        assert len(store.pulls) == 1 and store.pulls[0]["title"] == "Pin v2"
        assert [m for m, _, _ in store.requests].count("POST") == 1
        assert [m for m, _, _ in store.requests].count("PATCH") == 1

        # merged: main holds the pins; a run finds nothing to do and makes no request
        git(remote, "update-ref", "refs/heads/main", commit)
        git(workspace, "checkout", "--quiet", "--", ".")
        git(workspace, "pull", "--quiet", "--ff-only")
        store.requests.clear()
        third = promote(monkeypatch, capfd, workspace, tmp_path / "r3", {"mode": "pull-request"}, env)
        assert third.code == 0, third.stdout
        assert third.outputs["changed"] == "false" and third.outputs["pull-request-operation"] == "none"
        assert store.requests == []


def test_pull_request_refused_by_the_api_is_one_clear_error(monkeypatch, capfd, tmp_path, checkout) -> None:
    remote, workspace = checkout
    store = pulls.PullStore("acme/hello-world", remote, SERVER)
    with pulls.serving(store) as api:
        run = promote(
            monkeypatch,
            capfd,
            workspace,
            tmp_path / "r",
            {"mode": "pull-request", "github-token": ""},
            {"GITHUB_API_URL": api.url},
        )
    assert_one_clear_error(run, "HTTP 401", "pull-requests: write")


def write_git_shim(bin_dir: Path, log: Path) -> None:
    """A git that records its arguments, then runs the real git."""
    real = shutil.which("git")
    assert real
    bin_dir.mkdir()
    shim = bin_dir / "git"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)


def test_token_never_on_argv_or_in_the_log(monkeypatch, capfd, tmp_path, checkout) -> None:
    remote, workspace = checkout
    log = tmp_path / "argv.log"
    write_git_shim(tmp_path / "bin", log)
    store = pulls.PullStore("acme/hello-world", remote, SERVER)
    with pulls.serving(store) as api:
        env = {"GITHUB_API_URL": api.url, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
        run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "pull-request"}, env)
    assert run.code == 0, run.stdout
    argv = log.read_text()
    assert "push" in argv and "commit-tree" in argv  # the shim saw the calls
    for text in (argv, run.stdout, run.stderr, run.summary, json.dumps(run.outputs)):
        assert TOKEN not in text
        assert "x-access-token" not in text


def test_token_reaches_the_git_server_once_replacing_a_persisted_header(monkeypatch, capfd, tmp_path, checkout) -> None:
    """Over real smart HTTP (git http-backend): actions/checkout persists an extraheader in .git/config; ours
    replaces it, so every request carries exactly one Authorization header, the job's token."""
    remote, workspace = checkout
    store = git_http.GitHttpStore(remote.parent)
    with git_http.serving(store) as server:
        git(workspace, "remote", "set-url", "origin", f"{server.url}/{remote.name}")
        git(workspace, "config", "--local", f"http.{server.url}/.extraheader", "AUTHORIZATION: basic cGVyc2lzdGVk")
        run = promote(
            monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push"}, {"GITHUB_SERVER_URL": server.url}
        )
    assert run.code == 0, run.stdout
    assert git(remote, "rev-parse", "main") == run.outputs["commit"]
    expected = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert store.authorization and all(headers == [expected.partition(": ")[2]] for headers in store.authorization)


@pytest.mark.parametrize(
    ("inputs", "fragment"),
    [
        pytest.param({"mode": "pull-request", "branch": "release/..x"}, "contains '..'", id="dotdot"),
        pytest.param({"mode": "pull-request", "branch": "-delete"}, "starts with '-'", id="leading-dash"),
        pytest.param({"mode": "pull-request", "branch": "a b"}, "characters other than", id="space"),
        pytest.param({"mode": "pull-request", "base": "main.lock"}, "base 'main.lock'", id="lock"),
        pytest.param({"mode": "merge"}, "mode 'merge'", id="mode"),
        pytest.param({"manifests": "../elsewhere/*.yaml"}, "is outside the workspace", id="outside"),
        pytest.param({"manifests": "deploy/missing.yaml"}, "names no file", id="missing"),
        pytest.param({"images": f"ghcr.io/acme/cart@{B[:-1]}"}, "is not a digest", id="short-digest"),
        pytest.param({"images": "ghcr.io/acme/other@" + A}, "No image in manifests is named by images", id="none"),
    ],
)
def test_bad_inputs_change_nothing(monkeypatch, capfd, tmp_path, checkout, inputs, fragment) -> None:
    remote, workspace = checkout
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", inputs)
    assert_one_clear_error(run, fragment)
    assert git(workspace, "status", "--porcelain") == ""
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_push_on_a_detached_head_is_one_clear_error(monkeypatch, capfd, tmp_path, checkout) -> None:
    remote, workspace = checkout
    git(workspace, "checkout", "--quiet", "--detach")
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push"})
    assert_one_clear_error(run, "HEAD is detached")
    assert git(workspace, "status", "--porcelain") == ""
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_a_symbolic_link_out_of_the_workspace_is_refused(monkeypatch, capfd, tmp_path, checkout) -> None:
    _, workspace = checkout
    outside = tmp_path / "outside.yaml"
    outside.write_text((ROOT / "tests" / "fixtures" / "wasmcloud-samples" / "deployment.yaml").read_text())
    (workspace / "deploy" / "linked.yaml").symlink_to(outside)
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"manifests": "deploy/*.yaml"})
    assert_one_clear_error(run, "deploy/linked.yaml is outside the workspace")
    assert "@sha256" not in outside.read_text()


# -- a hostile checkout: its configuration runs nothing ------------------------------------------------------
# Each case sets up the workspace's .git/config (or hooks, attributes), then runs plain git, which must run the
# repository's program (so the case is real and the test can fail), then promote, whose git must run none.


def _tool(path: Path, marker: Path) -> Path:
    """A program that records that it ran, then fails (a hook that fails would stop git: it must not run)."""
    path.write_text(f"#!/bin/sh\necho \"$0 $*\" >> '{marker}'\nexit 1\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


HOOKS = ("pre-commit", "commit-msg", "post-commit", "pre-push", "reference-transaction", "post-index-change")


def _hooks(workspace: Path, tool: Path, marker: Path) -> tuple[str, ...]:
    for hook in HOOKS:
        _tool(workspace / ".git" / "hooks" / hook, marker)
    return ("commit", "--quiet", "--allow-empty", "-m", "plain")


def _pre_push(workspace: Path, tool: Path, marker: Path) -> tuple[str, ...]:
    _tool(workspace / ".git" / "hooks" / "pre-push", marker)
    return ("push", "--quiet", "origin", "HEAD:refs/heads/plain")


def _hooks_path(workspace: Path, tool: Path, marker: Path) -> tuple[str, ...]:
    husky = workspace.parent / "husky"
    husky.mkdir()
    for hook in HOOKS:
        _tool(husky / hook, marker)
    git(workspace, "config", "core.hooksPath", str(husky))
    return ("commit", "--quiet", "--allow-empty", "-m", "plain")


def _fsmonitor(workspace: Path, tool: Path, marker: Path) -> tuple[str, ...]:
    git(workspace, "config", "core.fsmonitor", str(tool))
    return ("status", "--porcelain")


def _gpgsign(workspace: Path, tool: Path, marker: Path) -> tuple[str, ...]:
    # HEAD signed by a stand-in gpg (it prints what git expects); then every commit signs and every log
    # verifies, both with the repository's gpg.program
    signer = tool.with_name("sign.sh")
    signer.write_text(
        "#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED ' >&2\n"
        "printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nAAAA\\n-----END PGP SIGNATURE-----\\n'\n"
    )
    signer.chmod(0o755)
    git(workspace, "config", "gpg.program", str(signer))
    git(workspace, "commit", "--quiet", "--allow-empty", "-S", "-m", "signed")
    git(workspace, "push", "--quiet", "origin", "HEAD")
    git(workspace, "config", "commit.gpgsign", "true")
    git(workspace, "config", "log.showSignature", "true")
    git(workspace, "config", "gpg.program", str(tool))
    return ("commit", "--quiet", "--allow-empty", "-m", "plain")


def _receive_pack(workspace: Path, tool: Path, marker: Path) -> tuple[str, ...]:
    git(workspace, "config", "remote.origin.receivepack", str(tool))
    git(workspace, "config", "remote.origin.uploadpack", str(tool))
    return ("push", "--quiet", "origin", "HEAD:refs/heads/plain")


HOSTILE = {
    "hooks in .git/hooks": _hooks,
    "a pre-push hook": _pre_push,
    "core.hooksPath (husky)": _hooks_path,
    "core.fsmonitor": _fsmonitor,
    "commit.gpgsign and log.showSignature with gpg.program": _gpgsign,
    "remote.origin.receivepack and uploadpack": _receive_pack,
}


def plain_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_TERMINAL_PROMPT": "0"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("mode", ["push", "pull-request"])
def test_a_hostile_checkout_config_runs_nothing(monkeypatch, capfd, tmp_path, checkout, case, mode) -> None:
    remote, workspace = checkout
    marker = tmp_path / "ran"
    args = HOSTILE[case](workspace, _tool(tmp_path / "tool.sh", marker), marker)
    plain_git(workspace, *args)
    assert marker.exists(), f"plain git did not run the {case} program: the case does not test anything"
    marker.unlink()
    head = git(workspace, "rev-parse", "HEAD")
    store = pulls.PullStore("acme/hello-world", remote, SERVER)
    with pulls.serving(store) as api:
        run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": mode}, {"GITHUB_API_URL": api.url})
    assert not marker.exists(), f"promote ran the checkout's {case} program: {marker.read_text()}"
    assert run.code == 0, run.stdout + run.stderr
    commit = run.outputs["commit"]
    assert git(remote, "rev-parse", "main" if mode == "push" else "refs/heads/wash-actions/promote") == commit
    assert git(remote, "rev-parse", f"{commit}^") == head
    assert "gpgsig" not in git(remote, "cat-file", "commit", commit)


def test_credential_helpers_and_askpass_of_the_checkout_never_run(monkeypatch, capfd, tmp_path, checkout) -> None:
    """GitHub answers 401 to a request without credentials: plain git then asks the repository's credential
    helper and askpass program; promote's git asks neither (no token: one clear error)."""
    remote, workspace = checkout
    marker = tmp_path / "ran"
    tool = _tool(tmp_path / "tool.sh", marker)
    store = git_http.GitHttpStore(remote.parent)
    with git_http.serving(store) as server:
        git(workspace, "remote", "set-url", "origin", f"{server.url}/{remote.name}")
        git(workspace, "config", "credential.helper", f"!{tool}")
        git(workspace, "config", "core.askPass", str(tool))
        plain_git(workspace, "ls-remote", "origin")
        assert marker.exists() and "get" in marker.read_text(), "plain git did not ask the credential helper"
        marker.unlink()
        git(workspace, "config", "--unset", "credential.helper")
        plain_git(workspace, "ls-remote", "origin")
        assert marker.exists(), "plain git did not run core.askPass: the case does not test anything"
        marker.unlink()
        git(workspace, "config", "credential.helper", f"!{tool}")
        env = {"GITHUB_SERVER_URL": server.url}
        run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push", "github-token": ""}, env)
        assert not marker.exists(), f"promote ran the checkout's credential program: {marker.read_text()}"
        assert_one_clear_error(run, "git ls-remote failed")
        git(workspace, "checkout", "--quiet", "--", ".")
        good = promote(monkeypatch, capfd, workspace, tmp_path / "r2", {"mode": "push"}, env)
    assert good.code == 0, good.stdout + good.stderr
    assert git(remote, "rev-parse", "main") == good.outputs["commit"]
    assert not marker.exists(), marker.read_text()


def test_a_clean_filter_is_one_clear_error_and_never_runs(monkeypatch, capfd, tmp_path, checkout) -> None:
    remote, workspace = checkout
    marker = tmp_path / "ran"
    git(workspace, "config", "filter.evil.clean", str(_tool(tmp_path / "tool.sh", marker)))
    (workspace / ".gitattributes").write_text("*.yaml filter=evil\n")
    plain_git(workspace, "hash-object", "--path", "deploy/hello.yaml", "deploy/hello.yaml")
    assert marker.exists(), "plain git did not run the clean filter: the case does not test anything"
    marker.unlink()
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push"})
    assert_one_clear_error(run, "has a clean filter (evil)")
    assert not marker.exists(), marker.read_text()
    assert git(workspace, "status", "--porcelain") == "?? .gitattributes"  # no manifest written
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


@pytest.mark.parametrize(
    "url",
    ["ssh://git@github.com/acme/x.git", "git@github.com:acme/x.git", "ext::sh -c evil", "git://example.invalid/x"],
)
def test_a_remote_over_another_transport_is_one_clear_error(monkeypatch, capfd, tmp_path, checkout, url) -> None:
    remote, workspace = checkout
    git(workspace, "remote", "set-url", "origin", url)
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push"})
    assert_one_clear_error(run, "promote cannot push to origin")
    assert git(workspace, "status", "--porcelain") == ""
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_a_credential_in_the_remote_url_is_never_shown(monkeypatch, capfd, tmp_path, checkout) -> None:
    _, workspace = checkout
    git(workspace, "remote", "set-url", "origin", f"ssh://x-access-token:{TOKEN}@github.example/acme/x.git")
    run = promote(monkeypatch, capfd, workspace, tmp_path / "r", {"mode": "push"})
    assert_one_clear_error(run, "promote cannot push to origin at ssh://github.example/acme/x.git")
    assert TOKEN not in run.stdout + run.stderr


def _chown(path: Path, uid: int) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(Path(root) / name, uid, uid)
    os.lchown(path, uid, uid)


def test_a_checkout_another_user_owns_is_refused_unless_it_is_the_job_workspace(
    monkeypatch, capfd, tmp_path, checkout
) -> None:
    """git's ownership check (CVE-2022-24765) stands: outside a runner a checkout another user owns is one clear
    error; on a runner the job's checkout (a container job's workspace) is trusted, and still runs nothing."""
    remote, workspace = checkout
    marker = tmp_path / "ran"
    git(workspace, "config", "core.fsmonitor", str(_tool(tmp_path / "tool.sh", marker)))
    _chown(workspace, 65534)
    plain = plain_git(workspace, "status")
    assert plain.returncode != 0 and "dubious ownership" in plain.stderr  # git itself refuses it
    refused = promote(monkeypatch, capfd, workspace, tmp_path / "r1", {"mode": "push"}, {"GITHUB_ACTIONS": ""})
    line = assert_one_clear_error(refused, "another user owns it", "safe.directory")
    assert "mode: write" in line
    assert "@sha256" not in (workspace / "deploy" / "hello.yaml").read_text()  # nothing written
    trusted = promote(monkeypatch, capfd, workspace, tmp_path / "r2", {"mode": "push"}, {"GITHUB_ACTIONS": "true"})
    assert trusted.code == 0, trusted.stdout + trusted.stderr
    assert git(remote, "rev-parse", "main") == trusted.outputs["commit"]
    assert not marker.exists(), marker.read_text()


def test_a_job_workspace_inside_another_users_checkout_is_not_trusted(monkeypatch, capfd, tmp_path, checkout) -> None:
    """On a runner, git looks for no repository above the workspace: a workspace inside a checkout another user
    owns is not a checkout to commit to."""
    remote, outer = checkout
    inner = outer / "deploy"
    _chown(outer, 65534)
    env = {"GITHUB_ACTIONS": "true"}
    run = promote(monkeypatch, capfd, inner, tmp_path / "r", {"mode": "push", "manifests": "."}, env)
    assert_one_clear_error(run, "git rev-parse failed")
    assert "@sha256" not in (inner / "hello.yaml").read_text()
    assert git(remote, "for-each-ref", "--format=%(refname)") == "refs/heads/main"
