"""The one verifier without a network: wash's identity policy (trust_policy's WASH_POLICY), the statement rules, and
verifier.verify with sigstore-python (gh absent: the order of sources, failures and their kinds). The fake
signatures and certificates here are shared by test_sigstore_verifier.py, test_gh_verifier.py and
test_certificate_reader.py.

Sigstore's trust root and Verifier are replaced (production would fetch the trust root over TUF). The
bundles are real Sigstore bundle JSON around a locally made certificate, so ``Bundle.from_json``, the
DSSE statement checks and the release-workflow policy all run for real; only signature checking is faked.
Real signatures: tests/integration/test_verifier_agreement.py and test_verifier_images.py.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass, field

import pytest
import sigstore.verify
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier
from sigstore.errors import VerificationError

from wash_actions.commands import setup_wash
from wash_actions.errors import ActionError
from wash_actions.trust import bundle_sources, sigstore_verifier, verifier
from wash_actions.trust import policy as trust_policy
from wash_actions.trust.policy import WASH_POLICY

WORKFLOWS = "https://github.com/wasmCloud/wasmCloud/.github/workflows/"
RELEASE_SAN = WORKFLOWS + "release.yml@refs/tags/v2.10.3"
SHA = hashlib.sha256(b"wash binary").hexdigest()
OTHER = hashlib.sha256(b"another binary").hexdigest()

# --- identity_problem: wasmCloud's release-run rule on Fulcio's extensions ------------------------------------

UPSTREAM_URI = "https://github.com/wasmCloud/wasmCloud"


def identity(
    signer: str = RELEASE_SAN, repo: str = UPSTREAM_URI, ref: str = "refs/tags/v2.10.3", **extra: object
) -> trust_policy.SignerIdentity:
    """A signer as Fulcio describes it: SAN = Build Signer URI (job_workflow_ref), repository and ref of the run."""
    fields: dict[str, object] = {
        "sans": (signer,),
        "issuer": trust_policy.ISSUER,
        "build_signer": signer,
        "source_repository": repo,
        "source_ref": ref,
        "owner": repo.rsplit("/", 1)[0],
    }
    fields.update(extra)
    return trust_policy.SignerIdentity(**fields)  # type: ignore[arg-type]


# The real eras, from wasmCloud/wasmCloud's workflows: release-tag.yml (workflow_run/workflow_dispatch, on main,
# since 2026-05-01), wash.yml on a "v*" tag push (2026-03 .. 2026-05), wash.yml on a "wash-v*" tag push (2025-09 ..).
RELEASE_TAG_ERA = identity(WORKFLOWS + "release-tag.yml@refs/heads/main", ref="refs/heads/main")
WASH_V_TAG_ERA = identity(WORKFLOWS + "wash.yml@refs/tags/v2.0.0", ref="refs/tags/v2.0.0")
WASH_WASH_V_TAG_ERA = identity(WORKFLOWS + "wash.yml@refs/tags/wash-v2.0.0-rc.8", ref="refs/tags/wash-v2.0.0-rc.8")


@pytest.mark.parametrize("accepted", [RELEASE_TAG_ERA, WASH_V_TAG_ERA, WASH_WASH_V_TAG_ERA, identity()])
def test_release_runs_are_accepted(accepted: trust_policy.SignerIdentity) -> None:
    assert trust_policy.identity_problem(accepted) == ""


@pytest.mark.parametrize(
    ("refused", "problem"),
    [
        pytest.param(
            identity(WORKFLOWS + "release-tag.yml@refs/heads/feature", ref="refs/heads/feature"),
            "ref refs/heads/feature is not refs/heads/main",
            id="feature-branch",
        ),
        pytest.param(
            identity(WORKFLOWS + "wash.yml@refs/tags/v2.10.3", repo="https://github.com/acme/app"),
            "source repository is https://github.com/acme/app",
            id="caller-of-a-wasmcloud-reusable-workflow",
        ),
        pytest.param(
            identity(
                "https://github.com/someone/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
                repo="https://github.com/someone/wasmCloud",
                ref="refs/heads/main",
            ),
            "source repository is https://github.com/someone/wasmCloud",
            id="fork",
        ),
        pytest.param(
            identity("https://github.com/acme/app/.github/workflows/x.yml@refs/heads/main", repo=UPSTREAM_URI),
            "signing workflow https://github.com/acme/app/",
            id="wasmcloud-run-calling-a-foreign-workflow",
        ),
        pytest.param(identity(ref="refs/pull/1/merge"), "ref refs/pull/1/merge", id="pull-request"),
        pytest.param(identity(ref=""), "ref (none)", id="no-ref-extension"),
        pytest.param(identity(repo=""), "source repository is missing", id="no-repository-extension"),
        pytest.param(identity(issuer="https://accounts.google.com"), "issuer is https://accounts", id="issuer"),
        pytest.param(identity(issuer=""), "issuer is missing", id="no-issuer"),
        pytest.param(identity(sans=()), "SAN does not name", id="san-not-the-signer"),
        pytest.param(identity(owner="https://github.com/evil"), "owner is https://github.com/evil", id="owner"),
        pytest.param(
            identity(WORKFLOWS + "release.yml@refs/heads/feature"), "workflow's ref refs/heads/feature", id="signer-ref"
        ),
    ],
)
def test_other_runs_are_refused(refused: trust_policy.SignerIdentity, problem: str) -> None:
    assert problem in trust_policy.identity_problem(refused)


def test_identity_case_of_owner_and_repository_does_not_matter() -> None:
    lower = identity(RELEASE_SAN.replace("wasmCloud/wasmCloud", "wasmcloud/wasmcloud"), repo=UPSTREAM_URI.lower())
    assert trust_policy.identity_problem(lower) == ""


@pytest.mark.parametrize(
    "san",
    [
        RELEASE_SAN,
        WORKFLOWS + "release.yaml@refs/tags/v2.10.3",
        WORKFLOWS + "wash-release.yml@refs/tags/wash-v2.0.0-rc.8",
        WORKFLOWS + "release.yml@refs/tags/wash-v2.0.0-rc.8",
        WORKFLOWS + "wash_release-2.yml@refs/tags/v2.0.0",
    ],
)
def test_release_workflows_at_a_tag_are_accepted(san: str) -> None:
    assert trust_policy.identity_problem(identity(san)) == ""


@pytest.mark.parametrize(
    "san",
    [
        pytest.param("", id="empty"),
        pytest.param(RELEASE_SAN.replace("wasmCloud/wasmCloud", "evil/wasmCloud"), id="other-owner"),
        pytest.param(RELEASE_SAN.replace("wasmCloud/wasmCloud", "wasmCloud/wash"), id="other-repo"),
        pytest.param(RELEASE_SAN.replace("wasmCloud/wasmCloud", "wasmCloud/wasmCloud-evil"), id="similar-repo"),
        pytest.param(RELEASE_SAN.replace("wasmCloud/wasmCloud", "wasmCloud/wasmCloudx"), id="similar-repo-2"),
        pytest.param(RELEASE_SAN.replace("wasmCloud/wasmCloud", "wasmCloud-evil/wasmCloud"), id="similar-owner"),
        pytest.param(RELEASE_SAN.replace("wasmCloud/wasmCloud", "evil/wasmCloud/wasmCloud"), id="nested-path"),
        pytest.param(WORKFLOWS + "release.yml@refs/heads/v2.10.3", id="branch-named-like-a-tag"),
        pytest.param(WORKFLOWS + "release.yml@refs/pull/123/merge", id="pull-request"),
        pytest.param(WORKFLOWS + "release.yml@refs/tags/", id="empty-tag"),
        pytest.param(WORKFLOWS + "release.yml", id="no-ref"),
        pytest.param(WORKFLOWS + "release.yml@", id="empty-ref"),
        pytest.param(WORKFLOWS + "release.yml@v2.10.3", id="bare-ref"),
        pytest.param(WORKFLOWS + "release.txt@refs/tags/v2.10.3", id="not-yaml"),
        pytest.param(WORKFLOWS + ".yml@refs/tags/v2.10.3", id="no-file-name"),
        pytest.param(WORKFLOWS + "release.yml@refs/tags/v2.10.3 ", id="trailing-space"),
        pytest.param(RELEASE_SAN.replace("/.github/workflows/", "/"), id="not-under-workflows"),
        pytest.param(RELEASE_SAN.replace("/.github/workflows/", "/scripts/"), id="other-dir"),
        pytest.param(RELEASE_SAN.replace("/.github/workflows/", "/.github/workflowsx/"), id="similar-dir"),
        pytest.param(RELEASE_SAN.replace("https://github.com/", "https://gitlab.com/"), id="gitlab"),
        pytest.param(RELEASE_SAN.replace("https://github.com/", "https://github.example.com/"), id="ghes"),
        pytest.param(RELEASE_SAN.replace("https://github.com/", "https://github.com.evil.example/"), id="host-prefix"),
        pytest.param(RELEASE_SAN.replace("https://github.com/", "https://evil.example/github.com/"), id="host-path"),
        pytest.param(RELEASE_SAN.replace("https://", "http://"), id="http"),
        pytest.param(RELEASE_SAN.replace("https://github.com/", "https://user@github.com/"), id="userinfo"),
        pytest.param("https://token.actions.githubusercontent.com", id="issuer-url"),
        pytest.param("mailto:release@wasmcloud.com", id="email"),
        pytest.param("x" + RELEASE_SAN, id="leading-garbage"),
    ],
)
def test_other_signing_workflows_are_refused(san: str) -> None:
    assert trust_policy.identity_problem(identity(san))


@pytest.mark.parametrize(
    "san",
    [
        pytest.param(WORKFLOWS + "../../evil.yml@refs/tags/v2.10.3", id="dotdot-out-of-.github"),
        pytest.param(WORKFLOWS + "../evil.yml@refs/tags/v2.10.3", id="dotdot-into-.github"),
        pytest.param(WORKFLOWS + "./release.yml@refs/tags/v2.10.3", id="dot-segment"),
        pytest.param(WORKFLOWS + "sub/release.yml@refs/tags/v2.10.3", id="subdirectory"),
        pytest.param(RELEASE_SAN + "\n", id="trailing-newline"),
    ],
)
def test_signing_workflows_outside_workflows_are_refused(san: str) -> None:
    assert trust_policy.identity_problem(identity(san))


# --- the statement's subjects ----------------------------------------------------------------------------------


def statement(*digests: str, **extra: object) -> dict[str, object]:
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": f"wash-{i}", "digest": {"sha256": d}} for i, d in enumerate(digests)],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {},
        **extra,
    }


@pytest.mark.parametrize(
    ("payload", "subjects"),
    [
        (statement(SHA), {SHA}),
        (statement(SHA.upper()), {SHA}),
        (statement(SHA, OTHER), {SHA, OTHER}),
        (statement(), set()),
        ({"_type": "https://in-toto.io/Statement/v1"}, set()),
        ({"subject": [{"name": "wash", "digest": {"sha512": "00"}}]}, {""}),
        ({"subject": [{"name": "wash"}]}, {""}),
    ],
)
def test_subjects(payload: dict[str, object], subjects: set[str]) -> None:
    assert trust_policy.parse_statement(json.dumps(payload).encode()).subjects == subjects


# --- fake bundles and a fake Verifier -----------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def der_utf8(text: str) -> bytes:
    """DER UTF8String, as Fulcio encodes its v2 extensions (asn1.MarshalWithParams(v, "utf8"))."""
    raw = text.encode()
    length = (
        bytes([len(raw)])
        if len(raw) < 0x80
        else bytes([0x81 if len(raw) < 0x100 else 0x82]) + len(raw).to_bytes(1 if len(raw) < 0x100 else 2, "big")
    )
    return b"\x0c" + length + raw


def certificate(
    *sans: str,
    issuer: str | None = trust_policy.ISSUER,
    repo: str | None = "https://github.com/wasmCloud/wasmCloud",
    ref: str | None = None,
    config: str | None = None,
) -> x509.Certificate:
    """A Fulcio-shaped leaf: SAN URIs, the OIDC issuer (v2) extension, and Build Signer URI (the first SAN),
    Source Repository URI and Ref, and Build Config URI (the Build Signer URI unless ``config``: a run whose own
    workflow signed), as Fulcio derives them from a GitHub Actions token."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(minutes=10))
    )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(s) for s in sans]), critical=True
        )
    signer = next((s for s in sans if "/.github/workflows/" in s), sans[0] if sans else "")
    if ref is None:
        ref = signer.rpartition("@")[2]
    values = {
        trust_policy.OID_ISSUER_V2: issuer,
        trust_policy.OID_BUILD_SIGNER_URI: signer or None,
        trust_policy.OID_SOURCE_REPOSITORY_URI: repo,
        trust_policy.OID_SOURCE_REPOSITORY_REF: ref or None,
        trust_policy.OID_BUILD_CONFIG_URI: (signer if config is None else config) or None,
    }
    for oid, value in values.items():
        if value is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ObjectIdentifier(oid), der_utf8(value)), critical=False
            )
    return builder.sign(key, hashes.SHA256())


def bundle(
    cert: x509.Certificate | None = None,
    *,
    payload: dict[str, object] | None = None,
    digest: str | None = None,
) -> bytes:
    """Sigstore bundle v0.3 JSON: a DSSE envelope around ``payload``, or a message signature over ``digest``."""
    cert = cert or certificate(RELEASE_SAN)
    zeros = b64(bytes(32))
    entry = {
        "logIndex": "1",
        "logId": {"keyId": zeros},
        "kindVersion": {"kind": "dsse" if payload is not None else "hashedrekord", "version": "0.0.1"},
        "integratedTime": "1700000000",
        "inclusionPromise": {"signedEntryTimestamp": b64(b"set")},
        "inclusionProof": {
            "logIndex": "1",
            "rootHash": zeros,
            "treeSize": "2",
            "hashes": [zeros],
            "checkpoint": {"envelope": "checkpoint\n"},
        },
        "canonicalizedBody": b64(b"{}"),
    }
    data: dict[str, object] = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
            "tlogEntries": [entry],
        },
    }
    if payload is not None:
        data["dsseEnvelope"] = {
            "payload": b64(json.dumps(payload).encode()),
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": b64(b"signature"), "keyid": ""}],
        }
    else:
        data["messageSignature"] = {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(bytes.fromhex(digest or SHA))},
            "signature": b64(b"signature"),
        }
    return json.dumps(data).encode()


@dataclass
class FakeVerifier:
    """Stands in for sigstore's Verifier: signatures "verify" unless told otherwise; the policy runs for real."""

    trusted_root: object
    reject: str = ""
    calls: list[tuple[str, object]] = field(default_factory=list)

    def verify_dsse(self, bundle, policy):  # type: ignore[no-untyped-def]
        self.calls.append(("dsse", bundle))
        if self.reject:
            raise VerificationError(self.reject)
        policy.verify(bundle.signing_certificate)
        envelope = bundle._dsse_envelope._inner
        return envelope.payload_type, envelope.payload

    def verify_artifact(self, input_, bundle, policy) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(("artifact", input_))
        if self.reject:
            raise VerificationError(self.reject)
        policy.verify(bundle.signing_certificate)


@dataclass
class Fakes:
    made: list[FakeVerifier] = field(default_factory=list)
    reject: str = ""  # make every signature fail with this message


@pytest.fixture
def verifiers(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """No trust root fetched (production would use TUF over the network) and no real signature checks."""
    fakes = Fakes()

    def trusted_root(trust_config: str) -> object:
        return f"root:{trust_config}"

    def make(*, trusted_root: object) -> FakeVerifier:
        fakes.made.append(FakeVerifier(trusted_root, reject=fakes.reject))
        return fakes.made[-1]

    monkeypatch.setattr(sigstore_verifier, "trusted_root", trusted_root)
    monkeypatch.setattr(sigstore.verify, "Verifier", make)
    return fakes


def source(name: str, *bundles: bytes, calls: list[str] | None = None) -> bundle_sources.Source:
    def load() -> list[bytes]:
        if calls is not None:
            calls.append(name)
        return list(bundles)

    return bundle_sources.Source(name, load)


def verify(sources: list[bundle_sources.Source], trust_configs: tuple[str, ...] = ()) -> verifier.Evidence:
    """The one verifier without gh (sigstore-python, faked signatures) under wasmCloud's release policy."""
    artifact = verifier.Artifact(SHA, "wash 2.10.3")
    return verifier.verify(artifact, sources, WASH_POLICY, gh=None, trust_configs=trust_configs)


def evidence(source: str, raw: bytes, identity: str = RELEASE_SAN) -> verifier.Evidence:
    """What a release-tag.yml/release.yml bundle (``raw``) of the binary establishes."""
    workflow, ref = trust_policy.workflow_of(identity, WASH_POLICY)
    return verifier.Evidence(
        verifier="sigstore-python",
        source=source,
        signer_repository="wasmCloud/wasmCloud",
        signer_workflow=workflow,
        signer_ref=ref,
        source_repository="wasmCloud/wasmCloud",
        source_ref=ref,
        predicate_type=trust_policy.SLSA_PROVENANCE_V1,
        subject_digest="sha256:" + SHA,
        identity=identity,
        bundle_digest="sha256:" + hashlib.sha256(raw).hexdigest(),
        run_workflow=workflow,  # signed by the run's own workflow: the Build Config URI names it too
    )


# --- wasmCloud's release policy on certificates ------------------------------------------------


@pytest.mark.parametrize(
    ("sans", "ref"),
    [
        ((RELEASE_SAN,), None),
        (("https://example.com/other", RELEASE_SAN), None),
        ((WORKFLOWS + "release.yaml@refs/tags/wash-v2.0.0-rc.8",), None),
        ((WORKFLOWS + "release-tag.yml@refs/heads/main",), None),
    ],
)
def test_policy_accepts(sans: tuple[str, ...], ref: str | None) -> None:
    identity = sigstore_verifier.signer_identity(certificate(*sans, ref=ref))
    assert trust_policy.identity_problem(identity, WASH_POLICY) == ""


@pytest.mark.parametrize(
    ("cert_args", "message"),
    [
        ({"issuer": "https://accounts.google.com"}, "issuer is https://accounts.google.com"),
        ({"issuer": None}, "issuer is missing"),
        ({"repo": None}, "source repository is missing"),
        ({"repo": "https://github.com/acme/app"}, "source repository is https://github.com/acme/app"),
        ({"ref": "refs/heads/feature"}, "ref refs/heads/feature is not"),
        (
            {"sans": (RELEASE_SAN.replace("wasmCloud/wasmCloud", "wasmCloud/wasmCloud-evil"),)},
            "signing workflow https://github.com/wasmCloud/wasmCloud-evil/",
        ),
    ],
)
def test_policy_rejects_and_names_the_identity(verifiers: Fakes, cert_args: dict[str, object], message: str) -> None:
    sans = cert_args.pop("sans", (RELEASE_SAN,))
    raw = bundle(certificate(*sans, **cert_args), payload=statement(SHA))  # type: ignore[arg-type]
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE, raw)])
    [failure] = caught.value.failures
    assert failure.kind == "identity" and message in failure.detail
    assert f"SAN {sans[0]}" in failure.detail
    assert "source repository" in failure.detail and "ref " in failure.detail
    assert failure.signer is not None and failure.signer.sans == sans


# --- verifier.verify (no gh: sigstore-python) ---------------------------------------------------

BUNDLE_SOURCE = "release asset wash.sigstore.json"
API_SOURCE = "GitHub attestations API"


def test_verify_refuses_when_no_source_has_bundles(verifiers: Fakes) -> None:
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE), source(API_SOURCE)])
    assert caught.value.kind == "unattested"
    error = setup_wash.unverified(caught.value)  # setup-wash's words
    assert "could not be verified" in error.what
    assert f"sha256 {SHA}" in error.why
    assert f"{BUNDLE_SOURCE}: none found; {API_SOURCE}: none found." in error.why
    assert "Nothing was installed" in error.why
    assert "verify: false" in error.fix
    assert "checksum:" in error.fix
    assert error.docs == "#verification"


def test_verify_refuses_with_no_sources(verifiers: Fakes) -> None:
    with pytest.raises(ActionError, match="could not be verified"):
        verify([])


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not json", b"{}", b"[]", b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}', b"\xff\xfe"],
)
def test_verify_refuses_garbage_bundles(verifiers: Fakes, garbage: bytes) -> None:
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE, garbage), source(API_SOURCE, garbage, b"{")])
    why = caught.value.why
    assert "could not be verified" in caught.value.what
    assert why.count(f"{BUNDLE_SOURCE}: ") == 1
    assert why.count(f"{API_SOURCE}: ") == 2  # one reason per bundle
    assert "none found" not in why
    assert {f.kind for f in caught.value.failures} == {"malformed"}
    assert not verifiers.made  # refused before any verifier ran


def test_verify_lists_each_sources_failure(verifiers: Fakes) -> None:
    sources = [
        source(BUNDLE_SOURCE, bundle(payload=statement(OTHER))),
        source(
            API_SOURCE,
            b"garbage",
            bundle(certificate(WORKFLOWS + "release.yml@refs/heads/feature"), payload=statement(SHA)),
        ),
        source("a third source"),
    ]
    with pytest.raises(verifier.Unverified) as caught:
        verify(sources)
    why = caught.value.why
    assert f"{BUNDLE_SOURCE}: the statement's subjects do not include this artifact (sha256 {SHA})" in why
    assert f"{API_SOURCE}: not a Sigstore bundle: " in why
    assert f"{API_SOURCE}: signed by SAN {WORKFLOWS}release.yml@refs/heads/feature" in why
    assert "a third source: none found" in why
    # in the order they were tried
    assert why.index(BUNDLE_SOURCE) < why.index(API_SOURCE) < why.index("a third source")
    assert [f.kind for f in caught.value.failures] == ["statement", "malformed", "identity", "none-found"]
    assert caught.value.kind == "refused"


def test_verify_refuses_when_the_signature_does_not_verify(verifiers: Fakes) -> None:
    verifiers.reject = "signature is invalid"
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE, bundle(payload=statement(SHA)))])
    assert f"{BUNDLE_SOURCE}: VerificationError: signature is invalid" in caught.value.why
    assert [f.kind for f in caught.value.failures] == ["signature"]


def test_verify_first_verified_bundle_wins(verifiers: Fakes) -> None:
    loaded: list[str] = []
    winner = bundle(payload=statement(SHA))
    got = verify(
        [
            source(BUNDLE_SOURCE, b"garbage", calls=loaded),
            source(API_SOURCE, bundle(payload=statement(OTHER)), winner, calls=loaded),
            source("never asked", bundle(payload=statement(SHA)), calls=loaded),
        ]
    )
    assert got == evidence(API_SOURCE, winner)
    assert loaded == [BUNDLE_SOURCE, API_SOURCE]  # later sources are not even fetched


def test_verify_sha256_case_does_not_matter(verifiers: Fakes) -> None:
    raw = bundle(payload=statement(SHA.upper()))
    assert verify([source(BUNDLE_SOURCE, raw)]) == evidence(BUNDLE_SOURCE, raw)


def test_a_message_signature_is_not_provenance(verifiers: Fakes) -> None:
    """Issue 31: a plain signature over the binary, even from the release identity, is not SLSA provenance."""
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE, bundle(digest=SHA))])
    [failure] = caught.value.failures
    assert failure.kind == "statement" and "plain message signature" in failure.detail


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"predicateType": "https://cyclonedx.org/bom"},
            "predicate type is https://cyclonedx.org/bom, not https://slsa",
        ),
        ({"predicateType": None}, "predicate type is missing"),
        ({"_type": "https://in-toto.io/Statement/v2"}, "not an in-toto statement"),
        ({"_type": None}, "_type missing"),
    ],
)
def test_another_statement_from_the_release_identity_is_refused(verifiers: Fakes, change, problem) -> None:
    payload = {k: v for k, v in {**statement(SHA), **change}.items() if v is not None}
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE, bundle(payload=payload))])
    [failure] = caught.value.failures
    assert failure.kind == "statement" and problem in failure.detail


def test_another_payload_type_is_refused(verifiers: Fakes) -> None:
    data = json.loads(bundle(payload=statement(SHA)))
    data["dsseEnvelope"]["payloadType"] = "text/plain"
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(BUNDLE_SOURCE, json.dumps(data).encode())])
    assert "DSSE payload type is text/plain, not application/vnd.in-toto+json" in caught.value.why


def test_verify_uses_the_trust_configs(verifiers: Fakes) -> None:
    verify([source(BUNDLE_SOURCE, bundle(payload=statement(SHA)))], ("/etc/trust.json",))
    [made] = verifiers.made
    assert made.trusted_root == "root:/etc/trust.json"


def test_trust_configs_come_from_the_environment() -> None:
    assert verifier.trust_configs_from({}) == ()
    env = {trust_policy.TRUST_CONFIG_ENV: "/a.json", trust_policy.GITHUB_TRUST_CONFIG_ENV: "/b.json"}
    assert verifier.trust_configs_from(env) == ("/a.json", "/b.json")
    assert verifier.trust_configs_from({**env, trust_policy.GITHUB_TRUST_CONFIG_ENV: "/a.json"}) == ("/a.json",)


def test_verify_reports_a_failed_source_as_failed(verifiers: Fakes) -> None:
    def broken() -> list[bytes]:
        raise bundle_sources.SourceFailed("api.example answered HTTP 403")

    with pytest.raises(verifier.Unverified) as caught:
        verify([bundle_sources.Source("GitHub attestations API", broken)])
    assert "GitHub attestations API: failed: api.example answered HTTP 403" in caught.value.why
    assert "none found" not in caught.value.why
    assert caught.value.kind == "unreachable"


def test_a_source_with_thousands_of_bundles_costs_at_most_max_tried_checks(verifiers: Fakes) -> None:
    other = bundle(payload=statement(OTHER))
    with pytest.raises(verifier.Unverified) as caught:
        verify([source(API_SOURCE, *[other] * 5000)])
    kinds = [f.kind for f in caught.value.failures]
    assert kinds == ["statement"] * verifier.MAX_TRIED + ["source-failed"]
    assert f"{5000 - verifier.MAX_TRIED} more bundles not tried" in caught.value.why
