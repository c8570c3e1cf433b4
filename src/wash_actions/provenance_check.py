"""Verify a downloaded wash binary against upstream provenance before it is ever executed.

Two sources, tried in order: the release's ``wash.sigstore.json`` bundle (releases from 2.1.0), and
GitHub's attestations API for the binary's sha256 (every v2 release). A bundle passes when its
signature verifies against the Sigstore trust root, its certificate was issued to a wasmCloud/wasmCloud
release workflow (GitHub Actions OIDC issuer, workflow under ``.github/workflows/`` of that repository,
run for a tag), and it covers this binary: a DSSE in-toto statement whose subjects include the binary's
sha256, or a message signature over the binary itself.

Sigstore's production trust root is the default and what users get. ``WASHACTIONS_SIGSTORE_TRUST_CONFIG``
may name another client trust configuration (how the tests use a local Sigstore stack).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import transport
from .errors import ActionError

ISSUER = "https://token.actions.githubusercontent.com"
UPSTREAM = "wasmCloud/wasmCloud"
TRUST_CONFIG_ENV = "WASHACTIONS_SIGSTORE_TRUST_CONFIG"
DEADLINE = 120.0
_WORKFLOW = re.compile(
    r"https://github\.com/" + re.escape(UPSTREAM) + r"/\.github/workflows/[A-Za-z0-9_-][A-Za-z0-9._-]*\.ya?ml"
    r"@refs/tags/(?!.*\.\.)[A-Za-z0-9_+-][A-Za-z0-9._+-]*",
    re.ASCII,
)


@dataclass(frozen=True)
class Evidence:
    source: str  # where the bundle came from
    identity: str  # the signing workflow


def workflow_identity_ok(san: str) -> bool:
    return _WORKFLOW.fullmatch(san) is not None


def _policy():  # type: ignore[no-untyped-def]
    from cryptography.x509 import SubjectAlternativeName, UniformResourceIdentifier
    from sigstore.verify import policy

    class ReleaseWorkflow:
        """Issuer is GitHub Actions; the SAN is a wasmCloud/wasmCloud workflow run for a tag."""

        def verify(self, cert) -> None:  # type: ignore[no-untyped-def]
            policy.OIDCIssuerV2(ISSUER).verify(cert)
            sans = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
            uris = sans.get_values_for_type(UniformResourceIdentifier)
            if not any(workflow_identity_ok(uri) for uri in uris):
                raise policy.VerificationError(
                    f"signed by {', '.join(uris) or 'an unknown identity'}, not a {UPSTREAM} release workflow"
                )

    return ReleaseWorkflow()


def trusted_root(trust_config: str):  # type: ignore[no-untyped-def]
    from sigstore.models import ClientTrustConfig

    if trust_config:
        return ClientTrustConfig.from_json(Path(trust_config).read_text()).trusted_root
    return ClientTrustConfig.production().trusted_root


def _subjects(payload: bytes) -> set[str]:
    statement = json.loads(payload)
    return {str(s.get("digest", {}).get("sha256", "")).lower() for s in statement.get("subject", [])}


def check_bundle(bundle_json: bytes, sha256: str, verifier, policy) -> str:  # type: ignore[no-untyped-def]
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
