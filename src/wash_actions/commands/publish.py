"""publish: push the component once, point every tag at that one digest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..component import world as component
from ..errors import COMPONENT_PATH_FIX, ActionError
from ..oci import layout, registry, source_date, tags, timestamps
from ..oci import push as release
from ..oci.names import check_registry, check_repository
from ..oci.registry import Credentials
from ..reuse import earlier_attempt, source_key
from ..reuse import published as reuse
from ..runner import gha, paths, transport
from ..trust import attest_decision, sbom_inputs
from ..trust.attest_decision import Instance

if TYPE_CHECKING:  # imported where publish attests: a publish that attests nothing starts without them
    import threading

    from ..trust import attest, sbom


class PublishInputs(NamedTuple):
    """What the step's inputs say, parsed and checked once."""

    component: Path
    registry: str
    repository: str
    tags: tuple[str, ...]
    credentials: Credentials | None  # not registry.Credentials: the field `registry` shadows the module here
    insecure: bool
    wash_path: str
    push: bool = True
    attest: bool = False  # attest (or attestation): auto, decided with the job (OIDC, event), or true/false
    push_attestation: bool = True
    create_storage_record: bool = True
    immutable: str = "releases"  # which tags are never moved once they exist: releases (X.Y.Z), all, none
    sbom: bool = False  # make (or read) an SBOM of the component; attested with the provenance
    sbom_path: Path | None = None  # the user's own SBOM (SPDX or CycloneDX JSON) instead of ours
    project: Path | None = None  # where the lock files are (build's project-path); None: the component's directory
    created: str = "commit"  # commit (the commit's time), now (wash's behaviour) or an RFC 3339 date-time
    source_key: str = ""  # build's source-key output from another job; "" = build's hand-off in this job, if any
    rerun_attests: bool = True  # a re-run attests the digest its earlier attempt pushed (reuse/earlier_attempt.py)

    @property
    def image(self) -> str:
        return f"{self.registry}/{self.repository}"


class JobContext(NamedTuple):
    """What the job's environment says: GitHub's API and web server, the token for them, this repository, and the
    Sigstore instance the job signs with."""

    api_url: str = ""
    github_token: str = ""  # the github-token input, else the job's token
    server_url: str = ""
    github_repository: str = ""
    attest_instance: Instance | None = None  # not attest.Instance: the field `attest` shadows the module
    run_id: str = ""  # GITHUB_RUN_ID: "" outside a workflow run
    run_attempt: str = "1"  # GITHUB_RUN_ATTEMPT: above 1 on "Re-run jobs"


class Notes(NamedTuple):
    """What publish tells the user about its inputs before it starts."""

    tag_warnings: tuple[str, ...] = ()
    attest_notice: str = ""
    sbom_notices: tuple[str, ...] = ()


class Publish(NamedTuple):
    """One publish: the inputs, the job around them, and the notes they gave."""

    inputs: PublishInputs
    job: JobContext = JobContext()
    notes: Notes = Notes()

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> Publish:
        _CLIENTS.clear()
        raw_component = inputs.get("component-path")  # the action maps its alias component_path here too
        if not raw_component:
            raise ActionError(
                what="Input 'component-path' is required",
                why="publish pushes a component file that an earlier step built.",
                fix=COMPONENT_PATH_FIX,
                docs="#publish",
            )
        component = check_component_location(raw_component, gha.workspace())
        host = check_registry(inputs.get("registry", "ghcr.io"))
        repository = check_repository(inputs.get("repository"), gha.env("GITHUB_REPOSITORY"))
        insecure = inputs.bool("insecure")
        if insecure and not transport.is_loopback(host):
            raise ActionError(
                what=f"insecure: true is refused for {host}",
                why="Plain HTTP sends the component and the registry credentials unencrypted; it is "
                "allowed only for registries on this machine (localhost, 127.0.0.0/8, ::1).",
                fix="Use the registry over HTTPS:\nwith:\n  insecure: false",
                docs="#publish",
            )
        username, password = inputs.get("username"), inputs.secret("password")
        if not password and inputs.secret("token"):
            # wasmCloud/actions' `token` is docker/login-action's password for github.actor (wash-oci-publish)
            password = inputs.secret("token")
            username = username or gha.env("WASHACTIONS_GITHUB_ACTOR")
        creds = registry.input_credentials(
            host,
            username,
            password,
            job_actor=gha.env("WASHACTIONS_GITHUB_ACTOR"),
            job_token=gha.env("WASHACTIONS_GITHUB_TOKEN"),
        )
        explicit = inputs.list("tags") or inputs.list("image_tags")
        plan = tags.resolve_tags(explicit, git_context())
        push = inputs.bool("push", default=True)
        immutable = tags.immutable_mode(inputs.get("immutable-tags"))
        mode = attest_decision.attest_mode(inputs.get("attest"), inputs.get("attestation"))
        decision = attest_decision.decide_in_job(mode, push=push, env=os.environ, event=gha.event_payload())
        options = sbom_inputs.sbom_options(
            {
                "sbom": inputs.get("sbom"),
                "sbom-path": inputs.get("sbom-path"),
                "cyclonedx-version": inputs.get("cyclonedx-version"),
            }
        )
        check_sbom_mode(options, decision, push=push)
        # auto: an SBOM whenever the provenance is attested (none to make when nothing is attested)
        sbom_on = options.mode == "true" or (options.mode == "auto" and decision.enabled)
        given = PublishInputs(
            component=component,
            registry=host,
            repository=repository,
            tags=plan.tags,
            credentials=creds,
            insecure=insecure,
            wash_path=inputs.get("wash-path"),
            push=push,
            attest=decision.enabled,
            push_attestation=inputs.bool("push-attestation", default=True),
            create_storage_record=inputs.bool("create-storage-record", default=True),
            immutable=immutable,
            sbom=sbom_on,
            sbom_path=check_sbom_location(options.path, gha.workspace()) if sbom_on and options.path else None,
            project=(gha.workspace() / inputs.get("project-path")).resolve() if inputs.get("project-path") else None,
            created=source_date.check_mode(inputs.get("created")),
            source_key=source_key.check_key(inputs.get("source-key")),
            rerun_attests=inputs.bool("rerun-attests", default=True),
        )
        job = JobContext(
            api_url=gha.env("GITHUB_API_URL", "https://api.github.com"),
            github_token=inputs.secret("github-token") or gha.env("WASHACTIONS_GITHUB_TOKEN"),
            server_url=gha.env("GITHUB_SERVER_URL", "https://github.com"),
            github_repository=gha.env("GITHUB_REPOSITORY"),
            attest_instance=decision.instance,
            run_id=gha.env("GITHUB_RUN_ID"),
            run_attempt=gha.env("GITHUB_RUN_ATTEMPT", "1"),
        )
        return cls(given, job, Notes(plan.warnings, decision.notice, options.notices))


def check_sbom_mode(options: sbom_inputs.SbomOptions, decision: attest_decision.Decision, *, push: bool) -> None:
    """``sbom: true`` promises an SBOM attestation: refuse, before anything is pushed, a job that cannot attest."""
    if options.mode != "true" or not push or decision.enabled:
        return
    raise ActionError(
        what="sbom: true asks for an SBOM attestation, but this publish does not attest",
        why=decision.notice or "attest is false; the SBOM is attested together with the provenance.",
        fix="Attest (the job needs id-token: write and attestations: write):\nwith:\n  attest: true\n"
        "  sbom: true\nor leave it to the job:\nwith:\n  sbom: auto",
        docs="#sbom",
    )


def check_sbom_location(raw: str, workspace: Path) -> Path:
    """A relative ``sbom-path`` is a file of the workspace; an absolute one (another step's output) as given."""
    return paths.workspace_input("sbom-path", raw, workspace, fix="with:\n  sbom-path: sbom.spdx.json", docs="#sbom")


def git_context() -> tags.GitContext:
    """The run's Git context; for pull requests, the PR number and head commit from the event payload."""
    number: int | None = None
    head = ""
    if gha.env("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target"):
        pull = gha.event_payload().get("pull_request") or {}
        assert isinstance(pull, dict)
        if isinstance(pull.get("number"), int):
            number = pull["number"]
            head = str((pull.get("head") or {}).get("sha") or "")
    return tags.GitContext(
        event_name=gha.env("GITHUB_EVENT_NAME"),
        ref=gha.env("GITHUB_REF"),
        sha=gha.env("GITHUB_SHA"),
        pr_number=number,
        pr_head_sha=head,
    )


def check_component_location(raw: str, workspace: Path) -> Path:
    """A relative 'component-path' stays inside the workspace; an absolute one (build's output) as written."""
    fix = f"Pass build's output:\n{COMPONENT_PATH_FIX}"
    return paths.workspace_input("component-path", raw, workspace, fix=fix, docs="#publish")


def check_component(path: Path) -> memoryview:
    """The component's bytes (mapped), or one clear error when ``component-path`` names no component."""
    return component.load(path, label="component-path", fix=COMPONENT_PATH_FIX, docs="#publish")


_CLIENTS: dict[tuple[str, bool, registry.Credentials | None], registry.Registry] = {}


def client_for(inputs: PublishInputs) -> registry.Registry:
    """The one registry client of this publish (its bearer tokens are kept for the tags, the referrers and the
    attestations)."""
    key = (inputs.registry, inputs.insecure, registry_credentials(inputs))
    if key not in _CLIENTS:
        _CLIENTS[key] = registry.Registry(inputs.registry, insecure=inputs.insecure, credentials=key[2])
    return _CLIENTS[key]


def registry_credentials(inputs: PublishInputs) -> registry.Credentials | None:
    if inputs.credentials:
        return inputs.credentials
    return registry.docker_config_credentials(gha.docker_config_dir(), inputs.registry)


def summarize(
    refs: list[str],
    digest: str,
    annotations: dict[str, str],
    *,
    dry_run: bool,
    tagged: release.Tagged | None = None,
    reused: str = "",
) -> None:
    title = "Component publish (dry run: nothing pushed)" if dry_run else "Component published"
    if reused:
        title += f": reused {reused} (same source)"

    def before(ref: str) -> str:
        tag = ref.rsplit(":", 1)[1]
        if tagged is None:
            return ""
        if tag in tagged.moved:
            return f"moved from `{tagged.moved[tag]}`"
        return "unchanged" if tag in tagged.unchanged else "new" if tag in tagged.created else ""

    rows = "".join(f"| `{ref}` | `{digest}` | {before(ref)} |\n" for ref in refs)
    notes = "".join(f"| `{k}` | {gha.text(v)} |\n" for k, v in sorted(annotations.items()))
    text = f"### {title}\n\n| reference | digest | tag |\n|---|---|---|\n{rows}"
    if notes:
        text += f"\n| annotation | value |\n|---|---|\n{notes}"
    gha.summary(text)


def plan(inputs: PublishInputs, job: JobContext, source: Source) -> tuple[layout.Artifact, memoryview]:
    """The artifact to publish, byte for byte wash's layout (plus the source key, when there is one), created at
    the source's commit's time (or as asked)."""
    if source.time and inputs.created == "commit" and not os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        # build read it with the commit (git log): the last commit that changed what the build reads
        created = source_date.Created(timestamps.Instant(source.time), f"commit {source.commit[:12]}, the source's")
    else:
        created = source_date.resolve(
            inputs.created,
            sha=gha.env("GITHUB_SHA"),
            workspace=gha.workspace(),
            env=os.environ,
            event=gha.event_payload(),
            job=gha.env("GITHUB_ACTIONS") == "true",  # the runner made the workspace: git may read it (git_read)
            api=source_date.CommitApi(job.api_url, job.github_token, job.github_repository),
        )
    wasm = check_component(inputs.component)
    extra = {source_key.ANNOTATION: source.key} if source.key else None
    artifact = layout.build(wasm, created.instant, name=inputs.component.name, extra=extra)
    if source.sha256 and artifact.layer_digest != f"sha256:{source.sha256}":
        gha.notice(
            f"{inputs.component.name} changed after the build step computed its source key (a later step rewrote "
            "it): its source key is not recorded and nothing is reused for it.",
            title="publish: source key",
        )
        source = Source()
        artifact = layout.build(wasm, created.instant, name=inputs.component.name)
    gha.info(f"created: {created.instant.config_time()} ({created.source}); digest {artifact.digest}")
    return artifact, wasm


class Source(NamedTuple):
    """The component's source key and where it came from: build's hand-off (with the bytes it describes and the
    source's commit) or the ``source-key`` input (another job's build)."""

    key: str = ""
    sha256: str = ""  # hand-off only: the component's bytes as build left them
    commit: str = ""  # hand-off only: the commit the component names
    pulled: bool = False  # hand-off only: build pulled these bytes (reuse-from) instead of building them
    time: int = 0  # hand-off only: the commit's committer time (0: the job's commit decides, as before)


def source_of(inputs: PublishInputs) -> Source:
    """The ``source-key`` input, else what build handed over in this job for this component, else none."""
    if inputs.source_key:
        return Source(inputs.source_key)
    handoff = source_key.read_handoff(gha.temp_dir(), inputs.component)
    if handoff is None:
        return Source()
    return Source(handoff.key, handoff.sha256, handoff.commit, handoff.reused, handoff.time)


class Connection(NamedTuple):
    client: registry.Registry
    reads: release.TagReads
    lookup: reuse.Lookup | None


def connect(inputs: PublishInputs, source: Source) -> Connection:
    """The registry client, the reads of what every tag names now and the lookup of the source key, started at
    once: they run while the artifact is planned (the network and hashing the component overlap; nothing is
    written yet)."""
    client = client_for(inputs)
    lookup = reuse.Lookup(client, inputs.repository, source.key) if source.key else None
    return Connection(client, release.TagReads(client, inputs.repository, inputs.tags), lookup)


def reusable(
    inputs: PublishInputs,
    job: JobContext,
    connection: Connection,
    key: str,
    preload: threading.Thread | None = None,
) -> reuse.Hit | Unfinished | None:
    """The digest published before for this source, when it may be reused: it records this key and, with
    attestations on, carries provenance from this repository's workflows (verified). Otherwise None, with one
    warning that says why when something was found."""
    if connection.lookup is None or connection.lookup.key != key:
        return None
    outcome = connection.lookup.result()
    if outcome.warning:
        gha.warning(f"Not reusing an earlier build: {outcome.warning}. Publishing this build.", title="publish: reuse")
    hit = outcome.hit
    if hit is None or not inputs.attest:
        return hit
    why = unverified_reason(inputs, job, connection.client, hit)
    if why:
        unfinished = earlier_attempt_of(inputs, job, connection.client, hit, key, why, preload)
        if unfinished is not None:
            return unfinished
        gha.warning(
            f"Not reusing {inputs.image}@{hit.digest} (published for the same source): {why}. Publishing and "
            "attesting this build instead.",
            title="publish: reuse",
        )
        return None
    return hit


class Unfinished(NamedTuple):
    """The digest an earlier attempt of this workflow run pushed and could not attest, its bytes pulled and
    checked: this attempt attests it instead of pushing its own build."""

    hit: reuse.Hit
    record: earlier_attempt.Record
    wasm: bytes


def earlier_attempt_of(
    inputs: PublishInputs,
    job: JobContext,
    client: registry.Registry,
    hit: reuse.Hit,
    key: str,
    why: str,
    preload: threading.Thread | None = None,
) -> Unfinished | None:
    """``hit`` (found under ``key``, without this repository's provenance: ``why``) as an earlier attempt's
    unfinished publish, when the record restored from the Actions cache says that this run pushed exactly it
    (``reuse/earlier_attempt.py``) and its component's bytes pull and match; else None (a mismatching record or a
    failed pull is a warning)."""
    if not gha.is_rerun(job.run_attempt) or not inputs.rerun_attests:
        return None
    record = earlier_attempt.read(Path.home(), key)
    if record is None:
        return None
    refused = earlier_attempt.refusal(
        record,
        run_id=job.run_id,
        attempt=job.run_attempt,
        repository=job.github_repository,
        image=inputs.image,
        key=key,
        digest=hit.digest,
    )
    if not refused:  # the record says so; its token must prove it (a cache writer cannot mint one for this run)
        if preload is not None:
            preload.join()  # the token request uses sigstore's lock (the id package), which it may be installing
        refused = earlier_attempt.proof_refusal(record, own_token())
    if refused:
        gha.warning(
            f"Not completing an earlier attempt's publish of {inputs.image}@{hit.digest}: {refused}.",
            title="publish: re-run",
        )
        return None
    wasm = reuse.pull_layer(client, inputs.repository, hit)  # what is attested is these bytes, checked
    if isinstance(wasm, str):
        gha.warning(f"Not completing an earlier attempt's publish: {wasm}.", title="publish: re-run")
        return None
    gha.info(
        f"{inputs.image}@{hit.digest} ({why}) was pushed by attempt {record.attempt} of this workflow run, which "
        "could not attest it: attesting it now instead of pushing this attempt's build."
    )
    return Unfinished(hit, record, wasm)


def own_token() -> str:
    """This job's OIDC token, whose claims say which run, attempt and workflow this is ("" without one)."""
    from ..trust import run_token

    try:
        return run_token.request(earlier_attempt.OWN_AUDIENCE)
    except ActionError:  # sigstore's lock could not be installed: no token, so no earlier attempt counts
        return ""


def complete_earlier_attempt(
    inputs: PublishInputs,
    job: JobContext,
    connection: Connection,
    unfinished: Unfinished,
    refs: list[str],
    outputs: dict[str, str],
    preload: threading.Thread | None,
) -> dict[str, str]:
    """Attest the digest an earlier attempt of this run pushed (its provenance and, as configured, an SBOM of the
    pulled bytes), then point the tags at it. Attested before the tags move, so that a failure again leaves no
    new tag on unattested bytes; nothing is pushed."""
    hit, record = unfinished.hit, unfinished.record
    previous = connection.reads.result()
    release.check_immutable(previous, inputs.image, hit.digest, inputs.immutable)
    bom = sbom_of_published(inputs, hit, unfinished.wasm) if inputs.sbom else None  # of the registry's bytes
    image_ref = f"{inputs.image}@{hit.digest}"
    outputs.update(
        {
            "digest": hit.digest,
            "annotations": json.dumps(hit.annotations),
            "image-ref": image_ref,
            "all_digests": ",".join(hit.digest for _ in refs),
            "sbom-path": str(bom[0]) if bom else "",
        }
    )
    gha.set_outputs(outputs)
    if preload is not None:
        preload.join()
    attested = attest_all(inputs, job, hit.digest, hit.manifest, bom)
    earlier_attempt.remove(Path.home(), record.key)
    tagged = tag(connection.client, inputs, hit.manifest, previous)
    if gha.env("GITHUB_ARTIFACTS"):
        gha.declare_oci_artifact(image_ref)
    summarize(refs, hit.digest, hit.annotations, dry_run=False, tagged=tagged)
    done = (
        f"Completed the attestation of {image_ref}, which attempt {record.attempt} of this workflow run pushed "
        "and could not attest; nothing was pushed."
    )
    gha.summary(f"### Re-run\n\n{done}\n")
    gha.notice(done, title="publish: re-run")
    return {**outputs, **attested}


def sbom_of_published(inputs: PublishInputs, hit: reuse.Hit, wasm: bytes) -> tuple[Path, sbom.Sbom]:
    """The SBOM of a digest published before, made from its component's bytes as pulled
    and checked, not from this run's build (whose bytes may differ); or the user's sbom-path."""
    pulled = gha.temp_dir() / "wash-actions-attempts" / f"{hit.layer_digest.replace(':', '-')}.wasm"
    pulled.parent.mkdir(parents=True, exist_ok=True)
    pulled.write_bytes(wasm)
    return make_sbom(inputs._replace(component=pulled, project=inputs.project or inputs.component.parent))


def unverified_reason(
    inputs: PublishInputs, job: JobContext, client: registry.Registry, hit: reuse.Hit, predicate_type: str = ""
) -> str:
    """Why ``hit`` lacks provenance (or an attestation of ``predicate_type``) signed by this repository's workflows
    ("" when it has it, verified)."""
    found = reuse.provenance(
        client,
        inputs.repository,
        hit.digest,
        github_repository=job.github_repository,
        server_url=job.server_url,
        api_url=job.api_url,
        token=job.github_token,
        predicate_type=predicate_type,
    )
    if isinstance(found, str):
        return found
    gha.info(f"Verified: {found}")
    return ""


def push(
    client: registry.Registry,
    inputs: PublishInputs,
    artifact: layout.Artifact,
    wasm: memoryview,
    reads: release.TagReads,
) -> dict[str, str]:
    """Take the tags' reads, refuse to move an immutable tag, push the blobs and the manifest (each only if
    missing)."""
    previous = reads.result()  # unreachable, 5xx: stops here
    if release.UNKNOWN in previous.values():
        gha.warning(
            f"Could not read the tags of {inputs.image} before publishing (access denied for pull); "
            "tags that existed may move without their previous digest being reported, and "
            "'immutable-tags' cannot be enforced.",
            title="publish: previous digests unknown",
        )
    release.check_immutable(previous, inputs.image, artifact.digest, inputs.immutable)
    gha.info(f"Pushing {inputs.component.name} to {inputs.image}@{artifact.digest}")
    pushed = release.push(client, inputs.repository, artifact, wasm, previous)
    if not pushed.uploaded and not pushed.manifest_stored:
        gha.info(f"{inputs.image}@{artifact.digest} is already in the registry: nothing uploaded.")
    return previous


def tag(
    client: registry.Registry, inputs: PublishInputs, manifest: registry.Manifest, previous: dict[str, str]
) -> release.Tagged:
    """Point every tag at the digest; say which moved and which were already there."""
    tagged = release.tag(client, inputs.repository, inputs.image, manifest, previous)
    for name, old in tagged.moved.items():
        gha.info(f"Moved {inputs.image}:{name} from {old} to {manifest.digest}")
    for name in tagged.unchanged:
        gha.info(f"{inputs.image}:{name} already names {manifest.digest}: unchanged")
    for name in tagged.created:
        gha.info(f"Tagged {inputs.image}:{name} -> {manifest.digest}")
    return tagged


def index(client: registry.Registry, inputs: PublishInputs, key: str, manifest: registry.Manifest) -> None:
    """Point the source key's tag at the digest just published, so the next build of the same source finds it.
    A failure is a warning: the component and its tags are published."""
    name = source_key.tag_for(key)
    try:
        client.push_manifest(inputs.repository, name, manifest)
    except ActionError as exc:
        gha.warning(
            f"Could not tag {inputs.image}:{name} ({exc.what}); the next build of the same source will not find "
            "this digest.",
            title="publish: reuse",
        )
        return
    gha.info(f"Tagged {inputs.image}:{name} -> {manifest.digest} (source key {key})")


def publish_reused(
    inputs: PublishInputs,
    job: JobContext,
    connection: Connection,
    hit: reuse.Hit,
    refs: list[str],
    outputs: dict[str, str],
    bom: tuple[Path, sbom.Sbom] | None,
    preload: threading.Thread | None,
) -> dict[str, str]:
    """Point the requested tags at the digest published before for the same source: nothing is pushed, and its
    provenance (verified) stands for it. With an SBOM to attest, the digest's SBOM attestation is verified too, and
    made now when it is missing (:func:`complete_sbom`), before any tag moves."""
    previous = connection.reads.result()
    release.check_immutable(previous, inputs.image, hit.digest, inputs.immutable)
    attested = no_sbom_attestation()
    if inputs.attest and bom is not None:
        attested = complete_sbom(inputs, job, connection, hit, bom, preload)
    built = f"the build of {hit.commit[:12]}" if hit.commit else "an earlier build"
    gha.notice(
        f"{inputs.image}@{hit.digest}: reused {built} (same source); nothing was pushed"
        + (", and its provenance was verified." if inputs.attest else "."),
        title="publish: reused",
    )
    tagged = tag(connection.client, inputs, hit.manifest, previous)
    image_ref = f"{inputs.image}@{hit.digest}"
    if gha.env("GITHUB_ARTIFACTS"):
        gha.declare_oci_artifact(image_ref)
    summarize(refs, hit.digest, hit.annotations, dry_run=False, tagged=tagged, reused=built)
    outputs.update(
        {
            "digest": hit.digest,
            "annotations": json.dumps(hit.annotations),
            "image-ref": image_ref,
            "all_digests": ",".join(hit.digest for _ in refs),
            "reused": "true",
        }
    )
    return {**outputs, **not_attested(), **attested}


def complete_sbom(
    inputs: PublishInputs,
    job: JobContext,
    connection: Connection,
    hit: reuse.Hit,
    bom: tuple[Path, sbom.Sbom],
    preload: threading.Thread | None,
) -> dict[str, str]:
    """The reused digest's SBOM attestation of ``bom``'s predicate type from this repository's workflows: verified
    when it has one (nothing made: empty outputs, this run's SBOM path); else attested now, of the published bytes
    (pulled and checked), so that a run whose SBOM attestation failed after its provenance was stored is completed
    by a re-run, and turning sbom on attests an unchanged source's digest. Returns the sbom-attestation outputs
    and, with one made, sbom-path."""
    why = unverified_reason(inputs, job, connection.client, hit, bom[1].predicate_type)
    if not why:
        return no_sbom_attestation()
    image_ref = f"{inputs.image}@{hit.digest}"
    wasm = reuse.pull_layer(connection.client, inputs.repository, hit)
    if isinstance(wasm, str):
        raise ActionError(
            what=f"Could not attest the SBOM of {image_ref}, published before for the same source",
            why=f"Its provenance verified, but {why}; to attest an SBOM of its bytes, publish pulls them, and {wasm}. "
            "No tag was moved and nothing was pushed.",
            fix="Re-run the job. To publish this build instead, give the build step (or the root action, or the "
            "reusable workflow):\nwith:\n  reuse: false",
            docs="#sbom",
        )
    published = sbom_of_published(inputs, hit, wasm)
    gha.info(f"{image_ref} was reused, but {why}: attesting an SBOM of its published bytes now.")
    if preload is not None:
        preload.join()
    done = f"{image_ref} was published before, for the same source, with its provenance (verified); no tag moved"
    token = oidc_token(inputs, hit.digest, "sbom", done)
    client = connection.client if inputs.push_attestation else None
    made = attest_sbom(inputs, job, client, hit.digest, hit.manifest, published, token, done)
    return {**made, "sbom-path": str(published[0])}


def run(publish: Publish) -> dict[str, str]:
    inputs, job, notes = publish
    check_component(inputs.component)
    for warning in notes.tag_warnings:
        gha.warning(warning, title="publish: tags")
    for notice in notes.sbom_notices:
        gha.notice(notice, title="publish: sbom")
    if inputs.wash_path:
        gha.notice(
            "wash-path is no longer needed: publish pushes the component itself, in wash's own layout. "
            "Remove it from the step's with:.",
            title="publish: wash-path is deprecated",
        )
    refs = [f"{inputs.image}:{tag}" for tag in inputs.tags]
    bom = prepare_sbom(inputs)  # before the push: a bad lock file or sbom-path stops here, nothing published
    outputs = {"sbom-path": str(bom[0]) if bom else "", "image": inputs.image, "tags": json.dumps(refs)}
    preload = None
    if inputs.attest:  # sigstore installs and imports while the component is pushed
        from ..runner import extras

        preload = extras.preload_sigstore("sigstore.dsse", "sigstore.models", "sigstore.oidc", "sigstore.sign")
    source = source_of(inputs)
    connected = connect(inputs, source) if inputs.push else None
    artifact, wasm = plan(inputs, job, source)
    key = artifact.annotations.get(source_key.ANNOTATION, "")
    outputs.update(
        digest=artifact.digest, annotations=json.dumps(artifact.annotations), reused="false", **{"source-key": key}
    )
    outputs.update({"attempt-key": "", "attempt-path": ""})  # set once pushed, for a re-run (record_attempt)
    if connected is None:
        gha.info("push: false — computed the digest, tags and annotations; the registry was not contacted.")
        for ref in refs:
            gha.info(f"  would publish {ref}@{artifact.digest}")
        summarize(refs, artifact.digest, artifact.annotations, dry_run=True)
        return {**outputs, "image-ref": "", "all_digests": ""}
    hit = reusable(inputs, job, connected, key, preload) if key else None
    if isinstance(hit, Unfinished):
        return complete_earlier_attempt(inputs, job, connected, hit, refs, outputs, preload)
    if hit is not None:
        return publish_reused(inputs, job, connected, hit, refs, outputs, bom, preload)
    if source.pulled and inputs.attest:
        raise ActionError(
            what=f"{inputs.component.name} was pulled by the build step (reuse-from), not built, and publish cannot "
            "reuse its digest",
            why="publish never signs bytes this run did not build, and the digest build pulled was not confirmed "
            "here (see the warning above). Nothing was pushed.",
            fix="Build it in this run:\nwith:\n  reuse: false\nor give build the same attest setting as publish, so "
            "that it checks the provenance before it skips the build.",
            docs="#same-source-same-digest",
        )
    client, reads = connected.client, connected.reads
    previous = push(client, inputs, artifact, wasm, reads)
    tagged = tag(client, inputs, artifact.manifest, previous)
    if key:
        index(client, inputs, key, artifact.manifest)
    digest = artifact.digest
    if key and inputs.attest and inputs.rerun_attests:  # for a re-run, should attesting below fail
        if preload is not None:
            preload.join()  # the token request below uses sigstore's lock (the id package)
        outputs.update(record_attempt(inputs, job, key, digest))
    image_ref = f"{inputs.image}@{digest}"
    if gha.env("GITHUB_ARTIFACTS"):
        gha.declare_oci_artifact(image_ref)
    summarize(refs, digest, artifact.annotations, dry_run=False, tagged=tagged)
    outputs.update({"image-ref": image_ref, "all_digests": ",".join(digest for _ in refs)})
    # published: these outputs hold whatever happens to the attestation below
    gha.set_outputs(outputs)
    if notes.attest_notice:
        gha.notice(notes.attest_notice, title="publish: attestation")
    if not inputs.attest:
        return not_attested()
    if preload is not None:
        preload.join()
    attested = attest_all(inputs, job, digest, artifact.manifest, bom)
    if outputs["attempt-key"]:
        earlier_attempt.remove(Path.home(), key)  # attested: no re-run needs it
    return attested


def record_attempt(inputs: PublishInputs, job: JobContext, key: str, digest: str) -> dict[str, str]:
    """Write the record that this attempt pushed ``digest`` for ``key``, with this job's OIDC token for that as its
    proof; its actions/cache key and path are the outputs ``attempt-key`` and ``attempt-path`` (empty outside a
    workflow run or without a token)."""
    cache = earlier_attempt.cache_key(job.run_id, key, job.run_attempt)
    if not cache:
        return {}
    from ..trust import run_token

    try:  # the proof that this job pushed it: only this run's job can have GitHub mint it
        token = run_token.request(earlier_attempt.audience(inputs.image, digest, key))
    except ActionError:
        token = ""
    if not token:
        gha.info("No OIDC token for this job (permissions: id-token: write): no record of this attempt for a re-run.")
        return {}
    attempt = int(job.run_attempt)
    record = earlier_attempt.Record(job.run_id, attempt, job.github_repository, inputs.image, key, digest, token)
    try:
        earlier_attempt.write(Path.home(), record)
    except OSError as exc:  # the push stands; a re-run will publish its own build, as before
        gha.info(f"Could not write the record of this attempt for a re-run ({exc.strerror or exc}).")
        return {}
    return {"attempt-key": cache, "attempt-path": earlier_attempt.cache_path(key)}


def not_attested() -> dict[str, str]:
    return {
        "attestation-id": "",
        "attestation-url": "",
        "bundle-path": "",
        "attestation-digest": "",
        "storage-record-ids": "",
        "sbom-attestation-id": "",
        "sbom-attestation-url": "",
        "sbom-attestation-digest": "",
        "sbom-bundle-path": "",
    }


def no_sbom_attestation() -> dict[str, str]:
    return {
        "sbom-attestation-id": "",
        "sbom-attestation-url": "",
        "sbom-attestation-digest": "",
        "sbom-bundle-path": "",
    }


def prepare_sbom(inputs: PublishInputs) -> tuple[Path, sbom.Sbom] | None:
    """The SBOM to attest (:func:`make_sbom`), None without one."""
    return make_sbom(inputs) if inputs.sbom else None


def make_sbom(inputs: PublishInputs) -> tuple[Path, sbom.Sbom]:
    """The SBOM of ``inputs.component``, written under RUNNER_TEMP (ours) or read from ``sbom-path`` (the user's)."""
    from ..trust import provenance, sbom

    if inputs.sbom_path is not None:
        theirs = sbom.read_sbom(inputs.sbom_path)
        gha.info(f"SBOM: {inputs.sbom_path} ({theirs.format}, predicate type {theirs.predicate_type})")
        return inputs.sbom_path, theirs
    wasm = bytes(check_component(inputs.component))  # the one component reader; the SBOM code takes bytes
    project = inputs.project or inputs.component.parent
    try:
        found = sbom.inventory(wasm, project, stop=gha.workspace())
    except (sbom.SbomError, ValueError) as exc:
        raise ActionError(
            what=f"Could not make an SBOM of {inputs.component.name}",
            why=f"{exc}. Nothing was published.",
            fix="Fix or regenerate the lock file, pass your own SBOM, or publish without one:\nwith:\n"
            "  sbom-path: sbom.spdx.json\nor\nwith:\n  sbom: false",
            docs="#sbom",
        ) from None
    doc = sbom.document(wasm, found, name=provenance.subject_name(inputs.image))
    path = sbom.write(gha.temp_dir() / f"sbom-{inputs.component.stem}.cdx.json", doc)
    source = found.source or "no lock file found; producers section only"
    gha.info(f"SBOM: {len(found.packages)} packages from {source} -> {path}")
    return path, sbom.classify(doc)


class Attested(NamedTuple):
    """One attestation made: GitHub's id and URL for it, where its bundle was kept, its referrer's digest."""

    id: str
    url: str
    bundle_path: Path
    referrer: str  # "" when not pushed to the registry


def attest_all(
    inputs: PublishInputs, job: JobContext, digest: str, manifest: registry.Manifest, bom: tuple[Path, sbom.Sbom] | None
) -> dict[str, str]:
    """The provenance, then (with an SBOM) the SBOM attestation: one OIDC token, one registry client, one path."""
    from ..trust import attest, provenance

    token = oidc_token(inputs, digest)
    published = f"{inputs.image}@{digest} is published (outputs digest, image, image-ref and tags are set)"
    client = None
    if inputs.push_attestation:
        client = client_for(inputs)
    claims = provenance.token_claims(token)
    made = attest_one(
        inputs, job, client, digest, manifest, attest.provenance_predicate(claims, job.server_url), token, published
    )
    subject = provenance.subject_name(inputs.image)
    records: list[str] = []
    if client is not None and inputs.create_storage_record:
        try:
            records = attest.create_storage_record(
                job.api_url, job.github_token, job.github_repository, subject, digest
            )
        except ActionError as error:  # as actions/attest: the attestation stands, the record is a warning
            gha.warning(f"{error.what}: {error.why}", title="publish: storage record")
    gha.summary(
        "### Attestation\n\n| subject | digest | attestation | bundle in registry |\n|---|---|---|---|\n"
        f"| `{subject}` | `{digest}` | {made.url} | {f'`{made.referrer}`' if made.referrer else 'not pushed'} |\n"
    )
    outputs = {
        "attestation-id": made.id,
        "attestation-url": made.url,
        "bundle-path": str(made.bundle_path),
        "attestation-digest": made.referrer,
        "storage-record-ids": ",".join(records),
    }
    if bom is None:
        return {**outputs, **no_sbom_attestation()}
    gha.set_outputs(outputs)  # the provenance stands whatever happens to the SBOM attestation
    done = f"{inputs.image}@{digest} is published and its provenance is stored ({made.url})"
    if made.referrer:
        done += f" and pushed as {made.referrer}"
    return {**outputs, **attest_sbom(inputs, job, client, digest, manifest, bom, token, done)}


def attest_sbom(
    inputs: PublishInputs,
    job: JobContext,
    client: registry.Registry | None,
    digest: str,
    manifest: registry.Manifest,
    bom: tuple[Path, sbom.Sbom],
    token: str,
    done: str,
) -> dict[str, str]:
    """Attest the SBOM ``bom`` of ``digest`` (``done``: what already stands, for the error when this fails); its
    outputs, and a table in the job summary."""
    from ..trust import attest, provenance

    path, document = bom
    made = attest_one(inputs, job, client, digest, manifest, attest.sbom_predicate(document), token, done)
    gha.summary(
        "### SBOM attestation\n\n| subject | predicate type | SBOM | attestation | bundle in registry |\n"
        "|---|---|---|---|---|\n"
        f"| `{provenance.subject_name(inputs.image)}` | `{document.predicate_type}` | {gha.code(path.name)} | "
        f"{made.url} | {f'`{made.referrer}`' if made.referrer else 'not pushed'} |\n"
    )
    return {
        "sbom-attestation-id": made.id,
        "sbom-attestation-url": made.url,
        "sbom-attestation-digest": made.referrer,
        "sbom-bundle-path": str(made.bundle_path),
    }


def oidc_token(inputs: PublishInputs, digest: str, kind: attest.PredicateKind = "provenance", done: str = "") -> str:
    """The job's OIDC token, asked for once and used for every attestation of this publish (``kind``: the first;
    ``done``: what stands if it cannot be had)."""
    from ..trust import attest

    published = done or f"{inputs.image}@{digest} is published (outputs digest, image, image-ref and tags are set)"
    try:
        return attest.oidc_token()
    except ActionError as error:
        raise attestation_failed(inputs, kind, published, "sign", error) from None


def attest_one(
    inputs: PublishInputs,
    job: JobContext,
    client: registry.Registry | None,
    digest: str,
    manifest: registry.Manifest,
    predicate: attest.Predicate,
    token: str,
    done: str,
) -> Attested:
    """Sign the statement that the image has ``predicate``, store it with GitHub, push it to the registry as a
    referrer of the image (with ``client``). ``done`` says what already stands, for the error when this fails."""
    from ..trust import attest, provenance

    subject = provenance.subject_name(inputs.image)
    instance = job.attest_instance or attest_decision.SIGSTORE_PUBLIC_GOOD
    kind = "SLSA provenance" if predicate.kind == "provenance" else f"SBOM {predicate.predicate_type}"
    gha.info(f"Attesting {subject}@{digest} ({kind}, signed with {instance.label})")
    try:
        signed = attest.sign(subject, digest, predicate, instance, token=token)
    except ActionError as error:
        raise attestation_failed(inputs, predicate.kind, done, "sign", error) from None
    prefix = "attestation" if predicate.kind == "provenance" else "sbom-attestation"
    bundle_path = gha.temp_dir() / f"{prefix}-{digest.replace(':', '-')}.sigstore.json"
    bundle_path.write_text(signed.bundle)
    try:
        attestation_id, attestation_url = attest.store(
            job.api_url, job.github_token, job.github_repository, signed.bundle, job.server_url
        )
    except ActionError as error:
        raise attestation_failed(inputs, predicate.kind, done, "store", error, kept=bundle_path) from None
    referrer = ""
    if client is not None:
        try:
            referrer = attest.push_referrer(
                client, inputs.repository, manifest, attest.registry_bytes(signed.bundle), predicate.predicate_type
            )
        except ActionError as error:
            raise attestation_failed(inputs, predicate.kind, done, "referrer", error, stored=attestation_url) from None
    return Attested(attestation_id, attestation_url, bundle_path, referrer)


_STAGES = {
    "sign": "signing {what} with Sigstore",
    "store": "storing {it} with GitHub's attestations API",
    "referrer": "pushing {it} to the registry as a referrer of the image",
}


def attestation_failed(
    inputs: PublishInputs,
    kind: attest.PredicateKind,
    done: str,
    stage: str,
    cause: ActionError,
    *,
    stored: str = "",
    kept: Path | None = None,
) -> ActionError:
    """Attesting the ``kind`` (provenance or SBOM) failed at ``stage`` (sign, store or referrer), after ``done``
    (what stands: the image, and for the SBOM the provenance)."""
    from ..trust import provenance

    sbom_failed = kind == "sbom"
    it = "the SBOM attestation" if sbom_failed else "the attestation"
    during = _STAGES[stage].format(what="the SBOM" if sbom_failed else "the provenance", it=it)
    why = f"{cause.what}: {cause.why}"
    if kept is not None:
        why += f" The signed {'SBOM ' if sbom_failed else ''}bundle was kept at {kept}."
    if sbom_failed:
        fix = (
            f"{cause.fix}\nThe outputs digest, image-ref and attestation-* are set; re-run the job to attest the "
            "SBOM, or publish without it:\nwith:\n  sbom: false"
        )
    else:
        fix = (
            f"{cause.fix}\n"
            "Then attest the published digest without publishing again, in a step after this one:\n"
            "- uses: actions/attest-build-provenance@v3\n  with:\n"
            f"    subject-name: {provenance.subject_name(inputs.image)}\n"
            "    subject-digest: ${{ steps.publish.outputs.digest }}\n"
            "    push-to-registry: true"
        )
    if stage == "referrer":
        if isinstance(cause, registry.RegistryError) and cause.kind == "denied":
            why = (
                f"{inputs.registry} refused {it}'s referrer manifest (HTTP {cause.status}), although the "
                "same credentials pushed the image moments ago: this registry or token does not accept an OCI "
                "artifact that refers to an image (a manifest with a subject and an artifactType)."
            )
        if stored:
            why += f" {it[0].upper()}{it[1:]} itself is stored with GitHub: {stored}."
        fix = (
            f"{it[0].upper()}{it[1:]} is stored with GitHub (gh attestation verify finds it there); keep "
            "attestations there only:\nwith:\n  push-attestation: false"
        )
    return ActionError(
        what=f"{done}, but attesting {'its SBOM' if sbom_failed else 'it'} failed while {during}",
        why=why,
        fix=fix,
        docs="#sbom" if sbom_failed else "#attestations",
        details=cause.details,
    )
