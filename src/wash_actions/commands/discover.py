"""discover: find every wash project in the workspace and emit a job matrix for them.

A wash project is a directory with ``.wash/config.yaml``. The walk skips dependency and build output
directories (``node_modules``, ``target``, ``build``), ``.git`` and every other hidden directory, and
never follows symbolic links. ``include`` and ``exclude`` are glob lists matched against each project's
path relative to the workspace: ``*`` and ``?`` stay within one path segment, ``**`` spans any number of
segments, and a pattern that matches a parent directory matches every project below it.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import ActionError
from ..runner import gha

CONFIG = Path(".wash") / "config.yaml"
SKIPPED_DIRS = frozenset({"node_modules", "target", "build", ".git"})
DOCS = "#discover"


@dataclass(frozen=True)
class DiscoverInputs:
    workspace: Path
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    changed_only: bool = False  # changed: only — leave out projects whose source already has a published digest
    raw: gha.Inputs | None = None  # the rest is read only with changed: only (registry, credentials, tags)

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> DiscoverInputs:
        return cls(
            workspace=gha.workspace(),
            include=tuple(normalize_pattern(p, "include") for p in inputs.list("include")),
            exclude=tuple(normalize_pattern(p, "exclude") for p in inputs.list("exclude")),
            changed_only=parse_changed(inputs.get("changed")),
            raw=inputs,
        )


def parse_changed(raw: str) -> bool:
    """``changed``: ``all`` (default: every project) or ``only`` (the projects whose source changed)."""
    value = raw.strip().lower() or "all"
    if value in ("all", "only"):
        return value == "only"
    raise ActionError(
        what=f"Input 'changed' is {raw.strip()[:40]!r}, not all or only",
        why="changed: only leaves out the projects whose source key already has a published digest; all keeps "
        "every project.",
        fix="with:\n  changed: only",
        docs=DOCS,
    )


@dataclass(frozen=True)
class Project:
    name: str
    path: str  # relative to the workspace, POSIX separators; "." for the workspace itself

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path}


def normalize_pattern(raw: str, input_name: str) -> str:
    """A pattern as written in the workflow, made relative: ``./a/b/`` and ``/a/b`` become ``a/b``."""
    pattern = raw.strip().replace("\\", "/")
    if pattern.startswith("!"):
        other = "exclude" if input_name == "include" else "include"
        raise ActionError(
            what=f"Input '{input_name}' has a negated pattern {raw.strip()!r}",
            why="Patterns are plain globs; a leading '!' is not supported.",
            fix=f"List the pattern without '!' under '{other}' instead:\nwith:\n  {other}: {pattern[1:]}",
            docs=DOCS,
        )
    while pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = re.sub(r"/+", "/", pattern).strip("/")
    return pattern or "."


def _segment(segment: str) -> str:
    """One path segment of a glob as a regex: ``*`` and ``?`` never cross ``/``; ``[...]`` is a class."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = segment[i + 1 : end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A glob over relative POSIX paths; ``**`` as a whole segment matches zero or more segments."""
    segments = pattern.split("/")
    regex = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            regex += ".*" if last else "(?:[^/]+/)*"
        else:
            regex += _segment(segment) + ("" if last else "/")
    return re.compile(regex)


def matches(path: str, patterns: list[re.Pattern[str]]) -> bool:
    """True when a pattern matches the path or one of its parent directories."""
    candidates = [path]
    parts = PurePosixPath(path).parts
    candidates += ["/".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
    return any(p.fullmatch(c) for p in patterns for c in candidates)


def find_projects(root: Path) -> list[str]:
    """Relative POSIX paths of every directory under root that holds ``.wash/config.yaml``, sorted."""
    found: list[str] = []
    for directory, subdirs, _files in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS and not d.startswith("."))
        here = Path(directory)
        if (here / CONFIG).is_file():
            relative = here.relative_to(root).as_posix()
            found.append(relative or ".")
    return sorted(found, key=lambda p: (p != ".", p))


def select(paths: list[str], include: tuple[str, ...], exclude: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The paths that ``include`` (everything, when empty) keeps and ``exclude`` does not drop, and the
    include patterns that matched no project at all (likely typos)."""
    kept = paths
    unmatched: list[str] = []
    if include:
        compiled = {p: compile_pattern(p) for p in include}
        unmatched = [p for p, rx in compiled.items() if not any(matches(path, [rx]) for path in paths)]
        kept = [path for path in kept if matches(path, list(compiled.values()))]
    if exclude:
        dropped = [compile_pattern(p) for p in exclude]
        kept = [path for path in kept if not matches(path, dropped)]
    return kept, unmatched


def name_projects(paths: list[str], root_name: str) -> list[Project]:
    """Each project named by its directory's base name; base names shared by several projects are
    replaced by the whole path joined with ``-``, and any name still taken gets a ``-2``, ``-3`` suffix."""
    base = {p: (root_name if p == "." else PurePosixPath(p).name) for p in paths}
    shared = Counter(base.values())
    projects: list[Project] = []
    taken: set[str] = set()
    for path in paths:
        name = base[path] if shared[base[path]] == 1 or path == "." else path.replace("/", "-")
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}-{n}"
        taken.add(unique)
        projects.append(Project(unique, path))
    return projects


def matrix_json(projects: list[Project]) -> str:
    return json.dumps({"include": [p.as_dict() for p in projects]})


def none_found(workspace: Path) -> ActionError:
    return ActionError(
        what=f"No wash project found under {workspace}",
        why="discover looks for directories that contain .wash/config.yaml, skipping node_modules, target, "
        "build, .git and hidden directories. The repository may not be checked out, or no component has a "
        ".wash/config.yaml yet.",
        fix="Check out the repository before discover, and give each component a .wash/config.yaml:\n"
        "- uses: actions/checkout@v4\n  with:\n    persist-credentials: false\n"
        "- uses: OWNER/wash-actions/actions/discover@v1",
        docs=DOCS,
    )


def all_filtered(found: list[str], inputs: DiscoverInputs) -> ActionError:
    shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    given = "; ".join(
        f"{name}: {', '.join(values)}"
        for name, values in (("include", inputs.include), ("exclude", inputs.exclude))
        if values
    )
    example = next((p for p in found if p != "."), found[0])
    parent = PurePosixPath(example).parent.as_posix()
    pattern = f"{parent}/*" if parent != "." else example
    return ActionError(
        what=f"include/exclude left none of the {len(found)} wash projects found",
        why=f"Found {shown}; the patterns ({given}) matched none of them or excluded them all. Patterns are "
        "globs over paths relative to the workspace: '*' stays within one directory, '**' spans several.",
        fix=f"Match the paths discover found, e.g.\nwith:\n  include: {pattern}",
        docs=DOCS,
    )


@dataclass(frozen=True)
class ChangedPlan:
    """What changed: only needs: where each project is published and how its build is keyed and tagged."""

    registry: str
    prefix: str  # each project is <registry>/<prefix>/<name>, lower-cased (the reusable workflow's rule)
    insecure: bool
    username: str
    password: str
    attest: bool
    wash_path: str
    revision: str
    tags: tuple[str, ...]
    immutable: str

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> ChangedPlan:
        from ..oci import tags
        from ..oci.names import check_registry
        from ..trust import attest_decision
        from .build import parse_revision

        mode = attest_decision.attest_mode(inputs.get("attest"), "")
        decision = attest_decision.decide_in_job(mode, push=True, env=os.environ, event=gha.event_payload())
        return cls(
            registry=check_registry(inputs.get("registry", "ghcr.io")),
            prefix=(inputs.get("repository-prefix") or gha.env("GITHUB_REPOSITORY")).strip("/"),
            insecure=inputs.bool("insecure"),
            username=inputs.get("username"),
            password=inputs.secret("password"),
            attest=decision.enabled,
            wash_path=inputs.get("wash-path"),
            revision=parse_revision(inputs.get("revision")),
            tags=tuple(inputs.list("tags")),
            immutable=tags.immutable_mode(inputs.get("immutable-tags")),
        )


def tag_unchanged(plan: ChangedPlan, root: Path, projects: list[Project]) -> list[dict[str, str]]:
    """The projects whose source key already names a digest where they are published (verified, with
    attestations): their tags for this commit are pointed at that digest here, side by side, and they leave the
    matrix. Any doubt (no key, no hit, a lookup that fails, a refused tag) keeps a project in the matrix."""
    from ..oci import push, registry, tags
    from ..oci.names import check_repository
    from ..reuse import published, source_key
    from ..runner import transport
    from ..toolchain import wash
    from .publish import git_context

    binary = wash.locate(plan.wash_path)
    settings = source_key.BuildSettings(
        wash_version=source_key.wash_version(binary),
        repository=f"{gha.env('GITHUB_SERVER_URL')}/{gha.env('GITHUB_REPOSITORY')}",
        job_commit=gha.env("GITHUB_SHA") if plan.revision == "job-commit" else "",
    )
    creds = registry.input_credentials(
        plan.registry,
        plan.username,
        plan.password,
        job_actor=gha.env("WASHACTIONS_GITHUB_ACTOR"),
        job_token=gha.env("WASHACTIONS_GITHUB_TOKEN"),
    ) or registry.docker_config_credentials(gha.docker_config_dir(), plan.registry)
    client = registry.Registry(
        plan.registry, insecure=plan.insecure and transport.is_loopback(plan.registry), credentials=creds
    )
    tag_plan = tags.resolve_tags(list(plan.tags), git_context())

    def one(project: Project) -> dict[str, str] | str:
        key = source_key.compute(root / project.path, settings)
        if isinstance(key, source_key.Unkeyed):
            return f"no source key ({key.reason})"
        repository = check_repository(f"{plan.prefix}/{project.name}".lower(), "")
        image = f"{plan.registry}/{repository}"
        outcome = published.Lookup(client, repository, key.key).result()
        if outcome.hit is None:
            return outcome.warning or "changed"
        if plan.attest:
            verified = published.provenance(
                client,
                repository,
                outcome.hit.digest,
                github_repository=gha.env("GITHUB_REPOSITORY"),
                server_url=gha.env("GITHUB_SERVER_URL", "https://github.com"),
                api_url=gha.env("GITHUB_API_URL", "https://api.github.com"),
                token=gha.env("WASHACTIONS_GITHUB_TOKEN"),
            )
            if isinstance(verified, str):
                return f"{image}@{outcome.hit.digest} is not reused: {verified}"
        previous = push.TagReads(client, repository, tag_plan.tags).result()
        push.check_immutable(previous, image, outcome.hit.digest, plan.immutable)
        push.tag(client, repository, image, outcome.hit.manifest, previous)
        return {
            "name": project.name,
            "path": project.path,
            "outcome": "unchanged",
            "digest": outcome.hit.digest,
            "image-ref": f"{image}@{outcome.hit.digest}",
            "attestation-url": "",
            "sbom-attestation-url": "",
            "component-sha256": outcome.hit.layer_digest.removeprefix("sha256:"),
            "source-key": key.key,
            "reused": "true",
        }

    results = push.side_by_side(
        lambda path: one(next(p for p in projects if p.path == path)), [p.path for p in projects]
    )
    unchanged: list[dict[str, str]] = []
    for project, result in zip(projects, results, strict=True):
        if isinstance(result, dict):
            gha.info(f"{project.name}: unchanged source, tagged {result['image-ref']} (no build)")
            unchanged.append(result)
        elif isinstance(result, ActionError):
            gha.warning(f"{project.name} stays in the matrix: {result.what}", title="discover: changed")
        else:
            gha.info(f"{project.name}: {result}; it builds")
    return unchanged


def run(inputs: DiscoverInputs) -> dict[str, str]:
    root = inputs.workspace.resolve()
    if not root.is_dir():
        raise ActionError(
            what=f"The workspace {root} does not exist",
            why="discover searches the job's workspace (GITHUB_WORKSPACE) for wash projects.",
            fix="Check out the repository first:\n- uses: actions/checkout@v4\n  with:\n    persist-credentials: false",
            docs=DOCS,
        )
    found = find_projects(root)
    if not found:
        raise none_found(root)
    selected, unmatched = select(found, inputs.include, inputs.exclude)
    for pattern in unmatched:
        gha.warning(
            f"include pattern {pattern!r} matches none of the wash projects found ({', '.join(found[:5])}"
            f"{', …' if len(found) > 5 else ''}).",
            title="discover: include pattern matches nothing",
        )
    if not selected:
        raise all_filtered(found, inputs)
    projects = name_projects(selected, root.name or "root")
    unchanged: list[dict[str, str]] = []
    if inputs.changed_only and inputs.raw is not None:
        unchanged = tag_unchanged(ChangedPlan.from_env(inputs.raw), root, projects)
        done = {entry["path"] for entry in unchanged}
        projects = [p for p in projects if p.path not in done]
    rows = "".join(f"| {gha.code(p.name)} | {gha.code(p.path)} |\n" for p in projects)
    skipped = len(found) - len(selected)
    note = f"\n{skipped} more left out by include/exclude.\n" if skipped else ""
    if unchanged:
        note += (
            f"\n{len(unchanged)} unchanged (same source, tags added to their published digest): "
            + ", ".join(gha.code(entry["name"]) for entry in unchanged)
            + ".\n"
        )
    gha.summary(f"### wash projects ({len(projects)})\n\n| name | path |\n|---|---|\n{rows}{note}")
    for project in projects:
        gha.info(f"wash project {project.name}: {project.path}")
    return {
        "matrix": matrix_json(projects),
        "projects": json.dumps([p.path for p in projects]),
        "count": str(len(projects)),
        "unchanged": json.dumps(unchanged),
    }
