"""The one verifier: an artifact, sources of Sigstore bundles and a policy in; evidence of what was verified out.

The rule lives here and only here: **the runner's GitHub CLI first; sigstore-python when gh is missing or cannot
judge a bundle; a refusal by gh is final** (never handed to a second verifier). Either way the project's policy
(:mod:`trust_policy`) is applied on top of what the verifier established: the signer's identity from the verified
certificate, and the verified in-toto statement (DSSE payload type, statement type, predicate type, subject).

Sources are tried in order and loaded only when reached; the first bundle that passes wins. Every bundle that does
not pass leaves a :class:`Failure` with a kind; when none passes, :class:`Unverified` carries them all.

Used by setup-wash and update-manifest (wash's binaries against :data:`trust_policy.WASH_POLICY`), and by anything
that verifies an OCI image's attestations (:func:`verify_image`: the image's manifest bytes are the artifact).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from ..errors import ActionError
from ..runner import transport
from . import bundle_sources, certificate_reader, gh_verifier
from . import policy as trust_policy
from .bundle_sources import Source, SourceFailed
from .policy import Policy, SignerIdentity

if TYPE_CHECKING:
    from ..oci.registry import Registry

VerifierName = Literal["gh", "sigstore-python"]
GH: VerifierName = "gh"
SIGSTORE: VerifierName = "sigstore-python"
VERIFIER_LABELS: dict[VerifierName, str] = {
    GH: "the GitHub CLI (gh attestation verify)",
    SIGSTORE: "sigstore-python",
}

FailureKind = Literal[
    "none-found",  # the source has no bundle for this artifact
    "source-failed",  # the source failed (error status, unreachable, unusable answer)
    "malformed",  # not a Sigstore bundle
    "statement",  # not a DSSE in-toto statement of the policy's predicate type about this artifact
    "signature",  # the signature, certificate chain, timestamps or log entry did not verify
    "identity",  # signed by someone the policy does not accept
    "gh-refused",  # gh judged the bundle and refused it
    "gh-empty",  # gh exited 0 without a verified result
    "unsupported",  # the verifier cannot judge this bundle (sigstore-python and GitHub's instance; gh failing
    # to judge a later bundle after it judged an earlier one: never handed to sigstore-python then)
]


class Artifact(NamedTuple):
    """What is verified: its sha256 (hex), a label for messages, and its bytes on disk or in memory (for gh)."""

    sha256: str
    label: str
    path: Path | None = None
    data: bytes | None = None


def file_artifact(path: Path, label: str = "") -> Artifact:
    """A file to verify (a wash binary): its sha256 is computed here."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return Artifact(digest.hexdigest(), label or path.name, path=path)


def bytes_artifact(data: bytes, label: str) -> Artifact:
    """Bytes to verify, e.g. an OCI image's manifest (its sha256 is the image digest)."""
    return Artifact(hashlib.sha256(data).hexdigest(), label, data=data)


class Failure(NamedTuple):
    """Why one source or bundle did not vouch for the artifact."""

    source: str
    kind: FailureKind
    detail: str
    signer: SignerIdentity | None = None

    def describe(self) -> str:
        """``<source>: <detail>``, for an error message."""
        return f"{self.source}: {self.detail}"


class Evidence(NamedTuple):
    """What was verified: by which verifier, from which source, signed by whom, attesting what about which digest."""

    verifier: VerifierName
    source: str
    signer_repository: str  # owner/repo of the workflow that signed
    signer_workflow: str  # .github/workflows/<file>
    signer_ref: str  # the signing workflow's ref
    source_repository: str  # owner/repo of the run
    source_ref: str  # the run's ref
    predicate_type: str
    subject_digest: str  # sha256:<hex>
    identity: str  # the Build Signer URI (the certificate's SAN)
    fallback: str = ""  # why gh could not judge, when sigstore-python did
    bundle_digest: str = ""  # sha256:<hex> of the bundle's bytes (for a registry referrer: its layer's digest)
    run_workflow: str = ""  # the run's own workflow file (Build Config URI): a reusable workflow's caller

    def as_dict(self) -> dict[str, str]:
        """The evidence as a JSON-ready mapping (an action's output)."""
        return dict(self._asdict())

    def describe(self) -> str:
        """One line: who signed what, verified how."""
        return (
            f"{self.predicate_type} for {self.subject_digest} signed by {self.identity} (run of "
            f"{self.source_repository} on {self.source_ref}; via {self.source}; verified by "
            f"{VERIFIER_LABELS[self.verifier]})"
        )


class Unverified(ActionError):
    """No bundle from any source vouches for the artifact under the policy. ``failures`` says why, each with a
    kind; ``kind`` sums them up: ``unattested`` (no source had a bundle), ``unreachable`` (a source failed and no
    bundle was judged), ``refused`` (bundles were found and refused)."""

    def __init__(
        self, artifact: Artifact, policy: Policy, failures: list[Failure], verifier: VerifierName, fallback: str = ""
    ) -> None:
        self.artifact = artifact
        self.policy = policy
        self.failures = tuple(failures)
        self.verifier = verifier
        self.fallback = fallback
        super().__init__(
            what=f"{artifact.label} could not be verified against {policy.describe()}",
            why=f"No Sigstore bundle signed by {policy.describe()} attests {policy.predicate_type} for it "
            f"(sha256 {artifact.sha256}; verified with {VERIFIER_LABELS[verifier]}): {self.reasons()}.",
            fix=_FIXES[self.kind],
            docs="#verification",
        )

    @property
    def kind(self) -> Literal["unattested", "unreachable", "refused"]:
        """What the failures amount to."""
        kinds = {f.kind for f in self.failures}
        if kinds <= {"none-found"}:
            return "unattested"
        if kinds <= {"none-found", "source-failed"}:
            return "unreachable"
        return "refused"

    def reasons(self) -> str:
        """Every source's and bundle's reason, in the order they were tried."""
        return "; ".join(f.describe() for f in self.failures) or "no source was given"


_FIXES = {
    "unattested": "Attest it from the expected workflow (actions/attest-build-provenance, or publish with "
    "attest: true), or check the policy's repository.",
    "unreachable": "Re-run the job; check that the runner can reach the registry and GitHub's API.",
    "refused": "Check who signed it (above) against the policy; only the expected repository's workflows may.",
}


class GhUnavailable(Exception):
    """gh could not judge the first bundle it was given (missing, too old, no trust root, network)."""


class _Loaded:
    """Each source loaded at most once per verification, in order, when first reached."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self._sources = list(sources)
        self._cache: dict[int, list[bytes] | SourceFailed] = {}

    def __iter__(self) -> Iterator[tuple[str, list[bytes] | SourceFailed]]:
        for index, source in enumerate(self._sources):
            if index not in self._cache:
                try:
                    self._cache[index] = source.load()
                except SourceFailed as exc:
                    self._cache[index] = exc
            yield source.name, self._cache[index]


MAX_TRIED = 64  # bundles tried per source: each costs a verifier run, and a source may list thousands


def _bundles(loaded: _Loaded, failures: list[Failure]) -> Iterator[tuple[str, bytes]]:
    for name, found in loaded:
        if isinstance(found, SourceFailed):
            failures.append(Failure(name, "source-failed", f"failed: {found}"))
        elif not found:
            failures.append(Failure(name, "none-found", "none found"))
        else:
            yield from ((name, raw) for raw in found[:MAX_TRIED])
            if len(found) > MAX_TRIED:
                detail = f"{len(found) - MAX_TRIED} more bundles not tried (at most {MAX_TRIED} per source)"
                failures.append(Failure(name, "source-failed", detail))


def _evidence(
    verifier: VerifierName, source: str, identity: SignerIdentity, artifact: Artifact, policy: Policy, raw: bytes
) -> Evidence:
    repository, workflow, signer_ref = trust_policy.signing_workflow(identity.build_signer, policy.server_url)
    _, run_workflow, _ = trust_policy.signing_workflow(identity.build_config, policy.server_url)
    server = policy.server_url.rstrip("/") + "/"
    return Evidence(
        verifier=verifier,
        source=source,
        signer_repository=repository,  # the policy's, or a reusable workflow's it names
        signer_workflow=workflow,
        signer_ref=signer_ref,
        source_repository=identity.source_repository[len(server) :],
        source_ref=identity.source_ref,
        predicate_type=policy.predicate_type,
        subject_digest="sha256:" + artifact.sha256.lower(),
        identity=identity.build_signer,
        bundle_digest="sha256:" + hashlib.sha256(raw).hexdigest(),
        run_workflow=run_workflow,
    )


def _refused_by_policy(name: str, identity: SignerIdentity, policy: Policy) -> Failure | None:
    problem = trust_policy.identity_problem(identity, policy)
    if not problem:
        return None
    return Failure(name, "identity", f"signed by {identity.describe()}: {problem}; not {policy.describe()}", identity)


def _precheck(name: str, raw: bytes, artifact: Artifact, policy: Policy) -> Failure | None:
    """The statement rules on the bundle as sent: a bundle that cannot pass is refused before any verifier runs."""
    try:
        envelope = trust_policy.bundle_envelope(raw)
    except ValueError as exc:
        return Failure(name, "malformed", f"not a Sigstore bundle: {transport.sanitise(str(exc), 200)}")
    problem = trust_policy.envelope_problem(envelope, artifact.sha256, policy)
    return Failure(name, "statement", problem) if problem else None


def _holds(raw: bytes) -> str:
    """What a bundle says it holds (not verified), for a message about a verifier that found nothing in it."""
    try:
        envelope = trust_policy.bundle_envelope(raw)
        if envelope is None:
            return "a plain message signature"
        statement = trust_policy.parse_statement(envelope.payload)
    except ValueError:
        return "no readable statement"
    return (
        f"a {envelope.payload_type or '(no payload type)'} envelope with a {statement.predicate_type or '(no type)'} "
        f"statement about {len(statement.subjects)} subject(s)"
    )


def _logged(raw: bytes) -> bool:
    """Whether a bundle (already pre-checked as JSON) carries a transparency log entry."""
    material = json.loads(raw).get("verificationMaterial")
    return bool(material.get("tlogEntries")) if isinstance(material, dict) else True


def _with_gh(
    gh: str, artifact: Artifact, loaded: _Loaded, policy: Policy, trust_configs: tuple[str, ...]
) -> tuple[Evidence | None, list[Failure]]:
    """gh over every bundle in order; GhUnavailable when gh could not judge before it judged any bundle."""
    import tempfile

    failures: list[Failure] = []
    judged = False
    with tempfile.TemporaryDirectory(prefix="wash-actions-gh-") as work:
        directory = Path(work)
        path = artifact.path
        if path is None:
            path = directory / "artifact"
            path.write_bytes(artifact.data or b"")
        for index, (name, raw) in enumerate(_bundles(loaded, failures)):
            if refusal := _precheck(name, raw, artifact, policy):
                failures.append(refusal)
                continue
            bundle = directory / f"bundle-{index}.json"
            bundle.write_bytes(raw)
            trusted_root = gh_verifier.trusted_root_file(trust_configs, directory, logged=_logged(raw))
            outcome = gh_verifier.run(gh, path, bundle, policy, trusted_root)
            if outcome.kind == "unavailable":
                if not judged:
                    raise GhUnavailable(outcome.detail)
                failures.append(Failure(name, "unsupported", f"gh could not judge it: {outcome.detail}"))
                continue
            judged = True
            if outcome.kind == "empty":
                failures.append(
                    Failure(
                        name,
                        "gh-empty",
                        f"gh found no {policy.predicate_type} attestation it could verify for this artifact "
                        f"(it exited 0 with no result; it said: {transport.sanitise(outcome.detail, 200)}; the bundle "
                        f"holds {_holds(raw)})",
                    )
                )
                continue
            if outcome.kind == "refused":
                signer = certificate_reader.bundle_identity(raw)
                seen = ""
                if signer is not None:
                    problem = trust_policy.identity_problem(signer, policy)
                    seen = f" (signed by {signer.describe()}" + (f": {problem})" if problem else ")")
                detail = f"gh refused: {transport.sanitise(outcome.detail, 300)}{seen}"
                failures.append(Failure(name, "gh-refused", detail, signer))
                continue
            refusal = None
            identity = None
            for result in outcome.results:
                statement = gh_verifier.result_statement(result)
                problem = (
                    trust_policy.statement_problem(trust_policy.parse_statement(statement), artifact.sha256, policy)
                    if statement is not None
                    else "gh's result has no statement"
                )
                if problem:
                    refusal = Failure(name, "statement", problem)
                    break
                identity = gh_verifier.result_identity(result)
                if refusal := _refused_by_policy(name, identity, policy):
                    break
            if refusal is not None or identity is None:
                failures.append(refusal or Failure(name, "gh-empty", "gh reported no verified attestation"))
                continue
            return _evidence(GH, name, identity, artifact, policy, raw), failures
    return None, failures


def _with_sigstore(
    artifact: Artifact, loaded: _Loaded, policy: Policy, trust_configs: tuple[str, ...]
) -> tuple[Evidence | None, list[Failure]]:
    from ..runner import extras
    from . import sigstore_verifier

    extras.ensure_sigstore()
    failures: list[Failure] = []
    for name, raw in _bundles(loaded, failures):
        if refusal := _precheck(name, raw, artifact, policy):
            failures.append(refusal)
            continue
        try:
            verified = sigstore_verifier.verify_bundle(raw, trust_configs)
        except sigstore_verifier.Unsupported as exc:
            failures.append(Failure(name, "unsupported", f"{exc}; the GitHub CLI (gh) on PATH can"))
            continue
        except sigstore_verifier.Refused as exc:
            failures.append(Failure(name, "signature", str(exc)))
            continue
        problem = trust_policy.envelope_problem(verified.envelope, artifact.sha256, policy)
        if problem:
            failures.append(Failure(name, "statement", problem))
            continue
        if refusal := _refused_by_policy(name, verified.identity, policy):
            failures.append(refusal)
            continue
        return _evidence(SIGSTORE, name, verified.identity, artifact, policy, raw), failures
    return None, failures


def verify(
    artifact: Artifact,
    sources: Iterable[Source],
    policy: Policy,
    *,
    gh: str | None,
    trust_configs: tuple[str, ...] = (),
) -> Evidence:
    """Verify ``artifact`` against ``policy`` with the bundles of ``sources`` (tried in order, first pass wins).

    ``gh``: the GitHub CLI to verify with (``shutil.which("gh")``), or None for sigstore-python. ``trust_configs``:
    client trust configurations to trust instead of production's (:func:`trust_configs_from`). Raises
    :class:`Unverified` (an ActionError) naming every reason when no bundle passes."""
    loaded = _Loaded(sources)
    fallback = ""
    if gh is not None:
        try:
            evidence, failures = _with_gh(gh, artifact, loaded, policy, trust_configs)
        except GhUnavailable as exc:
            fallback = str(exc)
        else:
            if evidence is not None:
                return evidence
            raise Unverified(artifact, policy, failures, GH)
    evidence, failures = _with_sigstore(artifact, loaded, policy, trust_configs)
    if evidence is None:
        raise Unverified(artifact, policy, failures, SIGSTORE, fallback)
    return evidence._replace(fallback=fallback)


def trust_configs_from(environ: dict[str, str]) -> tuple[str, ...]:
    """The client trust configurations the environment names (tests' local Sigstore stacks): () in production."""
    names = (trust_policy.TRUST_CONFIG_ENV, trust_policy.GITHUB_TRUST_CONFIG_ENV)
    return tuple(dict.fromkeys(environ[n] for n in names if environ.get(n)))


def verify_image(
    client: Registry,
    repository: str,
    digest: str,
    policy: Policy,
    *,
    gh: str | None,
    api: tuple[str, transport.Auth | None] | None = None,
    trust_configs: tuple[str, ...] = (),
) -> Evidence:
    """Verify the image ``repository@digest`` in ``client``'s registry against ``policy``: its manifest bytes are
    the artifact; bundles from its referrers in the registry, then (``api``: GitHub's API URL and the token bound to
    it) GitHub's attestations API of the policy's source repository."""
    manifest = client.get_manifest(repository, digest)  # hashed on receipt: the bytes are the digest's
    artifact = bytes_artifact(manifest.body, f"{client.host}/{repository}@{digest}")
    sources = [bundle_sources.oci_referrers(client, repository, digest)]
    if api is not None:
        sources.append(bundle_sources.attestations_api(api[0], api[1], policy.source, artifact.sha256))
    return verify(artifact, sources, policy, gh=gh, trust_configs=trust_configs)
