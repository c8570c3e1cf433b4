"""wasmCloud's upstream as tests and the demo see it: wash releases, signed like a release workflow signs them."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from tests.stacks import releases, sigstore_stack

WASH_VERSION = "2.10.3"


def release_store(wash_binary: Path) -> releases.ReleaseStore:
    """wash releases as upstream has them: the real binary is 2.10.3, the newest stable release with a
    binary for this platform; the others exist for version resolution (their assets are not wash)."""
    from wash_actions import versions
    from wash_actions.toolchain import assets, install

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
        store.add(tag, assets.asset_name(plat, version), data, prerelease=prerelease)
    # a newer release without a binary for this platform is skipped by resolution
    store.add("v2.11.0", "wash-aarch64-apple-darwin", b"darwin only")
    return store


# The GitHub Actions OIDC claims of the runs that sign wash releases, one per release era, each derived from
# wasmCloud/wasmCloud's workflow files (read at 7cd553cc, 2026-08-20) and GitHub's OIDC claim reference
# (docs.github.com "About security hardening with OpenID Connect": sub, ref, ref_type, event_name,
# workflow_ref and job_workflow_ref = <repository>/<workflow path>@<ref>). The stack derives the other claims.
#
# .github/workflows/release-tag.yml (added by bce7b624a "ci: automated release train", 2026-05-01): on
# `workflow_run` of release-train (and `workflow_dispatch`), which GitHub runs on the default branch, so ref is
# refs/heads/main; its job "promote" runs actions/attest-build-provenance over ./artifacts/*/wash*.
RELEASE_TAG_CLAIMS = {
    "repository": "wasmCloud/wasmCloud",
    "ref": "refs/heads/main",
    "event_name": "workflow_run",
    "workflow": "release-tag",
    "workflow_ref": "wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
}
# Its recovery hatch, dispatched by hand: same ref, another event.
RELEASE_TAG_DISPATCH_CLAIMS = {**RELEASE_TAG_CLAIMS, "event_name": "workflow_dispatch"}
# .github/workflows/wash.yml before bce7b624a: `on: push: tags: ["v*"]` (since 40da88b02, 2026-03), job
# upload-release-assets attests ./artifacts/*/wash* for the pushed tag.
WASH_TAG_CLAIMS = {
    "repository": "wasmCloud/wasmCloud",
    "ref": f"refs/tags/v{WASH_VERSION}",
    "event_name": "push",
    "workflow": "wash",
    "workflow_ref": f"wasmCloud/wasmCloud/.github/workflows/wash.yml@refs/tags/v{WASH_VERSION}",
}
# wash.yml from ba18266d5 ("ci: add attestations and verification in install", 2025-09-26): tags "wash-v*".
WASH_V_TAG_CLAIMS = {
    **WASH_TAG_CLAIMS,
    "ref": "refs/tags/wash-v2.0.0-rc.8",
    "workflow_ref": "wasmCloud/wasmCloud/.github/workflows/wash.yml@refs/tags/wash-v2.0.0-rc.8",
}
# The current release identity is what the default stack signs with.
RELEASE_CLAIMS = RELEASE_TAG_CLAIMS
RELEASE_IDENTITY = "https://github.com/wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main"

# Identities that must be refused:
# a feature branch of wasmCloud/wasmCloud running release-tag.yml (e.g. a workflow_dispatch on another branch);
FEATURE_BRANCH_CLAIMS = {
    **RELEASE_TAG_CLAIMS,
    "ref": "refs/heads/feature",
    "event_name": "workflow_dispatch",
    "workflow_ref": "wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/feature",
}
# another repository calling a wasmCloud reusable workflow: GitHub sets job_workflow_ref to the called workflow
# (SAN and Build Signer URI in wasmCloud/wasmCloud) and repository/workflow_ref to the caller's;
CALLER_CLAIMS = {
    "repository": "mallory/app",
    "ref": "refs/heads/main",
    "event_name": "push",
    "workflow_ref": "mallory/app/.github/workflows/ci.yml@refs/heads/main",
    "job_workflow_ref": f"wasmCloud/wasmCloud/.github/workflows/wash.yml@refs/tags/v{WASH_VERSION}",
}
# a fork running the same release workflow on its main.
FORK_CLAIMS = {
    **RELEASE_TAG_CLAIMS,
    "repository": "mallory/wasmCloud",
    "workflow_ref": "mallory/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
}


def sign_provenance(
    stack: sigstore_stack.SigstoreStack, subjects: dict[str, bytes], claims: dict[str, object] | None = None
) -> dict[str, object]:
    """A Sigstore bundle (v0.3) of an in-toto SLSA statement over ``subjects``, as a release workflow makes
    (``claims``: the signing run's, default the stack's own)."""
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
    with SigningContext.from_trust_config(trust).signer(IdentityToken(stack.token(claims=claims))) as signer:
        bundle = signer.sign_dsse(statement)
    return json.loads(bundle.to_json())


def publish_provenance(store: releases.ReleaseStore, stack: sigstore_stack.SigstoreStack, wash_binary: Path) -> None:
    """Cover the real binary with a release bundle (wash.sigstore.json) and a GitHub attestation."""
    from wash_actions import versions
    from wash_actions.toolchain import assets, install

    version = versions.parse_version(WASH_VERSION)
    assert version is not None
    asset = assets.asset_name(install.host_platform(), version)
    binary = wash_binary.read_bytes()
    bundle = sign_provenance(stack, {asset: binary})
    store.add(f"v{WASH_VERSION}", assets.BUNDLE_ASSET, json.dumps(bundle).encode())
    store.attestations["sha256:" + hashlib.sha256(binary).hexdigest()] = [bundle]


@contextlib.contextmanager
def provenance_signed_by(
    store: releases.ReleaseStore, stack: sigstore_stack.SigstoreStack, wash_binary: Path, claims: dict[str, object]
) -> Iterator[None]:
    """The release bundle and the attestation of wash's binary replaced by ones signed for another run's claims."""
    key = (f"v{WASH_VERSION}", "wash.sigstore.json")
    digest = "sha256:" + hashlib.sha256(wash_binary.read_bytes()).hexdigest()
    asset = next(name for (tag, name) in store.assets if tag == f"v{WASH_VERSION}" and name.startswith("wash-"))
    saved_bundle, saved_attestations = store.assets[key], store.attestations[digest]
    bundle = sign_provenance(stack, {asset: wash_binary.read_bytes()}, claims)
    store.assets[key] = json.dumps(bundle).encode()
    store.attestations[digest] = [bundle]
    try:
        yield
    finally:
        store.assets[key], store.attestations[digest] = saved_bundle, saved_attestations
