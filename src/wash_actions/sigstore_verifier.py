"""sigstore-python as a verifier: one Sigstore bundle's signature, certificate chain, timestamps and transparency
log entry checked against a trust root; what it verified returned for the policy (:mod:`verifier` applies it).

sigstore is an extra, installed on first use (``extras.ensure_sigstore``): it is imported only inside functions.
Sigstore's production trust root is the default; a client trust configuration (``trust_policy.TRUST_CONFIG_ENV``)
replaces it, as the tests' local Sigstore stack does.

sigstore-python 4.5.1 loads only bundles with exactly one transparency log entry (``Bundle._verify`` in
sigstore/models.py): a bundle of GitHub's own Sigstore instance (RFC 3161 timestamps, no Rekor) is one it cannot
judge, reported as such (``Unsupported``) so the caller can say that the GitHub CLI can.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .trust_policy import (
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


def verify_bundle(bundle_json: bytes, trust_configs: tuple[str, ...] = ()) -> Verified:
    """Verify one DSSE bundle's signature, certificate chain and log entry against each trust root in turn
    (production's when none is given); the first that verifies wins.

    Raises Unsupported when sigstore-python cannot judge the bundle, Refused when it does not verify (a message
    signature, which carries no statement, included)."""
    from sigstore.models import Bundle
    from sigstore.verify import Verifier

    if not _has_tlog_entry(bundle_json):
        raise Unsupported(
            "the bundle has no transparency log entry (GitHub's Sigstore instance signs with timestamps only), "
            "which sigstore-python cannot verify"
        )
    try:
        bundle = Bundle.from_json(bundle_json)
    except Exception as exc:  # sigstore raises several types for malformed JSON and bundles
        raise Refused(f"not a Sigstore bundle: {type(exc).__name__}: {exc}") from None
    if bundle._dsse_envelope is None:
        raise Refused("a plain message signature, not a DSSE in-toto attestation")
    reasons: list[str] = []
    for config in trust_configs or ("",):
        verifier = Verifier(trusted_root=trusted_root(config))
        try:
            payload_type, payload = verifier.verify_dsse(bundle, _AnyCertificate())
        except Exception as exc:  # VerificationError and the errors of malformed material alike refuse
            reasons.append(f"{type(exc).__name__}: {exc}")
            continue
        return Verified(signer_identity(bundle.signing_certificate), Envelope(payload_type, payload))
    raise Refused("; ".join(dict.fromkeys(reasons)))
