"""sigstore-python as a verifier of one bundle: what it returns (the signer from the verified certificate, the signed
envelope), what it refuses without verifying, every trust root tried, a bundle without a log entry, the certificate's
extensions. Signatures are faked here (see test_verifier_unit.py's fixture); real ones: tests/integration/
test_verifier_agreement.py and test_verifier_images.py."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_verifier_unit import (  # noqa: F401 - verifiers: a fixture
    OTHER,
    RELEASE_SAN,
    SHA,
    WORKFLOWS,
    Fakes,
    bundle,
    certificate,
    statement,
    verifiers,
)
from wash_actions.trust import policy, sigstore_verifier


def test_verify_bundle_returns_the_signer_and_the_signed_statement(verifiers: Fakes) -> None:  # noqa: F811 - the fixture imported above
    verified = sigstore_verifier.verify_bundle(bundle(payload=statement(OTHER, SHA)))
    assert verified.identity.build_signer == RELEASE_SAN and verified.identity.sans == (RELEASE_SAN,)
    assert verified.envelope.payload_type == policy.IN_TOTO_PAYLOAD_TYPE
    assert policy.parse_statement(verified.envelope.payload).subjects == {OTHER, SHA}
    [fake] = verifiers.made
    assert [kind for kind, _ in fake.calls] == ["dsse"]


def test_verify_bundle_refuses_a_message_signature_without_verifying_it(verifiers: Fakes) -> None:  # noqa: F811 - the fixture imported above
    with pytest.raises(sigstore_verifier.Refused, match="plain message signature"):
        sigstore_verifier.verify_bundle(bundle(digest=SHA))
    assert not verifiers.made


def test_verify_bundle_tries_each_trust_root(verifiers: Fakes) -> None:  # noqa: F811 - the fixture imported above
    verifiers.reject = "signature is invalid"
    with pytest.raises(sigstore_verifier.Refused, match="VerificationError: signature is invalid"):
        sigstore_verifier.verify_bundle(bundle(payload=statement(SHA)), ("/a.json", "/b.json"))
    assert [v.trusted_root for v in verifiers.made] == ["root:/a.json", "root:/b.json"]


def test_verify_bundle_without_a_log_entry_is_not_judged(verifiers: Fakes) -> None:  # noqa: F811 - the fixture imported above
    data = json.loads(bundle(payload=statement(SHA)))
    data["verificationMaterial"]["tlogEntries"] = []
    with pytest.raises(sigstore_verifier.Unsupported, match="no transparency log entry"):
        sigstore_verifier.verify_bundle(json.dumps(data).encode())


def test_the_certificates_sans_and_extensions_are_read(verifiers: Fakes) -> None:  # noqa: F811 - the fixture imported above
    other = WORKFLOWS + "release.yaml@refs/tags/v2.10.3"
    identity = sigstore_verifier.signer_identity(certificate(RELEASE_SAN, other))
    assert identity.sans == (RELEASE_SAN, other)
    assert identity.build_signer == RELEASE_SAN and identity.source_ref == "refs/tags/v2.10.3"


def test_long_extension_values_are_read() -> None:
    long_ref = "refs/tags/v2.10.3-" + "a" * 200
    cert = certificate(WORKFLOWS + f"wash.yml@{long_ref}")
    assert sigstore_verifier.signer_identity(cert).source_ref == long_ref


def test_trusted_root_defaults_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from sigstore.models import ClientTrustConfig

    class Production:
        trusted_root = "production-root"

    monkeypatch.setattr(ClientTrustConfig, "production", classmethod(lambda cls, offline=False: Production()))
    assert sigstore_verifier.trusted_root("") == "production-root"
