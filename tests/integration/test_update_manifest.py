"""update-manifest against the Releases API fake and the local Sigstore stack: only verified releases are listed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import WASH_VERSION, sign_provenance
from tests.helpers import assert_one_clear_error, run_command
from tests.stacks import releases, upstream
from wash_actions import versions
from wash_actions.toolchain import assets, known

DARWIN = "wash-aarch64-apple-darwin"
SIGNER = upstream.RELEASE_IDENTITY  # what the local stack signs as: release-tag.yml on main


def linux_asset() -> str:
    return assets.asset_names(assets.Platform("linux", "x86_64"), versions.parse_version(WASH_VERSION))[0]


def upstream_store(sigstore, wash_binary: Path) -> releases.ReleaseStore:
    """v2.10.2 (already listed), v2.10.3 (new: two platform binaries under one release bundle), and
    releases the manifest never lists (v1.x, another component's tag)."""
    store = releases.ReleaseStore()
    store.add("v1.9.0", "wash-x86_64-unknown-linux-musl", b"wash 1")
    store.add_release("washboard-v0.5.0")
    store.add("v2.10.2", linux_asset(), b"not fetched: already listed")
    binaries = {linux_asset(): wash_binary.read_bytes(), DARWIN: b"the darwin binary"}
    for name, data in binaries.items():
        store.add(f"v{WASH_VERSION}", name, data)
    store.add(f"v{WASH_VERSION}", "wash.sigstore.json", json.dumps(sign_provenance(sigstore, binaries)).encode())
    return store


def seeded_manifest(path: Path) -> Path:
    listed = known.KnownRelease(
        versions.parse_version("2.10.2"),
        "v2.10.2",
        "2026-11-01T00:00:00Z",
        {linux_asset(): known.KnownAsset("c" * 64, SIGNER, "release asset wash.sigstore.json")},
    )
    path.write_text(known.dumps({"2.10.2": listed}, "test manifest"))
    return path


@pytest.fixture
def update(monkeypatch, capfd, tmp_path, sigstore):
    def run(server: releases.ReleaseServer, manifest: Path, trust_config: str = ""):
        inputs = {
            "github-api-url": server.url,
            "github-token": "test-token",
            "manifest": str(manifest),
            "body-path": str(tmp_path / "body.md"),
        }
        env = {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": trust_config or str(sigstore.trust_config_path)}
        return run_command(
            "update-manifest", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", env=env
        )

    return run


def test_a_new_release_is_verified_and_listed(update, sigstore, wash_binary, tmp_path):
    store = upstream_store(sigstore, wash_binary)
    manifest = seeded_manifest(tmp_path / "wash-releases.json")
    with releases.serving(store) as server:
        run = update(server, manifest)
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["added"] == "1"
    assert run.outputs["versions"] == WASH_VERSION
    listed = known.load(manifest)
    assert set(listed) == {"2.10.2", WASH_VERSION}
    new = listed[WASH_VERSION]
    assert new.tag == f"v{WASH_VERSION}"
    assert {name: a.sha256 for name, a in new.assets.items()} == {
        linux_asset(): hashlib.sha256(wash_binary.read_bytes()).hexdigest(),
        DARWIN: hashlib.sha256(b"the darwin binary").hexdigest(),
    }
    assert {a.signer for a in new.assets.values()} == {SIGNER}
    assert {a.source for a in new.assets.values()} == {"release asset wash.sigstore.json"}
    assert listed["2.10.2"].assets[linux_asset()].sha256 == "c" * 64  # untouched
    assert not any("/v2.10.2/" in p or "/v1.9.0/" in p for p in store.requests)  # listed or too old: not fetched
    body = (tmp_path / "body.md").read_text()
    assert f"### wash {WASH_VERSION} (v{WASH_VERSION})" in body
    assert hashlib.sha256(b"the darwin binary").hexdigest() in body and SIGNER in body
    assert "2.10.2" not in body


def test_nothing_new_changes_nothing(update, sigstore, wash_binary, tmp_path):
    manifest = seeded_manifest(tmp_path / "wash-releases.json")
    store = upstream_store(sigstore, wash_binary)
    with releases.serving(store) as server:
        assert update(server, manifest).code == 0
        before = manifest.read_text()
        store.clear_log()
        again = update(server, manifest)
    assert again.code == 0 and again.outputs["added"] == "0"
    assert manifest.read_text() == before
    assert not [p for p in store.requests if "/releases/download/" in p]


def test_a_release_whose_provenance_fails_is_not_added_and_the_run_fails(update, sigstore, wash_binary, tmp_path):
    """v2.11.0's darwin binary is not covered by its bundle: the release is left out, v2.10.3 still verifies."""
    store = upstream_store(sigstore, wash_binary)
    covered = {linux_asset(): b"linux 2.11.0"}
    store.add("v2.11.0", linux_asset(), covered[linux_asset()])
    store.add("v2.11.0", DARWIN, b"a darwin binary nobody signed")
    store.add("v2.11.0", "wash.sigstore.json", json.dumps(sign_provenance(sigstore, covered)).encode())
    manifest = seeded_manifest(tmp_path / "wash-releases.json")
    with releases.serving(store) as server:
        run = update(server, manifest)
    line = assert_one_clear_error(run, "failed provenance verification", "v2.11.0")
    assert "could not be verified" in line
    assert "2.11.0" not in known.load(manifest)
    assert "Not added" in (tmp_path / "body.md").read_text()


def test_a_release_signed_by_another_repository_is_not_added(update, tmp_path_factory, wash_binary, tmp_path):
    """A valid signature from a trusted root over the right binaries: only the signer is not wasmCloud's."""
    from tests.stacks import sigstore_stack

    claims = {"repository": "mallory/wasmCloud", "ref": f"refs/tags/v{WASH_VERSION}"}
    with sigstore_stack.running(tmp_path_factory.mktemp("mallory"), claims) as other:
        store = upstream_store(other, wash_binary)
        manifest = seeded_manifest(tmp_path / "wash-releases.json")
        with releases.serving(store) as server:
            run = update(server, manifest, trust_config=str(other.trust_config_path))
    line = assert_one_clear_error(run, "failed provenance verification")
    assert "mallory/wasmCloud" in line
    assert set(known.load(manifest)) == {"2.10.2"}
