"""sigstore-python as a verifier: one Sigstore bundle's signature, certificate chain, timestamps and transparency
log entry checked against a trust root; what it verified returned for the policy (:mod:`verifier` applies it).

sigstore is an extra, installed on first use (``extras.ensure_sigstore``): it is imported only inside functions.
Sigstore's production trust root is the default; a client trust configuration (``trust_policy.TRUST_CONFIG_ENV``)
replaces it, as the tests' local Sigstore stack does.

sigstore-python 4.5.1 loads only bundles with exactly one transparency log entry (``Bundle._verify`` in
sigstore/models.py), and its ``Verifier`` needs a trust root with a log. A bundle of GitHub's own Sigstore instance
(RFC 3161 timestamps, no Rekor: what @actions/attest makes for private repositories) is verified here from
sigstore-python's parts instead (:func:`verify_timestamped`), the way gh's GitHub verifier does (sigstore-go
``WithSignedTimestamps(1)``, cli/cli verification/sigstore.go): a trusted timestamp over the signature, the
certificate chain to the trust root's Fulcio CA at that time, the Sigstore X.509 profile, the DSSE signature. That
needs GitHub's trust root: given as a trust configuration (tests), it works; sigstore-python has none for GitHub's
production instance (gh fetches it over TUF), so there a bundle without a log is ``Unsupported``: gh can.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .policy import (
    OID_BUILD_CONFIG_URI,
    OID_BUILD_SIGNER_URI,
    OID_ISSUER_V2,
    OID_SOURCE_REPOSITORY_OWNER_URI,
    OID_SOURCE_REPOSITORY_REF,
    OID_SOURCE_REPOSITORY_URI,
    Envelope,
    SignerIdentity,
)

if TYPE_CHECKING:  # sigstore is an extra, installed on first use: imported at run time only inside functions
    from cryptography.x509 import Certificate
    from sigstore.models import TrustedRoot


class Verified(NamedTuple):
    """What a signature check established: who signed (from the verified certificate) and the signed envelope."""

    identity: SignerIdentity
    envelope: Envelope  # the DSSE payload type and payload, as signed


class Unsupported(Exception):
    """sigstore-python cannot judge this bundle (e.g. no transparency log entry): not a refusal."""


class Refused(Exception):
    """The bundle did not verify: malformed, or its signature, chain or log entry failed."""


def utf8_extension(cert: Certificate, oid: str) -> str:
    """A Fulcio v2 extension's value: a DER UTF8String (tag 0x0c, definite length); "" when absent."""
    from cryptography.x509 import ExtensionNotFound, ObjectIdentifier, UnrecognizedExtension

    try:
        extension = cert.extensions.get_extension_for_oid(ObjectIdentifier(oid)).value
    except ExtensionNotFound:
        return ""
    if not isinstance(extension, UnrecognizedExtension):  # Fulcio's OIDs are unknown to cryptography
        return ""
    raw = extension.value
    if len(raw) < 2 or raw[0] != 0x0C:
        return ""
    length, offset = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count > 4:
            return ""
        length, offset = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    value = raw[offset : offset + length]
    return value.decode("utf-8", errors="replace") if len(value) == length else ""


def signer_identity(cert: Certificate) -> SignerIdentity:
    """Who signed: the certificate's SAN URIs and Fulcio's workflow extensions."""
    from cryptography.x509 import ExtensionNotFound, SubjectAlternativeName, UniformResourceIdentifier

    try:
        sans = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
        uris = tuple(sans.get_values_for_type(UniformResourceIdentifier))
    except ExtensionNotFound:
        uris = ()
    return SignerIdentity(
        sans=uris,
        issuer=utf8_extension(cert, OID_ISSUER_V2),
        build_signer=utf8_extension(cert, OID_BUILD_SIGNER_URI),
        source_repository=utf8_extension(cert, OID_SOURCE_REPOSITORY_URI),
        source_ref=utf8_extension(cert, OID_SOURCE_REPOSITORY_REF),
        owner=utf8_extension(cert, OID_SOURCE_REPOSITORY_OWNER_URI),
        build_config=utf8_extension(cert, OID_BUILD_CONFIG_URI),
    )


def trusted_root(trust_config: str) -> TrustedRoot:
    """Sigstore's production trust root, or the one in the client trust configuration at ``trust_config``."""
    from sigstore.models import ClientTrustConfig

    if trust_config:
        return ClientTrustConfig.from_json(Path(trust_config).read_text()).trusted_root
    return ClientTrustConfig.production().trusted_root


class _AnyCertificate:
    """The verification policy handed to sigstore-python: identity is judged afterwards, by trust_policy, on the
    certificate sigstore-python verified (so a refusal can name its kind)."""

    def verify(self, cert: Certificate) -> None:
        """Accept: the caller applies the project's policy to the verified certificate."""


def _has_tlog_entry(bundle_json: bytes) -> bool:
    try:
        material = json.loads(bundle_json).get("verificationMaterial", {})
        return bool(material.get("tlogEntries"))
    except (ValueError, AttributeError):
        return True  # let sigstore-python say what is wrong with it


MAX_TIMESTAMPS = 32  # as sigstore-python's MAX_ALLOWED_TIMESTAMP


def _timestamp_times(root: TrustedRoot, tokens: list[bytes], signature: bytes) -> list[datetime]:
    """The times of the RFC 3161 timestamps over ``signature`` that a timestamp authority of ``root`` signed, within
    that authority's validity period."""
    from rfc3161_client import VerificationError as TimestampError
    from rfc3161_client import VerifierBuilder, decode_timestamp_response

    times = []
    for token in tokens:
        response = decode_timestamp_response(token)
        for authority in root.get_timestamp_authorities():
            chain = authority.certificates(allow_expired=True)
            if len(chain) < 2:
                continue
            builder = VerifierBuilder().tsa_certificate(chain[0]).add_root_certificate(chain[-1])
            for certificate in chain[1:-1]:
                builder = builder.add_intermediate_certificate(certificate)
            try:
                builder.build().verify_message(response, signature)
            except TimestampError:
                continue
            when = response.tst_info.gen_time
            start, end = authority.validity_period_start, authority.validity_period_end
            if start <= when and (not end or when < end):
                times.append(when)
                break
    return times


def _check_signing_certificate(root: TrustedRoot, cert: Certificate, when: datetime) -> None:
    """The certificate chains to the root's Fulcio CA at ``when``, was valid then, and is a code-signing leaf."""
    from cryptography.x509 import ExtendedKeyUsage, KeyUsage
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store

    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(ExtendedKeyUsage, Criticality.NON_CRITICAL, None)
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(ExtendedKeyUsage, Criticality.NON_CRITICAL, None)
    verifier = (
        PolicyBuilder()
        .store(Store(root.get_fulcio_certs()))
        .time(when)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    verifier.verify(cert, [])  # raises when there is no chain to the CA at that time
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise Refused(f"the signing certificate was not valid at the timestamp {when.isoformat()}")
    if not cert.extensions.get_extension_for_class(KeyUsage).value.digital_signature:
        raise Refused("the signing certificate's key usage is not digital signature")
    if ExtendedKeyUsageOID.CODE_SIGNING not in cert.extensions.get_extension_for_class(ExtendedKeyUsage).value:
        raise Refused("the signing certificate is not for code signing")


def verify_timestamped(bundle_json: bytes, trust_configs: tuple[str, ...]) -> Verified:
    """Verify a DSSE bundle that carries RFC 3161 timestamps and no transparency log entry (GitHub's instance)
    against the given trust configurations; Unsupported without one (see the module's docstring)."""
    import base64

    from cryptography import x509
    from sigstore import dsse

    if not trust_configs:
        raise Unsupported(
            "the bundle has no transparency log entry (GitHub's Sigstore instance signs with timestamps only) and "
            "sigstore-python has no trust root for GitHub's instance"
        )
    try:
        data = json.loads(bundle_json)
        material = data["verificationMaterial"]
        raw = (material.get("certificate") or {}).get("rawBytes") or material["x509CertificateChain"]["certificates"][
            0
        ]["rawBytes"]
        cert = x509.load_der_x509_certificate(base64.b64decode(raw, validate=True))
        if "dsseEnvelope" not in data:
            raise Refused("a plain message signature, not a DSSE in-toto attestation")
        envelope = dsse.Envelope._from_json(json.dumps(data["dsseEnvelope"]))
        envelope._verify()
        stamps = material["timestampVerificationData"]["rfc3161Timestamps"]
        if not isinstance(stamps, list) or not 0 < len(stamps) <= MAX_TIMESTAMPS:
            raise Refused(f"{len(stamps) if isinstance(stamps, list) else 'no'} signed timestamps")
        tokens = [base64.b64decode(stamp["signedTimestamp"], validate=True) for stamp in stamps]
    except Refused:
        raise
    except Exception as exc:  # JSON, base64, DER and model errors alike: not a bundle this path can read
        raise Refused(f"not a timestamped Sigstore bundle: {type(exc).__name__}: {exc}") from None
    reasons: list[str] = []
    for config in trust_configs:
        root = trusted_root(config)
        try:
            times = _timestamp_times(root, tokens, envelope.signature)
            if not times:
                raise Refused("no timestamp signed by a trusted timestamp authority covers the signature")
            for when in times:
                _check_signing_certificate(root, cert, when)
            payload = dsse._verify(cert.public_key(), envelope)  # type: ignore[arg-type]  # an EC key (Fulcio's)
        except Exception as exc:  # every failure of this root refuses; the next root may verify
            reasons.append(f"{type(exc).__name__}: {exc}")
            continue
        return Verified(signer_identity(cert), Envelope(envelope._inner.payload_type, payload))
    raise Refused("; ".join(dict.fromkeys(reasons)))


def verify_bundle(bundle_json: bytes, trust_configs: tuple[str, ...] = ()) -> Verified:
    """Verify one DSSE bundle's signature, certificate chain and log entry (or, without a log entry, its signed
    timestamps: :func:`verify_timestamped`) against each trust root in turn (production's when none is given); the
    first that verifies wins.

    Raises Unsupported when sigstore-python cannot judge the bundle, Refused when it does not verify (a message
    signature, which carries no statement, included)."""
    from sigstore.models import Bundle
    from sigstore.verify import Verifier

    if not _has_tlog_entry(bundle_json):
        return verify_timestamped(bundle_json, trust_configs)
    try:
        bundle = Bundle.from_json(bundle_json)
    except Exception as exc:  # sigstore raises several types for malformed JSON and bundles
        raise Refused(f"not a Sigstore bundle: {type(exc).__name__}: {exc}") from None
    if bundle._dsse_envelope is None:
        raise Refused("a plain message signature, not a DSSE in-toto attestation")
    reasons: list[str] = []
    for config in trust_configs or ("",):
        try:
            verifier = Verifier(trusted_root=trusted_root(config))
            payload_type, payload = verifier.verify_dsse(bundle, _AnyCertificate())
        except Exception as exc:  # VerificationError and the errors of malformed material alike refuse
            reasons.append(f"{type(exc).__name__}: {exc}")
            continue
        return Verified(signer_identity(bundle.signing_certificate), Envelope(payload_type, payload))
    raise Refused("; ".join(dict.fromkeys(reasons)))
