"""setup-wash with the manifest of known releases: a listed binary is verified by its sha256 alone.

The manifest here lists wash 2.10.3's real binary (served by the Releases API fake), as the updater writes
it once it has verified the release against the local Sigstore stack.
"""

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
from wash_actions import versions
from wash_actions.toolchain import assets, install, known

SIGNER = upstream.RELEASE_IDENTITY  # what the local stack signs as: release-tag.yml on main


def host_asset(version: str = WASH_VERSION) -> str:
    parsed = versions.parse_version(version)
    assert parsed is not None
    return assets.asset_name(install.host_platform(), parsed)


def write_manifest(path: Path, releases: dict[str, str]) -> Path:
    """A manifest listing each version's binary for this platform with the given sha256."""
    entries = {}
    for version, sha in releases.items():
        parsed = versions.parse_version(version)
        assert parsed is not None
        entries[version] = known.KnownRelease(
            parsed,
            f"v{version}",
            "2026-11-30T00:00:00Z",
            {host_asset(version): known.KnownAsset(sha, SIGNER, "release asset wash.sigstore.json")},
        )
    path.write_text(known.dumps(entries, "test"))
    return path


@pytest.fixture
def real_sha(wash_binary: Path) -> str:
    return hashlib.sha256(wash_binary.read_bytes()).hexdigest()


@pytest.fixture
def setup(monkeypatch, capfd, tmp_path, release_server):
    def run(version: str = WASH_VERSION, env: dict[str, str] | None = None, **inputs: str):
        release_server.store.clear_log()
        all_inputs = {
            "wash-version": version,
            "github-api-url": release_server.url,
            "download-base-url": release_server.url,
            "github-token": "test-token",
            "verify": "true",
            **inputs,
        }
        return run_command(
            "setup-wash", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", env=env
        )

    return run


def downloads(store) -> list[str]:
    return [p for p in store.requests if "/releases/download/" in p]


# The step as a runner runs it: its own interpreter, so its sys.modules is the step's, not pytest's.
STEP = """
import json, sys, threading
from pathlib import Path
import wash_actions.toolchain.known
wash_actions.toolchain.known.MANIFEST = Path(sys.argv[1])
from wash_actions.__main__ import main
code = main(["setup-wash"])
for thread in threading.enumerate():
    if thread is not threading.main_thread():
        thread.join()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sigstore", "sigstore_models", "cryptography"))
Path(sys.argv[2]).write_text(json.dumps(loaded))
sys.exit(code)
"""


def run_step(
    tmp_path: Path, manifest: Path, inputs: dict[str, str], extra: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str], Path]:
    runner = tmp_path / "runner"
    files = {
        n: runner / f"{n.lower()}.txt" for n in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
    }
    runner.mkdir(parents=True, exist_ok=True)
    for path in files.values():
        path.write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "RUNNER_TEMP": str(runner / "temp"),
        "RUNNER_TOOL_CACHE": str(runner / "tool-cache"),
        **{name: str(path) for name, path in files.items()},
        **{"WASHACTIONS_INPUT_" + k.upper().replace("-", "_"): v for k, v in inputs.items()},
        **(extra or {}),
    }
    modules = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-I", "-X", "utf8", "-c", STEP, str(manifest), str(modules)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc, json.loads(modules.read_text()) if modules.is_file() else ["(not written)"], runner


def test_a_listed_version_is_verified_by_its_sha256_without_sigstore_or_any_api(release_server, real_sha, tmp_path):
    """Sigstore, the attestations API and the Releases API all unreachable: the manifest is the whole check."""
    manifest = write_manifest(tmp_path / "wash-releases.json", {WASH_VERSION: real_sha})
    release_server.store.clear_log()
    proc, modules, runner = run_step(
        tmp_path,
        manifest,
        {
            "wash-version": WASH_VERSION,
            "github-api-url": f"http://127.0.0.1:{free_port()}",  # nothing listens: no API is asked
            "download-base-url": release_server.url,
            "verify": "true",
        },
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert modules == []  # neither sigstore nor its cryptography was imported by the step
    assert "by the action's manifest of known releases" in proc.stdout
    assert SIGNER in proc.stdout
    assert "Installing sigstore" not in proc.stdout + proc.stderr
    assert not list((runner / "tool-cache" / "wash-actions").glob("sigstore-*"))
    assert release_server.store.requests == [
        f"/wasmCloud/wasmCloud/releases/download/v{WASH_VERSION}/{host_asset()}"
    ]  # the download, and nothing else
    binary = runner / "tool-cache" / "wash" / WASH_VERSION / "x64" / "wash"
    assert hashlib.sha256(binary.read_bytes()).hexdigest() == real_sha


def test_the_same_step_without_the_manifest_entry_imports_sigstore(release_server, sigstore, real_sha, tmp_path):
    """The probe above can fail: a version not listed is verified with sigstore (no gh on PATH), in the step's own
    process."""
    from tests.integration.test_setup_wash import path_for

    manifest = write_manifest(tmp_path / "wash-releases.json", {"2.10.2": "c" * 64})
    proc, modules, _ = run_step(
        tmp_path,
        manifest,
        {"wash-version": WASH_VERSION, "github-api-url": release_server.url, "verify": "true"},
        {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path), "PATH": path_for("sigstore")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "via release asset wash.sigstore.json" in proc.stdout
    assert "sigstore" in modules


def test_an_unlisted_version_falls_back_to_provenance(setup, sigstore, monkeypatch, tmp_path):
    monkeypatch.setattr(known, "MANIFEST", write_manifest(tmp_path / "m.json", {"2.10.2": "c" * 64}))
    run = setup(env={"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)})
    assert run.code == 0, run.stdout + run.stderr
    assert "via release asset wash.sigstore.json" in run.stdout
    assert "manifest of known releases" not in run.stdout


def test_a_download_not_matching_its_manifest_entry_is_refused(setup, release_server, monkeypatch, tmp_path):
    monkeypatch.setattr(known, "MANIFEST", write_manifest(tmp_path / "m.json", {WASH_VERSION: "d" * 64}))
    run = setup()
    line = assert_one_clear_error(run, "does not match its verified sha256", "d" * 64)
    assert "nothing was installed" in line
    assert len(downloads(release_server.store)) == 1
    version_dir = tmp_path / "runner" / "tool-cache" / "wash" / WASH_VERSION
    assert not (version_dir / "x64").exists()
    assert not (version_dir / "x64.complete").exists()
    assert not version_dir.exists() or not list(version_dir.iterdir())  # no staging directory left either


def test_a_listed_binary_is_checked_with_verify_false_too(setup, monkeypatch, tmp_path):
    monkeypatch.setattr(known, "MANIFEST", write_manifest(tmp_path / "m.json", {WASH_VERSION: "d" * 64}))
    assert_one_clear_error(setup(verify="false"), "does not match its verified sha256")


def test_a_range_resolved_to_a_listed_version_uses_the_manifest(setup, release_server, real_sha, monkeypatch, tmp_path):
    """latest comes from the Releases API; the binary it picks is still verified by the manifest alone."""
    monkeypatch.setattr(known, "MANIFEST", write_manifest(tmp_path / "m.json", {WASH_VERSION: real_sha}))
    run = setup("latest")
    assert run.code == 0, run.stdout + run.stderr
    assert "by the action's manifest of known releases" in run.stdout
    assert not any("/attestations/" in p or p.endswith("wash.sigstore.json") for p in release_server.store.requests)


def test_a_checksum_pin_that_contradicts_the_manifest_is_refused_before_downloading(
    setup, release_server, real_sha, monkeypatch, tmp_path
):
    monkeypatch.setattr(known, "MANIFEST", write_manifest(tmp_path / "m.json", {WASH_VERSION: real_sha}))
    assert setup(checksum=real_sha).code == 0  # the same digest is fine
    shutil.rmtree(tmp_path / "runner" / "tool-cache")
    run = setup(checksum="e" * 64, **{"github-api-url": f"http://127.0.0.1:{free_port()}"})
    line = assert_one_clear_error(run, "checksum pins another binary")
    assert real_sha in line
    assert downloads(release_server.store) == []
