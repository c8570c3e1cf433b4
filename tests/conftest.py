"""Shared fixtures: real registries, a release server with the real wash, act, built components."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stacks import act as act_stack
from tests.stacks import registry as registry_stack
from tests.stacks import releases, sigstore_stack

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WASH_VERSION = "2.10.3"


@pytest.fixture(scope="session")
def wash_binary() -> Path:
    return releases.real_wash()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[registry_stack.RegistryProcess]:
    with registry_stack.running(tmp_path_factory.mktemp("registry")) as reg:
        yield reg


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[registry_stack.RegistryProcess]:
    password = "pw-" + secrets.token_hex(12)
    with registry_stack.running(tmp_path_factory.mktemp("auth-registry"), username="ci-user", password=password) as reg:
        yield reg


def release_store(wash_binary: Path) -> releases.ReleaseStore:
    """wash releases as upstream has them: the real binary is 2.10.3, the newest stable release with a
    binary for this platform; the others exist for version resolution (their assets are not wash)."""
    from wash_actions import install, versions

    plat = install.host_platform()
    store = releases.ReleaseStore()
    store.add_release("v1.9.0")
    store.add_release("washboard-v0.5.0")
    for tag, prerelease in [
        ("wash-v2.0.0-rc.8", True),
        ("v2.0.0", False),
        ("v2.5.0", False),
        ("v2.10.2", False),
        (f"v{WASH_VERSION}", False),
        ("v2.11.0-rc.1", True),
    ]:
        version = versions.parse_version(tag)
        data = wash_binary.read_bytes() if tag == f"v{WASH_VERSION}" else f"not wash {tag}".encode()
        store.add(tag, install.asset_name(plat, version), data, prerelease=prerelease)
    # a newer release without a binary for this platform is skipped by resolution
    store.add("v2.11.0", "wash-aarch64-apple-darwin", b"darwin only")
    return store


UPSTREAM_RELEASE_CLAIMS = {
    "repository": "wasmCloud/wasmCloud",
    "ref": f"refs/tags/v{WASH_VERSION}",
    "job_workflow_ref": f"wasmCloud/wasmCloud/.github/workflows/wash-release.yml@refs/tags/v{WASH_VERSION}",
}


@pytest.fixture(scope="session")
def sigstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sigstore_stack.SigstoreStack]:
    """A local Sigstore stack whose tokens are those of wasmCloud's release workflow."""
    with sigstore_stack.running(tmp_path_factory.mktemp("sigstore"), UPSTREAM_RELEASE_CLAIMS) as stack:
        yield stack


def sign_provenance(stack: sigstore_stack.SigstoreStack, subjects: dict[str, bytes]) -> dict[str, object]:
    """A Sigstore bundle (v0.3) of an in-toto SLSA statement over ``subjects``, as a release workflow makes."""
    import hashlib

    from sigstore import dsse
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    trust = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    statement = (
        dsse.StatementBuilder()
        .subjects(
            [
                dsse.Subject(name=name, digest=dsse.DigestSet(root={"sha256": hashlib.sha256(data).hexdigest()}))
                for name, data in subjects.items()
            ]
        )
        .predicate_type("https://slsa.dev/provenance/v1")
        .predicate({"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"}})
        .build()
    )
    with SigningContext.from_trust_config(trust).signer(IdentityToken(stack.token())) as signer:
        bundle = signer.sign_dsse(statement)
    return json.loads(bundle.to_json())


@pytest.fixture(scope="session")
def release_server(wash_binary: Path, sigstore: sigstore_stack.SigstoreStack) -> Iterator[releases.ReleaseServer]:
    """The releases, with wash 2.10.3's binary covered by a release bundle and a GitHub attestation."""
    from wash_actions import install, versions

    store = release_store(wash_binary)
    plat = install.host_platform()
    asset = install.asset_name(plat, versions.parse_version(WASH_VERSION))
    binary = wash_binary.read_bytes()
    bundle = sign_provenance(sigstore, {asset: binary})
    store.add(f"v{WASH_VERSION}", install.BUNDLE_ASSET, json.dumps(bundle).encode())
    store.attestations["sha256:" + hashlib.sha256(binary).hexdigest()] = [bundle]
    with releases.serving(store) as server:
        yield server


@pytest.fixture(scope="session")
def act(tmp_path_factory: pytest.TempPathFactory) -> act_stack.Act:
    return act_stack.Act.create(tmp_path_factory.mktemp("act"))


def copy_example(name: str, dest: Path) -> Path:
    return act_stack.copy_project(EXAMPLES / name, dest / name)


@pytest.fixture(scope="session")
def built_python(tmp_path_factory: pytest.TempPathFactory, wash_binary: Path) -> Path:
    """The hello-python example built once by the real wash (componentize-py)."""
    project = copy_example("hello-python", tmp_path_factory.mktemp("built"))
    env = {**os.environ, "PATH": f"{Path(os.sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([str(wash_binary), "build", "--skip-fetch"], cwd=project, env=env, check=True, capture_output=True)
    return project / "build" / "hello-python.wasm"
