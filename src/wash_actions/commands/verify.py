"""verify: every image a release is about to deploy must carry an attestation from the expected workflow.

Images come from ``images`` (references, one a line) and from the component images of the ``manifests``'
Workload, WorkloadReplicaSet, WorkloadDeployment (``service`` included) and Artifact documents (``manifest_pins``
finds them). Each is resolved to a digest in its registry (a tag is read now: a tag moved after it was attested
resolves to an image nobody attested), then verified by the one verifier (``verifier.verify_image``: the runner's
gh first, sigstore-python otherwise, the project's policy on top) with the bundles from the registry's referrers
(and the ``sha256-<hex>`` tag fallback) and, with a token, GitHub's attestations API. Outputs ``verified`` (JSON)
and ``pinned`` (``registry/repo:tag@sha256:…``, one a line: promote's ``images``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from ..deploy import pins
from ..errors import ActionError
from ..oci import references, registry
from ..oci.references import ImageRef
from ..runner import extras, gha, transport
from ..trust import verifier
from ..trust.policy import (
    SBOM_PREDICATE_TYPES,
    SLSA_PROVENANCE_V1,
    Policy,
    check_pattern,
    parse_repository,
    wash_actions_reusable,
)

DOCS = "#verify"
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class VerifyInputs:
    images: tuple[ImageRef, ...]
    manifests: tuple[str, ...]
    policy: Policy
    require_sbom: bool
    token: str
    api_url: str
    use_api: bool
    username: str
    password: str
    insecure: bool
    actor: str

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> VerifyInputs:
        images = tuple(
            references.parse(item, where=f"images line {number}")
            for number, item in enumerate(inputs.list("images"), 1)
        )
        manifests = tuple(inputs.list("manifests"))
        if not images and not manifests:
            raise ActionError(
                what="verify was given no image",
                why="Set 'images' (references, one a line) or 'manifests' (the workloads to be deployed), or both.",
                fix="with:\n  images: ${{ needs.release.outputs.image-ref }}\n  manifests: deploy/*.yaml",
                docs=DOCS,
            )
        signer = inputs.get("signer-repository") or gha.env("GITHUB_REPOSITORY")
        if not parse_repository(signer):
            raise ActionError(
                what=f"signer-repository {signer!r} is not owner/repo",
                why="It names the repository whose workflow must have signed the attestations.",
                fix="with:\n  signer-repository: my-org/my-component",
                docs=DOCS,
            )
        workflow = inputs.get("signer-workflow").removeprefix("./")
        if workflow and not (workflow.startswith(".github/workflows/") and workflow.endswith((".yml", ".yaml"))):
            raise ActionError(
                what=f"signer-workflow {workflow!r} is not a workflow file",
                why="It is the path of the signing workflow in the signer repository.",
                fix="with:\n  signer-workflow: .github/workflows/release.yml",
                docs=DOCS,
            )
        refs = tuple(line.strip() for line in inputs.get("source-ref").splitlines() if line.strip())
        for pattern in refs:
            problem = check_pattern(pattern)
            if problem:
                raise ActionError(
                    what=f"source-ref: {problem}",
                    why="source-ref takes glob patterns of full refs, one a line.",
                    fix="with:\n  source-ref: |\n    refs/tags/v*\n    refs/heads/main",
                    docs=DOCS,
                )
        insecure = inputs.bool("insecure")
        server = gha.env("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        policy = Policy(
            signer,
            signer_workflow=workflow,
            source_refs=refs,
            predicate_type=inputs.get("predicate-type", SLSA_PROVENANCE_V1),
            server_url=server,
            # a workflow of the signer repository may call wash-actions' reusable workflow, which then signs as
            # itself for that repository's run (with signer-workflow: for a run of that workflow file)
            reusable_workflows=wash_actions_reusable(gha.env(gha.ACTION_REPOSITORY_ENV)),
        )
        return cls(
            images=images,
            manifests=manifests,
            policy=policy,
            require_sbom=inputs.bool("require-sbom"),
            token=inputs.secret("github-token"),
            api_url=gha.env("GITHUB_API_URL") or "https://api.github.com",
            use_api=inputs.bool("github-api", default=True),
            username=inputs.get("username"),
            password=inputs.secret("password"),
            insecure=insecure,
            actor=gha.env("WASHACTIONS_GITHUB_ACTOR") or gha.env("GITHUB_ACTOR"),
        )


class Target(NamedTuple):
    ref: ImageRef
    where: str  # "images" or "deploy/app.yaml:12"


class Verified(NamedTuple):
    target: Target
    digest: str
    evidence: verifier.Evidence
    sbom: verifier.Evidence | None

    @property
    def pinned(self) -> str:
        ref = self.target.ref
        return (
            f"{ref.registry if ref.registry != references.DOCKER_HUB_API else 'docker.io'}/{ref.repository}"
            + (f":{ref.tag}" if ref.tag else "")
            + f"@{self.digest}"
        )

    def as_dict(self) -> dict[str, object]:
        """One entry of the ``verified`` output."""
        entry: dict[str, object] = {
            "reference": str(self.target.ref),
            "digest": self.digest,
            "pinned": self.pinned,
            "signer-repository": self.evidence.signer_repository,
            "signer-workflow": self.evidence.signer_workflow,
            "run-workflow": self.evidence.run_workflow,
            "source-ref": self.evidence.source_ref,
            "predicate-type": self.evidence.predicate_type,
            "verifier": self.evidence.verifier,
            "source": self.evidence.source,
            "bundle-digest": self.evidence.bundle_digest,
        }
        if self.sbom is not None:
            entry["sbom-predicate-type"] = self.sbom.predicate_type
        return entry


def targets(inputs: VerifyInputs) -> list[Target]:
    """The images to verify, each once: ``images`` first, then the manifests' component images."""
    found = [Target(ref, "images") for ref in inputs.images]
    if inputs.manifests:
        workspace = gha.workspace().resolve()
        files = pins.manifest_files(inputs.manifests, workspace)
        extras.ensure_yaml()
        for file in files:
            shown = file.relative_to(workspace).as_posix()
            sites, _ = pins.find_sites(pins.read_text(file, shown), shown, name=file.name)
            found += [Target(s.ref, f"{s.path}:{s.line}") for s in sites if not s.digest_only]
    unique: dict[tuple[str, str, str], Target] = {}
    for target in found:
        unique.setdefault((target.ref.key, target.ref.tag, target.ref.digest), target)
    return list(unique.values())


class Clients:
    """One registry client per host, with the credentials publish would use there."""

    def __init__(self, inputs: VerifyInputs) -> None:
        self.inputs = inputs
        self.clients: dict[str, registry.Registry] = {}

    def get(self, host: str) -> registry.Registry:
        if host not in self.clients:
            inputs = self.inputs
            creds = registry.pull_credentials(
                host,
                inputs.username,
                inputs.password,
                job_actor=inputs.actor,
                job_token=inputs.token,
                docker_config=gha.docker_config_dir(),
            )
            insecure = inputs.insecure and transport.is_loopback(host)
            self.clients[host] = registry.Registry(host, insecure=insecure, credentials=creds)
        return self.clients[host]


Key = tuple[str, str, str]  # registry, repository, digest
MAX_IMAGES = 500  # a release deploys a few images; more is a mistake (or hostile), not a wait of hours
WORKERS = 8  # images verified at once (each a registry read and a gh run); gh-less runs go one at a time


def resolve(target: Target, clients: Clients) -> Key:
    """The image's registry, repository and digest: a tag is read now, so a tag moved since it was attested
    names the image it points at today."""
    ref = target.ref
    client = clients.get(ref.registry)
    return ref.registry, ref.repository, ref.digest or client.resolve(ref.repository, ref.tag or "latest")


def check(
    key: Key, clients: Clients, inputs: VerifyInputs, gh: str | None
) -> tuple[verifier.Evidence, verifier.Evidence | None]:
    """Verify one digest against the policy (and, with require-sbom, an SBOM attestation too)."""
    host, repository, digest = key
    client = clients.get(host)
    api = (
        (inputs.api_url, transport.Auth.bearer(inputs.token, inputs.api_url))
        if inputs.use_api and inputs.token
        else None
    )
    trust = verifier.trust_configs_from(dict(os.environ))
    evidence = verifier.verify_image(client, repository, digest, inputs.policy, gh=gh, api=api, trust_configs=trust)
    if not inputs.require_sbom:
        return evidence, None
    refusals: list[str] = []
    for predicate in SBOM_PREDICATE_TYPES:
        try:
            sbom = verifier.verify_image(
                client,
                repository,
                digest,
                inputs.policy._replace(predicate_type=predicate),
                gh=gh,
                api=api,
                trust_configs=trust,
            )
        except verifier.Unverified as exc:
            refusals.append(exc.reasons())
        else:
            return evidence, sbom
    raise ActionError(
        what=f"no SBOM attestation from {inputs.policy.describe()}",
        why="require-sbom is set and no CycloneDX or SPDX attestation verified: " + "; ".join(refusals),
        fix="Publish with an SBOM (publish: sbom: true, with attest: true), or drop require-sbom.",
        docs=DOCS,
    )


def _each(function: Callable[[T], R], items: list[T], workers: int) -> list[R | ActionError]:
    """``function`` over ``items`` on up to ``workers`` threads, in order; an ActionError is a result."""

    def guarded(item: T) -> R | ActionError:
        try:
            return function(item)
        except ActionError as exc:
            return exc

    if workers <= 1 or len(items) <= 1:
        return [guarded(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(guarded, items))


def failure(target: Target, exc: ActionError, digest: str = "") -> ActionError:
    """The error for one image: its name and where it came from, what the verifier found, and the fix."""
    where = f"{target.ref}" + (f" ({target.where})" if target.where != "images" else "")
    return ActionError(what=f"{where}: {exc.what}", why=exc.why, fix=exc.fix, docs=DOCS)


def summary(verified: list[Verified], failed: list[ActionError], policy: Policy) -> str:
    """The job summary: a table of what verified, then what did not."""
    lines = [f"## verify\n\nPolicy: {gha.text(policy.describe())}, predicate {gha.code(policy.predicate_type)}.", ""]
    if verified:
        lines += ["| image | digest | signed by | ref | verified by |", "|---|---|---|---|---|"]
        lines += [
            f"| {gha.code(str(v.target.ref))} | {gha.code(v.digest)} | {gha.code(v.evidence.identity)} "
            f"| {gha.code(v.evidence.source_ref)} | {v.evidence.verifier} via {gha.text(v.evidence.source)} |"
            for v in verified
        ]
        lines.append("")
    if failed:
        lines += ["Not verified:", ""] + [f"- {gha.text(e.what)}" for e in failed] + [""]
    return "\n".join(lines)


def run(inputs: VerifyInputs) -> dict[str, str]:
    todo = targets(inputs)
    if not todo:
        raise ActionError(
            what="The manifests name no component image",
            why="No Workload, WorkloadReplicaSet, WorkloadDeployment or Artifact document with an image was found.",
            fix="Point manifests at the workload manifests, or give images.",
            docs=DOCS,
        )
    if len(todo) > MAX_IMAGES:
        raise ActionError(
            what=f"verify was given {len(todo):,} images",
            why=f"It verifies at most {MAX_IMAGES:,} per step (each is a registry read and a signature check); "
            "a release deploys a few.",
            fix="Point manifests at the workloads this release deploys, or split the images over several steps.",
            docs=DOCS,
        )
    gh = shutil.which("gh")
    workers = WORKERS if gh else 1  # sigstore-python is installed on first use: once, by one thread
    clients = Clients(inputs)
    for target in todo:
        clients.get(target.ref.registry)  # every client made here: the threads only read the table
    keys = _each(lambda target: resolve(target, clients), todo, workers)
    unique = list(dict.fromkeys(k for k in keys if not isinstance(k, ActionError)))
    results = dict(zip(unique, _each(lambda key: check(key, clients, inputs, gh), unique, workers), strict=True))
    verified: list[Verified] = []
    failed: list[ActionError] = []
    for target, key in zip(todo, keys, strict=True):
        outcome = key if isinstance(key, ActionError) else results[key]
        if isinstance(outcome, ActionError):
            failed.append(failure(target, outcome))
            continue
        assert not isinstance(key, ActionError)
        done = Verified(target, key[2], outcome[0], outcome[1])
        verified.append(done)
        gha.info(f"Verified {target.ref} ({done.digest}): {done.evidence.describe()}")
    gha.summary(summary(verified, failed, inputs.policy))
    if len(failed) == 1:
        raise failed[0]
    if failed:
        raise ActionError(
            what=f"{len(failed)} of {len(todo)} images failed verification: "
            + ", ".join(e.what.split(": ", 1)[0] for e in failed),
            why=" | ".join(f"{e.what}: {e.why}" for e in failed),
            fix=failed[0].fix,
            docs=DOCS,
        )
    return {
        "verified": json.dumps([v.as_dict() for v in verified]),
        "pinned": "\n".join(v.pinned for v in verified),
    }
