"""The GitHub Actions OIDC ID token as proof of which workflow run, attempt and job made something.

GitHub signs each job's ID tokens (RS256) with its issuer's key; their claims name the run (``run_id``,
``run_attempt``), the repository (``repository``, ``repository_id``), the workflows (``workflow_ref``,
``job_workflow_ref``), the commit (``sha``) and the audience asked for (``aud``) ("About security hardening with
OpenID Connect", "Understanding the OIDC token", docs.github.com). Only a job of that run with ``id-token: write``
can have one minted, so a token whose audience names a thing is that job's statement about it.

- :func:`request`: this job's token for an audience, from the runner's endpoint (``ACTIONS_ID_TOKEN_REQUEST_URL``
  and ``_TOKEN``, by the ``id`` package sigstore already uses to sign); "" when the job has none.
- :func:`keys`: the issuer's signing keys: ``<iss>/.well-known/openid-configuration`` → ``jwks_uri``
  (github.com: ``https://token.actions.githubusercontent.com``; GHES ``https://HOST/_services/token``; GHE.com its
  own; each is the ``iss`` of the runner's own tokens). ``WASHACTIONS_OIDC_DISCOVERY_URL`` names another discovery
  document for that issuer (tests and air-gapped mirrors, like ``WASHACTIONS_SIGSTORE_TRUST_CONFIG``).
- :func:`verify`: an RS256 signature checked with the standard library (RSASSA-PKCS1-v1_5, SHA-256; RFC 8017
  section 8.2.2), against the key its header's ``kid`` names.

Nothing here trusts a token's own ``iss``: the caller passes the issuer of its own token, which the runner gave it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any, NamedTuple

from ..errors import ActionError
from ..runner import transport
from .provenance import b64url

DISCOVERY_ENV = "WASHACTIONS_OIDC_DISCOVERY_URL"
MAX_TOKEN = 16 << 10  # GitHub's tokens are about 1.5 kB
MAX_DOCUMENT = 256 << 10
DEADLINE = 30.0
# DER of DigestInfo{sha256, NULL} that precedes the hash in an RSASSA-PKCS1-v1_5 signature (RFC 8017 section 9.2)
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


class Invalid(Exception):
    """Why a token is not accepted (the message says it, for a warning)."""


class Token(NamedTuple):
    """A compact JWS split into its parts: the decoded header and claims, the signed text and the signature."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signed: bytes
    signature: bytes


def parse(token: str) -> Token:
    """The parts of ``token`` (not verified); :class:`Invalid` when it is not a compact JWS with JSON objects."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 2:
        raise Invalid("it is not a JSON Web Token")
    head, body, signature = token.split(".")
    try:
        header, claims = json.loads(b64url(head)), json.loads(b64url(body))
        raw_signature = b64url(signature)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("it is not a JSON Web Token") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Invalid("it is not a JSON Web Token")
    return Token(header, claims, f"{head}.{body}".encode(), raw_signature)


def request(audience: str) -> str:
    """This job's ID token for ``audience`` ("" when the runner offers none: no ``id-token: write``, not GitHub
    Actions, or the request failed)."""
    if not os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") or not os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        return ""
    from ..runner import extras

    extras.ensure_sigstore()  # the id package comes with sigstore's lock
    import id as oidc

    try:
        token = oidc.detect_credential(audience)
    except oidc.IdentityError:
        return ""
    return token or ""


def discovery_url(issuer: str) -> str:
    """Where the issuer's OpenID configuration is read (``WASHACTIONS_OIDC_DISCOVERY_URL`` overrides)."""
    return os.environ.get(DISCOVERY_ENV, "") or f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def _get(url: str, what: str) -> dict[str, Any]:
    try:
        response = transport.request(
            "GET", url, headers={"Accept": "application/json"}, deadline=DEADLINE, max_bytes=MAX_DOCUMENT
        )
    except ActionError as exc:
        raise Invalid(f"{what} could not be read ({exc.what})") from None
    if not response.ok:
        raise Invalid(f"{what} could not be read ({response.describe()})")
    try:
        document = json.loads(response.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise Invalid(f"{what} is not a JSON object")
    return document


def keys(issuer: str) -> dict[str, dict[str, Any]]:
    """The RSA signing keys ``issuer`` publishes, by ``kid``; :class:`Invalid` when they cannot be read."""
    where = discovery_url(issuer)
    configuration = _get(where, f"the OpenID configuration of {issuer} ({where})")
    if configuration.get("issuer") != issuer:
        raise Invalid(f"the OpenID configuration at {where} is for {configuration.get('issuer')!r}, not {issuer}")
    jwks_uri = configuration.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise Invalid(f"the OpenID configuration at {where} names no jwks_uri")
    found = _get(jwks_uri, f"the signing keys of {issuer} ({jwks_uri})").get("keys")
    if not isinstance(found, list):
        raise Invalid(f"{jwks_uri} holds no keys")
    return {
        key["kid"]: key
        for key in found
        if isinstance(key, dict) and isinstance(key.get("kid"), str) and key.get("kty") == "RSA"
    }


def rs256_valid(signed: bytes, signature: bytes, jwk: dict[str, Any]) -> bool:
    """Whether ``signature`` is the RS256 signature of ``signed`` by the RSA public key ``jwk``."""
    try:
        modulus = int.from_bytes(b64url(jwk["n"]), "big")
        exponent = int.from_bytes(b64url(jwk["e"]), "big")
    except (KeyError, TypeError, ValueError):
        return False
    size = (modulus.bit_length() + 7) // 8
    if modulus.bit_length() < 2048 or exponent < 3 or len(signature) != size:  # RFC 7518 section 3.3: 2048 or more
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    encoded = pow(value, exponent, modulus).to_bytes(size, "big")
    digest = SHA256_DIGEST_INFO + hashlib.sha256(signed).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return hmac.compare_digest(encoded, expected)


def verify(token: str, issuer: str, published: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The claims of ``token`` once its RS256 signature checks against the key of ``issuer`` its ``kid`` names
    (``published``, from :func:`keys`) and its ``iss`` is ``issuer``; else :class:`Invalid` saying why.
    Expiry is not checked: the caller decides how old a token may be."""
    parsed = parse(token)
    if parsed.header.get("alg") != "RS256":
        raise Invalid(f"it is signed with {parsed.header.get('alg')!r}, not RS256")
    kid = parsed.header.get("kid")
    jwk = published.get(kid) if isinstance(kid, str) else None
    if jwk is None:
        raise Invalid(f"{issuer} no longer publishes the key that signed it (kid {kid!r}; keys are rotated)")
    if not rs256_valid(parsed.signed, parsed.signature, jwk):
        raise Invalid(f"its signature does not verify with {issuer}'s key {kid}")
    if parsed.claims.get("iss") != issuer:
        raise Invalid(f"it was issued by {parsed.claims.get('iss')!r}, not {issuer}")
    return parsed.claims
