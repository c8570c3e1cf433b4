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
from wash_actions.oci import registry as oci
from wash_actions.trust import attest, provenance

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
    ours = attest.statement(subject, digest, attest.provenance_predicate(claims, "https://github.com"))
    assert json.loads(ours) == official
    # the bytes @actions/attest signs (attest(): Buffer.from(JSON.stringify(statement)))
    assert ours == sigstore_stack.oracle_bytes(
        "statement",
        {"subject-name": subject, "subject-digest": digest, "oidc-issuer": f"{stack.url}/oidc"},
        env={**stack.github_env(), "GITHUB_SERVER_URL": "https://github.com"},
    )


def without_created(document: dict) -> dict:
    copy = json.loads(json.dumps(document))
    created = copy["annotations"].pop(CREATED)
    assert ISO_MS.fullmatch(created), created  # both write new Date().toISOString()'s form
    return copy


def signed_bundle(stack, digest: str) -> str:
    claims = provenance.token_claims(stack.token())
    predicate = attest.provenance_predicate(claims, "https://github.com")
    return sign_statement(stack, attest.statement("127.0.0.1/acme/x", digest, predicate))


def sign_statement(stack, statement: bytes) -> str:
    from sigstore.dsse import Statement
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    trust = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    with SigningContext.from_trust_config(trust).signer(IdentityToken(stack.token())) as signer:
        return str(signer.sign_dsse(Statement(statement)).to_json())


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
    # and byte for byte, once the time is the same
    assert json.dumps(ours).replace(ours["annotations"][CREATED], theirs["annotations"][CREATED]) == json.dumps(theirs)
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
    from wash_actions.trust import sbom

    wasm = built_python.read_bytes()
    return sbom.document(wasm, sbom.inventory(wasm), name="ghcr.io/acme/hello-world")


# A user's SBOM as tools write them: indented, numbers as 10.0 and 1e2, keys that JavaScript orders first (array
# indices), escapes, characters beyond the BMP, U+2028, a repeated key.
AWKWARD_CYCLONEDX = r"""{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "version": 10, "metadata": {"timestamp": "2026-01-01T00:00:00Z", "10": "ten", "2": "two", "b": 1.0e2},
  "components": [{"type": "library", "name": "caf\u00e9 \ud83d\ude00 \u2028 \/ \u001f", "version": "1.0",
    "properties": [{"name": "size", "value": "10.0"}], "x-number": 10.0, "x-small": 0.0000001, "x-big": 1e21,
    "x-huge-int": 123456789012345678901234567890, "x-neg": -0.0}],
  "version": 11
}"""


@pytest.mark.parametrize(
    ("kind", "predicate_type"),
    [
        ("ours", "https://cyclonedx.org/bom"),
        ("spdx-2.3", "https://spdx.dev/Document/v2.3"),
        ("awkward", "https://cyclonedx.org/bom"),
    ],
)
def test_the_sbom_statement_is_what_actions_attest_builds_for_sbom_path(
    built_python, tmp_path, kind: str, predicate_type: str
) -> None:
    from wash_actions.trust import sbom

    path = tmp_path / "sbom.json"
    if kind == "awkward":
        path.write_text(AWKWARD_CYCLONEDX, encoding="utf-8")
    else:
        document = our_sbom(built_python) if kind == "ours" else SPDX_23
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    subject, digest = "ghcr.io/acme/hello-world", "sha256:" + "ef" * 32
    read = sbom.read_sbom(path)
    assert read.predicate_type == predicate_type
    official = sigstore_stack.oracle_bytes(
        "sbom-statement",
        {"subject-name": subject, "subject-digest": digest, "sbom": str(path), "predicate-type": predicate_type},
    )
    ours = attest.statement(subject, digest, attest.sbom_predicate(read))
    # the bytes @actions/attest signs: JSON.stringify of the statement (its key order, its numbers, UTF-8 as is)
    assert ours == official
    if kind == "awkward":
        assert b'"version":11,' in ours and b'"x-number":10,' in ours and b'{"2":"two","10":"ten",' in ours


def test_the_sbom_referrer_matches_attachArtifactToImage(pushed, registry, user_sigstore, built_python, tmp_path):
    """The SBOM bundle's referrer carries the SBOM's predicate type, as actions/attest annotates it."""
    from wash_actions.trust import sbom

    repository = "acme/conformance-sbom"
    digest = pushed(registry.host, repository)
    predicate = attest.sbom_predicate(sbom.classify(our_sbom(built_python)))
    bundle = sign_statement(user_sigstore, attest.statement(f"{registry.host}/{repository}", digest, predicate))
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


def test_referrers_and_their_index_are_byte_for_byte_attachArtifactToImage(pushed, registry, user_sigstore, tmp_path):
    """The same image in two repositories, each with the same fallback index already there (written by another
    client: members in its own order, array-index keys, a member of its own holding 10.0); two bundles attached
    to each at the same fixed times, by the official code in one and by ours in the other: the same manifest
    digests, the same index bytes."""
    digest = pushed(registry.host, "acme/bytes-official")
    assert pushed(registry.host, "acme/bytes-ours") == digest
    client = oci.Registry(registry.host, insecure=True)
    image = client.get_manifest("acme/bytes-ours", digest)
    other = image.digest  # the registry checks that an index's members exist: the image itself
    seeded = (
        '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"'
        + f'{other}","size":{len(image.body)},"annotations":{{"b":"1","10":"x"}}}}],'
        '"mediaType":"application/vnd.oci.image.index.v1+json","annotations":{"z":"last","1":"first"},'
        '"x-another-client":{"count":10.0,"big":1e21}}'
    ).encode()
    for repository in ("acme/bytes-official", "acme/bytes-ours"):
        seed = oci.Manifest(seeded, attest.OCI_INDEX, oci.digest_of(seeded))
        client.push_manifest(repository, attest.fallback_tag(digest), seed)
    bundles = []
    for n in range(2):
        predicate = attest.Predicate("sbom", f"https://example.com/predicate/{n}", '{"n":' + str(n) + "}")
        bundles.append(sign_statement(user_sigstore, attest.statement(f"{registry.host}/acme/x", digest, predicate)))
    times = ["2026-12-07T18:00:00.123Z", "2026-12-07T18:00:01.000Z"]
    theirs, ours = [], []
    subject = client.get_manifest("acme/bytes-ours", digest)
    for n, (bundle, now) in enumerate(zip(bundles, times, strict=True)):
        path = tmp_path / f"bundle-{n}.json"
        path.write_text(bundle)
        predicate_type = f"https://example.com/predicate/{n}"
        args = {"image": f"{registry.host}/acme/bytes-official", "digest": digest, "bundle": str(path)}
        official = sigstore_stack.oracle("attach", {**args, "predicate-type": predicate_type, "now": now})
        theirs.append(official["digest"])
        ours.append(
            attest.push_referrer(
                client, "acme/bytes-ours", subject, attest.registry_bytes(bundle), predicate_type, created=now
            )
        )
    assert ours == theirs
    official_index = client.find_manifest("acme/bytes-official", attest.fallback_tag(digest))
    our_index = client.find_manifest("acme/bytes-ours", attest.fallback_tag(digest))
    assert official_index is not None and our_index is not None
    assert our_index[0].body == official_index[0].body
    listed = json.loads(our_index[0].body)
    assert [m["digest"] for m in listed["manifests"]] == [other, *theirs]
    assert b'"annotations":{"10":"x","b":"1"}' in our_index[0].body
    assert b'"x-another-client":{"count":10,"big":1e+21}' in our_index[0].body
    # attaching a bundle that is already listed again changes nothing (@sigstore/oci skips the upload)
    again = attest.push_referrer(
        client,
        "acme/bytes-ours",
        subject,
        attest.registry_bytes(bundles[0]),
        "https://example.com/predicate/0",
        created=times[0],
    )
    assert again == theirs[0]
    after = client.find_manifest("acme/bytes-ours", attest.fallback_tag(digest))
    assert after is not None and after[0].body == our_index[0].body


def test_a_fallback_tag_that_is_not_an_index_is_left_alone(pushed, registry, user_sigstore):
    """@sigstore/oci refuses to extend a referrers tag that holds something other than an OCI index; so do we,
    with one clear error, and the tag keeps its manifest."""
    from wash_actions.errors import ActionError

    digest = pushed(registry.host, "acme/bytes-not-an-index")
    client = oci.Registry(registry.host, insecure=True)
    subject = client.get_manifest("acme/bytes-not-an-index", digest)
    client.push_manifest("acme/bytes-not-an-index", attest.fallback_tag(digest), subject)  # an image, not an index
    predicate = attest.Predicate("sbom", "https://example.com/predicate", "{}")
    bundle = sign_statement(user_sigstore, attest.statement(f"{registry.host}/acme/x", digest, predicate))
    with pytest.raises(ActionError) as caught:
        attest.push_referrer(client, "acme/bytes-not-an-index", subject, attest.registry_bytes(bundle))
    assert "holds something other than a referrers index" in caught.value.what
    assert "push-attestation: false" in caught.value.fix
    kept = client.find_manifest("acme/bytes-not-an-index", attest.fallback_tag(digest))
    assert kept is not None and kept[0].body == subject.body
