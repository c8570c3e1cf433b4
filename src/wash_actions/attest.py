"""Attest a pushed component: SLSA provenance for its manifest digest, signed with Sigstore (DSSE),
stored with GitHub's attestations API and pushed to the registry as an OCI referrer of the image.

Signing uses the runner's ambient OIDC credential (audience ``sigstore``) and Sigstore's public-good
instance; ``WASHACTIONS_SIGNING_TRUST_CONFIG`` (else ``WASHACTIONS_SIGSTORE_TRUST_CONFIG``) may name
another client trust configuration (tests and the demo use local Sigstore stacks). sigstore is imported only
here, and installed on first use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import provenance, registry, transport
from .errors import ActionError

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG = b"{}"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
TRUST_CONFIG_ENV = "WASHACTIONS_SIGSTORE_TRUST_CONFIG"
SIGNING_TRUST_CONFIG_ENV = "WASHACTIONS_SIGNING_TRUST_CONFIG"  # signing only, when it differs from verifying
STORE_RETRY = transport.OCTOKIT_RETRY  # as actions/attest stores attestations (@octokit/plugin-retry)
STORE_DEADLINE = 180.0
RETRIES = 4  # rounds of read-merge-write of the referrers fallback index
PUBLIC_GOOD_SERVER = "https://github.com"


@dataclass(frozen=True)
class Decision:
    enabled: bool
    notice: str = ""


def decide(
    mode: str,
    *,
    push: bool,
    oidc_url: str,
    server_url: str,
    event_name: str,
    event: dict[str, Any],
) -> Decision:
    """Whether to attest, checked before any work is done. ``mode`` is true, false or auto."""
    if mode == "false":
        return Decision(False)
    if not push:
        return Decision(False, "push: false — nothing was pushed, so nothing is attested.")
    pull = event.get("pull_request") or {}
    head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    base_repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name")
    if event_name.startswith("pull_request") and head_repo and base_repo and head_repo != base_repo:
        return Decision(False, "Attestation skipped: pull requests from forks get no OIDC token to sign with.")
    if server_url.rstrip("/") not in ("", PUBLIC_GOOD_SERVER):
        return Decision(
            False,
            f"Attestation skipped: GitHub Enterprise Server ({server_url}) does not support artifact attestations.",
        )
    if not oidc_url:
        if mode == "true":
            raise ActionError(
                what="attest: true needs the job's OIDC token, and this job has none",
                why="Sigstore signs with the workflow's identity, which GitHub issues only to jobs granted "
                "id-token: write.",
                fix="Grant the job the permissions attestations need:\npermissions:\n  contents: read\n"
                "  packages: write\n  id-token: write\n  attestations: write",
                docs="#attestations",
            )
        return Decision(
            False,
            "Attestation skipped: the job has no OIDC token. Add `permissions: id-token: write` and "
            "`attestations: write` to attest the published digest.",
        )
    return Decision(True)


def statement(subject: str, digest: str, predicate: dict[str, Any]):  # type: ignore[no-untyped-def]
    from sigstore import dsse

    algorithm, _, hexdigest = digest.partition(":")
    return (
        dsse.StatementBuilder()
        .subjects([dsse.Subject(name=subject, digest=dsse.DigestSet(root={algorithm: hexdigest}))])
        .predicate_type(provenance.SLSA_PREDICATE_V1)
        .predicate(predicate)
        .build()
    )


@dataclass(frozen=True)
class Signed:
    bundle: str  # bundle v0.3 JSON
    claims: dict[str, Any]


def sign(subject: str, digest: str, server_url: str) -> Signed:
    """Sign the provenance statement with the runner's OIDC identity."""
    from . import extras

    extras.ensure_sigstore()
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityError, IdentityToken, detect_credential
    from sigstore.sign import SigningContext

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
    claims = provenance.token_claims(raw)
    visibility = str(claims.get("repository_visibility") or "public")
    trust_path = os.environ.get(SIGNING_TRUST_CONFIG_ENV, "") or os.environ.get(TRUST_CONFIG_ENV, "")
    if visibility != "public" and not trust_path:
        raise ActionError(
            what=f"Attestation of a {visibility} repository is not supported by this action",
            why="Sigstore's public-good instance would publish the repository's name and workflow in a public "
            "transparency log; GitHub signs private repositories' attestations with its own Sigstore instance, "
            "which this action cannot use.",
            fix="Turn this action's attestation off and attest with GitHub's action instead:\n"
            "- uses: OWNER/wash-actions/actions/publish@v1\n  id: publish\n  with:\n    attest: false\n"
            "- uses: actions/attest-build-provenance@v2\n  with:\n"
            "    subject-name: ${{ steps.publish.outputs.image }}\n"
            "    subject-digest: ${{ steps.publish.outputs.digest }}\n    push-to-registry: true",
            docs="#attestations",
        )
    trust = ClientTrustConfig.from_json(Path(trust_path).read_text()) if trust_path else ClientTrustConfig.production()
    built = statement(subject, digest, provenance.predicate(claims, server_url))
    try:
        with SigningContext.from_trust_config(trust).signer(IdentityToken(raw)) as signer:
            bundle = signer.sign_dsse(built)
    except Exception as exc:  # sigstore's network and protocol errors have no common public base
        raise ActionError(
            what="Signing the provenance with Sigstore failed",
            why=f"{type(exc).__name__}: {exc}",
            fix="Re-run the job; Sigstore's services may have been briefly unavailable.",
            docs="#attestations",
        ) from None
    return Signed(bundle.to_json(), claims)


def store(api_url: str, token: str, repository: str, bundle: str, server_url: str) -> tuple[str, str]:
    """``POST /repos/{owner}/{repo}/attestations``; returns the attestation id and its URL."""
    url = f"{api_url.rstrip('/')}/repos/{repository}/attestations"
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "Content-Type": "application/json",
    }
    body = json.dumps({"bundle": json.loads(bundle)}).encode()
    try:
        response = transport.request(
            "POST",
            url,
            headers=headers,
            body=body,
            auth=transport.Auth.bearer(token, api_url),  # the job's token, for the job's own API host only
            retry=STORE_RETRY,
            deadline=STORE_DEADLINE,
        )
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
    except transport.TransportError as exc:
        exc.docs = "#attestations"
        raise
    if not isinstance(attestation_id, int | str) or not str(attestation_id).isdigit():
        raise ActionError(
            what=f"GitHub's attestations API at {response.host} returned no attestation id",
            why=f"It answered {response.describe()}.",
            fix="Re-run the job; report this if it persists.",
            docs="#attestations",
        )
    return str(attestation_id), f"{server_url.rstrip('/')}/{repository}/attestations/{attestation_id}"


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


def push_referrer(client: registry.Registry, repository: str, subject: registry.Manifest, bundle: bytes) -> str:
    """Push the bundle as a referrer; without the referrers API, maintain the fallback tag's index."""
    client.upload_blob(repository, EMPTY_CONFIG)
    client.upload_blob(repository, bundle)
    manifest = referrer_manifest(subject, bundle, provenance.SLSA_PREDICATE_V1)
    digest, headers = client.push_manifest(repository, manifest.digest, manifest)
    if headers.get("OCI-Subject"):
        return digest  # the registry indexes referrers itself
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
