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
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ..errors import ActionError
from ..oci import registry
from ..runner import transport
from . import js_json, provenance
from .attest_decision import PUBLIC_GOOD, SIGSTORE_PUBLIC_GOOD, Instance
from .policy import GITHUB_TRUST_CONFIG_ENV, TRUST_CONFIG_ENV

if TYPE_CHECKING:  # sigstore is an extra, installed on first use: imported at run time only where it signs
    from sigstore.dsse import Statement

    from . import sbom

DigestAlgorithm = Literal["sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"]
DIGEST_ALGORITHMS: tuple[DigestAlgorithm, ...] = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512")

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG = b"{}"
OCI_MANIFEST = registry.OCI_MANIFEST
OCI_INDEX = registry.OCI_INDEX
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
SIGNING_TRUST_CONFIG_ENV = "WASHACTIONS_SIGNING_TRUST_CONFIG"  # signing only, when it differs from verifying
GITHUB_SIGNING_TRUST_CONFIG_ENV = GITHUB_TRUST_CONFIG_ENV  # GitHub's instance, in tests
STORE_DEADLINE = 180.0
RETRIES = 4  # rounds of read-merge-write of the referrers fallback index


# as actions/attest stores attestations: @octokit/plugin-retry, 5 retries, (n)^2 s apart, doNotRetry
# [400, 401, 403, 404, 410, 422, 451] (see transport.OCTOKIT_RETRY)
STORE_RETRY = transport.OCTOKIT_RETRY


PredicateKind = Literal["provenance", "sbom"]


class Predicate(NamedTuple):
    """What one attestation says about the image: SLSA provenance or an SBOM, its predicate type and the
    predicate's JSON text (as ``JSON.stringify`` writes it)."""

    kind: PredicateKind
    predicate_type: str
    predicate: str

    @property
    def name(self) -> str:
        """How messages name it: "the provenance", "the SBOM"."""
        return "the provenance" if self.kind == "provenance" else "the SBOM"


def provenance_predicate(claims: dict[str, Any], server_url: str) -> Predicate:
    """The SLSA provenance v1 predicate of the job the OIDC ``claims`` describe (actions/attest-build-provenance)."""
    return Predicate(
        "provenance", provenance.SLSA_PREDICATE_V1, js_json.stringify(provenance.predicate(claims, server_url))
    )


def sbom_predicate(document: sbom.Sbom) -> Predicate:
    """The SBOM document as the predicate, under its own type (actions/attest with ``sbom-path``)."""
    return Predicate("sbom", document.predicate_type, document.predicate)


def statement(subject: str, digest: str, predicate: Predicate) -> bytes:
    """The in-toto Statement v1 about ``subject@digest``: the object @actions/attest's ``buildIntotoStatement``
    makes, in the bytes its ``JSON.stringify`` signs (compact, its key order, its numbers)."""
    algorithm, _, hexdigest = digest.partition(":")
    if algorithm not in DIGEST_ALGORITHMS or not re.fullmatch(r"[0-9a-f]+", hexdigest):
        raise ValueError(f"not an in-toto digest: {digest!r}")
    head = js_json.stringify(
        {
            "_type": STATEMENT_TYPE,
            "subject": [{"name": subject, "digest": {algorithm: hexdigest}}],
            "predicateType": predicate.predicate_type,
        }
    )
    # the predicate, written once when it was made, is the last member (JSON.stringify composes the same way)
    return f'{head[:-1]},"predicate":{predicate.predicate}}}'.encode()


class Signed(NamedTuple):
    bundle: str  # bundle v0.3 JSON


def oidc_token() -> str:
    """The job's OIDC token for Sigstore (audience ``sigstore``), asked for once per publish."""
    from ..runner import extras

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
    predicate: Predicate,
    instance: Instance = SIGSTORE_PUBLIC_GOOD,
    *,
    token: str,
) -> Signed:
    """Sign the statement that ``subject@digest`` has ``predicate`` with the job's OIDC ``token`` (from
    :func:`oidc_token`), on ``instance``: a Sigstore bundle v0.3 (DSSE)."""
    from sigstore import dsse

    try:
        built = dsse.Statement(statement(subject, digest, predicate))
        if instance.name == PUBLIC_GOOD:
            bundle = _sign_public_good(built, token)
        else:
            bundle = _sign_with_timestamp(built, token, instance)
    except ActionError:
        raise
    except Exception as exc:  # sigstore's network and protocol errors have no common public base
        raise ActionError(
            what=f"Signing {predicate.name} with {instance.label} failed",
            why=f"{type(exc).__name__}: {exc}",
            fix="Re-run the job; Sigstore's services may have been briefly unavailable.",
            docs="#attestations",
        ) from None
    return Signed(bundle)


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
    headers = dict(transport.GITHUB_API_HEADERS)
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
    return js_json.stringify(js_json.parse(bundle)).encode()


def created_now() -> str:
    """``new Date().toISOString()``: UTC, milliseconds, ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def referrer_manifest(
    subject: registry.Manifest, bundle: bytes, predicate_type: str, *, created: str = ""
) -> registry.Manifest:
    """The bundle as an OCI artifact whose ``subject`` is the image: the bytes @sigstore/oci's ``addArtifact``
    uploads for actions/attest (its ``buildManifest``: members in that order, ``created`` first among the
    annotations, then the two actions/attest adds; ``JSON.stringify``). ``created`` defaults to now."""
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
            "org.opencontainers.image.created": created or created_now(),
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
        },
    }
    raw = js_json.stringify(body).encode()
    return registry.Manifest(raw, OCI_MANIFEST, registry.digest_of(raw))


def fallback_tag(digest: str) -> str:
    """The OCI 1.1 referrers tag schema: ``sha256-<hex>``."""
    return digest.replace(":", "-", 1)


def referrers_index(existing: registry.Manifest | None, descriptor: dict[str, Any], tag: str) -> bytes | None:
    """The fallback tag's index with ``descriptor`` added, as @sigstore/oci writes it (``JSON.stringify`` of the
    index it read, every member kept, the descriptor appended; a new index is ``{mediaType, schemaVersion,
    manifests}``), or None when the index already lists that digest (nothing to write)."""
    if existing is None:
        index: dict[str, Any] = {"mediaType": OCI_INDEX, "schemaVersion": 2, "manifests": []}
    else:
        try:
            index = js_json.parse(bytes(existing.body).decode("utf-8"))
        except (UnicodeDecodeError, js_json.JsonError) as exc:
            index = {"unreadable": str(exc)}
        manifests = index.get("manifests") if isinstance(index, dict) else None
        if existing.media_type != OCI_INDEX or not isinstance(manifests, list):
            raise ActionError(
                what=f"The tag {tag} holds something other than a referrers index",
                why=f"It should be an OCI image index ({OCI_INDEX}) listing the image's attestations; it is "
                f"{existing.media_type or 'of no media type'}"
                f"{'' if isinstance(manifests, list) else ' without a manifests list'}. "
                "It was left as it is.",
                fix="Delete the tag in the registry (it is the OCI 1.1 fallback tag for referrers, "
                "sha256-<image digest>), or keep attestations with GitHub only:\nwith:\n  push-attestation: false",
                docs="#attestations",
            )
    if any(isinstance(m, dict) and m.get("digest") == descriptor["digest"] for m in index["manifests"]):
        return None
    index["manifests"].append(descriptor)
    return js_json.stringify(index).encode()


def push_referrer(
    client: registry.Registry,
    repository: str,
    subject: registry.Manifest,
    bundle: bytes,
    predicate_type: str = provenance.SLSA_PREDICATE_V1,
    *,
    created: str = "",
) -> str:
    """Push the bundle as a referrer (annotated with its statement's predicate type); without the referrers API,
    add it to the fallback tag's index. Returns the referrer manifest's digest."""
    client.upload_blob(repository, bundle)
    client.upload_blob(repository, EMPTY_CONFIG)
    manifest = referrer_manifest(subject, bundle, predicate_type, created=created)
    digest, headers = client.push_manifest(repository, manifest.digest, manifest)
    # As @sigstore/oci (dist/image.js addArtifact): the registry indexes referrers itself only when it answers
    # OCI-Subject AND its referrers API answers; AWS ECR sends the header without having the API.
    if headers.get("OCI-Subject") and client.has_referrers_api(repository):
        return digest
    descriptor = {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(manifest.body),
        "artifactType": BUNDLE_MEDIA_TYPE,
        "annotations": js_json.parse(manifest.body.decode())["annotations"],
    }
    tag = fallback_tag(subject.digest)
    for _ in range(RETRIES):
        found = client.find_manifest(repository, tag)
        existing, etag = found if found is not None else (None, "")
        raw = referrers_index(existing, descriptor, tag)
        if raw is None:
            return digest  # already listed (a re-run): the index stays as it is
        try:
            client.push_manifest(
                repository, tag, registry.Manifest(raw, OCI_INDEX, registry.digest_of(raw)), if_match=etag
            )
        except registry.Conflict:
            continue  # someone else updated the index: read it again and merge
        return digest
    raise ActionError(
        what=f"Could not update the referrers index {tag}",
        why="Other pushes kept changing it at the same time.",
        fix="Re-run the job.",
        docs="#attestations",
    )
