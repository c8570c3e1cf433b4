"""Read who a Sigstore bundle's certificate names, with the standard library only, to say whom a verifier refused.

Not a check: the signature was verified (or refused) by gh or sigstore-python; this only words the refusal when
the verifier's own message does not name the signer. The input is untrusted (a bundle from a mirror, a registry
or an API), so the reader is bounded: nesting at most :data:`MAX_DEPTH` levels, at most :data:`MAX_ELEMENTS`
elements, OID arcs of at most :data:`MAX_ARC_BYTES` bytes (decoding is linear in the input), lengths of at most 4
bytes. Anything outside the bounds makes the reader return None, never raise or spin.
"""

from __future__ import annotations

import base64
import binascii
import json

from .policy import (
    OID_BUILD_CONFIG_URI,
    OID_BUILD_SIGNER_URI,
    OID_ISSUER_V2,
    OID_SOURCE_REPOSITORY_OWNER_URI,
    OID_SOURCE_REPOSITORY_REF,
    OID_SOURCE_REPOSITORY_URI,
    OID_SUBJECT_ALT_NAME,
    SignerIdentity,
)

MAX_DEPTH = 12  # Certificate > TBSCertificate > [3] > Extensions > Extension: 5 levels; generous
MAX_ELEMENTS = 4096
MAX_ARC_BYTES = 9  # an arc up to 2**63: every OID this reader looks for has arcs below 2**21
MAX_OID_BYTES = 64
MAX_CERTIFICATE = 64 << 10


class DerError(ValueError):
    """The bytes are not DER this reader accepts (truncated, too deep, too many elements, an oversized OID)."""


def _tlv(data: bytes, offset: int, end: int) -> tuple[int, int, int]:
    """One DER element at ``offset`` within ``data[:end]``: (tag, start of its content, end of its content)."""
    if offset + 2 > end:
        raise DerError("truncated DER")
    tag, length, start = data[offset], data[offset + 1], offset + 2
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used in certificates")
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > end:
            raise DerError("unsupported DER length")
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    if start + length > end:
        raise DerError("truncated DER")
    return tag, start, start + length


def oid_text(raw: bytes) -> str:
    """The dotted form of a DER OBJECT IDENTIFIER's content; DerError when it is empty, oversized or unterminated.

    Each arc is at most :data:`MAX_ARC_BYTES` bytes, so decoding is linear in the input."""
    if not raw or len(raw) > MAX_OID_BYTES:
        raise DerError("empty or oversized OID")
    arcs: list[int] = []
    value, width = 0, 0
    for byte in raw:
        value, width = (value << 7) | (byte & 0x7F), width + 1
        if width > MAX_ARC_BYTES:
            raise DerError("oversized OID arc")
        if not byte & 0x80:
            arcs.append(value)
            value, width = 0, 0
    if width:
        raise DerError("unterminated OID arc")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def extensions(der: bytes) -> dict[str, bytes]:
    """Every X.509 extension (OID -> the OCTET STRING's content) found in a DER certificate, walked iteratively."""
    found: dict[str, bytes] = {}
    stack = [(0, len(der), 0)]  # (start, end, depth) of constructed contents still to walk
    elements = 0
    while stack:
        offset, end, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DerError("DER nested too deep")
        while offset < end:
            elements += 1
            if elements > MAX_ELEMENTS:
                raise DerError("too many DER elements")
            tag, content, stop = _tlv(der, offset, end)
            if tag & 0x20:  # constructed: an Extension is SEQUENCE { OID, [critical BOOLEAN], OCTET STRING }
                children: list[tuple[int, int, int]] = []
                inner = content
                while inner < stop and len(children) < 4:
                    child = _tlv(der, inner, stop)
                    children.append(child)
                    inner = child[2]
                shaped = tag == 0x30 and inner == stop and len(children) in (2, 3)
                if shaped and children[0][0] == 0x06 and children[-1][0] == 0x04:
                    oid = oid_text(der[children[0][1] : children[0][2]])
                    found[oid] = der[children[-1][1] : children[-1][2]]
                else:
                    stack.append((content, stop, depth + 1))
            offset = stop
    return found


def _utf8(value: bytes) -> str:
    if not value:
        return ""
    tag, start, end = _tlv(value, 0, len(value))
    return value[start:end].decode("utf-8", "replace") if tag == 0x0C else ""


def _uris(names: bytes) -> tuple[str, ...]:
    if not names:
        return ()
    _, offset, end = _tlv(names, 0, len(names))
    uris: list[str] = []
    while offset < end:
        tag, start, stop = _tlv(names, offset, end)
        if tag == 0x86:  # uniformResourceIdentifier [6] IA5String
            uris.append(names[start:stop].decode("ascii", "replace"))
        offset = stop
    return tuple(uris)


def certificate_identity(der: bytes) -> SignerIdentity | None:
    """The signer a DER certificate names (SAN URIs, Fulcio's extensions); None when it cannot be read."""
    if len(der) > MAX_CERTIFICATE:
        return None
    try:
        found = extensions(der)
        return SignerIdentity(
            sans=_uris(found.get(OID_SUBJECT_ALT_NAME, b"")),
            issuer=_utf8(found.get(OID_ISSUER_V2, b"")),
            build_signer=_utf8(found.get(OID_BUILD_SIGNER_URI, b"")),
            source_repository=_utf8(found.get(OID_SOURCE_REPOSITORY_URI, b"")),
            source_ref=_utf8(found.get(OID_SOURCE_REPOSITORY_REF, b"")),
            owner=_utf8(found.get(OID_SOURCE_REPOSITORY_OWNER_URI, b"")),
            build_config=_utf8(found.get(OID_BUILD_CONFIG_URI, b"")),
        )
    except DerError:
        return None


def bundle_identity(bundle_json: bytes) -> SignerIdentity | None:
    """Who a Sigstore bundle's leaf certificate names; None when the bundle has no readable certificate."""
    try:
        bundle = json.loads(bundle_json)
        material = bundle.get("verificationMaterial", {})
        certificate = material.get("certificate") or {}
        raw = certificate.get("rawBytes") or material["x509CertificateChain"]["certificates"][0]["rawBytes"]
        der = base64.b64decode(raw, validate=True)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, binascii.Error):
        return None
    return certificate_identity(der)
