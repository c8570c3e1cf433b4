"""wasmCloud's upstream as tests and the demo see it: wash releases, signed like a release workflow signs them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.stacks import releases, sigstore_stack

WASH_VERSION = "2.10.3"


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


RELEASE_CLAIMS = {
    "repository": "wasmCloud/wasmCloud",
    "ref": f"refs/tags/v{WASH_VERSION}",
    "job_workflow_ref": f"wasmCloud/wasmCloud/.github/workflows/wash-release.yml@refs/tags/v{WASH_VERSION}",
}


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


def publish_provenance(store: releases.ReleaseStore, stack: sigstore_stack.SigstoreStack, wash_binary: Path) -> None:
    """Cover the real binary with a release bundle (wash.sigstore.json) and a GitHub attestation."""
    from wash_actions import install, versions

    version = versions.parse_version(WASH_VERSION)
    assert version is not None
    asset = install.asset_name(install.host_platform(), version)
    binary = wash_binary.read_bytes()
    bundle = sign_provenance(stack, {asset: binary})
    store.add(f"v{WASH_VERSION}", install.BUNDLE_ASSET, json.dumps(bundle).encode())
    store.attestations["sha256:" + hashlib.sha256(binary).hexdigest()] = [bundle]
