"""publish: push the component once, point every tag at that one digest."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import attest, gha, oci, paths, provenance, registry, sbom, tags, wash
from ..attest import Instance
from ..errors import ActionError
from ..oci import check_registry, check_repository, transient
from ..registry import Credentials

COMPONENT_PREAMBLE = b"\0asm\x0d\x00\x01\x00"
CORE_PREAMBLE = b"\0asm\x01\x00\x00\x00"
UNKNOWN = "?"


@dataclass(frozen=True)
class PublishInputs:
    component: Path
    registry: str
    repository: str
    tags: tuple[str, ...]
    credentials: Credentials | None  # not registry.Credentials: the field `registry` shadows the module here
    insecure: bool
    wash_path: str
    push: bool = True
    tag_warnings: tuple[str, ...] = ()
    attest: bool = False
    attest_notice: str = ""
    attest_instance: Instance | None = None  # not attest.Instance: the field `attest` shadows the module
    push_attestation: bool = True
    create_storage_record: bool = True
    api_url: str = ""
    github_token: str = ""
    server_url: str = ""
    github_repository: str = ""
    immutable: str = "releases"  # which tags are never moved once they exist: releases (X.Y.Z), all, none
    sbom: bool = False  # make (or read) an SBOM of the component; attested with the provenance
    sbom_path: Path | None = None  # the user's own SBOM (SPDX or CycloneDX JSON) instead of ours
    project: Path | None = None  # where the lock files are (build's project-path); None: the component's directory
    sbom_notices: tuple[str, ...] = ()

    @property
    def image(self) -> str:
        return f"{self.registry}/{self.repository}"

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> PublishInputs:
        raw_component = inputs.get("component-path")  # the action maps its alias component_path here too
        if not raw_component:
            raise ActionError(
                what="Input 'component-path' is required",
                why="publish pushes a component file that an earlier step built.",
                fix="with:\n  component-path: ${{ steps.build.outputs.component-path }}",
                docs="#publish",
            )
        component = check_component_location(raw_component, gha.workspace())
        host = check_registry(inputs.get("registry", "ghcr.io"))
        repository = check_repository(inputs.get("repository"), gha.env("GITHUB_REPOSITORY"))
        insecure = inputs.bool("insecure")
        if insecure and not registry.is_loopback(host):
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
        mode = attest.attest_mode(inputs.get("attest"), inputs.get("attestation"))
        decision = attest.decide(
            mode,
            push=push,
            oidc_url=gha.env("ACTIONS_ID_TOKEN_REQUEST_URL"),
            server_url=gha.env("GITHUB_SERVER_URL"),
            event_name=gha.env("GITHUB_EVENT_NAME"),
            event=event_payload(),
        )
        options = sbom.sbom_options(
            {
                "sbom": inputs.get("sbom"),
                "sbom-path": inputs.get("sbom-path"),
                "cyclonedx-version": inputs.get("cyclonedx-version"),
            }
        )
        check_sbom_mode(options, decision, push=push)
        sbom_on = options.mode != "false"
        return cls(
            component=component,
            registry=host,
            repository=repository,
            tags=plan.tags,
            credentials=creds,
            insecure=insecure,
            wash_path=inputs.get("wash-path"),
            push=push,
            tag_warnings=plan.warnings,
            attest=decision.enabled,
            attest_notice=decision.notice,
            attest_instance=decision.instance,
            push_attestation=inputs.bool("push-attestation", default=True),
            create_storage_record=inputs.bool("create-storage-record", default=True),
            api_url=gha.env("GITHUB_API_URL", "https://api.github.com"),
            github_token=inputs.secret("github-token") or gha.env("WASHACTIONS_GITHUB_TOKEN"),
            server_url=gha.env("GITHUB_SERVER_URL", "https://github.com"),
            github_repository=gha.env("GITHUB_REPOSITORY"),
            immutable=immutable,
            sbom=sbom_on,
            sbom_path=check_sbom_location(options.path, gha.workspace()) if sbom_on and options.path else None,
            project=(gha.workspace() / inputs.get("project-path")).resolve() if inputs.get("project-path") else None,
            sbom_notices=options.notices,
        )


def check_sbom_mode(options: sbom.SbomOptions, decision: attest.Decision, *, push: bool) -> None:
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


def event_payload() -> dict[str, object]:
    path = gha.env("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def git_context() -> tags.GitContext:
    """The run's Git context; for pull requests, the PR number and head commit from the event payload."""
    number: int | None = None
    head = ""
    if gha.env("GITHUB_EVENT_NAME") in ("pull_request", "pull_request_target"):
        pull = event_payload().get("pull_request") or {}
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
    fix = "Pass build's output:\nwith:\n  component-path: ${{ steps.build.outputs.component-path }}"
    return paths.workspace_input("component-path", raw, workspace, fix=fix, docs="#publish")


def check_component(path: Path) -> None:
    fix = "with:\n  component-path: ${{ steps.build.outputs.component-path }}"
    if path.is_dir():
        raise ActionError(
            what=f"component-path {path} is a directory",
            why="publish pushes one component file (.wasm).",
            fix=fix,
            docs="#publish",
        )
    if not path.is_file():
        raise ActionError(
            what=f"component-path {path} does not exist",
            why="The build step did not run in this job, or the path is relative to another directory "
            "(relative paths are resolved against the workspace).",
            fix=fix,
            docs="#publish",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == CORE_PREAMBLE:
        raise ActionError(
            what=f"{path.name} is a core WebAssembly module, not a component",
            why="wasmCloud runs WebAssembly components; a core module must be componentized first.",
            fix="Build with a toolchain that emits a component (e.g. target wasm32-wasip2, "
            "componentize-py, jco componentize), or wrap it: wasm-tools component new.",
            docs="#publish",
        )
    if head != COMPONENT_PREAMBLE:
        raise ActionError(
            what=f"{path.name} is not a WebAssembly component",
            why="The file does not start with the component preamble (\\0asm, layer 1).",
            fix=fix,
            docs="#publish",
        )


def child_env(docker_config: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith((gha.INPUT_PREFIX, "WASHACTIONS_GITHUB_"))}
    if docker_config is not None:
        env["DOCKER_CONFIG"] = str(docker_config)
    return env


def registry_credentials(inputs: PublishInputs) -> registry.Credentials | None:
    if inputs.credentials:
        return inputs.credentials
    return registry.docker_config_credentials(gha.docker_config_dir(), inputs.registry)


PUSH_ATTEMPTS = 3
_sleep = time.sleep


def push_once(binary: str, inputs: PublishInputs, reference: str, docker_config: Path | None) -> str:
    """``wash oci push`` with bounded retries for transient failures; returns the manifest digest."""
    args = ["oci", "push"] + (["--insecure"] if inputs.insecure else []) + [reference, str(inputs.component)]
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        result = wash.run(binary, args, env=child_env(docker_config))
        envelope = result.envelope
        if envelope is not None and envelope.success and result.returncode == 0:
            data = envelope.data if isinstance(envelope.data, dict) else {}
            digest = str(data.get("digest") or "")
            if not digest.startswith("sha256:"):
                raise ActionError(
                    what="wash oci push reported no digest",
                    why=f"Its result carried no manifest digest: {json.dumps(data)[:300]}",
                    fix="Re-run the job; report this with the wash version if it persists.",
                    docs="#publish",
                )
            return digest
        message = envelope.message if envelope else result.tail()
        if attempt == PUSH_ATTEMPTS or not transient(message):
            raise oci.push_error(message, inputs.registry, inputs.repository, result.tail())
        gha.warning(f"Push attempt {attempt} failed ({message.splitlines()[-1].strip()[:200]}); retrying.")
        _sleep(2**attempt)
    raise AssertionError("unreachable")


def expected_annotations(component: Path) -> dict[str, str]:
    """What wash will turn into annotations: the component's metadata sections (plus a created time)."""
    from .. import metadata

    sections = metadata.read_sections(component.read_bytes())
    return {metadata.ANNOTATIONS[k]: v for k, v in sections.items() if k in metadata.ANNOTATIONS}


def summarize(
    refs: list[str], digest: str, annotations: dict[str, str], *, dry_run: bool, moved: dict[str, str] | None = None
) -> None:
    title = "Component publish (dry run: nothing pushed)" if dry_run else "Component published"
    moved = moved or {}

    def before(ref: str) -> str:
        old = moved.get(ref.rsplit(":", 1)[1], "")
        return f"moved from `{old}`" if old else ""

    rows = "".join(f"| `{ref}` | {'(not pushed)' if dry_run else f'`{digest}`'} | {before(ref)} |\n" for ref in refs)
    notes = "".join(f"| `{k}` | {gha.cell(v)} |\n" for k, v in sorted(annotations.items()))
    text = f"### {title}\n\n| reference | digest | previously |\n|---|---|---|\n{rows}"
    if notes:
        text += f"\n| annotation | value |\n|---|---|\n{notes}"
    gha.summary(text)


def previous_digest(client: registry.Registry, inputs: PublishInputs, tag: str) -> str:
    """What ``tag`` points at before this publish: its manifest digest, "" when it does not exist, or
    UNKNOWN when the registry lets this job push but not pull."""
    try:
        hit = client.find_manifest(inputs.repository, tag)
    except ActionError as exc:
        if "denied access" not in exc.what:  # unreachable, 5xx: stop before anything is pushed
            raise
        return UNKNOWN  # a registry that lets this job push but not pull: nothing to compare
    return hit[0].digest if hit else ""


def previous_digests(client: registry.Registry, inputs: PublishInputs) -> dict[str, str]:
    """What each tag points at before this publish: its manifest digest, or "" when it does not exist."""
    with ThreadPoolExecutor(max_workers=min(8, len(inputs.tags))) as pool:
        found = list(pool.map(lambda tag: previous_digest(client, inputs, tag), inputs.tags))
    return settle_previous(inputs, dict(zip(inputs.tags, found, strict=True)))


def settle_previous(inputs: PublishInputs, found: dict[str, str]) -> dict[str, str]:
    """The previous digests read (UNKNOWN made ""), warning once when the registry denied reading them."""
    if UNKNOWN in found.values():
        gha.warning(
            f"Could not read the tags of {inputs.image} before publishing (access denied for pull); "
            "tags that existed may move without their previous digest being reported, and "
            "'immutable-tags' cannot be enforced.",
            title="publish: previous digests unknown",
        )
    return {tag: ("" if old == UNKNOWN else old) for tag, old in found.items()}


def read_before_push(inputs: PublishInputs) -> list[str]:
    """The tags whose previous digest must be known before the push: the first (wash moves it) and every
    tag that 'immutable-tags' keeps where it is."""
    return [tag for n, tag in enumerate(inputs.tags) if n == 0 or tags.immutable(tag, inputs.immutable)]


def read_during_push(read: Future[str]) -> str:
    """The previous digest of a tag read while wash pushed ("" when unknown): it is only reported when
    moved, so a failed read is not an error here (tagging and the read-back after it stop on a registry
    that keeps failing)."""
    try:
        found = read.result()
    except ActionError:
        return ""
    return "" if found == UNKNOWN else found


def check_immutable(previous: dict[str, str], inputs: PublishInputs) -> None:
    """Refuse, before anything is pushed, to move an immutable tag that already exists."""
    taken = {tag: old for tag, old in previous.items() if old and tags.immutable(tag, inputs.immutable)}
    if not taken:
        return
    listed = ", ".join(f"{inputs.image}:{tag} ({old})" for tag, old in taken.items())
    raise ActionError(
        what=f"Refusing to move published release tag{'s' if len(taken) > 1 else ''} {', '.join(taken)}",
        why=f"{listed} already exist{'s' if len(taken) == 1 else ''}; with immutable-tags: {inputs.immutable} "
        "a published release is never overwritten (a new push always gets a new digest). Nothing was pushed.",
        fix="Release a new version (a new X.Y.Z tag), or, to overwrite on purpose:\nwith:\n  immutable-tags: none",
        docs="#immutable-tags",
    )


def move_tags(client: registry.Registry, inputs: PublishInputs, manifest: registry.Manifest, digest: str) -> None:
    """Point every tag after the first (pushed by wash) at the manifest, side by side; on any failure,
    one error that says which tags moved, which did not, and why."""
    rest = inputs.tags[1:]
    if not rest:
        return
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=min(8, len(rest))) as pool:
        futures = {tag: pool.submit(client.put_manifest, inputs.repository, tag, manifest) for tag in rest}
        for tag, future in futures.items():
            exc = future.exception()
            if isinstance(exc, ActionError):
                failed[tag] = f"{exc.what}: {exc.why}"
            elif exc is not None:
                failed[tag] = f"{type(exc).__name__}: {exc}"
    if not failed:
        return
    moved = [inputs.tags[0], *(tag for tag in rest if tag not in failed)]
    reasons = "; ".join(f"{tag}: {why}" for tag, why in failed.items())
    raise ActionError(
        what=f"Published {inputs.image}@{digest} but could not tag {', '.join(failed)} "
        f"({len(failed)} of {len(inputs.tags)} tags)",
        why=f"Moved to {digest}: {', '.join(moved)}. Not moved (still where they were): "
        f"{', '.join(failed)}. Why: {reasons}",
        fix="Re-run the job once the registry answers again; the tags that moved already point at this "
        "digest. If the registry refused (401/403), check the credentials' push rights.",
        docs="#publish",
    )


def report_moves(inputs: PublishInputs, previous: dict[str, str], digest: str) -> dict[str, str]:
    """Say which existing tags this publish moved away from another digest (log and summary)."""
    moved = {tag: old for tag, old in previous.items() if old and old != digest}
    for tag, old in moved.items():
        gha.info(f"Moved {inputs.image}:{tag} from {old} to {digest}")
    return moved


def run(inputs: PublishInputs) -> dict[str, str]:
    check_component(inputs.component)
    for warning in inputs.tag_warnings:
        gha.warning(warning, title="publish: tags")
    refs = [f"{inputs.image}:{tag}" for tag in inputs.tags]
    for notice in inputs.sbom_notices:
        gha.notice(notice, title="publish: sbom")
    bom = prepare_sbom(inputs)  # before the push: a bad lock file or sbom-path stops here, nothing published
    sbom_path = str(bom[0]) if bom else ""
    if not inputs.push:
        annotations = expected_annotations(inputs.component)
        gha.info("push: false — computed tags and annotations; the registry was not contacted.")
        for ref in refs:
            gha.info(f"  would publish {ref}")
        summarize(refs, "", annotations, dry_run=True)
        return {
            "sbom-path": sbom_path,
            "digest": "",
            "image": inputs.image,
            "image-ref": "",
            "tags": json.dumps(refs),
            "annotations": json.dumps(annotations),
            "all_digests": "",
        }
    binary = wash.locate(inputs.wash_path)
    preload = None
    if inputs.attest:  # sigstore installs and imports while wash pushes
        from .. import extras

        preload = extras.preload_sigstore("sigstore.dsse", "sigstore.models", "sigstore.oidc", "sigstore.sign")
    scratch = Path(tempfile.mkdtemp(prefix="wash-actions-publish-", dir=gha.temp_dir()))
    try:
        docker_config = None
        if inputs.credentials:
            docker_config = scratch / "docker"
            registry.write_docker_config(docker_config, inputs.registry, inputs.credentials)
        client = registry.Registry(inputs.registry, insecure=inputs.insecure, credentials=registry_credentials(inputs))
        with ThreadPoolExecutor(max_workers=min(8, len(inputs.tags))) as pool:
            # the tags the push may not move (wash writes the first; immutable ones must not exist) are read
            # before it; the others are only reported when moved, so they are read while wash pushes
            reads = {tag: pool.submit(previous_digest, client, inputs, tag) for tag in inputs.tags}
            # unreachable, 5xx: raises here, before anything is pushed
            before = settle_previous(inputs, {tag: reads[tag].result() for tag in read_before_push(inputs)})
            check_immutable(before, inputs)
            gha.info(f"Pushing {inputs.component.name} to {refs[0]}")
            digest = push_once(binary, inputs, refs[0], docker_config)
            previous = {tag: before[tag] if tag in before else read_during_push(reads[tag]) for tag in inputs.tags}
        manifest = client.get_manifest(inputs.repository, digest)
        for tag in inputs.tags[1:]:
            gha.info(f"Tagging {inputs.image}:{tag} -> {digest}")
        move_tags(client, inputs, manifest, digest)
        with ThreadPoolExecutor(max_workers=min(8, len(inputs.tags))) as pool:
            found = list(pool.map(lambda tag: client.resolve(inputs.repository, tag), inputs.tags))
        resolved = dict(zip(inputs.tags, found, strict=True))
        wrong = {tag: d for tag, d in resolved.items() if d != digest}
        if wrong:
            raise ActionError(
                what=f"Tags {', '.join(wrong)} do not resolve to the pushed digest {digest}",
                why="Another push changed them at the same time, or the registry rewrote the manifest.",
                fix="Avoid concurrent publishes of the same tags:\nconcurrency:\n  group: publish-${{ github.ref }}",
                docs="#publish",
            )
        moved = report_moves(inputs, previous, digest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    annotations = json.loads(manifest.body).get("annotations") or {}
    image_ref = f"{inputs.image}@{digest}"
    if gha.env("GITHUB_ARTIFACTS"):
        gha.declare_oci_artifact(image_ref)
    summarize(refs, digest, annotations, dry_run=False, moved=moved)
    outputs = {
        "digest": digest,
        "image": inputs.image,
        "image-ref": image_ref,
        "tags": json.dumps(refs),
        "annotations": json.dumps(annotations),
        "all_digests": ",".join(digest for _ in refs),
        "sbom-path": sbom_path,
    }
    # published: these outputs hold whatever happens to the attestation below
    gha.set_outputs(outputs)
    if inputs.attest_notice:
        gha.notice(inputs.attest_notice, title="publish: attestation")
    if not inputs.attest:
        return not_attested()
    if preload is not None:
        preload.join()
    return attest_all(inputs, digest, manifest, bom)


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


def attest_all(
    inputs: PublishInputs, digest: str, manifest: registry.Manifest, bom: tuple[Path, sbom.Sbom] | None
) -> dict[str, str]:
    """The provenance, then (with an SBOM) the SBOM attestation, signed with one OIDC token."""
    token = oidc_token(inputs, digest)
    outputs = attest_digest(inputs, digest, manifest, token=token)
    if bom is None:
        outputs.update(no_sbom_attestation())
        return outputs
    gha.set_outputs(outputs)  # the provenance stands whatever happens to the SBOM attestation
    outputs.update(attest_sbom(inputs, digest, manifest, bom, outputs, token=token))
    return outputs


def prepare_sbom(inputs: PublishInputs) -> tuple[Path, sbom.Sbom] | None:
    """The SBOM to attest, written under RUNNER_TEMP (ours) or read from ``sbom-path`` (the user's)."""
    if not inputs.sbom:
        return None
    if inputs.sbom_path is not None:
        theirs = sbom.read_sbom(inputs.sbom_path)
        gha.info(f"SBOM: {inputs.sbom_path} ({theirs.format}, predicate type {theirs.predicate_type})")
        return inputs.sbom_path, theirs
    wasm = inputs.component.read_bytes()
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


def oidc_token(inputs: PublishInputs, digest: str) -> str:
    """The job's OIDC token, asked for once and used for both attestations."""
    try:
        return attest.oidc_token()
    except ActionError as error:
        raise attestation_failed(inputs, digest, "sign", error) from None


def attest_sbom(
    inputs: PublishInputs,
    digest: str,
    manifest: registry.Manifest,
    bom: tuple[Path, sbom.Sbom],
    attested: dict[str, str],
    *,
    token: str,
) -> dict[str, str]:
    """Sign the SBOM statement (the document is the predicate, as actions/attest with ``sbom-path``), store it
    with GitHub and push it as a referrer. A failure says that the image and its provenance already stand."""
    path, document = bom
    subject = provenance.subject_name(inputs.image)
    instance = inputs.attest_instance or attest.SIGSTORE_PUBLIC_GOOD
    done = f"{inputs.image}@{digest} is published and its provenance is stored ({attested['attestation-url']})"
    if attested.get("attestation-digest"):
        done += f" and pushed as {attested['attestation-digest']}"
    gha.info(f"Attesting {subject}@{digest} (SBOM {document.predicate_type}, signed with {instance.label})")
    try:
        signed = attest.sign(subject, digest, inputs.server_url, instance, token=token, document=document)
    except ActionError as error:
        raise sbom_failed(done, "sign", error) from None
    bundle_path = gha.temp_dir() / f"sbom-attestation-{digest.replace(':', '-')}.sigstore.json"
    bundle_path.write_text(signed.bundle)
    try:
        attestation_id, attestation_url = attest.store(
            inputs.api_url, inputs.github_token, inputs.github_repository, signed.bundle, inputs.server_url
        )
    except ActionError as error:
        raise sbom_failed(done, "store", error, kept=bundle_path) from None
    referrer = ""
    if inputs.push_attestation:
        client = registry.Registry(inputs.registry, insecure=inputs.insecure, credentials=registry_credentials(inputs))
        try:
            referrer = attest.push_referrer(
                client, inputs.repository, manifest, attest.registry_bytes(signed.bundle), document.predicate_type
            )
        except ActionError as error:
            stored = f"{done}; the SBOM attestation is stored ({attestation_url})"
            raise sbom_failed(stored, "referrer", error) from None
    gha.summary(
        "### SBOM attestation\n\n| subject | predicate type | SBOM | attestation | bundle in registry |\n"
        "|---|---|---|---|---|\n"
        f"| `{subject}` | `{document.predicate_type}` | `{gha.cell(path.name)}` | {attestation_url} | "
        f"{f'`{referrer}`' if referrer else 'not pushed'} |\n"
    )
    return {
        "sbom-attestation-id": attestation_id,
        "sbom-attestation-url": attestation_url,
        "sbom-attestation-digest": referrer,
        "sbom-bundle-path": str(bundle_path),
    }


_SBOM_STAGES = {
    "sign": "signing the SBOM with Sigstore",
    "store": "storing the SBOM attestation with GitHub's attestations API",
    "referrer": "pushing the SBOM attestation to the registry as a referrer of the image",
}


def sbom_failed(done: str, stage: str, cause: ActionError, *, kept: Path | None = None) -> ActionError:
    why = f"{cause.what}: {cause.why}"
    if kept is not None:
        why += f" The signed SBOM bundle was kept at {kept}."
    fix = f"{cause.fix}\nThe outputs digest, image-ref and attestation-* are set; re-run the job to attest the SBOM"
    if stage == "referrer":
        fix = "Keep the SBOM attestation with GitHub only:\nwith:\n  push-attestation: false"
    return ActionError(
        what=f"{done}, but attesting its SBOM failed while {_SBOM_STAGES[stage]}",
        why=why,
        fix=fix + ("" if stage == "referrer" else ", or publish without it:\nwith:\n  sbom: false"),
        docs="#sbom",
        details=cause.details,
    )


def attest_digest(
    inputs: PublishInputs, digest: str, manifest: registry.Manifest, *, token: str = ""
) -> dict[str, str]:
    """Sign SLSA provenance for the digest, store it with GitHub, push it to the registry as a referrer.

    The image is already published: a failure says so, names the part that failed and how to attest again.
    """
    subject = provenance.subject_name(inputs.image)
    instance = inputs.attest_instance or attest.SIGSTORE_PUBLIC_GOOD
    gha.info(f"Attesting {subject}@{digest} (SLSA provenance, signed with {instance.label})")
    try:
        signed = attest.sign(subject, digest, inputs.server_url, instance, token=token)
    except ActionError as error:
        raise attestation_failed(inputs, digest, "sign", error) from None
    bundle_path = gha.temp_dir() / f"attestation-{digest.replace(':', '-')}.sigstore.json"
    bundle_path.write_text(signed.bundle)
    try:
        attestation_id, attestation_url = attest.store(
            inputs.api_url, inputs.github_token, inputs.github_repository, signed.bundle, inputs.server_url
        )
    except ActionError as error:
        raise attestation_failed(inputs, digest, "store", error, bundle_path=bundle_path) from None
    referrer = ""
    if inputs.push_attestation:
        client = registry.Registry(inputs.registry, insecure=inputs.insecure, credentials=registry_credentials(inputs))
        try:
            referrer = attest.push_referrer(client, inputs.repository, manifest, attest.registry_bytes(signed.bundle))
        except ActionError as error:
            raise attestation_failed(inputs, digest, "referrer", error, stored=attestation_url) from None
    records: list[str] = []
    if inputs.push_attestation and inputs.create_storage_record:
        try:
            records = attest.create_storage_record(
                inputs.api_url, inputs.github_token, inputs.github_repository, subject, digest
            )
        except ActionError as error:  # as actions/attest: the attestation stands, the record is a warning
            gha.warning(f"{error.what}: {error.why}", title="publish: storage record")
    gha.summary(
        "### Attestation\n\n| subject | digest | attestation | bundle in registry |\n|---|---|---|---|\n"
        f"| `{subject}` | `{digest}` | {attestation_url} | {f'`{referrer}`' if referrer else 'not pushed'} |\n"
    )
    return {
        "attestation-id": attestation_id,
        "attestation-url": attestation_url,
        "bundle-path": str(bundle_path),
        "attestation-digest": referrer,
        "storage-record-ids": ",".join(records),
    }


_STAGES = {
    "sign": "signing the provenance with Sigstore",
    "store": "storing the attestation with GitHub's attestations API",
    "referrer": "pushing the attestation to the registry as a referrer of the image",
}
_DENIED = re.compile(r"denied access \(HTTP (\d{3})\)")


def attestation_failed(
    inputs: PublishInputs,
    digest: str,
    stage: str,
    cause: ActionError,
    *,
    stored: str = "",
    bundle_path: Path | None = None,
) -> ActionError:
    """The image is published at ``digest``; attesting it failed at ``stage`` (sign, store or referrer)."""
    published = f"{inputs.image}@{digest} is published (outputs digest, image, image-ref and tags are set)"
    why = f"{cause.what}: {cause.why}"
    if bundle_path is not None:
        why += f" The signed bundle was kept at {bundle_path}."
    fix = (
        f"{cause.fix}\n"
        "Then attest the published digest without publishing again, in a step after this one:\n"
        "- uses: actions/attest-build-provenance@v3\n  with:\n"
        f"    subject-name: {provenance.subject_name(inputs.image)}\n"
        "    subject-digest: ${{ steps.publish.outputs.digest }}\n"
        "    push-to-registry: true"
    )
    if stage == "referrer":
        denied = _DENIED.search(cause.what)
        if denied:
            why = (
                f"{inputs.registry} refused the attestation's referrer manifest (HTTP {denied[1]}), although the "
                "same credentials pushed the image moments ago: this registry or token does not accept an OCI "
                "artifact that refers to an image (a manifest with a subject and an artifactType)."
            )
        if stored:
            why += f" The attestation itself is stored with GitHub: {stored}."
        fix = (
            "The attestation is stored with GitHub (gh attestation verify finds it there); keep it there only:\n"
            "with:\n  push-attestation: false"
        )
    return ActionError(
        what=f"{published}, but attesting it failed while {_STAGES[stage]}",
        why=why,
        fix=fix,
        docs="#attestations",
        details=cause.details,
    )
