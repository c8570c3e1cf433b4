"""Who may have signed an attestation, and what it must say: the identity rules on Fulcio's certificate extensions
and the in-toto statement rules, as plain values (no I/O, no sigstore).

A :class:`Policy` names a signer repository (any repository), optionally the workflow file that must have signed
(matched against the Build Signer URI), workflow files of other repositories that may sign runs of the source
repository too (reusable workflows it calls), the source repository of the run, glob patterns for the run's ref, the
predicate type and the OIDC issuer. wasmCloud's wash releases are one instance of it (:data:`WASH_POLICY`).

Fulcio fills its extensions from the GitHub Actions OIDC token (sigstore/fulcio pkg/certificate/extensions.go,
docs/oid-info.md, pkg/identity/github/principal.go): Build Signer URI = server + ``job_workflow_ref`` (also the
SAN), Source Repository URI = server + ``repository``, Source Repository Ref = ``ref``. A reusable workflow called
from another repository gets a Build Signer URI in the called repository and the caller's Source Repository.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import NamedTuple

from ..toolchain.known import UPSTREAM

ISSUER = "https://token.actions.githubusercontent.com"
GITHUB = "https://github.com"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
# the predicate types actions/attest-sbom (and publish) give an SBOM: CycloneDX, SPDX 2.3
SBOM_PREDICATE_TYPES = ("https://cyclonedx.org/bom", "https://spdx.dev/Document/v2.3")
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
# in-toto's Statement layer: v1 (what @actions/attest writes) and v0.1 (its predecessor, same fields)
STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
# The client trust configuration (sigstore ClientTrustConfig JSON) verification uses instead of Sigstore's
# production trust root: how tests and the demo point the verifiers at a local Sigstore stack. The one home of
# this name (attest reads it too).
TRUST_CONFIG_ENV = "WASHACTIONS_SIGSTORE_TRUST_CONFIG"
# The trust configuration of GitHub's own Sigstore instance (Fulcio + timestamp authority, no Rekor) when it is
# not production's (tests): publish signs with it, the verifiers also trust its root.
GITHUB_TRUST_CONFIG_ENV = "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG"
# wash-actions' reusable workflow, in the wash-actions repository: its runs sign as this file (Fulcio's Build Signer
# URI) for the repository that called it (the Source Repository). Which wash-actions repository that is comes from
# the step itself (``gha.ACTION_REPOSITORY_ENV``): see :func:`wash_actions_reusable`.
REUSABLE_WORKFLOW = ".github/workflows/wasm-component.yml"

# Fulcio's certificate extensions: each a DER UTF8String.
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"  # the token's iss
OID_BUILD_SIGNER_URI = "1.3.6.1.4.1.57264.1.9"  # server + job_workflow_ref (also the SAN)
OID_SOURCE_REPOSITORY_URI = "1.3.6.1.4.1.57264.1.12"  # server + repository
OID_SOURCE_REPOSITORY_REF = "1.3.6.1.4.1.57264.1.14"  # ref
OID_SOURCE_REPOSITORY_OWNER_URI = "1.3.6.1.4.1.57264.1.16"  # server + repository_owner
OID_BUILD_CONFIG_URI = "1.3.6.1.4.1.57264.1.18"  # server + workflow_ref: the run's own (top-level) workflow
OID_SUBJECT_ALT_NAME = "2.5.29.17"

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", re.ASCII)
_WORKFLOW_FILE = re.compile(r"\.github/workflows/[A-Za-z0-9_-][A-Za-z0-9._-]*\.ya?ml", re.ASCII)
# git check-ref-format: no control characters, space, ~ ^ : ? * [ \, no "..", "@{", "//", no component starting
# with "." or ending with ".lock", not ending with "/" or "."
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(?:/|$)|[/.]$|^[/.]")


class SignerIdentity(NamedTuple):
    """What a Fulcio certificate says about the workflow run that signed."""

    sans: tuple[str, ...]
    issuer: str
    build_signer: str
    source_repository: str
    source_ref: str
    owner: str = ""
    build_config: str = ""  # the run's top-level workflow (Build Config URI): the caller of a reusable workflow

    def describe(self) -> str:
        """The identity in one line, for an error that says whom it refused."""
        return (
            f"SAN {', '.join(self.sans) or '(none)'}, issuer {self.issuer or '(none)'}, "
            f"source repository {self.source_repository or '(none)'}, ref {self.source_ref or '(none)'}"
        )


class Policy(NamedTuple):
    """Whose attestation counts, and what it must attest.

    ``signer_repository``: ``owner/repo`` whose workflow file signed (the Build Signer URI); ``source_repository``:
    the run's repository ("" = the signer repository: a reusable workflow of the signer repository called from
    elsewhere is refused); ``signer_workflow``: a workflow path in the signer repository
    (``.github/workflows/release.yml``; "" = any workflow file); ``source_refs``: glob patterns the run's ref must
    match (``refs/tags/v*``; () = any ref); ``signer_refs``: patterns for the ref of the signing workflow (None =
    ``source_refs`` for the signer repository's workflows, any ref for a reusable workflow of another repository);
    ``predicate_type``: the in-toto predicate type the statement must carry; ``issuer``: the OIDC issuer;
    ``server_url``: the GitHub server whose URLs the certificate names; ``reusable_workflows``: workflow files of
    other repositories (``owner/repo/.github/workflows/file.yml``, any ref) that also sign, each only for a run of
    the source repository that called it (their Build Signer URI is in their own repository, the Source Repository
    is still :attr:`source`), and with ``signer_workflow`` only for a run of that workflow file (the Build Config
    URI).
    """

    signer_repository: str
    source_repository: str = ""
    signer_workflow: str = ""
    source_refs: tuple[str, ...] = ()
    signer_refs: tuple[str, ...] | None = None
    predicate_type: str = SLSA_PROVENANCE_V1
    issuer: str = ISSUER
    server_url: str = GITHUB
    label: str = ""  # how messages name what the policy accepts, e.g. "a wasmCloud/wasmCloud release"
    reusable_workflows: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """The repository the run must belong to."""
        return self.source_repository or self.signer_repository

    @property
    def host(self) -> str:
        """The server's host name (``github.com``), what gh's ``--hostname`` takes."""
        return self.server_url.split("://", 1)[-1].split("/", 1)[0]

    def describe(self) -> str:
        """What this policy accepts, in one line."""
        if self.label:
            return self.label
        workflow = self.signer_workflow or "any workflow"
        refs = ", ".join(self.source_refs) or "any ref"
        caller = f"{self.signer_workflow} of {self.source}" if self.signer_workflow else self.source
        called = "".join(f", or {w} called from {caller}" for w in self.reusable_workflows)
        return f"{workflow} of {self.signer_repository}{called} on {refs}"


# wasmCloud releases wash from (wasmCloud/wasmCloud .github/workflows): release-tag.yml since 2026-05-01
# ("ci: automated release train"; workflow_run / workflow_dispatch, which run on the default branch, so
# refs/heads/main), wash.yml before that on a pushed tag "wash-v*" (from 2025-09-26) then "v*" (from 2026-03).
WASH_POLICY = Policy(
    UPSTREAM,
    source_refs=("refs/heads/main", "refs/tags/v[0-9]*", "refs/tags/wash-v[0-9]*"),
    label=f"a {UPSTREAM} release",
)


def parse_repository(text: str) -> str:
    """``owner/repo`` as given, or "" when it is not one (whitespace, a URL, a third segment)."""
    return text if _REPOSITORY.fullmatch(text) and ".." not in text else ""


def valid_ref(ref: str) -> bool:
    """Whether ``ref`` is a full Git ref name git itself would accept (``refs/…``, git check-ref-format)."""
    return ref.startswith("refs/") and _BAD_REF.search(ref) is None and len(ref) <= 1024


def _glob(pattern: str) -> re.Pattern[str]:
    """A ref pattern: ``*`` any characters but ``/``, ``**`` any characters, ``?`` one, ``[…]`` a class."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\").replace("^", "\\^") + "]")
            i = end + 1
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def ref_matches(ref: str, patterns: tuple[str, ...]) -> bool:
    """Whether a valid Git ref matches one of the glob patterns (no patterns: any valid ref)."""
    if not valid_ref(ref):
        return False
    return not patterns or any(_glob(p).fullmatch(ref) for p in patterns)


def check_pattern(pattern: str) -> str:
    """Why a source-ref pattern cannot match anything ("" when it is usable)."""
    if not pattern.startswith("refs/"):
        return f"{pattern!r} is not a full ref pattern (refs/heads/… or refs/tags/…)"
    if any(c.isspace() or ord(c) < 32 for c in pattern):
        return f"{pattern!r} has spaces or control characters"
    return ""


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()  # GitHub owner and repository names are case-insensitive


def _refs_text(patterns: tuple[str, ...]) -> str:
    return " or ".join(patterns) if patterns else "a valid ref"


def identity_problem(identity: SignerIdentity, policy: Policy = WASH_POLICY) -> str:
    """Why this signer is not one ``policy`` accepts ("" when it is one).

    Checked: the OIDC issuer; the run's repository (Source Repository URI, and its owner when present), so a
    reusable workflow of the signer repository called from another repository or a fork is refused; the workflow
    that signed (Build Signer URI, also the SAN) is a workflow file of the signer repository (the one named, when
    one is) or exactly one of the policy's ``reusable_workflows`` (for a run of the source repository, as every run
    must be, whose own workflow, the Build Config URI, is the one named, when one is); the run's ref and the signing
    workflow's ref match the policy's patterns.
    """
    server = policy.server_url.rstrip("/") + "/"
    if identity.issuer != policy.issuer:
        return f"the OIDC issuer is {identity.issuer or 'missing'}, not GitHub Actions ({policy.issuer})"
    source_uri = server + policy.source
    if not _same(identity.source_repository, source_uri):
        return f"the run's source repository is {identity.source_repository or 'missing'}, not {source_uri}"
    owner_uri = server + policy.source.split("/")[0]
    if identity.owner and not _same(identity.owner, owner_uri):
        return f"the source repository's owner is {identity.owner}"
    signer = identity.build_signer
    repository, workflow, signer_ref = signing_workflow(signer, policy.server_url)
    reusable = _named_reusable(repository, workflow, policy)
    if not reusable:  # else: called from the source repository (checked above)
        if not repository or not _same(repository, policy.signer_repository):
            return f"the signing workflow {signer or '(none)'} is not {_signers_text(policy)}"
        if policy.signer_workflow and workflow != policy.signer_workflow:
            return f"the signing workflow is {workflow}, not {policy.signer_workflow}"
    elif policy.signer_workflow:  # the reusable workflow signed: the run's own workflow must be the one named
        caller, caller_workflow, _ = signing_workflow(identity.build_config, policy.server_url)
        if not (_same(caller, policy.source) and caller_workflow == policy.signer_workflow):
            return (
                f"the run's workflow {identity.build_config or '(none)'} (which called {workflow}) is not "
                f"{policy.signer_workflow} of {policy.source}"
            )
    if signer not in identity.sans:
        return f"the certificate's SAN does not name its build signer {signer}"
    if not ref_matches(identity.source_ref, policy.source_refs):
        return f"the run's ref {identity.source_ref or '(none)'} is not {_refs_text(policy.source_refs)}"
    signer_refs = policy.signer_refs
    if signer_refs is None:  # the run's patterns; a reusable workflow's ref is the version the caller pinned: any
        signer_refs = () if reusable else policy.source_refs
    if not ref_matches(signer_ref, signer_refs):
        return f"the signing workflow's ref {signer_ref or '(none)'} is not {_refs_text(signer_refs)}"
    return ""


def wash_actions_reusable(action_repository: str) -> tuple[str, ...]:
    """The ``reusable_workflows`` entry for wash-actions' reusable workflow of ``action_repository`` (the wash-actions
    repository the step runs from, ``owner/repo``); () when that is unknown or not ``owner/repo``."""
    actions = parse_repository(action_repository)
    return (f"{actions}/{REUSABLE_WORKFLOW}",) if actions else ()


def _named_reusable(repository: str, workflow: str, policy: Policy) -> bool:
    """Whether the signing workflow is one of the policy's reusable workflows (repository names case-insensitive,
    the file's path exact)."""
    for named in policy.reusable_workflows:
        owner, _, rest = named.partition("/")
        name, _, path = rest.partition("/")
        if repository and _same(repository, f"{owner}/{name}") and workflow == path:
            return True
    return False


def _signers_text(policy: Policy) -> str:
    workflows = "".join(f" or {w}" for w in policy.reusable_workflows)
    return f"a workflow of {policy.signer_repository}{workflows}"


def signing_workflow(build_signer: str, server_url: str = GITHUB) -> tuple[str, str, str]:
    """The repository (``owner/repo``), workflow file and ref a Build Signer URI names
    (``<server>/<owner>/<repo>/.github/workflows/<file>@<ref>``), or three empty strings when it names no workflow
    file of a repository on ``server_url``."""
    server = server_url.rstrip("/") + "/"
    if not _same(build_signer[: len(server)], server):
        return "", "", ""
    path, at, ref = build_signer[len(server) :].partition("@")
    owner, _, rest = path.partition("/")
    name, _, workflow = rest.partition("/")
    repository = f"{owner}/{name}"
    if not at or not parse_repository(repository) or not _WORKFLOW_FILE.fullmatch(workflow):
        return "", "", ""
    return repository, workflow, ref


def workflow_of(build_signer: str, policy: Policy) -> tuple[str, str]:
    """The signing workflow's path and ref from a Build Signer URI the policy accepted."""
    _, workflow, ref = signing_workflow(build_signer, policy.server_url)
    return workflow, ref


class Statement(NamedTuple):
    """The parts of an in-toto statement a policy checks."""

    type: str
    predicate_type: str
    subjects: frozenset[str]  # sha256 hex digests, lower case


def parse_statement(payload: bytes | dict[str, object]) -> Statement:
    """The statement's type, predicate type and sha256 subjects; ValueError when it is not a JSON object."""
    statement = json.loads(payload) if isinstance(payload, bytes) else payload
    if not isinstance(statement, dict):
        raise ValueError("the statement is not a JSON object")
    subjects = statement.get("subject")
    digests = set()
    for subject in subjects if isinstance(subjects, list) else []:
        digest = subject.get("digest") if isinstance(subject, dict) else None
        value = digest.get("sha256") if isinstance(digest, dict) else None
        digests.add(value.lower() if isinstance(value, str) else "")
    kind, predicate = statement.get("_type"), statement.get("predicateType")
    return Statement(
        kind if isinstance(kind, str) else "", predicate if isinstance(predicate, str) else "", frozenset(digests)
    )


def statement_problem(statement: Statement, sha256: str, policy: Policy) -> str:
    """Why this statement does not attest ``policy.predicate_type`` about the artifact ("" when it does)."""
    if statement.type not in STATEMENT_TYPES:
        return f"the payload is not an in-toto statement (_type {statement.type or 'missing'})"
    if statement.predicate_type != policy.predicate_type:
        return f"the statement's predicate type is {statement.predicate_type or 'missing'}, not {policy.predicate_type}"
    if sha256.lower() not in statement.subjects:
        return f"the statement's subjects do not include this artifact (sha256 {sha256.lower()})"
    return ""


class Envelope(NamedTuple):
    """A bundle's DSSE envelope as the JSON says (not verified): its payload type and payload."""

    payload_type: str
    payload: bytes


def bundle_envelope(bundle_json: bytes) -> Envelope | None:
    """The DSSE envelope of a Sigstore bundle (JSON), None when the bundle has none (a message signature);
    ValueError when the bytes are not a bundle's JSON or the envelope's payload is not base64."""
    bundle = json.loads(bundle_json)  # ValueError (UnicodeDecodeError included) when it is not JSON
    if not isinstance(bundle, dict) or not isinstance(bundle.get("verificationMaterial"), dict):
        raise ValueError("not a Sigstore bundle (a JSON object with verificationMaterial)")
    envelope = bundle.get("dsseEnvelope")
    if envelope is None:
        return None
    if not isinstance(envelope, dict):
        raise ValueError("the bundle's dsseEnvelope is not an object")
    try:
        payload = base64.b64decode(str(envelope.get("payload", "")), validate=True)
    except binascii.Error:
        raise ValueError("the DSSE payload is not base64") from None
    payload_type = envelope.get("payloadType")
    return Envelope(payload_type if isinstance(payload_type, str) else "", payload)


def envelope_problem(envelope: Envelope | None, sha256: str, policy: Policy) -> str:
    """Why a bundle's (verified or not) envelope is not an in-toto statement the policy wants ("" when it is)."""
    if envelope is None:
        return (
            "the bundle is a plain message signature, not a DSSE in-toto attestation "
            f"(a {policy.predicate_type} statement is required)"
        )
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        return f"the DSSE payload type is {envelope.payload_type or 'missing'}, not {IN_TOTO_PAYLOAD_TYPE}"
    try:
        statement = parse_statement(envelope.payload)
    except ValueError:
        return "the DSSE payload is not a JSON in-toto statement"
    return statement_problem(statement, sha256, policy)
