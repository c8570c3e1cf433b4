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
from wash_actions import git_commit

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
    assert git(workspace, "rev-parse", "HEAD") == after
    assert git(workspace, "status", "--porcelain") == ""  # the local branch and index follow
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
