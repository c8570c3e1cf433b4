"""Bad input across the actions: each case gives exactly one ::error (what, why, fix), exit 1, no
traceback, and leaves nothing half-done: no tag pushed or moved, nothing in the tool cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_example
from tests.helpers import assert_one_clear_error, run_command

CORE_MODULE = b"\0asm\x01\x00\x00\x00"

# (id, command, inputs, env, expected fragment of the error line)
SETUP = [
    ("range-below-2", {"wash-version": "^1"}, {}, "older than 2.0.0"),
    ("exact-below-2", {"wash-version": "1.0.0"}, {}, "older than 2.0.0"),
    ("garbage-version", {"wash-version": "not-a-version"}, {}, "is not a version or range"),
    ("unsatisfiable-range", {"wash-version": ">=3 <2"}, {}, "is not a version or range"),
    ("range-prerelease", {"wash-version": "^2.0.0-rc.1"}, {}, "is not a version or range"),
    ("no-such-release", {"wash-version": "2.99.0"}, {}, "is not released"),
    ("no-match", {"wash-version": "^3"}, {}, "No wash release matches"),
    ("no-asset-for-platform", {"wash-version": "2.11.0"}, {}, "has no release asset"),
    ("bad-checksum", {"checksum": "xyz"}, {}, "is not a sha256"),
    ("wrong-checksum", {"checksum": "0" * 64}, {}, "does not match its expected sha256"),
    ("download-url-scheme", {"download-base-url": "ftp://mirror"}, {}, "is not an http(s) URL"),
    ("api-url-scheme", {"github-api-url": "file:///etc"}, {}, "is not an http(s) URL"),
    ("verify-not-bool", {"verify": "maybe"}, {}, "must be true or false"),
    ("plugin-not-qualified", {"plugins": "metrics:1.0"}, {}, "not a fully qualified OCI reference"),
    ("plugin-insecure-remote", {"plugins": "ghcr.io/a/p:1", "plugins-insecure": "true"}, {}, "plugins-insecure"),
]

BUILD = [
    ("missing-working-directory", {"working-directory": "nope"}, "does not exist"),
    ("no-config", {"working-directory": "empty"}, ".wash/config.yaml is missing"),
    ("bad-yaml", {"working-directory": "badyaml"}, "failed to load wash configuration"),
    ("config-is-unreadable", {"working-directory": "dirconfig"}, "is not a wash project"),
    ("no-build-command", {"working-directory": "nocmd"}, "build.command is required"),
    ("failing-build-command", {"working-directory": "fails"}, "wash build failed"),
    ("component-not-written", {"working-directory": "nofile"}, "component not found at expected path"),
    ("args-unclosed-quote", {"working-directory": "hello-python", "args": "--x 'y"}, "cannot be split"),
    ("args-take-output", {"working-directory": "hello-python", "args": "-o text"}, "which the action controls"),
    ("args-unknown-flag", {"working-directory": "hello-python", "args": "--no-such-flag"}, "printed no JSON result"),
    ("skip-fetch-not-bool", {"working-directory": "hello-python", "skip-fetch": "perhaps"}, "true or false"),
    ("metadata-not-bool", {"working-directory": "hello-python", "metadata": "sure"}, "true or false"),
    ("wash-path-missing", {"working-directory": "hello-python", "wash-path": "/nonexistent/wash"}, "wash not found"),
    ("wash-env-not-wash", {"working-directory": "hello-python", "wash-env": "PATH=/tmp"}, "WASH_NAME=value"),
]

PUBLISH = [
    ("component-required", {"component-path": ""}, {}, "'component-path' is required"),
    ("component-missing", {"component-path": "{tmp}/missing.wasm"}, {}, "does not exist"),
    ("component-is-directory", {"component-path": "{tmp}"}, {}, "is a directory"),
    ("not-wasm", {"component-path": "{tmp}/notes.txt"}, {}, "is not a WebAssembly component"),
    ("core-module", {"component-path": "{tmp}/core.wasm"}, {}, "core WebAssembly module"),
    ("registry-scheme", {"registry": "https://ghcr.io"}, {}, "must not include a scheme"),
    ("registry-path", {"registry": "ghcr.io/acme"}, {}, "is not a registry host"),
    ("registry-port", {"registry": "localhost:99999"}, {}, "is not a registry host"),
    ("repository-upper-case", {"repository": "Acme/Hello"}, {}, "upper-case"),
    ("repository-with-tag", {"repository": "acme/hello:v1"}, {}, "not a valid OCI repository name"),
    ("tag-empty-when-valid", {"tags": "..."}, {}, "is not a valid OCI tag"),
    ("tag-unknown-template", {"tags": "{{nope}}"}, {}, "unknown template"),
    ("tag-template-yields-nothing", {"tags": "{{version}}"}, {}, "No tag to publish"),
    ("insecure-remote", {"registry": "registry.example.com"}, {}, "insecure: true is refused"),
    ("username-without-password", {"username": "ci"}, {}, "'password' is missing"),
    ("password-without-username", {"password": "pw"}, {}, "'username' is missing"),
    ("push-not-bool", {"push": "nah"}, {}, "true or false"),
    ("attest-not-mode", {"attest": "sometimes"}, {}, "true, false or auto"),
    ("attest-without-id-token", {"attest": "true"}, {}, "id-token"),
    ("registry-unreachable", {"registry": "127.0.0.1:1"}, {}, "unreachable"),
    ("created-not-a-time", {"created": "tomorrow"}, {}, "not commit, now or an RFC 3339"),
]


@pytest.fixture
def runner_dir(tmp_path: Path) -> Path:
    return tmp_path / "runner"


def no_tool_cache_entry(runner: Path) -> bool:
    wash_dir = runner / "tool-cache" / "wash"
    return not wash_dir.exists() or not any(p for p in wash_dir.rglob("*") if p.is_file())


@pytest.mark.parametrize(("case", "inputs", "env", "fragment"), SETUP, ids=[c[0] for c in SETUP])
def test_setup_wash(case, inputs, env, fragment, monkeypatch, capfd, runner_dir, release_server):
    all_inputs = {"wash-version": "2.10.3", "github-api-url": release_server.url, "verify": "false", **inputs}
    run = run_command("setup-wash", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner_dir, env=env)
    assert_one_clear_error(run, fragment)
    assert no_tool_cache_entry(runner_dir)
    assert "WASH_HOST_PLUGINS" not in run.env and run.path == []


def test_setup_wash_unsupported_platform(monkeypatch, capfd, runner_dir, release_server):
    monkeypatch.setattr("platform.system", lambda: "FreeBSD")
    run = run_command(
        "setup-wash",
        {"wash-version": "2.10.3", "github-api-url": release_server.url},
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=runner_dir,
    )
    line = assert_one_clear_error(run, "has no release for this runner")
    assert "linux x86_64" in line and "windows x86_64" in line
    assert no_tool_cache_entry(runner_dir)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad-build")
    copy_example("hello-python", root)
    (root / "empty").mkdir()
    projects = {
        "badyaml": "build:\n  command: [unclosed\n",
        "nocmd": "build: {}\n",
        "fails": "build:\n  command: sh -c 'echo compiling; exit 3'\n  component_path: out.wasm\n",
        "nofile": "build:\n  command: 'true'\n  component_path: out/x.wasm\n",
    }
    for name, config in projects.items():
        (root / name / ".wash").mkdir(parents=True)
        (root / name / ".wash" / "config.yaml").write_text(config)
    (root / "dirconfig" / ".wash" / "config.yaml").mkdir(parents=True)
    return root


@pytest.mark.parametrize(("case", "inputs", "fragment"), BUILD, ids=[c[0] for c in BUILD])
def test_build(case, inputs, fragment, monkeypatch, capfd, runner_dir, workspace, wash_binary):
    all_inputs = {"wash-path": str(wash_binary), "skip-fetch": "true", **inputs}
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = run_command(
        "build", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner_dir, workspace=workspace, env=env
    )
    assert_one_clear_error(run, fragment)
    assert "component-path" not in run.outputs


@pytest.mark.parametrize(("case", "inputs", "env", "fragment"), PUBLISH, ids=[c[0] for c in PUBLISH])
def test_publish(
    case, inputs, env, fragment, monkeypatch, capfd, tmp_path, runner_dir, registry, built_python, wash_binary
):
    (tmp_path / "notes.txt").write_text("not a component")
    (tmp_path / "core.wasm").write_bytes(CORE_MODULE)
    (tmp_path / "empty-bin").mkdir()
    repository = f"bad/{case}"
    all_inputs = {
        "component-path": str(built_python),
        "registry": registry.host,
        "repository": repository,
        "tags": "v1",
        "insecure": "true",
        **{k: v.replace("{tmp}", str(tmp_path)) for k, v in inputs.items()},
    }
    env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "",
        **{k: v.replace("{tmp}", str(tmp_path)) for k, v in env.items()},
    }
    run = run_command("publish", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner_dir, env=env)
    assert_one_clear_error(run, fragment)
    assert registry.tags(repository) == []  # nothing pushed, no tag moved
    assert "digest" not in run.outputs
    assert not list((runner_dir / "temp").glob("wash-actions-publish-*"))  # the job-scoped docker config is gone


def test_publish_wrong_password_pushes_nothing(
    monkeypatch, capfd, runner_dir, auth_registry, built_python, wash_binary
):
    inputs = {
        "component-path": str(built_python),
        "registry": auth_registry.host,
        "repository": "bad/wrong-password",
        "tags": "v1",
        "insecure": "true",
        "username": auth_registry.username,
        "password": "definitely-wrong",
    }
    run = run_command("publish", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=runner_dir)
    assert_one_clear_error(run, "denied access")
    assert auth_registry.tags("bad/wrong-password") == []


def test_there_are_at_least_thirty_cases():
    assert len(SETUP) + len(BUILD) + len(PUBLISH) + 2 >= 30
