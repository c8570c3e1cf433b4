"""promote: pin image digests into deployment manifests, then (optionally) commit them or open a pull request.

``manifests`` (paths, directories or globs inside the workspace) are read with a real YAML parser; the image
scalars of wasmCloud workloads, Artifacts and kustomize ``images:`` entries that ``images`` names are rewritten
in place (``repo:tag@sha256:…``), every other byte kept (``manifest_pins``). ``mode``: ``write`` edits the
files; ``push`` also commits them to the checked-out branch and pushes; ``pull-request`` commits them onto
``branch`` (from HEAD, force-pushed: a re-run updates it) and opens or updates its pull request into ``base``.
Nothing to change means no commit and no pull request.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..deploy import git_commit, pins, pulls
from ..errors import ActionError
from ..oci.references import ImageRef
from ..runner import extras, gha, transport

DOCS = "#deploy"
MODES = ("write", "push", "pull-request")
DEFAULT_BRANCH = "wash-actions/promote"
DEFAULT_TITLE = "Pin image digests"


@dataclass(frozen=True)
class PromoteInputs:
    workspace: Path
    manifests: tuple[str, ...]
    images: dict[str, list[ImageRef]]
    mode: str
    branch: str
    base: str
    title: str
    message: str
    token: str
    repository: str
    server_url: str
    api_url: str
    run_url: str

    @classmethod
    def from_env(cls, inputs: gha.Inputs) -> PromoteInputs:
        manifests = tuple(inputs.list("manifests"))
        if not manifests:
            raise ActionError(
                what="Input 'manifests' is required",
                why="promote pins digests into the manifests it is given.",
                fix="with:\n  manifests: deploy/*.yaml",
                docs=DOCS,
            )
        images = pins.parse_images(inputs.get("images"))
        if not images:
            raise ActionError(
                what="Input 'images' is empty",
                why="promote pins the digests 'images' gives (verify's 'pinned', publish's 'image-ref').",
                fix="with:\n  images: ${{ needs.release.outputs.image-ref }}",
                docs=DOCS,
            )
        mode = inputs.get("mode", "write").lower()
        if mode not in MODES:
            raise ActionError(
                what=f"mode {mode!r} is not one of {', '.join(MODES)}",
                why="write edits the files; push commits them to the checked-out branch; pull-request opens a "
                "pull request.",
                fix="with:\n  mode: pull-request",
                docs=DOCS,
            )
        branch = git_commit.check_branch(inputs.get("branch", DEFAULT_BRANCH))
        base = inputs.get("base") or default_base()
        if base:
            git_commit.check_branch(base, input_name="base")
        server = gha.env("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repository = inputs.get("repository") or gha.env("GITHUB_REPOSITORY")
        run_id = gha.env("GITHUB_RUN_ID")
        return cls(
            workspace=gha.workspace().resolve(),
            manifests=manifests,
            images=images,
            mode=mode,
            branch=branch,
            base=base,
            title=inputs.get("title", DEFAULT_TITLE),
            message=inputs.get("commit-message", DEFAULT_TITLE),
            token=inputs.secret("github-token"),
            repository=repository,
            server_url=server,
            api_url=inputs.get("github-api-url") or gha.env("GITHUB_API_URL") or "https://api.github.com",
            run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id and repository else "",
        )


def default_base() -> str:
    """The branch the job runs on, else (a tag or a pull request) the repository's default branch."""
    ref = gha.env("GITHUB_REF")
    if ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/")
    path = gha.env("GITHUB_EVENT_PATH")
    if path:
        try:
            event = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        repository = event.get("repository") if isinstance(event, dict) else None
        branch = repository.get("default_branch") if isinstance(repository, dict) else None
        return branch if isinstance(branch, str) else ""
    return ""


# -- writing ------------------------------------------------------------------------------------------------


def write_text(path: Path, text: str) -> None:
    """Replace the file's content atomically, keeping its permissions."""
    import shutil
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


# -- the run ----------------------------------------------------------------------------------------------------


class Edited:
    """The plan over every file, and each file's new text."""

    def __init__(self, plan: pins.Plan, texts: dict[Path, str]) -> None:
        self.plan = plan
        self.texts = texts  # only the files that change


def edit(files: list[Path], workspace: Path, images: dict[str, list[ImageRef]]) -> Edited:
    """Plan and apply every pin in memory; each edited file is parsed again before anything is written."""
    sites: list[pins.Site] = []
    skipped: list[str] = []
    originals: dict[str, tuple[Path, str]] = {}
    for file in files:
        shown = file.relative_to(workspace).as_posix()
        text = pins.read_text(file, shown)
        found, others = pins.find_sites(text, shown, name=file.name)
        sites += found
        skipped += others
        originals[shown] = (file, text)
    plan = pins.plan(sites, images, skipped)
    texts: dict[Path, str] = {}
    for shown, (file, text) in originals.items():
        mine = [c for c in plan.changes if c.site.path == shown]
        if not any(True for _ in pins.changed(mine)):
            continue
        new = pins.apply(text, mine)
        pins.check_applied(new, shown, file.name, mine)
        texts[file] = new
    return Edited(plan, texts)


def pr_body(inputs: PromoteInputs, plan: pins.Plan) -> str:
    """The pull request's body (also the job summary): what changes, how to verify it, what was left."""
    lines = ["Pins the images below to the digests this release produced (wash-actions promote).", ""]
    changes = list(pins.changed(plan.changes))
    if changes:
        lines += ["| image | manifest | old | new |", "|---|---|---|---|"]
        for change in changes:
            site = change.site
            lines.append(
                f"| {gha.code(site.ref.name)} | {gha.code(f'{site.path}:{site.line}')} "
                f"| {gha.code(change.old or '(tag only)')} | {gha.code(change.new)} |"
            )
        lines += ["", "Verify an image's provenance before merging:", "", "```sh"]
        for image in sorted({f"{c.source.name}@{c.source.digest}" for c in changes}):
            signer = f" --repo {inputs.repository}" if inputs.repository else ""
            lines.append(f"gh attestation verify oci://{image} --bundle-from-oci{signer}")
        lines += ["```", ""]
        links = []
        if inputs.repository:
            links.append(f"[attestations]({inputs.server_url}/{inputs.repository}/attestations)")
        if inputs.run_url:
            links.append(f"[the run that verified and promoted them]({inputs.run_url})")
        if links:
            lines += ["See " + " and ".join(links) + ".", ""]
    else:
        lines += ["Every image is already pinned to the digest given: nothing to change.", ""]
    if plan.not_promoted:
        lines += ["Not promoted (not in `images`):", ""]
        lines += [f"- {gha.code(str(s.ref))} ({gha.text(f'{s.path}:{s.line}, {s.where}')})" for s in plan.not_promoted]
        lines.append("")
    return "\n".join(lines)


def run(inputs: PromoteInputs) -> dict[str, str]:
    files = pins.manifest_files(inputs.manifests, inputs.workspace)
    extras.ensure_yaml()
    edited = edit(files, inputs.workspace, inputs.images)
    plan = edited.plan
    for entry in plan.skipped:
        gha.info(f"Skipped (no images promote pins): {entry}")
    for site in plan.not_promoted:
        gha.info(f"Not promoted (not in images): {site.ref} at {site.path}:{site.line}")
    if not plan.changes:
        raise ActionError(
            what="No image in manifests is named by images",
            why="The manifests name "
            + (", ".join(sorted({str(s.ref.name) for s in plan.not_promoted})[:10]) or "no image")
            + "; images gives "
            + ", ".join(sorted(r.name for refs in inputs.images.values() for r in refs)[:10])
            + ".",
            fix="Give the manifests that deploy these images, or the images they deploy:\nwith:\n"
            "  manifests: deploy/*.yaml\n  images: ${{ needs.release.outputs.image-ref }}",
            docs=DOCS,
        )
    target = preflight(inputs, list(edited.texts)) if inputs.mode != "write" and edited.texts else None
    for file, text in edited.texts.items():
        write_text(file, text)
        gha.info(f"Pinned {file.relative_to(inputs.workspace).as_posix()}")
    body = pr_body(inputs, plan)
    outputs = {
        "changed": "true" if edited.texts else "false",
        "files": json.dumps(sorted(f.relative_to(inputs.workspace).as_posix() for f in edited.texts)),
        "changes": json.dumps(
            [
                {"file": c.site.path, "line": c.site.line, "where": c.site.where, "old": c.old, "new": c.new}
                for c in pins.changed(plan.changes)
            ]
        ),
        "not-promoted": json.dumps([{"file": s.path, "line": s.line, "image": str(s.ref)} for s in plan.not_promoted]),
        "commit": "",
        "pull-request-number": "",
        "pull-request-url": "",
        "pull-request-operation": "none",
    }
    if target is not None:
        outputs.update(commit_and_publish(inputs, target, list(edited.texts), body))
    gha.summary("## promote\n\n" + body)
    return outputs


class Target(NamedTuple):
    git: git_commit.Git
    branch: str  # where the commit goes
    force: bool


def preflight(inputs: PromoteInputs, files: list[Path]) -> Target:
    """Everything a commit needs, checked before a file is written: one repository, a branch, a base."""
    # on a runner, the job's checkout is trusted whoever owns it (a container job); elsewhere git's check stands
    job = gha.env("GITHUB_ACTIONS") == "true"
    workspace = inputs.workspace if job else None
    repos = {git_commit.repository_of(f, workspace=workspace) for f in files}
    if len(repos) != 1:
        raise ActionError(
            what=f"The edited manifests are in {len(repos)} Git repositories",
            why="promote commits to one repository per step: " + ", ".join(sorted(str(r) for r in repos)) + ".",
            fix="Run promote once per repository, each with the manifests of that checkout.",
            docs=DOCS,
        )
    repo = repos.pop()
    git = git_commit.Git(
        repo,
        env=git_commit.auth_env(inputs.token, inputs.server_url),
        trusted=repo if job else None,
        ceiling=inputs.workspace.parent if job else None,
    )
    git_commit.check_unfiltered(git, files)
    git_commit.origin_url(git)  # a transport promote pushes over, before a file is written
    if inputs.mode == "push":
        return Target(git, git_commit.current_branch(git), force=False)
    if not inputs.base:
        raise ActionError(
            what="Input 'base' is required here",
            why="The job does not run on a branch and the event names no default branch.",
            fix="with:\n  base: main",
            docs=DOCS,
        )
    if not inputs.repository:
        raise ActionError(
            what="Input 'repository' is required outside GitHub Actions",
            why="It names the repository the pull request is opened in (default github.repository).",
            fix="with:\n  repository: my-org/deployments",
            docs=DOCS,
        )
    git.run("rev-parse", "--verify", "HEAD^{commit}")
    return Target(git, inputs.branch, force=True)


def commit_and_publish(inputs: PromoteInputs, target: Target, files: list[Path], body: str) -> dict[str, str]:
    """Commit the edited files onto the target branch and push (push: the checked-out branch, which follows;
    pull-request: ``branch``, force-pushed, then its pull request opened or updated)."""
    commit = git_commit.commit_files(target.git, files, inputs.message)
    if not commit:
        return {}
    pushed = git_commit.push(target.git, "origin", commit, target.branch, force=target.force)
    gha.info(f"{'Pushed' if pushed else 'Already pushed:'} {commit[:12]} to {target.branch}")
    if inputs.mode == "push":
        git_commit.advance(target.git, target.branch, commit, files)
        return {"commit": commit}
    opened = pulls.open_or_update(
        inputs.api_url,
        inputs.repository,
        inputs.branch,
        inputs.base,
        inputs.title,
        body,
        transport.Auth.bearer(inputs.token, inputs.api_url),
    )
    gha.info(f"Pull request #{opened.pull.number} {opened.operation}: {opened.pull.url}")
    return {
        "commit": commit,
        "pull-request-number": str(opened.pull.number),
        "pull-request-url": opened.pull.url,
        "pull-request-operation": opened.operation,
    }
