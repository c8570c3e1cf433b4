"""The official implementation as the oracle: for the same OIDC claims, registry and digest, what the project
writes equals what @actions/attest 3.2.0 and @sigstore/oci 0.7.2 (driven by tests/stacks/sigstore/oracle.mjs)
write. Nothing here is a hand-written expectation of the official output."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.helpers import run_command
from tests.stacks import proxy as proxy_stack
from tests.stacks import sigstore_stack
from wash_actions import attest, provenance
from wash_actions import registry as oci

CREATED = "org.opencontainers.image.created"
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def pushed(monkeypatch, capfd, tmp_path, wash_binary, built_python):
    """Publish the component (no attestation) to ``host``/``repository``; returns the digest."""

    def push(host: str, repository: str) -> str:
        run = run_command(
            "publish",
            {
                "component-path": str(built_python),
                "insecure": "true",
                "registry": host,
                "repository": repository,
                "tags": "v1",
                "attest": "false",
            },
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
        )
        assert run.code == 0, run.stdout
        return run.outputs["digest"]

    return push


@pytest.mark.parametrize("stack_name", ["user_sigstore", "github_sigstore"])
def test_the_statement_is_buildSLSAProvenancePredicate_and_buildIntotoStatement(request, stack_name: str) -> None:
    stack = request.getfixturevalue(stack_name)
    subject, digest = "ghcr.io/acme/hello-world", "sha256:" + "ab" * 32
    official = sigstore_stack.oracle(
        "statement",
        {"subject-name": subject, "subject-digest": digest, "oidc-issuer": f"{stack.url}/oidc"},
        env={**stack.github_env(), "GITHUB_SERVER_URL": "https://github.com"},
    )
    claims = provenance.token_claims(stack.token())
    ours = attest.statement(subject, digest, provenance.predicate(claims, "https://github.com"))
    assert json.loads(ours._contents) == official


def without_created(document: dict) -> dict:
    copy = json.loads(json.dumps(document))
    created = copy["annotations"].pop(CREATED)
    assert ISO_MS.fullmatch(created), created  # both write new Date().toISOString()'s form
    return copy


def signed_bundle(stack, digest: str) -> str:
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    claims = provenance.token_claims(stack.token())
    statement = attest.statement("127.0.0.1/acme/x", digest, provenance.predicate(claims, "https://github.com"))
    trust = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    with SigningContext.from_trust_config(trust).signer(IdentityToken(stack.token())) as signer:
        return str(signer.sign_dsse(statement).to_json())


def attach_both(host: str, repository: str, digest: str, bundle: str, tmp_path: Path) -> tuple[dict, dict, dict]:
    """Ours first, then the official attachArtifactToImage, on the same image: both referrer manifests, and the
    ``sha256-<hex>`` fallback index as it stands after both."""
    client = oci.Registry(host, insecure=True)
    subject = client.get_manifest(repository, digest)
    ours_digest = attest.push_referrer(client, repository, subject, attest.registry_bytes(bundle))
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(bundle)
    time.sleep(0.01)  # a later created time: another manifest digest
    official = sigstore_stack.oracle(
        "attach", {"image": f"{host}/{repository}", "digest": digest, "bundle": str(bundle_path)}
    )
    ours = json.loads(client.get_manifest(repository, ours_digest).body)
    theirs = json.loads(client.get_manifest(repository, official["digest"]).body)
    index = client.find_manifest(repository, attest.fallback_tag(digest))
    assert index is not None, "no sha256-<hex> fallback index"
    return ours, theirs, {"index": json.loads(index[0].body), "ours": ours_digest, "theirs": official["digest"]}


def check_same_layout(ours: dict, theirs: dict, index: dict) -> None:
    assert without_created(ours) == without_created(theirs)  # identical but for the time it was made
    listed = index["index"]
    assert {k: v for k, v in listed.items() if k != "manifests"} == {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
    }
    entries = listed["manifests"]
    assert [m["digest"] for m in entries] == [index["ours"], index["theirs"]]
    first, second = (without_created(entry) for entry in entries)
    assert first.pop("digest") != second.pop("digest")
    assert first == second  # media type, size, artifactType, annotations


def test_referrer_and_fallback_index_match_attachArtifactToImage(pushed, registry, user_sigstore, tmp_path) -> None:
    """docker-registry 2.8: no referrers API, no OCI-Subject: both write the fallback index."""
    digest = pushed(registry.host, "acme/conformance")
    ours, theirs, index = attach_both(
        registry.host, "acme/conformance", digest, signed_bundle(user_sigstore, digest), tmp_path
    )
    check_same_layout(ours, theirs, index)


def test_an_ecr_like_registry_still_gets_the_fallback_index(pushed, registry, user_sigstore, tmp_path) -> None:
    """OCI-Subject in the answer but no referrers API (as AWS ECR): the official code writes the fallback tag too."""
    with proxy_stack.serving(registry.url, ecr_like=True) as ecr:
        digest = pushed(ecr.host, "acme/ecr-like")
        ours, theirs, index = attach_both(
            ecr.host, "acme/ecr-like", digest, signed_bundle(user_sigstore, digest), tmp_path
        )
        assert ecr.requests_to(r"/referrers/sha256:0{64}$", "GET"), "the referrers API was never asked"
    check_same_layout(ours, theirs, index)


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([], id="ok"),
        pytest.param([500, 502], id="5xx-retried"),
        pytest.param([429], id="429-retried"),
        *(pytest.param([status], id=f"{status}-not-retried") for status in (400, 401, 403, 404, 410, 422, 451)),
    ],
)
def test_store_retries_like_the_official_client(release_server, faults: list[int], tmp_path: Path) -> None:
    """writeAttestation (@octokit/plugin-retry, 5 retries, (n+1)^2 s) and ours make the same requests."""
    store = release_server.store
    bundle = json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"})
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(bundle)

    def posts() -> int:
        return sum(1 for r in store.requests if r.startswith("POST "))

    store.clear_log()
    store.faults[:] = list(faults)
    official = sigstore_stack.oracle(
        "store",
        {"bundle": str(bundle_path)},
        env={"GITHUB_API_URL": release_server.url, "GITHUB_REPOSITORY": "acme/hello-world", "GITHUB_TOKEN": "t"},
    )
    official_posts = posts()

    store.clear_log()
    store.faults[:] = list(faults)
    waits: list[float] = []
    try:
        attest.store(release_server.url, "t", "acme/hello-world", bundle, "https://github.com", sleep=waits.append)
        ours_ok = True
    except Exception:
        ours_ok = False
    assert posts() == official_posts
    assert ours_ok == ("id" in official), official
    assert waits == [attest.STORE_RETRY.wait(n) for n in range(1, official_posts)]


def test_storage_record_is_the_one_createStorageRecord_sends(release_server) -> None:
    """For an organization-owned repository: the same request to the artifact metadata API."""
    store = release_server.store
    image, digest = "ghcr.io/acme/hello-world", "sha256:" + "cd" * 32
    env = {"GITHUB_API_URL": release_server.url, "GITHUB_REPOSITORY": "acme/hello-world", "GITHUB_TOKEN": "t"}
    store.storage_records.clear()
    official_ids = sigstore_stack.oracle("storage-record", {"image": image, "digest": digest}, env=env)
    ours_ids = attest.create_storage_record(release_server.url, "t", "acme/hello-world", image, digest)
    official, ours = store.storage_records
    assert ours == official
    assert [str(i) for i in official_ids] == ["1"] and ours_ids == ["2"]


def test_no_storage_record_for_a_user_owned_repository(release_server) -> None:
    """actions/attest asks GET /repos/{owner}/{repo} first: the API is only for organizations."""
    store = release_server.store
    store.owner_types["someone"] = "User"
    store.storage_records.clear()
    try:
        assert (
            attest.create_storage_record(
                release_server.url, "t", "someone/app", "ghcr.io/someone/app", "sha256:" + "0" * 64
            )
            == []
        )
    finally:
        del store.owner_types["someone"]
    assert store.storage_records == []


# actions/attest src/sbom.ts (generateSPDXPredicate / generateCycloneDXPredicate): the predicate type it derives
# from the document; the rest of the statement comes from @actions/attest itself, through the oracle.
SPDX_23 = {
    "spdxVersion": "SPDX-2.3",
    "SPDXID": "SPDXRef-DOCUMENT",
    "dataLicense": "CC0-1.0",
    "name": "hello-wörld",
    "documentNamespace": "https://example.com/spdx/hello-world",
    "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: example"]},
    "packages": [{"name": "wit-bindgen", "SPDXID": "SPDXRef-1", "versionInfo": "0.41.0", "downloadLocation": "NONE"}],
}


def our_sbom(built_python: Path) -> dict:
    from wash_actions import sbom

    wasm = built_python.read_bytes()
    return sbom.document(wasm, sbom.inventory(wasm), name="ghcr.io/acme/hello-world")


@pytest.mark.parametrize(
    ("kind", "predicate_type"),
    [("ours", "https://cyclonedx.org/bom"), ("spdx-2.3", "https://spdx.dev/Document/v2.3")],
)
def test_the_sbom_statement_is_what_actions_attest_builds_for_sbom_path(
    built_python, tmp_path, kind: str, predicate_type: str
) -> None:
    from wash_actions import sbom

    document = our_sbom(built_python) if kind == "ours" else SPDX_23
    path = tmp_path / "sbom.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    subject, digest = "ghcr.io/acme/hello-world", "sha256:" + "ef" * 32
    read = sbom.read_sbom(path)
    assert read.predicate_type == predicate_type
    official = sigstore_stack.oracle(
        "sbom-statement",
        {"subject-name": subject, "subject-digest": digest, "sbom": str(path), "predicate-type": predicate_type},
    )
    ours = attest.sbom_statement(subject, digest, read)
    assert json.loads(ours._contents) == official
    # the bytes @actions/attest signs: JSON.stringify of the statement (compact, key order kept, UTF-8 as is)
    assert ours._contents == json.dumps(official, separators=(",", ":"), ensure_ascii=False).encode()


def test_the_sbom_referrer_matches_attachArtifactToImage(pushed, registry, user_sigstore, built_python, tmp_path):
    """The SBOM bundle's referrer carries the SBOM's predicate type, as actions/attest annotates it."""
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    from wash_actions import sbom

    repository = "acme/conformance-sbom"
    digest = pushed(registry.host, repository)
    statement = attest.sbom_statement(f"{registry.host}/{repository}", digest, sbom.classify(our_sbom(built_python)))
    trust = ClientTrustConfig.from_json(user_sigstore.trust_config_path.read_text())
    with SigningContext.from_trust_config(trust).signer(IdentityToken(user_sigstore.token())) as signer:
        bundle = str(signer.sign_dsse(statement).to_json())
    client = oci.Registry(registry.host, insecure=True)
    subject = client.get_manifest(repository, digest)
    ours_digest = attest.push_referrer(
        client, repository, subject, attest.registry_bytes(bundle), sbom.PREDICATE_CYCLONEDX
    )
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(bundle)
    time.sleep(0.01)
    official = sigstore_stack.oracle(
        "attach",
        {
            "image": f"{registry.host}/{repository}",
            "digest": digest,
            "bundle": str(bundle_path),
            "predicate-type": sbom.PREDICATE_CYCLONEDX,
        },
    )
    ours = json.loads(client.get_manifest(repository, ours_digest).body)
    theirs = json.loads(client.get_manifest(repository, official["digest"]).body)
    assert ours["annotations"]["dev.sigstore.bundle.predicateType"] == "https://cyclonedx.org/bom"
    index = client.find_manifest(repository, attest.fallback_tag(digest))
    assert index is not None
    check_same_layout(
        ours, theirs, {"index": json.loads(index[0].body), "ours": ours_digest, "theirs": official["digest"]}
    )
