"""publish against registries that misbehave: a GHCR-style bearer-token registry, transient faults
(503, 429 with Retry-After, dropped connections) that bounded retries survive, persistent ones that end in
a clear error within a time budget, concurrent publishes, and credentials kept off every command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import assert_one_clear_error, parse_command_file, run_command, time_limit
from tests.stacks import proxy as proxy_stack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxied(registry):
    with proxy_stack.serving(registry.url) as proxy:
        yield proxy


@pytest.fixture
def bearer_proxied(registry):
    auth = proxy_stack.BearerAuth("ghcr-user", "ghcr-token-" + "x" * 8)
    with proxy_stack.serving(registry.url, bearer=auth) as proxy:
        yield proxy


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path, wash_binary, built_python):
    def run(host: str, repository: str, tags: str, **inputs: str):
        all_inputs = {
            "component-path": str(built_python),
            "insecure": "true",
            "registry": host,
            "repository": repository,
            "tags": tags,
            **inputs,
        }
        return run_command("publish", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner")

    return run


def resolves(registry, repository: str, tags: list[str]) -> set[str]:
    return {registry.manifest(repository, t).headers["Docker-Content-Digest"] for t in tags}


def test_bearer_token_registry_like_ghcr(publish, bearer_proxied, registry):
    auth = bearer_proxied.bearer
    run = publish(bearer_proxied.host, "acme/bearer", "v1,v1.0,latest", username=auth.username, password=auth.password)
    assert run.code == 0, run.stdout + run.stderr
    assert resolves(registry, "acme/bearer", ["v1", "v1.0", "latest"]) == {run.outputs["digest"]}
    scopes = {s for t in bearer_proxied.token_requests for s in t.scopes}
    assert "repository:acme/bearer:pull,push" in scopes or "repository:acme/bearer:push,pull" in scopes


def test_bearer_token_registry_wrong_password(publish, bearer_proxied, registry):
    run = publish(bearer_proxied.host, "acme/bearer-denied", "v1", username="ghcr-user", password="wrong")
    assert_one_clear_error(run, "denied access")
    assert registry.tags("acme/bearer-denied") == []


@pytest.mark.parametrize(
    "fault",
    [
        proxy_stack.Fault.status(503, method="PUT", path=r"/manifests/sha256:"),
        proxy_stack.Fault.status(429, retry_after=1, method="PUT", path=r"/blobs/uploads/"),
        proxy_stack.Fault.reset(method="HEAD", path=r"/blobs/sha256:"),
        proxy_stack.Fault.status(502, method="POST", path=r"/blobs/uploads/"),
    ],
    ids=["503-on-manifest", "429-on-blob", "reset-on-blob-check", "502-on-upload-start"],
)
def test_a_transient_fault_during_the_push_is_retried(request, fault, publish, proxied, registry, no_sleep):
    proxied.faults.put(fault)
    repository = f"acme/flaky-push-{request.node.callspec.id}"  # a new repository: every blob is uploaded
    run = publish(proxied.host, repository, "v1,latest")
    assert run.code == 0, run.stdout + run.stderr
    assert proxied.faults.applied, "the fault never fired"
    assert resolves(registry, repository, ["v1", "latest"]) == {run.outputs["digest"]}
    if fault.retry_after:
        assert 1 in no_sleep  # Retry-After was honoured


@pytest.mark.parametrize(
    "fault",
    [
        proxy_stack.Fault.status(503, method="PUT", path=r"/manifests/latest"),
        # resolving a tag reads its manifest bytes and hashes them (a HEAD's digest header alone is not trusted)
        proxy_stack.Fault.status(429, retry_after=2, method="GET", path=r"/manifests/latest$"),
        proxy_stack.Fault.reset(method="HEAD", path=r"/manifests/sha256:"),
    ],
    ids=["503-on-tag", "429-on-resolve", "reset-on-manifest-check"],
)
def test_a_transient_fault_while_tagging_is_retried(request, fault, publish, proxied, registry, no_sleep):
    proxied.faults.put(fault)
    repository = f"acme/flaky-tag-{request.node.callspec.id}"  # a new repository: nothing is there yet
    run = publish(proxied.host, repository, "v1,latest")
    assert run.code == 0, run.stdout + run.stderr
    assert resolves(registry, repository, ["v1", "latest"]) == {run.outputs["digest"]}
    assert proxied.faults.applied, "the fault never fired"
    if fault.retry_after:
        assert 2 in no_sleep  # Retry-After was honoured


def test_persistent_faults_end_in_a_clear_error_within_budget(publish, proxied, registry, no_sleep):
    proxied.faults.put(proxy_stack.Fault.status(503, method="PATCH|PUT|POST").persistent())
    with time_limit(30, "publish to a registry that keeps failing"):
        run = publish(proxied.host, "acme/down", "v1")
    assert_one_clear_error(run, "503")
    assert registry.tags("acme/down") == []
    # bounded: the first request that keeps failing is tried 4 times; its waits (recorded, not slept) add up to
    # at most 2 + 4 + 8 s in production, and nothing after it is tried
    assert sum(s for s in no_sleep) <= 14


def test_persistent_fault_while_tagging_gives_up(publish, proxied, registry, no_sleep):
    proxied.faults.put(proxy_stack.Fault.status(503, method="PUT", path=r"/manifests/latest").persistent())
    run = publish(proxied.host, "acme/tag-down", "v1,latest")
    line = assert_one_clear_error(run, "kept failing while writing latest", "HTTP 503")
    assert proxied.host in line  # the error names the server, the status and the tag being written
    assert "latest" not in registry.tags("acme/tag-down")


def run_action(command: str, inputs: dict[str, str], tmp: Path, extra_env: dict[str, str] | None = None):
    """Run an action command the way the runner does: scripts/wash-actions in a child process."""
    tmp.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
        files[name] = tmp / f"{name.lower()}.txt"
        files[name].write_text("")
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(tmp)),
        "RUNNER_TEMP": str(tmp),
        "RUNNER_TOOL_CACHE": str(tmp.parent / "tool-cache"),
        "GITHUB_WORKSPACE": str(tmp),
        "GITHUB_REPOSITORY": "acme/hello-world",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": "0" * 40,
        "SOURCE_DATE_EPOCH": "1777636800",  # that commit is in no checkout
        **{k: str(v) for k, v in files.items()},
        **{"WASHACTIONS_INPUT_" + k.upper().replace("-", "_"): v for k, v in inputs.items()},
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "wash-actions"), command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, files


def test_two_concurrent_publishes_leave_every_tag_on_one_pushed_digest(registry, built_python, wash_binary, tmp_path):
    tags = ["v1", "v1.0", "latest", "edge"]
    inputs = {
        "component-path": str(built_python),
        "insecure": "true",
        "registry": registry.host,
        "repository": "acme/race",
        "tags": ",".join(tags),
    }
    procs = [run_action("publish", inputs, tmp_path / f"job{i}") for i in range(2)]
    results = []
    for proc, files in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err, parse_command_file(files["GITHUB_OUTPUT"].read_text())))
    pushed = {r[3]["digest"] for r in results if r[3].get("digest")}
    for code, out, err, _outputs in results:
        assert "Traceback" not in out + err
        assert code == 0, out + err
    # Two jobs of one commit publish one digest (the same bytes at the commit's time): whichever writes a tag
    # last writes the same manifest, so neither sees a race and every tag names that one complete manifest.
    assert len(pushed) == 1, results
    final = resolves(registry, "acme/race", tags)
    assert final == pushed, (final, pushed)
    for tag in tags:
        manifest = registry.manifest("acme/race", tag).json()  # a complete, parseable manifest
        (layer,) = manifest["layers"]
        assert registry.blob("acme/race", layer["digest"]) == built_python.read_bytes()


def test_credentials_never_on_a_command_line_in_the_summary_or_on_disk(
    auth_registry, built_python, wash_binary, tmp_path
):
    """Scan every process's argv while a publish runs against an htpasswd registry behind a slow proxy."""
    with proxy_stack.serving(auth_registry.url) as slow:
        slow.faults.put(proxy_stack.Fault.slow_body(0.05, chunk=256, method="PUT|POST|PATCH").persistent())
        inputs = {
            "component-path": str(built_python),
            "insecure": "true",
            "registry": slow.host,
            "repository": "acme/secret-argv",
            "tags": "v1,latest",
            "username": auth_registry.username,
            "password": auth_registry.password,
        }
        proc, files = run_action("publish", inputs, tmp_path / "job")
        seen_processes: set[str] = set()
        leaked: list[str] = []
        secret = auth_registry.password.encode()

        def parent(pid: int) -> int:
            try:  # /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses
                return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                return 0

        def of_the_publish(pid: int) -> bool:
            """The publish step or one of its descendants (other jobs on the machine run wash too)."""
            while pid > 1:
                if pid == proc.pid:
                    return True
                pid = parent(pid)
            return False

        def scan() -> None:
            while proc.poll() is None:
                for entry in Path("/proc").iterdir():
                    if not entry.name.isdigit():
                        continue
                    try:
                        argv = (entry / "cmdline").read_bytes()
                    except OSError:
                        continue
                    if secret in argv:  # anywhere on the machine
                        leaked.append(argv.decode(errors="replace"))
                    if b"wash" in argv and of_the_publish(int(entry.name)):
                        seen_processes.add(argv.split(b"\0")[0].decode(errors="replace"))
                time.sleep(0.01)

        scanner = threading.Thread(target=scan)
        scanner.start()
        out, err = proc.communicate(timeout=300)
        scanner.join()
    assert proc.returncode == 0, out + err
    assert leaked == []
    assert seen_processes, "the scan saw no process of the publish"
    assert not [p for p in seen_processes if p.endswith("/wash")], seen_processes  # publish runs no wash
    assert auth_registry.password not in out + err  # not even in an ::add-mask:: command
    assert auth_registry.password not in files["GITHUB_STEP_SUMMARY"].read_text()
    assert auth_registry.password not in files["GITHUB_OUTPUT"].read_text()
    leftovers = [p for p in (tmp_path / "job").rglob("*") if p.is_file() and secret in p.read_bytes()]
    assert leftovers == []  # no docker config or other file holds the password
    assert json.loads(parse_command_file(files["GITHUB_OUTPUT"].read_text())["tags"])


# -- the Releases API fake behind the same proxy ----------------------------------------------------------


@pytest.fixture
def releases_proxy(release_server):
    with proxy_stack.serving(release_server.url) as proxy:
        yield proxy


@pytest.fixture
def setup(monkeypatch, capfd, tmp_path):
    def run(**inputs: str):
        all_inputs = {"wash-version": "2.10.3", "verify": "false", "github-token": "t", **inputs}
        return run_command("setup-wash", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner")

    return run


@pytest.mark.parametrize(
    "fault",
    [
        proxy_stack.Fault.reset(path=r"/releases/download/"),
        proxy_stack.Fault.status(503, path=r"/releases/download/"),
        proxy_stack.Fault.status(429, retry_after=1, path=r"/releases/download/"),
        proxy_stack.Fault.slow_body(0.02, chunk=4 << 20, path=r"/releases/download/"),
    ],
    ids=["reset", "503", "429", "slow-body"],
)
def test_download_faults_are_survived(fault, setup, releases_proxy, release_server, no_sleep):
    releases_proxy.faults.put(fault)
    run = setup(**{"github-api-url": release_server.url, "download-base-url": releases_proxy.url})
    assert run.code == 0, run.stdout
    assert releases_proxy.faults.applied
    downloads = releases_proxy.requests_to(r"/releases/download/")
    assert len(downloads) == (1 if "slow" in str(fault) else 2)


@pytest.mark.parametrize(
    "fault",
    [proxy_stack.Fault.status(503, path=r"/repos/"), proxy_stack.Fault.reset(path=r"/repos/")],
    ids=["503", "reset"],
)
def test_api_faults_are_retried(fault, setup, releases_proxy):
    releases_proxy.faults.put(fault)
    run = setup(**{"wash-version": "latest", "github-api-url": releases_proxy.url})
    assert run.code == 0, run.stdout
    assert run.outputs["wash-version"] == "2.10.3"


def test_a_persistently_failing_api_gives_up_with_a_clear_error(setup, releases_proxy):
    releases_proxy.faults.put(proxy_stack.Fault.status(503, path=r"/repos/").persistent())
    with time_limit(30, "setup-wash against an API that keeps failing"):  # bounded retries with backoff
        run = setup(**{"wash-version": "latest", "github-api-url": releases_proxy.url})
    assert_one_clear_error(run, "failed (HTTP 503)")
