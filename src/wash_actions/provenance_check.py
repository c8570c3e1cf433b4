"""Verify a downloaded wash binary against upstream provenance before it is ever executed.

Two sources, tried in order: the release's ``wash.sigstore.json`` bundle (releases from 2.1.0), and
GitHub's attestations API for the binary's sha256 (every v2 release). A bundle passes when its
signature verifies against the Sigstore trust root, its certificate was issued to a wasmCloud/wasmCloud
release run (``identity_problem``: read from Fulcio's certificate extensions, not only the SAN), and it
covers this binary: a DSSE in-toto statement whose subjects include the binary's sha256, or a message
signature over the binary itself.

Sigstore's production trust root is the default and what users get. ``WASHACTIONS_SIGSTORE_TRUST_CONFIG``
may name another client trust configuration (how the tests use a local Sigstore stack).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import transport
from .errors import ActionError

if TYPE_CHECKING:  # sigstore is an extra, installed on first use: imported at run time only inside functions
    from cryptography.x509 import Certificate
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier
    from sigstore.verify.policy import VerificationPolicy

ISSUER = "https://token.actions.githubusercontent.com"
UPSTREAM = "wasmCloud/wasmCloud"
UPSTREAM_URI = f"https://github.com/{UPSTREAM}"
TRUST_CONFIG_ENV = "WASHACTIONS_SIGSTORE_TRUST_CONFIG"
DEADLINE = 120.0

# Fulcio's certificate extensions (sigstore/fulcio pkg/certificate/extensions.go, docs/oid-info.md): each is a
# DER UTF8String that Fulcio fills from the GitHub Actions OIDC token (pkg/identity/github/principal.go).
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"  # the token's iss
OID_BUILD_SIGNER_URI = "1.3.6.1.4.1.57264.1.9"  # https://github.com/ + job_workflow_ref (also the SAN)
OID_SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12"  # https://github.com/ + repository
OID_SOURCE_REPOSITORY_REF = "1.3.6.1.4.1.57264.1.14"  # ref
OID_SOURCE_REPOSITORY_OWNER_URI = "1.3.6.1.4.1.57264.1.16"  # https://github.com/ + repository_owner

# The refs wasmCloud releases wash from (wasmCloud/wasmCloud .github/workflows):
# - release-tag.yml (since 2026-05-01, "ci: automated release train"): workflow_run / workflow_dispatch, which
#   run on the default branch, so ref refs/heads/main;
# - wash.yml before that: push of a tag "wash-v*" (from 2025-09-26) then "v*" (from 2026-03).
_RELEASE_REF = re.compile(r"refs/heads/main|refs/tags/(?:wash-)?v[0-9][A-Za-z0-9._+-]*", re.ASCII)
_WORKFLOWS = UPSTREAM_URI + "/.github/workflows/"
_WORKFLOW_AT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.ya?ml@(?P<ref>.+)", re.ASCII)


@dataclass(frozen=True)
class Evidence:
    source: str  # where the bundle came from
    identity: str  # the signing workflow


@dataclass(frozen=True)
class SignerIdentity:
    """What a Fulcio certificate says about the workflow run that signed."""

    sans: tuple[str, ...]
    issuer: str
    build_signer: str
    source_repository: str
    source_ref: str
    owner: str = ""

    def describe(self) -> str:
        return (
            f"SAN {', '.join(self.sans) or '(none)'}, issuer {self.issuer or '(none)'}, "
            f"source repository {self.source_repository or '(none)'}, ref {self.source_ref or '(none)'}"
        )


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()  # GitHub owner and repository names are case-insensitive


def _release_ref(ref: str) -> bool:
    return ".." not in ref and _RELEASE_REF.fullmatch(ref) is not None


def identity_problem(identity: SignerIdentity) -> str:
    """Why this signer is not a wasmCloud/wasmCloud release run ("" when it is one).

    Accepted: GitHub Actions' issuer; the run's repository (Source Repository URI) is wasmCloud/wasmCloud, so a
    reusable workflow of wasmCloud's called from another repository or a fork is refused; the workflow that
    signed (Build Signer URI, also the SAN) is a workflow file of wasmCloud/wasmCloud at main or a release tag;
    the run's ref (Source Repository Ref) is refs/heads/main or a release tag (v*, wash-v*).
    """
    if identity.issuer != ISSUER:
        return f"the OIDC issuer is {identity.issuer or 'missing'}, not GitHub Actions ({ISSUER})"
    if not _same(identity.source_repository, UPSTREAM_URI):
        return f"the run's source repository is {identity.source_repository or 'missing'}, not {UPSTREAM_URI}"
    if identity.owner and not _same(identity.owner, "https://github.com/" + UPSTREAM.split("/")[0]):
        return f"the source repository's owner is {identity.owner}"
    build_signer = identity.build_signer
    prefix = build_signer[: len(_WORKFLOWS)]
    signer = _WORKFLOW_AT.fullmatch(build_signer[len(_WORKFLOWS) :]) if _same(prefix, _WORKFLOWS) else None
    if signer is None:
        return f"the signing workflow {identity.build_signer or '(none)'} is not a {UPSTREAM} workflow"
    if identity.build_signer not in identity.sans:
        return f"the certificate's SAN does not name its build signer {identity.build_signer}"
    if not _release_ref(identity.source_ref):
        return f"the run's ref {identity.source_ref or '(none)'} is not refs/heads/main or a release tag (v*, wash-v*)"
    if not _release_ref(signer.group("ref")):
        return f"the signing workflow's ref {signer.group('ref')} is not main or a release tag"
    return ""


def _utf8_extension(cert: Certificate, oid: str) -> str:
    """A Fulcio v2 extension's value: a DER UTF8String (tag 0x0c, definite length)."""
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
        issuer=_utf8_extension(cert, OID_ISSUER_V2),
        build_signer=_utf8_extension(cert, OID_BUILD_SIGNER_URI),
        source_repository=_utf8_extension(cert, OID_SOURCE_REPOSITORY_URI),
        source_ref=_utf8_extension(cert, OID_SOURCE_REPOSITORY_REF),
        owner=_utf8_extension(cert, OID_SOURCE_REPOSITORY_OWNER_URI),
    )


def _policy() -> VerificationPolicy:
    from sigstore.errors import VerificationError

    class ReleaseWorkflow:
        """A wasmCloud/wasmCloud release run, read from Fulcio's certificate extensions (see identity_problem)."""

        def verify(self, cert: Certificate) -> None:
            identity = signer_identity(cert)
            problem = identity_problem(identity)
            if problem:
                raise VerificationError(f"signed by {identity.describe()}: {problem}; not a {UPSTREAM} release")

    return ReleaseWorkflow()


def trusted_root(trust_config: str) -> TrustedRoot:
    """Sigstore's production trust root, or the one in the client trust configuration at ``trust_config``."""
    from sigstore.models import ClientTrustConfig

    if trust_config:
        return ClientTrustConfig.from_json(Path(trust_config).read_text()).trusted_root
    return ClientTrustConfig.production().trusted_root


def _subjects(payload: bytes) -> set[str]:
    statement = json.loads(payload)
    return {str(s.get("digest", {}).get("sha256", "")).lower() for s in statement.get("subject", [])}


def check_bundle(bundle_json: bytes, sha256: str, verifier: Verifier, policy: VerificationPolicy) -> str:
    """Verify one bundle for the binary with this sha256; returns the signer identity or raises."""
    from sigstore.errors import VerificationError
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore_models.common.v1 import HashAlgorithm

    bundle = Bundle.from_json(bundle_json)
    if bundle._dsse_envelope is not None:  # an in-toto statement about one or more binaries
        _, payload = verifier.verify_dsse(bundle, policy)
        if sha256.lower() not in _subjects(payload):
            raise VerificationError("the attestation does not cover this binary's sha256")
    else:
        verifier.verify_artifact(Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256)), bundle, policy)
    from cryptography.x509 import SubjectAlternativeName, UniformResourceIdentifier

    sans = bundle.signing_certificate.extensions.get_extension_for_class(SubjectAlternativeName).value
    return ", ".join(sans.get_values_for_type(UniformResourceIdentifier))


class SourceFailed(Exception):
    """A provenance source answered with an error or unusable content (not "none found"); names the server."""


MAX_BUNDLES = 16 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _failed(exc: transport.TransportError) -> SourceFailed:
    return SourceFailed(f"{exc.what} ({exc.why})")


def fetch_bundle(url: str) -> bytes | None:
    """The release's bundle asset; None when the release has none (404). Other failures raise SourceFailed."""
    try:
        response = transport.request("GET", url, deadline=DEADLINE, max_bytes=MAX_BUNDLES)
    except transport.TransportError as exc:
        raise _failed(exc) from None
    if response.status == 404:
        return None
    if response.status != 200:
        raise SourceFailed(f"{response.host} answered {response.describe()}")
    return response.body


def fetch_attestations(api_url: str, auth: transport.Auth | None, sha256: str) -> list[bytes]:
    """Bundles from GitHub's attestations API (``GET /repos/{owner}/{repo}/attestations/{digest}``).

    [] when the API has none for this digest (404); an error status, HTML or a wrong shape raises SourceFailed.
    """
    if not _HEX64.fullmatch(sha256):
        raise SourceFailed(f"not a sha256: {transport.sanitise(sha256, 80)!r}")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    url = f"{api_url.rstrip('/')}/repos/{UPSTREAM}/attestations/sha256:{sha256}"
    try:
        response = transport.request("GET", url, headers=headers, auth=auth, deadline=DEADLINE, max_bytes=MAX_BUNDLES)
        if response.status == 404:
            return []
        if response.status != 200:
            raise SourceFailed(f"{response.host} answered {response.describe()}")
        listed = response.json(dict, what="the attestations request").get("attestations")
    except transport.TransportError as exc:
        raise _failed(exc) from None
    if not isinstance(listed, list):
        raise SourceFailed(f"{response.host} answered without an attestations list: {response.describe()}")
    return [
        json.dumps(a["bundle"]).encode() for a in listed if isinstance(a, dict) and isinstance(a.get("bundle"), dict)
    ]


def verify_binary(
    sha256: str,
    sources: Iterable[tuple[str, Callable[[], list[bytes]]]],
    trust_config: str,
) -> Evidence:
    """Try each source of bundles in order; the first bundle that verifies wins. Refuse otherwise."""
    from sigstore.verify import Verifier

    verifier = Verifier(trusted_root=trusted_root(trust_config))
    policy = _policy()
    failures: list[str] = []
    for name, load in sources:
        try:
            bundles = load()
        except SourceFailed as exc:  # the source failed: say so, never "none found"
            failures.append(f"{name}: failed: {exc}")
            continue
        if not bundles:
            failures.append(f"{name}: none found")
            continue
        for raw in bundles:
            try:
                return Evidence(name, check_bundle(raw, sha256, verifier, policy))
            except Exception as exc:  # any malformed or failing bundle is one more reason to refuse
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
    raise ActionError(
        what="The downloaded wash could not be verified against wasmCloud's release provenance",
        why="No Sigstore bundle signed by a wasmCloud/wasmCloud release workflow covers this binary "
        f"(sha256 {sha256}): " + "; ".join(failures) + ". Nothing was installed.",
        fix="Re-run the job. If the runner cannot reach the provenance sources, pin the binary instead:\n"
        "with:\n  verify: false\n  checksum: <sha256 of the binary>",
        docs="#verification",
    )
