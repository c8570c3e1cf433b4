"""Attest a pushed component: SLSA provenance for its manifest digest, signed with Sigstore (DSSE),
stored with GitHub's attestations API and pushed to the registry as an OCI referrer of the image.

Signing uses the runner's ambient OIDC credential (audience ``sigstore``) and the Sigstore instance
actions/attest picks (``signing_instance``): Sigstore's public-good instance (Fulcio + Rekor) for a public
repository, GitHub's own (Fulcio + RFC 3161 timestamp authority, no transparency log) otherwise.
``WASHACTIONS_SIGNING_TRUST_CONFIG`` (else ``WASHACTIONS_SIGSTORE_TRUST_CONFIG``) may name another client trust
configuration for the public-good instance and ``WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG`` one for GitHub's
(tests and the demo use local Sigstore stacks). sigstore is imported only here, and installed on first use.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import provenance, registry, sbom, transport
from .attest_decision import PUBLIC_GOOD, SIGSTORE_PUBLIC_GOOD, Instance
from .errors import ActionError
from .trust_policy import GITHUB_TRUST_CONFIG_ENV, TRUST_CONFIG_ENV

if TYPE_CHECKING:  # sigstore is an extra, installed on first use: imported at run time only where it signs
    from sigstore.dsse import Statement

DigestAlgorithm = Literal["sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"]
DIGEST_ALGORITHMS: tuple[DigestAlgorithm, ...] = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512")

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG = b"{}"
OCI_MANIFEST = registry.OCI_MANIFEST
OCI_INDEX = registry.OCI_INDEX
SIGNING_TRUST_CONFIG_ENV = "WASHACTIONS_SIGNING_TRUST_CONFIG"  # signing only, when it differs from verifying
GITHUB_SIGNING_TRUST_CONFIG_ENV = GITHUB_TRUST_CONFIG_ENV  # GitHub's instance, in tests
STORE_DEADLINE = 180.0
RETRIES = 4  # rounds of read-merge-write of the referrers fallback index


# as actions/attest stores attestations: @octokit/plugin-retry, 5 retries, (n)^2 s apart, doNotRetry
# [400, 401, 403, 404, 410, 422, 451] (see transport.OCTOKIT_RETRY)
STORE_RETRY = transport.OCTOKIT_RETRY


def statement(
    subject: str, digest: str, predicate: dict[str, Any], predicate_type: str = provenance.SLSA_PREDICATE_V1
) -> Statement:
    """The in-toto Statement v1 for one subject digest, as @actions/attest's ``buildIntotoStatement`` makes it."""
    from sigstore import dsse

    algorithm, _, hexdigest = digest.partition(":")
    if algorithm not in DIGEST_ALGORITHMS:
        raise ValueError(f"not an in-toto digest algorithm: {algorithm!r}")
    return (
        dsse.StatementBuilder()
        .subjects([dsse.Subject(name=subject, digest=dsse.DigestSet(root={algorithm: hexdigest}))])
        .predicate_type(predicate_type)
        .predicate(predicate)
        .build()
    )


def sbom_statement(subject: str, digest: str, document: sbom.Sbom):  # type: ignore[no-untyped-def]
    """The statement actions/attest signs for ``sbom-path``: the SBOM document itself is the predicate.

    Serialised as ``JSON.stringify`` does (compact, key order kept), the bytes @actions/attest signs.
    """
    from sigstore import dsse

    body = sbom.statement(subject, digest, document)
    return dsse.Statement(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


@dataclass(frozen=True)
class Signed:
    bundle: str  # bundle v0.3 JSON
    claims: dict[str, Any]


def oidc_token() -> str:
    """The job's OIDC token for Sigstore (audience ``sigstore``), asked for once per publish."""
    from . import extras

    extras.ensure_sigstore()
    from sigstore.oidc import IdentityError, detect_credential

    try:
        raw = detect_credential()
    except IdentityError as exc:
        raise ActionError(
            what="Could not get the job's OIDC token for signing",
            why=str(exc),
            fix="Grant the job\npermissions:\n  id-token: write",
            docs="#attestations",
        ) from None
    if not raw:
        raise ActionError(
            what="No OIDC token for signing",
            why="The runner offered no ambient credential (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN).",
            fix="Grant the job\npermissions:\n  id-token: write",
            docs="#attestations",
        )
    return raw


def sign(
    subject: str,
    digest: str,
    server_url: str,
    instance: Instance = SIGSTORE_PUBLIC_GOOD,
    *,
    token: str = "",
    document: sbom.Sbom | None = None,
) -> Signed:
    """Sign a statement about ``subject@digest`` with the runner's OIDC identity, on ``instance``: the SLSA
    provenance, or, given ``document``, that SBOM (its own predicate type). ``token`` reuses an OIDC token."""
    raw = token or oidc_token()
    claims = provenance.token_claims(raw)
    if document is None:
        built = statement(subject, digest, provenance.predicate(claims, server_url))
        what = "the provenance"
    else:
        built = sbom_statement(subject, digest, document)
        what = "the SBOM"
    try:
        if instance.name == PUBLIC_GOOD:
            bundle = _sign_public_good(built, raw)
        else:
            bundle = _sign_with_timestamp(built, raw, instance)
    except ActionError:
        raise
    except Exception as exc:  # sigstore's network and protocol errors have no common public base
        raise ActionError(
            what=f"Signing {what} with {instance.label} failed",
            why=f"{type(exc).__name__}: {exc}",
            fix="Re-run the job; Sigstore's services may have been briefly unavailable.",
            docs="#attestations",
        ) from None
    return Signed(bundle, claims)


def _sign_public_good(built: Statement, raw_token: str) -> str:
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    trust_path = os.environ.get(SIGNING_TRUST_CONFIG_ENV, "") or os.environ.get(TRUST_CONFIG_ENV, "")
    trust = ClientTrustConfig.from_json(Path(trust_path).read_text()) if trust_path else ClientTrustConfig.production()
    with SigningContext.from_trust_config(trust).signer(IdentityToken(raw_token)) as signer:
        return str(signer.sign_dsse(built).to_json())


def github_instance_urls(instance: Instance) -> tuple[str, str]:
    """Fulcio's base URL and the RFC 3161 endpoint of GitHub's instance (or of a test stack standing in for it)."""
    override = os.environ.get(GITHUB_SIGNING_TRUST_CONFIG_ENV, "")
    if override:
        config = json.loads(Path(override).read_text())["signingConfig"]
        return config["caUrls"][0]["url"], config["tsaUrls"][0]["url"]
    return instance.fulcio_url, instance.tsa_url.rstrip("/") + "/api/v1/timestamp"


def _sign_with_timestamp(built: Statement, raw_token: str, instance: Instance) -> str:
    """DSSE signed with a Fulcio certificate, countersigned by an RFC 3161 timestamp, no transparency log: the
    bundle @sigstore/sign builds for @actions/attest with GitHub's instance (FulcioSigner + TSAWitness).

    sigstore-python 4.5.1's Signer always logs to Rekor, so this uses its Fulcio and TSA clients directly.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from sigstore import dsse
    from sigstore._internal.fulcio.client import FulcioClient
    from sigstore._internal.timestamp import TimestampAuthorityClient
    from sigstore.oidc import IdentityToken

    fulcio_url, tsa_url = github_instance_urls(instance)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate = FulcioClient(fulcio_url).signing_cert.post(csr, IdentityToken(raw_token)).cert
    envelope = dsse._sign(key, built)
    timestamp = TimestampAuthorityClient(tsa_url).request_timestamp(envelope.signature)
    der = certificate.public_bytes(serialization.Encoding.DER)
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": {"rawBytes": base64.b64encode(der).decode()},
            "tlogEntries": [],
            "timestampVerificationData": {
                "rfc3161Timestamps": [{"signedTimestamp": base64.b64encode(timestamp.as_bytes()).decode()}]
            },
        },
        "dsseEnvelope": json.loads(envelope.to_json()),
    }
    return json.dumps(bundle)


def store(
    api_url: str,
    token: str,
    repository: str,
    bundle: str,
    server_url: str,
    *,
    policy: transport.RetryPolicy = STORE_RETRY,
    sleep: Callable[[float], None] | None = None,
) -> tuple[str, str]:
    """``POST /repos/{owner}/{repo}/attestations``; returns the attestation id and its URL."""
    url = f"{api_url.rstrip('/')}/repos/{repository}/attestations"
    body = json.dumps({"bundle": json.loads(bundle)}).encode()
    response = _api("POST", url, token, body=body, policy=policy, sleep=sleep, what="store the attestation")
    if response.status in (401, 403, 404):
        raise ActionError(
            what=f"GitHub refused to store the attestation (HTTP {response.status} from {response.host})",
            why="The token lacks the attestations permission for this repository.",
            fix="Grant the job\npermissions:\n  id-token: write\n  attestations: write",
            docs="#attestations",
        )
    if response.status not in (200, 201):
        retried = f" after {response.attempts} attempts" if response.attempts > 1 else ""
        raise ActionError(
            what=f"GitHub refused to store the attestation (HTTP {response.status} from {response.host})",
            why=f"It answered {response.describe()}{retried}.",
            fix="Re-run the job; report this if it persists.",
            docs="#attestations",
        )
    attestation_id = response.json(dict, what="the attestation upload").get("id")
    if not isinstance(attestation_id, int | str) or not str(attestation_id).isdigit():
        raise ActionError(
            what=f"GitHub's attestations API at {response.host} returned no attestation id",
            why=f"It answered {response.describe()}.",
            fix="Re-run the job; report this if it persists.",
            docs="#attestations",
        )
    return str(attestation_id), f"{server_url.rstrip('/')}/{repository}/attestations/{attestation_id}"


def _api(
    method: str,
    url: str,
    token: str,
    *,
    body: bytes | None = None,
    policy: transport.RetryPolicy = transport.DEFAULT_RETRY,
    sleep: Callable[[float], None] | None = None,
    what: str,
) -> transport.Response:
    """One call to GitHub's REST API through the transport, the job's token bound to the API's own host."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        return transport.request(
            method,
            url,
            headers=headers,
            body=body,
            auth=transport.Auth.bearer(token, url),
            retry=policy,
            deadline=STORE_DEADLINE,
            sleep=sleep,
        )
    except transport.TransportError as exc:
        exc.docs = "#attestations"
        exc.what = f"Could not {what}: {exc.what}"
        raise


def storage_record_request(image: str, digest: str, version: str = "") -> dict[str, str]:
    """The body @actions/attest's ``createStorageRecord`` sends, as actions/attest src/attest.ts fills it: the
    bare image name, its digest, the registry's origin (``https://<registry host>``) and, when given, a version."""
    body = {"name": image, "digest": digest}
    if version:
        body["version"] = version
    body["registry_url"] = "https://" + image.split("/", 1)[0]
    return body


def create_storage_record(
    api_url: str,
    token: str,
    repository: str,
    image: str,
    digest: str,
    *,
    policy: transport.RetryPolicy = STORE_RETRY,
    sleep: Callable[[float], None] | None = None,
) -> list[str]:
    """``POST /orgs/{owner}/artifacts/metadata/storage-record`` for an organization-owned repository (what
    actions/attest's ``create-storage-record`` does after a registry push); [] when the owner is a user.

    Raises ``ActionError`` when GitHub refuses; the caller turns it into a warning, as actions/attest does.
    """
    base = api_url.rstrip("/")
    owner = repository.split("/", 1)[0]
    repo = _api("GET", f"{base}/repos/{repository}", token, what=f"read {repository}")
    if repo.status != 200:
        raise ActionError(
            what=f"Could not read {repository} to create a storage record (HTTP {repo.status} from {repo.host})",
            why=f"It answered {repo.describe()}.",
            fix="Grant the job\npermissions:\n  contents: read",
            docs="#attestations",
        )
    if ((repo.json(dict, what=f"repository {repository}").get("owner") or {}).get("type")) != "Organization":
        return []  # the artifact metadata API is only for organizations (actions/attest repoOwnerIsOrg)
    body = json.dumps(storage_record_request(image, digest)).encode()
    url = f"{base}/orgs/{owner}/artifacts/metadata/storage-record"
    answer = _api("POST", url, token, body=body, policy=policy, sleep=sleep, what="create the storage record")
    if 200 <= answer.status < 300:
        records = answer.json(dict, what="the storage record").get("storage_records", [])
        return [str(r.get("id")) for r in records if isinstance(r, dict)]
    raise ActionError(
        what=f"GitHub did not create the storage record (HTTP {answer.status} from {answer.host})",
        why=f"It answered {answer.describe()}.",
        fix="Grant the job\npermissions:\n  artifact-metadata: write\nor turn it off:\nwith:\n"
        "  create-storage-record: false",
        docs="#attestations",
    )


def registry_bytes(bundle: str) -> bytes:
    """The bundle blob as actions/attest uploads it: ``JSON.stringify`` of the parsed bundle (compact, key order
    kept, non-ASCII as is), so the layer has the same digest as the official action's."""
    return json.dumps(json.loads(bundle), separators=(",", ":"), ensure_ascii=False).encode()


def referrer_manifest(subject: registry.Manifest, bundle: bytes, predicate_type: str) -> registry.Manifest:
    """The bundle as an OCI artifact whose ``subject`` is the image, laid out as actions/attest pushes it."""
    body = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_MEDIA_TYPE,
        "config": {
            "mediaType": EMPTY_MEDIA_TYPE,
            "digest": registry.digest_of(EMPTY_CONFIG),
            "size": len(EMPTY_CONFIG),
        },
        "layers": [{"mediaType": BUNDLE_MEDIA_TYPE, "digest": registry.digest_of(bundle), "size": len(bundle)}],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": len(subject.body)},
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
            "org.opencontainers.image.created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
        },
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    return registry.Manifest(raw, OCI_MANIFEST, registry.digest_of(raw))


def fallback_tag(digest: str) -> str:
    """The OCI 1.1 referrers tag schema: ``sha256-<hex>``."""
    return digest.replace(":", "-", 1)


def push_referrer(
    client: registry.Registry,
    repository: str,
    subject: registry.Manifest,
    bundle: bytes,
    predicate_type: str = provenance.SLSA_PREDICATE_V1,
) -> str:
    """Push the bundle as a referrer (annotated with its statement's predicate type); without the referrers API,
    maintain the fallback tag's index."""
    client.upload_blob(repository, EMPTY_CONFIG)
    client.upload_blob(repository, bundle)
    manifest = referrer_manifest(subject, bundle, predicate_type)
    digest, headers = client.push_manifest(repository, manifest.digest, manifest)
    # As @sigstore/oci (dist/image.js addArtifact): the registry indexes referrers itself only when it answers
    # OCI-Subject AND its referrers API answers; AWS ECR sends the header without having the API.
    if headers.get("OCI-Subject") and client.has_referrers_api(repository):
        return digest
    annotations = json.loads(manifest.body)["annotations"]
    descriptor = {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(manifest.body),
        "artifactType": BUNDLE_MEDIA_TYPE,
        "annotations": annotations,
    }
    tag = fallback_tag(subject.digest)
    for _ in range(RETRIES):
        found = client.find_manifest(repository, tag)
        existing: list[dict[str, Any]] = []
        etag = ""
        if found is not None:
            index, etag = found
            existing = list(json.loads(index.body).get("manifests") or [])
        manifests = [m for m in existing if m.get("digest") != digest] + [descriptor]
        raw = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, separators=(",", ":"))
        index_manifest = registry.Manifest(raw.encode(), OCI_INDEX, registry.digest_of(raw.encode()))
        try:
            client.push_manifest(repository, tag, index_manifest, if_match=etag)
        except registry.Conflict:
            continue  # someone else updated the index: read it again and merge
        return digest
    raise ActionError(
        what=f"Could not update the referrers index {tag}",
        why="Other pushes kept changing it at the same time.",
        fix="Re-run the job.",
        docs="#attestations",
    )
