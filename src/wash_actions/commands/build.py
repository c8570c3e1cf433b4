"""build: run ``wash build -o json`` and report the component it built."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from ..oci import registry
from ..oci.names import check_registry, check_repository
from ..reuse import source_key
from ..runner import gha, paths, transport
from ..toolchain import wash
from ..toolchain.install import sha256_file
from ..trust import attest_decision

CONFIG = Path(".wash") / "config.yaml"
EXPORTED_BY_SETUP = frozenset({"WASH_HOST_PLUGINS"})  # setup-wash's plugins, set on purpose
_WASH_ENV_NAME = re.compile(r"^WASH_[A-Za-z0-9_.]+$")  # wash maps WASH_BUILD.COMMAND to build.command


class BuildInputs(NamedTuple):
    project: Path
    skip_fetch: bool
    wash_path: str
    args: tuple[str, ...] = ()
    metadata: bool = True
    wash_env: tuple[tuple[str, str], ...] = ()
    workspace: Path | None = None  # the project and the component it writes must stay inside it
    reuse: bool = True  # compute the source key (and hand it to publish)
    inputs: tuple[str, ...] = ()  # globs of the workspace files the build reads besides the project directory
    revision: str = "source"  # source: the last commit that changed the source; job-commit: GITHUB_SHA
    reuse_from: ReuseFrom | None = None  # where publish publishes: a hit there skips the build

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> BuildInputs:
        workdir = inputs.get("working-directory", ".")
        workspace = gha.workspace()
        check_working_directory(workdir, workspace)
        return cls(
            workspace=workspace.resolve(),
            project=(workspace / workdir).resolve(),
            skip_fetch=inputs.bool("skip-fetch"),
            wash_path=inputs.get("wash-path"),
            args=parse_args(inputs.get("args")),
            metadata=inputs.bool("metadata", default=True),
            wash_env=parse_wash_env(inputs.get("wash-env")),
            reuse=inputs.bool("reuse", default=True),
            inputs=source_key.check_globs(inputs.get("inputs").splitlines()),
            revision=parse_revision(inputs.get("revision")),
            reuse_from=ReuseFrom.from_env(inputs),
        )


class ReuseFrom(NamedTuple):
    """The registry and repository publish publishes to, and how to read it (publish's own inputs)."""

    host: str
    repository: str
    insecure: bool
    credentials: registry.Credentials | None
    attest: bool  # publish will attest: only a digest with this repository's verified provenance is pulled
    api_url: str = ""
    token: str = ""

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> ReuseFrom | None:
        raw = inputs.get("reuse-from").strip()
        if not raw or not inputs.bool("reuse", default=True):
            return None
        if raw.lower() == "true":
            host, repository = inputs.get("registry", "ghcr.io").strip(), inputs.get("repository").strip()
        else:
            host, _, repository = raw.partition("/")
        if not host:
            raise ActionError(
                what=f"Input 'reuse-from' is {raw[:80]!r}, not <registry>/<repository>",
                why="reuse-from names where publish publishes, so that build can pull the component published "
                "for the same source instead of building it.",
                fix="with:\n  reuse-from: ghcr.io/${{ github.repository }}",
                docs="#same-source-same-digest",
            )
        host = check_registry(host)
        repository = check_repository(repository, gha.env("GITHUB_REPOSITORY"))
        insecure = inputs.bool("insecure") and transport.is_loopback(host)
        creds = registry.input_credentials(
            host,
            inputs.get("username"),
            inputs.secret("password"),
            job_actor=gha.env("WASHACTIONS_GITHUB_ACTOR"),
            job_token=gha.env("WASHACTIONS_GITHUB_TOKEN"),
        )
        decision = attest_decision.decide_in_job(
            attest_decision.attest_mode(inputs.get("attest"), ""), push=True, env=os.environ, event=gha.event_payload()
        )
        return cls(
            host,
            repository,
            insecure,
            creds or registry.docker_config_credentials(gha.docker_config_dir(), host),
            decision.enabled,
            gha.env("GITHUB_API_URL", "https://api.github.com"),
            gha.env("WASHACTIONS_GITHUB_TOKEN"),
        )


REVISIONS = ("source", "job-commit")


def parse_revision(raw: str) -> str:
    """``revision``: ``source`` (default: the last commit that changed what the build reads) or ``job-commit``."""
    value = raw.strip().lower() or "source"
    if value in REVISIONS:
        return value
    raise ActionError(
        what=f"Input 'revision' is {raw.strip()[:40]!r}, not source or job-commit",
        why="revision chooses the commit a component names (its revision metadata and created time): the last "
        "commit that changed its source, or the job's commit.",
        fix="with:\n  revision: source      # unchanged components keep their bytes (default)\n"
        "or\nwith:\n  revision: job-commit  # every commit names itself",
        docs="#same-source-same-digest",
    )


def parse_wash_env(raw: str) -> tuple[tuple[str, str], ...]:
    """``WASH_*`` overrides the user passes on purpose, one ``NAME=value`` per line."""
    pairs: list[tuple[str, str]] = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.strip().partition("=")
        if not sep or not _WASH_ENV_NAME.match(name):
            raise ActionError(
                what=f"Input 'wash-env' has a line that is not WASH_NAME=value: {line.strip()!r}",
                why="'wash-env' passes wash config overrides (WASH_* variables) to wash build, one per line.",
                fix="with:\n  wash-env: |\n    WASH_BUILD.COMMAND=make component",
                docs="#build",
            )
        pairs.append((name, value))
    return tuple(pairs)


def parse_args(raw: str) -> tuple[str, ...]:
    """Extra ``wash build`` arguments, split like a shell would (no shell runs them)."""
    try:
        args = tuple(shlex.split(raw))
    except ValueError as exc:
        raise ActionError(
            what=f"Input 'args' cannot be split into arguments: {exc}",
            why="'args' is split like a shell command line; a quote is not closed.",
            fix="with:\n  args: --skip-fetch",
            docs="#build",
        ) from None
    taken = {"-o", "--output", "-C"} & {a.split("=")[0] for a in args}
    if taken:
        raise ActionError(
            what=f"Input 'args' sets {', '.join(sorted(taken))}, which the action controls",
            why="The action runs wash with -o json in 'working-directory' to read its result.",
            fix="Remove them from 'args'; use 'working-directory' for the project:\n"
            "with:\n  working-directory: path/to/component",
            docs="#build",
        )
    return args


def check_working_directory(workdir: str, workspace: Path) -> None:
    """'working-directory' must name a directory inside the workspace, also after symbolic links."""
    if paths.is_inside(workspace / workdir, workspace):
        return
    raise ActionError(
        what=f"working-directory {workdir!r} is outside the workspace",
        why=f"The build runs only in the checked-out repository: {paths.escape_reason(Path(workdir), workspace)}.",
        fix="Give a path inside the repository, relative to its root:\nwith:\n  working-directory: path/to/component",
        docs="#build",
    )


def check_component_path(component: Path, project: Path, workspace: Path) -> None:
    """The component wash reports (build.component_path) must be a file the project owns: inside the
    workspace once every symbolic link is resolved. The build writes metadata into it."""
    if paths.is_inside(component, workspace):
        return
    raise ActionError(
        what=f"build.component_path points outside the workspace: {component}",
        why="The component must be a file the build wrote inside the repository; "
        f"{paths.escape_reason(component, workspace)}. The action embeds metadata into that file, "
        "so it refuses to touch it.",
        fix=f"In {project / CONFIG}, make build.component_path a relative path inside the repository:\n"
        "build:\n  component_path: build/my_component.wasm",
        docs="#build",
    )


def check_project(project: Path) -> None:
    if not project.is_dir():
        raise ActionError(
            what=f"working-directory {project} does not exist",
            why="The build runs in the directory that holds the wash project (.wash/config.yaml).",
            fix="Check out the repository first and point at the project:\n"
            "- uses: actions/checkout@v4\n- uses: OWNER/wash-actions/actions/build@v1\n"
            "  with:\n    working-directory: path/to/component",
            docs="#build",
        )
    if not (project / CONFIG).is_file():
        raise ActionError(
            what=f"{project} is not a wash project: {CONFIG} is missing",
            why="wash 2.x builds only from .wash/config.yaml with build.command and "
            "build.component_path; it does not detect the language.",
            fix=f"Add {CONFIG} to the project, e.g.\nbuild:\n  command: cargo build --release "
            "--target wasm32-wasip2\n  component_path: target/wasm32-wasip2/release/my_component.wasm",
            docs="#build",
        )


def child_env(wash_env: tuple[tuple[str, str], ...] = ()) -> tuple[dict[str, str], list[str]]:
    """The environment for wash build, and the ``WASH_*`` names it leaves out.

    wash reads every ``WASH_*`` variable as an override of .wash/config.yaml, and matches the prefix and
    the names in any case (``wash_build.command`` works too). A job-level ``env:`` meant for something
    else would silently rewrite the build, so only the overrides given in the 'wash-env' input reach
    wash. This action's own inputs never do.
    """
    env: dict[str, str] = {}
    dropped: list[str] = []
    for key, value in os.environ.items():
        if key.startswith(gha.INPUT_PREFIX):
            continue
        if key.upper().startswith("WASH_") and key not in EXPORTED_BY_SETUP:
            dropped.append(key)
            continue
        env[key] = value
    env.update(dict(wash_env))
    return env, sorted(dropped)


# wash 2.10.4 offline, a world importing wasi:cli/environment@0.2.3 and no wit/deps:
# "package: wasi:cli\n\nCaused by:\n    0: registry error: wasi/cli: error sending request for url
# (https://wasi.dev/v2/): client error (Connect): dns error: …" (tests/unit/test_build_errors.py keeps it whole).
_FETCH_FAILED = re.compile(r"registry error|error sending request for url|failed to (?:fetch|resolve) package", re.I)
_FETCH_PACKAGE = re.compile(r"^package: ([\w.-]+:[\w.-]+)", re.M)
GENERIC_FIX = (
    "Fix the build error shown above (the full output is in the job summary); "
    "run `wash build` in the project locally to reproduce."
)


def failure_fix(message: str) -> str:
    """The fix line for a failed build: the skip-fetch input when wash could not fetch WIT dependencies."""
    if not _FETCH_FAILED.search(message):
        return GENERIC_FIX
    found = _FETCH_PACKAGE.search(message)
    package = f" ({found.group(1)})" if found else ""
    return (
        f"wash could not fetch the WIT dependencies{package} from their registry (offline runner, blocked "
        "network or registry). Vendor them once with `wkg wit fetch` in the project, commit wit/deps (and "
        "wkg.lock), then build without fetching:\nwith:\n  skip-fetch: true"
    )


def run(inputs: BuildInputs) -> dict[str, str]:
    check_project(inputs.project)
    binary = wash.locate(inputs.wash_path)
    args = ["build", *(["--skip-fetch"] if inputs.skip_fetch else []), *inputs.args]
    env, dropped = child_env(inputs.wash_env)
    if dropped:
        gha.warning(
            f"Not passed to wash build: {', '.join(dropped)}. wash reads WASH_* variables as config "
            "overrides; pass the ones you mean through the 'wash-env' input.",
            title="build: WASH_* variables ignored",
        )
    source = source_of(inputs, binary)
    if isinstance(source, source_key.SourceKey) and inputs.reuse_from is not None:
        pulled = pull_reused(inputs, inputs.reuse_from, source, binary, env)
        if pulled is not None:
            return pulled
    gha.group_start(f"wash {' '.join(args)} ({inputs.project})")
    try:
        result = wash.run(binary, args, cwd=inputs.project, env=env, echo=True)
    finally:
        gha.group_end()
    envelope = result.envelope
    if envelope is None:
        raise ActionError(
            what="wash build printed no JSON result",
            why=f"wash exited with code {result.returncode} without its "
            '{"message","success","data"} envelope; it may have stopped before parsing its config '
            "(exit code 2 is a usage error).",
            fix="Read the last lines below; run `wash build -o json` locally in the project to reproduce.",
            docs="#build",
            details=result.output(),
        )
    if not envelope.success or result.returncode != 0:
        first = envelope.message.splitlines()[0] if envelope.message else "no message"
        last_lines = result.tail(10)
        raise ActionError(
            what=f"wash build failed: {first}",
            why=(envelope.message or f"wash exited with code {result.returncode}.")
            + (f"\nLast lines of the build output:\n{last_lines}" if last_lines else ""),
            fix=failure_fix(envelope.message),
            docs="#build",
            details=result.output(),
        )
    data = envelope.data if isinstance(envelope.data, dict) else {}
    project = Path(str(data.get("project_path") or inputs.project))
    component = Path(str(data.get("component_path") or ""))
    if not component.is_absolute():
        component = project / component
    check_component_path(component, project, inputs.workspace or project)
    if not data.get("component_path") or not component.is_file():
        raise ActionError(
            what=f"wash build reported success but the component {component} does not exist",
            why="build.component_path in .wash/config.yaml does not match where build.command writes the component.",
            fix="Make build.component_path the file your build command writes.",
            docs="#build",
        )
    inspected = _background(lambda: inspect_wit(binary, component, env))  # the world ignores custom sections
    commit, seconds = source_commit(inputs, source)
    wasm = component.read_bytes()  # read once: metadata, sha256 and size come from these bytes
    added: dict[str, str] = {}
    if inputs.metadata:
        added, wasm = embed_metadata(component, project, commit, wasm)
    sha256 = hashlib.sha256(wasm).hexdigest()
    key = ""
    if isinstance(source, source_key.SourceKey):
        key = source.key
        source_key.write_handoff(gha.temp_dir(), component, source_key.Handoff(key, sha256, commit, seconds))
    else:
        source_key.handoff_path(gha.temp_dir(), component).unlink(missing_ok=True)  # an earlier build's
    size = len(wasm)
    wit = inspected()
    imports, exports = count_world_items(wit)
    embedded = ", ".join(f"{k}" for k in added) or ("none needed" if inputs.metadata else "off")
    gha.summary(
        "### Component built\n\n| component | size | sha256 | imports | exports | metadata embedded |\n"
        "|---|---|---|---|---|---|\n"
        f"| `{_relative(component)}` | {size:,} bytes | `{sha256}` | {imports} | {exports} | {embedded} |\n"
    )
    return {
        "component-path": str(component),
        "component_path": str(component),
        "component-path-relative": _relative(component),
        "project-path": str(project),
        "component-sha256": sha256,
        "component-size": str(size),
        "wit": wit,
        "json": json.dumps(data),
        "metadata": json.dumps(added),
        "source-key": key,
        "source-commit": commit,
        "reused": "false",
    }


def pull_reused(
    inputs: BuildInputs, target: ReuseFrom, source: source_key.SourceKey, binary: str, env: dict[str, str]
) -> dict[str, str] | None:
    """On a hit for the source key in ``target``, write the component published for it where the build would
    have (its layer, checked against its digest) and return build's outputs; None: build as usual (with one
    warning when something was found but not taken)."""
    from ..reuse import published as reuse

    image = f"{target.host}/{target.repository}"
    client = registry.Registry(target.host, insecure=target.insecure, credentials=target.credentials)
    outcome = reuse.Lookup(client, target.repository, source.key).result()
    hit = outcome.hit
    why = outcome.warning
    if hit is not None and target.attest:
        verified = reuse.provenance(
            client,
            target.repository,
            hit.digest,
            github_repository=gha.env("GITHUB_REPOSITORY"),
            server_url=gha.env("GITHUB_SERVER_URL", "https://github.com"),
            api_url=target.api_url,
            token=target.token,
        )
        if isinstance(verified, str):
            why, hit = f"{image}@{hit.digest} was published for the same source, but {verified}", None
        else:
            gha.info(f"Verified: {verified[0]}")
    if hit is None:
        if why:
            gha.warning(f"Not reusing an earlier build: {why}. Building.", title="build: reuse")
        return None
    component = configured_component(binary, inputs.project, env)
    if component is None:
        gha.warning("wash config show did not name build.component_path; building.", title="build: reuse")
        return None
    check_component_path(component, inputs.project, inputs.workspace or inputs.project)
    wasm = reuse.pull_layer(client, target.repository, hit)
    if isinstance(wasm, str):
        gha.warning(f"Not reusing an earlier build: {wasm}. Building.", title="build: reuse")
        return None
    component.parent.mkdir(parents=True, exist_ok=True)
    component.write_bytes(wasm)
    sha256 = sha256_file(component)
    built = f"the build of {hit.commit[:12]}" if hit.commit else "an earlier build"
    gha.notice(
        f"Skipped the build: pulled {image}@{hit.digest}, {built} (same source, source key {source.key}); "
        f"layer {hit.layer_digest} checked.",
        title="build: reused",
    )
    source_key.write_handoff(
        gha.temp_dir(), component, source_key.Handoff(source.key, sha256, hit.commit, 0, reused=True)
    )
    wit = inspect_wit(binary, component, env)
    imports, exports = count_world_items(wit)
    gha.summary(
        f"### Component reused (same source as {built})\n\n| component | size | sha256 | imports | exports | from |\n"
        "|---|---|---|---|---|---|\n"
        f"| `{_relative(component)}` | {len(wasm):,} bytes | `{sha256}` | {imports} | {exports} | "
        f"`{image}@{hit.digest}` |\n"
    )
    return {
        "component-path": str(component),
        "component_path": str(component),
        "component-path-relative": _relative(component),
        "project-path": str(inputs.project),
        "component-sha256": sha256,
        "component-size": str(len(wasm)),
        "wit": wit,
        "json": json.dumps({"component_path": str(component), "project_path": str(inputs.project)}),
        "metadata": json.dumps({}),
        "source-key": source.key,
        "source-commit": hit.commit,
        "reused": "true",
    }


def configured_component(binary: str, project: Path, env: dict[str, str]) -> Path | None:
    """Where ``wash build`` writes the component: build.component_path of ``wash config show`` (the project's
    config with the WASH_* overrides), absolute."""
    result = wash.run(binary, ["config", "show"], cwd=project, env=env)
    data = result.envelope.data if result.envelope and isinstance(result.envelope.data, dict) else {}
    build = data.get("build")
    raw = build.get("component_path") if isinstance(build, dict) else None
    if not isinstance(raw, str) or not raw:
        return None
    path = Path(raw)
    return path if path.is_absolute() else project / path


def source_of(inputs: BuildInputs, binary: str) -> source_key.SourceKey | source_key.Unkeyed:
    """The project's source key, or why it has none (said once, as a notice: nothing is reused for it)."""
    if not inputs.reuse:
        return source_key.Unkeyed("reuse: false")
    settings = source_key.BuildSettings(
        wash_version=source_key.wash_version(binary),
        args=inputs.args,
        wash_env=inputs.wash_env,
        skip_fetch=inputs.skip_fetch,
        metadata=inputs.metadata,
        repository=f"{gha.env('GITHUB_SERVER_URL')}/{gha.env('GITHUB_REPOSITORY')}",
        job_commit=gha.env("GITHUB_SHA") if inputs.revision == "job-commit" else "",
    )
    found = source_key.compute(inputs.project, settings, inputs.inputs)
    if isinstance(found, source_key.Unkeyed):
        gha.notice(f"No source key: {found.reason}. This build will not be reused.", title="build: source key")
    else:
        gha.info(f"source key {found.key} ({', '.join(found.paths[:6])}{' …' if len(found.paths) > 6 else ''})")
    return found


def source_commit(inputs: BuildInputs, source: source_key.SourceKey | source_key.Unkeyed) -> tuple[str, int]:
    """The commit the component names (revision metadata, publish's created time) and its time (0: publish finds
    it): the last commit that changed the source, or the job's commit (revision: job-commit, a shallow clone)."""
    job = gha.env("GITHUB_SHA")
    if inputs.revision == "job-commit" or not isinstance(source, source_key.SourceKey):
        return job, 0
    change = source_key.last_change(source)
    if change is None:
        gha.info(
            "revision: the checkout is shallow, so the last commit that changed the source is unknown; the "
            "component names the job's commit (actions/checkout with fetch-depth: 0 gives the source's)."
        )
        return job, 0
    if change[0] != job:
        gha.info(f"revision: {change[0]}, the last commit that changed the source (the job's is {job or 'unset'})")
    return change


def _background(work: Callable[[], str]) -> Callable[[], str]:
    """Start ``work`` in a thread now; the returned function waits for its result (or raises its error)."""
    import threading

    box: list[str | BaseException] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed to the caller, who raises it in its own thread
            box.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def result() -> str:
        thread.join()
        outcome = box[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return result


def embed_metadata(
    component: Path, project: Path, commit: str = "", wasm: bytes | None = None
) -> tuple[dict[str, str], bytes]:
    """Fill the provenance sections the toolchain left empty (never overwrite one it set): those added, and the
    component's bytes as they are now (``wasm``: its bytes as read, to read it once)."""
    from ..component import metadata

    if wasm is None:
        wasm = component.read_bytes()
    try:
        existing = metadata.read_sections(wasm)
    except metadata.MalformedWasm as exc:
        raise ActionError(
            what=f"{component.name} is not a valid WebAssembly binary",
            why=f"Reading its sections failed: {exc}.",
            fix="Check build.command and build.component_path in .wash/config.yaml.",
            docs="#build",
        ) from None
    found = metadata.from_manifests(project)
    for warning in found.warnings:
        gha.warning(warning, title="build: metadata")
    git = metadata.from_git(gha.env("GITHUB_SERVER_URL"), gha.env("GITHUB_REPOSITORY"), commit or gha.env("GITHUB_SHA"))
    wanted = metadata.plan(existing, found.values, git)
    if not wanted:
        return {}, wasm
    added, wasm = metadata.embed(component, wanted, wasm=wasm, existing=existing)
    if added:
        gha.info("Embedded metadata: " + ", ".join(f"{k}={v}" for k, v in added.items()))
    return added, wasm


def inspect_wit(binary: str, component: Path, env: dict[str, str]) -> str:
    """The component's WIT world, from ``wash inspect -o json``."""
    result = wash.run(binary, ["inspect", str(component)], env=env)
    if result.envelope is None or not result.envelope.success:
        raise ActionError(
            what=f"wash inspect could not read {component.name}",
            why=(result.envelope.message if result.envelope else result.tail()) or "wash gave no reason.",
            fix="Make sure build.command writes a WebAssembly component (not a core module).",
            docs="#build",
        )
    data = result.envelope.data if isinstance(result.envelope.data, dict) else {}
    return str(data.get("wit") or "")


def count_world_items(wit: str) -> tuple[int, int]:
    """How many imports and exports the world declares (top-level items only)."""
    imports = exports = 0
    depth = 0
    for line in wit.splitlines():
        stripped = line.strip()
        if depth == 1:
            if stripped.startswith("import "):
                imports += 1
            elif stripped.startswith("export "):
                exports += 1
        depth += line.count("{") - line.count("}")
    return imports, exports


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(gha.workspace().resolve()))
    except ValueError:
        return str(path)
