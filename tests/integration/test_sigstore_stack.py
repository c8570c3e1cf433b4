"""The local Sigstore stack: sigstore-python 4.x signs with it, sigstore-python and sigstore-js verify.

What the publish action does (sign SLSA provenance as a DSSE in-toto statement with the runner's
ambient GitHub OIDC credential) and what setup-wash does (verify a downloaded binary's bundle), with
real cryptography on 127.0.0.1, and the rejections that make verification mean something.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rfc3161_client import TimestampRequestBuilder, VerifierBuilder, decode_timestamp_response
from sigstore import dsse
from sigstore.errors import VerificationError
from sigstore.models import Bundle, ClientTrustConfig
from sigstore.oidc import IdentityToken, detect_credential
from sigstore.sign import Signer, SigningContext
from sigstore.verify import Verifier, policy

from tests.stacks import sigstore_stack

JOB_WORKFLOW_REF = "acme/hello-wasm/.github/workflows/publish.yml@refs/tags/v1.2.3"
CLAIMS = {"repository": "acme/hello-wasm", "ref": "refs/tags/v1.2.3", "job_workflow_ref": JOB_WORKFLOW_REF}
ARTIFACT = b"\0asm\x01\0\0\0 a tiny stand-in for a component\n"
BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"


@dataclass
class Signed:
    """Bundles made once per module by sigstore-python against the stack, and what they cover."""

    artifact: Path
    artifact_bundle: Path
    dsse_bundle: Path
    statement: dict


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sigstore_stack.SigstoreStack]:
    with sigstore_stack.running(tmp_path_factory.mktemp("sigstore"), CLAIMS) as running:
        yield running


@pytest.fixture(scope="module")
def trust_config(stack: sigstore_stack.SigstoreStack) -> ClientTrustConfig:
    return ClientTrustConfig.from_json(stack.trust_config_path.read_text())


def provenance_statement(name: str, data: bytes) -> dsse.Statement:
    """A small SLSA provenance v1 in-toto statement about ``data``."""
    subject = dsse.Subject(name=name, digest=dsse.DigestSet(root={"sha256": hashlib.sha256(data).hexdigest()}))
    predicate = {
        "buildDefinition": {
            "buildType": "https://github.com/wasmcloud/wash-actions/publish@v1",
            "externalParameters": {"workflow": {"ref": "refs/tags/v1.2.3", "repository": "acme/hello-wasm"}},
        },
        "runDetails": {"builder": {"id": f"https://github.com/{JOB_WORKFLOW_REF}"}},
    }
    return dsse.StatementBuilder().subjects([subject]).predicate_type(SLSA_PROVENANCE_V1).predicate(predicate).build()


@pytest.fixture(scope="module")
def signed(
    stack: sigstore_stack.SigstoreStack, trust_config: ClientTrustConfig, tmp_path_factory: pytest.TempPathFactory
) -> Signed:
    out = tmp_path_factory.mktemp("signed")
    artifact = out / "hello.wasm"
    artifact.write_bytes(ARTIFACT)
    token = IdentityToken(stack.token())
    with SigningContext.from_trust_config(trust_config).signer(token) as signer:
        artifact_bundle = signer.sign_artifact(ARTIFACT)
        dsse_bundle = signer.sign_dsse(provenance_statement("hello.wasm", ARTIFACT))
    (out / "hello.wasm.sigstore.json").write_text(artifact_bundle.to_json())
    (out / "provenance.sigstore.json").write_text(dsse_bundle.to_json())
    envelope = json.loads(dsse_bundle.to_json())["dsseEnvelope"]
    return Signed(
        artifact=artifact,
        artifact_bundle=out / "hello.wasm.sigstore.json",
        dsse_bundle=out / "provenance.sigstore.json",
        statement=json.loads(base64.b64decode(envelope["payload"])),
    )


def verify_python(
    trust_config: ClientTrustConfig, bundle_path: Path, artifact_path: Path | None, identity: str, issuer: str
) -> None:
    """Verify like setup-wash would, with sigstore-python; raises ``VerificationError`` on failure.

    A DSSE bundle must carry an in-toto statement with the artifact's sha256 among its subjects.
    """
    bundle = Bundle.from_json(bundle_path.read_bytes())
    verifier = Verifier(trusted_root=trust_config.trusted_root)
    identity_policy = policy.Identity(identity=identity, issuer=issuer)
    if json.loads(bundle_path.read_bytes()).get("dsseEnvelope"):
        payload_type, payload = verifier.verify_dsse(bundle, identity_policy)
        if payload_type != "application/vnd.in-toto+json":
            raise VerificationError(f"unexpected payload type {payload_type}")
        if artifact_path is not None:
            digest = hashlib.sha256(artifact_path.read_bytes()).hexdigest()
            subjects = json.loads(payload)["subject"]
            if not any(s["digest"].get("sha256") == digest for s in subjects):
                raise VerificationError("artifact is not a subject of the statement")
    else:
        assert artifact_path is not None
        verifier.verify_artifact(artifact_path.read_bytes(), bundle, identity_policy)


def test_oidc_endpoint_answers_like_github(stack):
    assert stack.identity == f"https://github.com/{JOB_WORKFLOW_REF}"
    assert stack.issuer == "https://token.actions.githubusercontent.com"
    assert "?" in stack.oidc_request_url  # a client must append &audience=
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        denied = requests.get(stack.oidc_request_url + "&audience=sigstore", headers=headers, timeout=10)
        assert denied.status_code == 401

    token = stack.token()
    jwks = jwt.PyJWKSet.from_dict(requests.get(f"{stack.url}/oidc/jwks", timeout=10).json())
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    claims = jwt.decode(
        token, jwks[header["kid"]], algorithms=["RS256"], audience="sigstore", issuer=stack.issuer, leeway=5
    )
    assert claims["repository"] == "acme/hello-wasm"
    assert claims["repository_owner"] == "acme"
    assert claims["ref"] == "refs/tags/v1.2.3"
    assert claims["sub"] == "repo:acme/hello-wasm:ref:refs/tags/v1.2.3"
    assert claims["job_workflow_ref"] == JOB_WORKFLOW_REF
    assert claims["workflow_ref"] == "acme/hello-wasm/.github/workflows/release.yml@refs/tags/v1.2.3"
    for claim in ("sha", "repository_id", "repository_owner_id", "run_id", "run_attempt", "event_name"):
        assert claims[claim]
    assert claims["runner_environment"] == "github-hosted"
    assert 0 < claims["exp"] - claims["iat"] <= 600
    default_audience = jwt.decode(stack.token(audience=""), options={"verify_signature": False})["aud"]
    assert default_audience == "https://github.com/acme"


def test_each_job_has_its_own_credential_and_claims(stack, monkeypatch):
    """As GitHub gives each job its own ACTIONS_ID_TOKEN_REQUEST_TOKEN: tokens requested with it carry that job's
    claims (here another attempt of another run), the stack's others, and its issuer and key."""
    env = stack.job_env(run_id="777", run_attempt="3")
    assert env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] != stack.oidc_request_token
    headers = {"Authorization": f"bearer {env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"}
    answer = requests.get(env["ACTIONS_ID_TOKEN_REQUEST_URL"] + "&audience=x", headers=headers, timeout=10)
    token = answer.json()["value"]
    jwks = jwt.PyJWKSet.from_dict(requests.get(f"{stack.url}/oidc/jwks", timeout=10).json())
    claims = jwt.decode(
        token, jwks[jwt.get_unverified_header(token)["kid"]], algorithms=["RS256"], audience="x", issuer=stack.issuer
    )
    assert (claims["run_id"], claims["run_attempt"]) == ("777", "3")
    assert claims["repository"] == "acme/hello-wasm" and claims["job_workflow_ref"] == JOB_WORKFLOW_REF
    assert jwt.decode(stack.token(), options={"verify_signature": False})["run_attempt"] != "3"  # the stack's own
    configuration = requests.get(stack.discovery_url, timeout=10).json()
    assert configuration["issuer"] == stack.issuer and configuration["jwks_uri"] == f"{stack.url}/oidc/jwks"
    denied = requests.post(f"{stack.url}/oidc/job", json={"claims": {}}, headers=headers, timeout=10)
    assert denied.status_code == 401  # a job's credential cannot make other jobs


def test_ambient_credential_detection_uses_the_stack(stack, monkeypatch):
    for name, value in stack.github_env().items():
        monkeypatch.setenv(name, value)
    token = IdentityToken(detect_credential() or "")
    assert token.issuer == stack.issuer
    assert token.identity == "repo:acme/hello-wasm:ref:refs/tags/v1.2.3"


def test_trust_config_points_at_the_stack(stack, trust_config):
    signing = trust_config.signing_config
    assert signing.get_fulcio().url == stack.url
    assert [tsa.url for tsa in signing.get_tsas()] == [f"{stack.url}/api/v1/timestamp"]
    assert signing.get_oidc_url() == f"{stack.url}/oidc"
    root = json.loads(stack.trusted_root_path.read_text())
    assert root == json.loads(stack.trust_config_path.read_text())["trustedRoot"]
    assert [len(root[key]) for key in ("tlogs", "certificateAuthorities", "ctlogs", "timestampAuthorities")] == [
        1,
        1,
        1,
        1,
    ]


def test_artifact_bundle_verifies_with_sigstore_python(signed, trust_config, stack):
    bundle = json.loads(signed.artifact_bundle.read_text())
    assert bundle["mediaType"] == BUNDLE_V03
    assert bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"] == {
        "kind": "hashedrekord",
        "version": "0.0.1",
    }
    assert len(bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]) == 1
    verify_python(trust_config, signed.artifact_bundle, signed.artifact, stack.identity, stack.issuer)


def test_dsse_bundle_verifies_with_sigstore_python(signed, trust_config, stack):
    bundle = json.loads(signed.dsse_bundle.read_text())
    assert bundle["mediaType"] == BUNDLE_V03
    assert bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"] == {"kind": "dsse", "version": "0.0.1"}
    verify_python(trust_config, signed.dsse_bundle, signed.artifact, stack.identity, stack.issuer)
    assert signed.statement["predicateType"] == SLSA_PROVENANCE_V1
    assert signed.statement["subject"] == [
        {"name": "hello.wasm", "digest": {"sha256": hashlib.sha256(ARTIFACT).hexdigest()}}
    ]


@pytest.mark.parametrize("kind", ["artifact", "dsse"])
def test_bundles_verify_with_sigstore_js(signed, stack, kind):
    bundle = signed.artifact_bundle if kind == "artifact" else signed.dsse_bundle
    result = stack.verify_with_node(bundle, signed.artifact, stack.identity, stack.issuer)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK ")
    if kind == "dsse":  # the statement alone, without the artifact
        alone = stack.verify_with_node(bundle, None, stack.identity, stack.issuer)
        assert alone.returncode == 0, alone.stderr


def test_certificate_carries_fulcio_github_extensions(signed, stack):
    raw = json.loads(signed.dsse_bundle.read_text())["verificationMaterial"]["certificate"]["rawBytes"]
    cert = x509.load_der_x509_certificate(base64.b64decode(raw))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [stack.identity]
    repo_url = "https://github.com/acme/hello-wasm"
    policy.AllOf(
        [
            policy.OIDCIssuer(stack.issuer),
            policy.OIDCIssuerV2(stack.issuer),
            policy.GitHubWorkflowRepository("acme/hello-wasm"),
            policy.GitHubWorkflowRef("refs/tags/v1.2.3"),
            policy.GitHubWorkflowTrigger("push"),
            policy.OIDCBuildSignerURI(stack.identity),
            policy.OIDCSourceRepositoryURI(repo_url),
            policy.OIDCSourceRepositoryRef("refs/tags/v1.2.3"),
            policy.OIDCSourceRepositoryOwnerURI("https://github.com/acme"),
            policy.OIDCRunnerEnvironment("github-hosted"),
            policy.OIDCRunInvocationURI(f"{repo_url}/actions/runs/4242424242/attempts/1"),
        ]
    ).verify(cert)


def tampered_statement(signed: Signed, out: Path) -> Path:
    """The DSSE bundle with its statement's builder changed (subject and signature left as they were)."""
    bundle = json.loads(signed.dsse_bundle.read_text())
    statement = json.loads(json.dumps(signed.statement))
    statement["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example/builder"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    path = out / "tampered.sigstore.json"
    path.write_text(json.dumps(bundle))
    return path


def tampered_artifact(out: Path) -> Path:
    """The artifact with one byte changed."""
    path = out / "hello.wasm"
    path.write_bytes(ARTIFACT[:-1] + b"!")
    return path


@dataclass(frozen=True)
class Case:
    """One verification that must fail: bundle, artifact, identity, issuer from the good ones."""

    kind: str
    change: str

    def arguments(self, signed: Signed, stack: sigstore_stack.SigstoreStack, out: Path) -> tuple:
        bundle = signed.dsse_bundle if self.kind == "dsse" else signed.artifact_bundle
        artifact, identity, issuer = signed.artifact, stack.identity, stack.issuer
        if self.change == "tampered" and self.kind == "dsse":
            bundle = tampered_statement(signed, out)
        elif self.change == "tampered":
            artifact = tampered_artifact(out)
        elif self.change == "wrong-identity":
            identity = "https://github.com/acme/hello-wasm/.github/workflows/other.yml@refs/tags/v1.2.3"
        elif self.change == "wrong-issuer":
            issuer = "https://accounts.google.com"
        return bundle, artifact, identity, issuer


# (kind, change) -> why sigstore-python refuses, why sigstore-js refuses
REASONS = {
    ("artifact", "tampered"): ("Bundle message digest mismatch", "SIGNATURE_ERROR"),
    ("dsse", "tampered"): ("DSSE: invalid signature", "DSSE payload hash mismatch"),
    ("artifact", "wrong-identity"): ("SANs do not match", "certificate identity error"),
    ("dsse", "wrong-identity"): ("SANs do not match", "certificate identity error"),
    ("artifact", "wrong-issuer"): ("OIDCIssuer does not match", "expected issuer=https://accounts.google.com"),
    ("dsse", "wrong-issuer"): ("OIDCIssuer does not match", "expected issuer=https://accounts.google.com"),
}
CASES = [Case(kind, change) for kind, change in REASONS]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.kind}-{c.change}")
def test_sigstore_python_rejects(signed, stack, trust_config, tmp_path, case):
    with pytest.raises(VerificationError, match=REASONS[case.kind, case.change][0]):
        verify_python(trust_config, *case.arguments(signed, stack, tmp_path))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.kind}-{c.change}")
def test_sigstore_js_rejects(signed, stack, tmp_path, case):
    result = stack.verify_with_node(*case.arguments(signed, stack, tmp_path))
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("verification failed: ")
    assert REASONS[case.kind, case.change][1] in result.stderr


def test_dsse_statement_about_another_artifact_is_rejected(signed, stack, trust_config, tmp_path):
    other = tmp_path / "other.wasm"
    other.write_bytes(b"another component")
    with pytest.raises(VerificationError, match="not a subject"):
        verify_python(trust_config, signed.dsse_bundle, other, stack.identity, stack.issuer)
    result = stack.verify_with_node(signed.dsse_bundle, other, stack.identity, stack.issuer)
    assert result.returncode == 1
    assert "no statement subject" in result.stderr


def test_another_stacks_trust_root_rejects(signed, stack, tmp_path):
    """Every stack has its own keys: its trusted root does not accept this stack's bundles."""
    with sigstore_stack.running(tmp_path / "other", CLAIMS) as other:
        assert other.identity == stack.identity
        other_trust = ClientTrustConfig.from_json(other.trust_config_path.read_text())
        for bundle in (signed.artifact_bundle, signed.dsse_bundle):
            with pytest.raises(VerificationError):
                verify_python(other_trust, bundle, signed.artifact, stack.identity, stack.issuer)
            result = other.verify_with_node(bundle, signed.artifact, stack.identity, stack.issuer)
            assert result.returncode == 1, result.stdout


def forged_token(stack: sigstore_stack.SigstoreStack) -> str:
    """A token with the stack's very claims, signed by a key that is not the stack's."""
    claims = jwt.decode(stack.token(), options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256")


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(forged_token, id="foreign-key"),
        pytest.param(lambda s: s.token(audience="not-sigstore"), id="wrong-audience"),
    ],
)
def test_fulcio_refuses_tokens_the_stack_did_not_mint_for_it(
    stack, trust_config, make_token: Callable[[sigstore_stack.SigstoreStack], str]
):
    raw = make_token(stack)
    response = requests.post(
        f"{stack.url}/api/v2/signingCert",
        json={"certificateSigningRequest": "unused"},
        headers={"Authorization": f"Bearer {raw}"},
        timeout=10,
    )
    assert response.status_code == 401, response.text
    if jwt.decode(raw, options={"verify_signature": False})["aud"] == "sigstore":  # sigstore-python accepts it
        with pytest.raises(Exception) as refused:  # FulcioClientError is private to sigstore
            Signer(IdentityToken(raw), SigningContext.from_trust_config(trust_config))
        assert type(refused.value).__name__ == "FulcioClientError"


def test_timestamp_authority_speaks_rfc3161(stack):
    request = TimestampRequestBuilder().data(b"some signature bytes").nonce(nonce=True).build()
    response = requests.post(
        f"{stack.url}/api/v1/timestamp",
        data=request.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=10,
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/timestamp-reply"
    tsr = decode_timestamp_response(response.content)
    assert tsr.tst_info.nonce == request.nonce  # a 64-bit nonce, echoed exactly
    root = json.loads(stack.trusted_root_path.read_text())
    chain = [
        x509.load_der_x509_certificate(base64.b64decode(c["rawBytes"]))
        for c in root["timestampAuthorities"][0]["certChain"]["certificates"]
    ]
    verifier = VerifierBuilder.from_request(request).tsa_certificate(chain[0]).add_root_certificate(chain[-1]).build()
    assert verifier.verify_message(tsr, b"some signature bytes")


def fulcio_extensions(cert: x509.Certificate) -> dict[str, bytes]:
    return {
        ext.oid.dotted_string: ext.value.value
        for ext in cert.extensions
        if ext.oid.dotted_string.startswith("1.3.6.1.4.1.57264.1.")
    }


def der_utf8(text: str) -> bytes:
    raw = text.encode()
    return bytes([0x0C, len(raw)]) + raw if len(raw) < 0x80 else bytes([0x0C, 0x81, len(raw)]) + raw


def test_certificates_carry_the_extensions_fulcio_derives_from_the_claims(stack):
    """Each extension of sigstore/fulcio pkg/identity/github/principal.go (Embed), in its encoding: raw bytes
    for the deprecated .1-.6, a DER UTF8String for the others (pkg/certificate/extensions.go Render)."""
    from tests.stacks import upstream

    claims_in = upstream.CALLER_CLAIMS  # a caller of a reusable workflow: SAN and source repository differ
    token = stack.token(claims=claims_in)
    claims = jwt.decode(token, options={"verify_signature": False})
    trust = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    with SigningContext.from_trust_config(trust).signer(IdentityToken(token)) as signer:
        bundle = signer.sign_artifact(b"payload")
    cert = bundle.signing_certificate
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    signer_uri = f"https://github.com/{claims_in['job_workflow_ref']}"
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [signer_uri]
    gh = "https://github.com/"
    expected = {
        "1": claims["iss"].encode(),
        "2": claims["event_name"].encode(),
        "3": claims["sha"].encode(),
        "4": claims["workflow"].encode(),
        "5": claims["repository"].encode(),
        "6": claims["ref"].encode(),
        "8": der_utf8("https://token.actions.githubusercontent.com"),
        "9": der_utf8(signer_uri),
        "10": der_utf8(claims["job_workflow_sha"]),
        "11": der_utf8(claims["runner_environment"]),
        "12": der_utf8(gh + "mallory/app"),
        "13": der_utf8(claims["sha"]),
        "14": der_utf8("refs/heads/main"),
        "15": der_utf8(claims["repository_id"]),
        "16": der_utf8(gh + "mallory"),
        "17": der_utf8(claims["repository_owner_id"]),
        "18": der_utf8(gh + "mallory/app/.github/workflows/ci.yml@refs/heads/main"),
        "19": der_utf8(claims["workflow_sha"]),
        "20": der_utf8("push"),
        "21": der_utf8(f"{gh}mallory/app/actions/runs/{claims['run_id']}/attempts/{claims['run_attempt']}"),
        "22": der_utf8("public"),
        "24": der_utf8("repo:mallory/app:ref:refs/heads/main"),
    }
    assert fulcio_extensions(cert) == {f"1.3.6.1.4.1.57264.1.{k}": v for k, v in expected.items()}


def test_fulcio_refuses_a_token_without_the_claims_it_requires(stack):
    """Real Fulcio refuses a GitHub token lacking any claim it embeds (principal.go WorkflowPrincipalFromIDToken)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    token = stack.token(claims={"repository": "acme/x", "run_attempt": ""})
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    response = requests.post(
        f"{stack.url}/api/v2/signingCert",
        headers={"Authorization": f"Bearer {token}"},
        json={"publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": public.decode()}}},
        timeout=30,
    )
    assert response.status_code == 400
    assert "missing run_attempt claim in ID token" in response.text
