"""publish: push the component once, point every tag at that one digest."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import attest, gha, paths, provenance, registry, tags, wash
from ..errors import ActionError

GITHUB_REGISTRIES = ("ghcr.io",)
COMPONENT_PREAMBLE = b"\0asm\x0d\x00\x01\x00"
CORE_PREAMBLE = b"\0asm\x01\x00\x00\x00"
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:]+\])(?::(\d{{1,5}}))?$")
IMMUTABLE_MODES = ("releases", "all", "none")
UNKNOWN = "?"


@dataclass(frozen=True)
class PublishInputs:
    component: Path
    registry: str
    repository: str
    tags: tuple[str, ...]
    credentials: registry.Credentials | None
    insecure: bool
    wash_path: str
    push: bool = True
    tag_warnings: tuple[str, ...] = ()
    attest: bool = False
    attest_notice: str = ""
    attest_instance: attest.Instance | None = None
    push_attestation: bool = True
    create_storage_record: bool = True
    api_url: str = ""
    github_token: str = ""
    server_url: str = ""
    github_repository: str = ""
    immutable: str = "releases"  # which tags are never moved once they exist: releases (X.Y.Z), all, none

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
        username = inputs.get("username")
        password = inputs.secret("password")
        if not username and not password and host in GITHUB_REGISTRIES:
            username = gha.env("WASHACTIONS_GITHUB_ACTOR")
            password = gha.env("WASHACTIONS_GITHUB_TOKEN")
        if bool(username) != bool(password):
            missing = "password" if username else "username"
            raise ActionError(
                what=f"Input '{missing}' is missing",
                why="Registry credentials need both a username and a password (or token).",
                fix="with:\n  username: ${{ github.actor }}\n  password: ${{ secrets.REGISTRY_TOKEN }}",
                docs="#publish",
            )
        creds = registry.Credentials(username, password) if username else None
        explicit = inputs.list("tags") or inputs.list("image_tags")
        plan = tags.resolve_tags(explicit, git_context())
        push = inputs.bool("push", default=True)
        immutable = (inputs.get("immutable-tags") or "releases").lower()
        if immutable not in IMMUTABLE_MODES:
            raise ActionError(
                what=f"Input 'immutable-tags' must be releases, all or none, not {immutable!r}",
                why="It says which existing tags publish never moves: releases (X.Y.Z / vX.Y.Z, the "
                "default), all, or none.",
                fix="with:\n  immutable-tags: releases",
                docs="#immutable-tags",
            )
        mode = attest_mode(inputs.get("attest"), inputs.get("attestation"))
        decision = attest.decide(
            mode,
            push=push,
            oidc_url=gha.env("ACTIONS_ID_TOKEN_REQUEST_URL"),
            server_url=gha.env("GITHUB_SERVER_URL"),
            event_name=gha.env("GITHUB_EVENT_NAME"),
            event=event_payload(),
        )
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
        )


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
    """A relative 'component-path' stays inside the workspace (no ``..`` or symbolic link out of it); an
    absolute one (build's component-path output) is taken as the workflow wrote it."""
    if Path(raw).is_absolute() or paths.is_inside(workspace / raw, workspace):
        return (workspace / raw).resolve()
    raise ActionError(
        what=f"component-path {raw!r} is outside the workspace",
        why=f"A relative component-path is a file of the checked-out repository: "
        f"{paths.escape_reason(Path(raw), workspace)}.",
        fix="Pass build's output:\nwith:\n  component-path: ${{ steps.build.outputs.component-path }}",
        docs="#publish",
    )


def check_registry(value: str) -> str:
    host = value.strip().rstrip("/")
    userinfo = host.split("://")[-1].split("/")[0]
    if "@" in userinfo:
        bare = userinfo.rsplit("@", 1)[1]
        raise ActionError(
            what=f"registry must not carry credentials (it was given as <credentials>@{bare})",
            why="Credentials in the registry name end up in logs and URLs; they go in 'username' and "
            "'password', from secrets.",
            fix=f"with:\n  registry: {bare}\n  username: ${{{{ github.actor }}}}\n"
            "  password: ${{ secrets.REGISTRY_TOKEN }}",
            docs="#publish",
        )
    if "://" in host:
        scheme, _, rest = host.partition("://")
        raise ActionError(
            what=f"registry {value!r} must not include a scheme",
            why="'registry' is a host name with an optional port; the scheme follows from 'insecure'.",
            fix=f"with:\n  registry: {rest.split('/')[0]}" + ("\n  insecure: true" if scheme == "http" else ""),
            docs="#publish",
        )
    match = _HOST.match(host)
    if not match or (match.group(1) and not 0 < int(match.group(1)) < 65536):
        raise ActionError(
            what=f"registry {value!r} is not a registry host",
            why="'registry' is a host name with an optional port, e.g. ghcr.io or localhost:5000; "
            "the path within it goes in 'repository'.",
            fix="with:\n  registry: ghcr.io\n  repository: my-org/my-component",
            docs="#publish",
        )
    return host


def check_repository(value: str, github_repository: str) -> str:
    if not value:
        if not github_repository:
            raise ActionError(
                what="Input 'repository' is required outside GitHub Actions",
                why="It defaults to github.repository, which this environment does not set.",
                fix="with:\n  repository: my-org/my-component",
                docs="#publish",
            )
        return repository_from_github(github_repository)
    if value != value.lower() and _REPOSITORY.match(value.lower()):
        raise ActionError(
            what=f"repository {value!r} has upper-case letters",
            why="OCI repository names are lower-case only.",
            fix=f"with:\n  repository: {value.lower()}",
            docs="#publish",
        )
    if not _REPOSITORY.match(value):
        raise ActionError(
            what=f"repository {value!r} is not a valid OCI repository name",
            why="Repository names are lower-case path components of letters and digits separated by "
            "'.', '_', '__' or '-', joined by '/', with no tag or digest.",
            fix="with:\n  repository: my-org/my-component\n  tags: v1.0.0",
            docs="#publish",
        )
    return value


def repository_from_github(github_repository: str) -> str:
    """``github.repository`` made a valid OCI name: GitHub allows names such as ``.github`` or ``x_``."""
    parts = []
    for part in github_repository.lower().split("/"):
        cleaned = re.sub(r"[^a-z0-9._-]+", "-", part)
        cleaned = re.sub(r"[._-]{2,}", lambda m: "__" if m.group(0) == "__" else "-", cleaned)
        cleaned = cleaned.strip("._-")
        if cleaned:
            parts.append(cleaned)
    name = "/".join(parts)
    if not _REPOSITORY.match(name):
        raise ActionError(
            what=f"No valid OCI repository name can be made from {github_repository!r}",
            why="OCI repository names are lower-case letters and digits with single separators.",
            fix="with:\n  repository: my-org/my-component",
            docs="#publish",
        )
    return name


def attest_mode(attest_input: str, alias: str) -> str:
    """true, false or auto: ``attest`` when set, else its wasmCloud/actions alias ``attestation``, else auto.

    action.yml gives ``attest`` no default so that an alias set by the workflow is not hidden by one.
    """
    given = {name: value.strip().lower() for name, value in (("attest", attest_input), ("attestation", alias)) if value}
    for name, value in given.items():
        if value not in ("true", "false", "auto"):
            raise ActionError(
                what=f"Input '{name}' must be true, false or auto, not {value!r}",
                why="auto attests when the job can sign (permissions: id-token: write).",
                fix=f"with:\n  {name}: auto",
                docs="#attestations",
            )
    if len(set(given.values())) > 1:
        raise ActionError(
            what=f"Inputs 'attest' ({given['attest']}) and 'attestation' ({given['attestation']}) disagree",
            why="'attestation' is an alias of 'attest' for users of wasmCloud/actions; set one of them.",
            fix=f"with:\n  attest: {given['attestation']}",
            docs="#attestations",
        )
    return next(iter(given.values()), "auto")


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


def push_error(message: str, inputs: PublishInputs, tail: str) -> ActionError:
    lowered = message.lower()
    if "connect" in lowered or "dns" in lowered or "invalidcontenttype" in lowered:
        return ActionError(
            what=f"Registry {inputs.registry} is unreachable",
            why=message.splitlines()[-1].strip() if message else "wash could not connect.",
            fix="Check 'registry' (host[:port]); a plain-HTTP registry on loopback needs\nwith:\n  insecure: true",
            docs="#publish",
            details=tail,
        )
    refused = _AUTH_STATUS.search(message)
    if refused or "unauthorized" in lowered or "denied" in lowered:
        status = int(next(g for g in refused.groups() if g)) if refused else 401
        return registry.denied(inputs.registry, status, f"repository:{inputs.repository}:push")
    return ActionError(
        what=f"wash oci push to {inputs.image} failed",
        why=message or "wash gave no reason.",
        fix="Read wash's message above; check 'registry', 'repository' and the credentials.",
        docs="#publish",
        details=tail,
    )


PUSH_ATTEMPTS = 3
_TRANSIENT = re.compile(
    r"code: (5\d\d|429)|\b(5\d\d|429) (Service Unavailable|Bad Gateway|Gateway Timeout|Internal Server Error|"
    r"Too Many Requests)|connection (reset|closed|aborted)|broken pipe|timed out|IncompleteMessage|"
    r"unexpected end of file|error decoding response body",
    re.IGNORECASE,
)
_sleep = time.sleep
# an HTTP status as wash reports it ("code: 401"); a bare "401" could be part of a digest or an upload id
_AUTH_STATUS = re.compile(r"code: (401|403)\b|\b(401|403) (?:Unauthorized|Forbidden)\b")


def transient(message: str) -> bool:
    """A push failure worth retrying: 5xx, 429, a dropped connection or a timeout (never 401/403/404)."""
    return bool(_TRANSIENT.search(message)) and not re.search(r"code: (401|403|404)\b", message)


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
            raise push_error(message, inputs, result.tail())
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
    return [tag for n, tag in enumerate(inputs.tags) if n == 0 or immutable(tag, inputs.immutable)]


def read_during_push(read: Future[str]) -> str:
    """The previous digest of a tag read while wash pushed ("" when unknown): it is only reported when
    moved, so a failed read is not an error here (tagging and the read-back after it stop on a registry
    that keeps failing)."""
    try:
        found = read.result()
    except ActionError:
        return ""
    return "" if found == UNKNOWN else found


def immutable(tag: str, mode: str) -> bool:
    """Whether 'immutable-tags' keeps this tag where it is once it exists."""
    return mode == "all" or (mode == "releases" and tags.is_release(tag))


def check_immutable(previous: dict[str, str], inputs: PublishInputs) -> None:
    """Refuse, before anything is pushed, to move an immutable tag that already exists."""
    taken = {tag: old for tag, old in previous.items() if old and immutable(tag, inputs.immutable)}
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
    if not inputs.push:
        annotations = expected_annotations(inputs.component)
        gha.info("push: false — computed tags and annotations; the registry was not contacted.")
        for ref in refs:
            gha.info(f"  would publish {ref}")
        summarize(refs, "", annotations, dry_run=True)
        return {
            "digest": "",
            "image": inputs.image,
            "image-ref": "",
            "tags": json.dumps(refs),
            "annotations": json.dumps(annotations),
            "all_digests": "",
        }
    binary = wash.locate(inputs.wash_path)
    preload = preload_sigstore() if inputs.attest else None
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
    }
    # published: these outputs hold whatever happens to the attestation below
    gha.set_outputs(outputs)
    if inputs.attest_notice:
        gha.notice(inputs.attest_notice, title="publish: attestation")
    if inputs.attest:
        if preload is not None:
            preload.join()
        return attest_digest(inputs, digest, manifest)
    return {
        "attestation-id": "",
        "attestation-url": "",
        "bundle-path": "",
        "attestation-digest": "",
        "storage-record-ids": "",
    }


def preload_sigstore() -> threading.Thread:
    """Install (first use) and import sigstore while wash pushes: signing needs it right after the push."""

    def load() -> None:
        try:
            from .. import extras

            extras.ensure_sigstore()
            import sigstore.dsse
            import sigstore.models
            import sigstore.oidc
            import sigstore.sign  # noqa: F401
        except Exception:  # noqa: S110 - signing repeats this and reports any failure properly
            pass

    thread = threading.Thread(target=load, name="preload-sigstore", daemon=True)
    thread.start()
    return thread


def attest_digest(inputs: PublishInputs, digest: str, manifest: registry.Manifest) -> dict[str, str]:
    """Sign SLSA provenance for the digest, store it with GitHub, push it to the registry as a referrer.

    The image is already published: a failure says so, names the part that failed and how to attest again.
    """
    subject = provenance.subject_name(inputs.image)
    instance = inputs.attest_instance or attest.SIGSTORE_PUBLIC_GOOD
    gha.info(f"Attesting {subject}@{digest} (SLSA provenance, signed with {instance.label})")
    try:
        signed = attest.sign(subject, digest, inputs.server_url, instance)
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
