"""A component's source key: one hash of exactly what its build reads, so the same source finds the same digest.

The key is the SHA-256 of a small canonical document (:func:`compose`) made of:

- the project directory's Git tree hash (``git rev-parse HEAD:<dir>``: present in any clone, shallow or not,
  and independent of the job's commit), so a commit elsewhere in a monorepo leaves it unchanged;
- the workspace files the build declares it reads: the ``inputs`` globs, or by default the workspace manifests
  and lock files (:data:`WORKSPACE_FILES`) in the directories above the project up to the repository's root, as
  ``git ls-files -s`` lists them (mode, blob hash, path). wash's own project detection reads only the project
  directory (``.wash/config.{yaml,yml,json,toml}``, ``wkg.lock`` or ``.wash/wasmcloud.lock``, ``wit/``:
  wasmCloud/wasmCloud ``crates/wash/src/config.rs`` ``locate_project_config``, ``crates/wash/src/cli/wit.rs``),
  all inside the tree hash; the lock files above it are what a Cargo, npm, Go or uv workspace adds;
- the bytes of ``wkg.lock``, ``.wash/wasmcloud.lock`` and ``.wash/config.*`` as they are on disk (they may be
  ignored by Git and written by an earlier step);
- the wash version and the build's own inputs (``args``, ``wash-env``, ``skip-fetch``, ``metadata``), the
  repository (the metadata's ``source`` URL) and, with ``revision: job-commit``, the job's commit.

A working tree that differs from ``HEAD`` in those paths (an earlier step edited or generated a tracked or
unignored file) has no key: its bytes are not the commit's, and nothing is reused for it.

The key is recorded in the published manifest (:data:`ANNOTATION`) and findable by one tag (:func:`tag_for`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from ..oci.source_date import git

FORMAT = "wash-actions source key 1"
ANNOTATION = "dev.wash-actions.source-key"
TAG_PREFIX = "source-"
TAG_HEX = 32  # 128 bits of the key in the tag; the annotation holds all of it and is checked on every hit
KEY = re.compile(r"\Asha256:[0-9a-f]{64}\Z")
WASH_FILES = (
    "wkg.lock",
    ".wash/wasmcloud.lock",
    ".wash/config.yaml",
    ".wash/config.yml",
    ".wash/config.json",
    ".wash/config.toml",
)
WORKSPACE_FILES = (
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "yarn.lock",
    "go.mod",
    "go.sum",
    "go.work",
    "go.work.sum",
    "pyproject.toml",
    "uv.lock",
    "poetry.lock",
    "pylock.toml",
    "requirements.txt",
)
MAX_WASH_FILE = 16 << 20


class BuildSettings(NamedTuple):
    """What the build step adds to the source: every value that changes what it writes."""

    wash_version: str
    args: tuple[str, ...] = ()
    wash_env: tuple[tuple[str, str], ...] = ()
    skip_fetch: bool = False
    metadata: bool = True
    repository: str = ""  # server URL and owner/name: the embedded source URL
    job_commit: str = ""  # only with revision: job-commit (the revision then names the job's commit)


class SourceKey(NamedTuple):
    """The key, and the repository paths it covers (for ``git log -- <paths>``)."""

    key: str
    top: Path  # the repository's root
    paths: tuple[str, ...]  # relative to ``top``: the project directory first, then the workspace files


class Unkeyed(NamedTuple):
    """Why this build has no source key (reuse is off for it); said once in the log."""

    reason: str


def check_globs(raw: Sequence[str]) -> tuple[str, ...]:
    """The ``inputs`` globs: relative to the repository's root, never leaving it."""
    globs: list[str] = []
    for line in raw:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        if pattern.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", pattern) or ".." in Path(pattern).parts:
            raise ActionError(
                what=f"Input 'inputs' has a pattern outside the repository: {pattern!r}",
                why="'inputs' lists the repository files the build reads besides its project directory, as globs "
                "relative to the repository's root.",
                fix="with:\n  inputs: |\n    Cargo.lock\n    crates/shared/**",
                docs="#same-source-same-digest",
            )
        globs.append(pattern)
    return tuple(globs)


def check_key(raw: str) -> str:
    """A ``source-key`` input: ``sha256:`` and 64 lower-case hex digits (build's output), or empty."""
    value = raw.strip()
    if not value or KEY.match(value):
        return value
    raise ActionError(
        what=f"Input 'source-key' is not a source key: {value[:80]!r}",
        why="A source key is build's 'source-key' output: sha256: and 64 hexadecimal digits.",
        fix="with:\n  source-key: ${{ needs.build.outputs.source-key }}",
        docs="#same-source-same-digest",
    )


def tag_for(key: str) -> str:
    """The tag that names the digest published for ``key`` (``source-`` and 32 hex digits of it)."""
    return TAG_PREFIX + key.removeprefix("sha256:")[:TAG_HEX]


def compose(tree: str, listed: Sequence[str], wash_files: Sequence[tuple[str, str]], settings: BuildSettings) -> str:
    """The key of a project tree, its workspace files (``git ls-files -s`` lines), the wash files' digests and the
    build settings. Pure: the same values give the same key on any machine."""
    document = {
        "format": FORMAT,
        "tree": tree,
        "workspace": sorted(listed),
        "wash-files": sorted(wash_files),
        "wash": settings.wash_version,
        "args": list(settings.args),
        "wash-env": sorted([name, value] for name, value in settings.wash_env),
        "skip-fetch": settings.skip_fetch,
        "metadata": settings.metadata,
        "repository": settings.repository,
        "job-commit": settings.job_commit,
    }
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def default_workspace_files(prefix: str) -> tuple[str, ...]:
    """The workspace manifests and lock files in every directory above the project (``prefix``, relative to the
    repository's root, ``/``-separated, ending in ``/`` or empty) up to the root."""
    parts = [p for p in prefix.split("/") if p]
    found: list[str] = []
    for depth in range(len(parts) - 1, -1, -1):
        base = "/".join(parts[:depth])
        found.extend(f"{base}/{name}" if base else name for name in WORKSPACE_FILES)
    return tuple(found)


def pathspec(path: str) -> str:
    """The git pathspec of one repository path, taken literally from the top; the top itself (``.``) is
    ``:(top)``, since a literal ``.`` matches no file (git log and git status would see no change at all)."""
    return ":(top)" if path in ("", ".") else f":(top,literal){path}"


def compute(project: Path, settings: BuildSettings, globs: Sequence[str] = ()) -> SourceKey | Unkeyed:
    """The source key of the wash project at ``project`` (a directory of a Git checkout)."""
    head = git(project, "rev-parse", "--show-toplevel", "--show-prefix", "HEAD^{commit}", "HEAD:./")
    lines = head.splitlines() if head else []
    if len(lines) != 4:
        return Unkeyed(f"{project} is not in a Git checkout with a commit (git rev-parse HEAD:<dir> failed)")
    top, prefix, _commit, tree = Path(lines[0]), lines[1], lines[2], lines[3]
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    relative = prefix.rstrip("/") or "."
    if globs:
        specs = [f":(top,glob){pattern}" for pattern in globs]
    else:
        specs = [f":(top,literal){name}" for name in default_workspace_files(prefix)]
    listed_out = git(top, "ls-files", "-s", "-z", "--", *specs) if specs else ""
    if listed_out is None:
        return Unkeyed("git ls-files could not list the workspace files the build reads")
    listed = [entry for entry in listed_out.split("\0") if entry]
    workspace_paths = [entry.split("\t", 1)[1] for entry in listed if "\t" in entry]
    status = git(top, "status", "--porcelain", "-z", "--untracked-files=normal", "--", pathspec(relative), *specs)
    if status is None:
        return Unkeyed("git status could not compare the working tree with HEAD")
    if status:
        changed = [entry.split(maxsplit=1)[-1] for entry in status.split("\0") if entry.strip()][:3]
        return Unkeyed(
            f"the working tree differs from HEAD in what the build reads ({', '.join(changed)}): "
            "an earlier step changed or added files"
        )
    wash_files: list[tuple[str, str]] = []
    for name in WASH_FILES:
        path = project / name
        if path.is_file() and path.stat().st_size <= MAX_WASH_FILE:
            wash_files.append((name, hashlib.sha256(path.read_bytes()).hexdigest()))
    key = compose(tree, listed, wash_files, settings)
    return SourceKey(key, top, (relative, *workspace_paths))


def last_change(source: SourceKey) -> tuple[str, int] | None:
    """The last commit that changed the key's paths, and its committer time; None when the history is too short
    to tell (a shallow clone: its first commit seems to add every file) or git fails."""
    shallow = git(source.top, "rev-parse", "--is-shallow-repository")
    if shallow != "false":
        return None
    out = git(source.top, "log", "-1", "--format=%H %ct", "HEAD", "--", *(pathspec(p) for p in source.paths))
    if not out:
        return None
    sha, _, seconds = out.partition(" ")
    return (sha, int(seconds)) if seconds.isdigit() else None


def wash_version(binary: str) -> str:
    """What ``wash --version`` says (``wash 2.10.4`` → ``2.10.4``), or "" when it says nothing."""
    import subprocess  # only where a key is made

    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.strip().split()[-1].lstrip("v") if out.strip() else ""


class Handoff(NamedTuple):
    """What build hands to publish in the same job, keyed by the component's path (no input needed)."""

    key: str
    sha256: str  # the component's bytes as build left them: publish uses the key only for these bytes
    commit: str = ""  # the source's commit (the last that changed the key's paths), "" when unknown
    time: int = 0  # its committer time (seconds), 0 when unknown
    reused: bool = False


def handoff_path(temp: Path, component: Path) -> Path:
    """Where build leaves the :class:`Handoff` of ``component`` under ``RUNNER_TEMP``."""
    name = hashlib.sha256(str(component.resolve()).encode()).hexdigest()[:32]
    return temp / "wash-actions-source" / f"{name}.json"


def write_handoff(temp: Path, component: Path, handoff: Handoff) -> Path:
    """Write ``handoff`` for ``component``; returns the file."""
    path = handoff_path(temp, component)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(handoff._asdict()))
    return path


def read_handoff(temp: Path, component: Path) -> Handoff | None:
    """The :class:`Handoff` build left for ``component``, or None (no build step in this job, or unreadable)."""
    try:
        data = json.loads(handoff_path(temp, component).read_text())
        found = Handoff(
            key=str(data["key"]),
            sha256=str(data["sha256"]),
            commit=str(data.get("commit") or ""),
            time=int(data.get("time") or 0),
            reused=bool(data.get("reused")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if KEY.match(found.key) else None
