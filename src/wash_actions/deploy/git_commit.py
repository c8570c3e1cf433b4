"""Commit edited files and push them, with the token in git's environment, never on a command line.

The commit is made with git's plumbing (a private index, ``write-tree``, ``commit-tree``) so that the user's
checkout, index and current branch are left as they were. Its author and committer dates are those of the
parent commit, so the same edit on the same parent is the same commit: a re-run pushes nothing new.

Credentials follow actions/checkout's approach (``src/git-auth-helper.ts``: an ``http.<server>/.extraheader``
``AUTHORIZATION: basic base64(x-access-token:TOKEN)``), but through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/
``GIT_CONFIG_VALUE_n`` in the child's environment (git ≥ 2.31) instead of a config file: nothing is written to
disk, and an empty value first resets any header actions/checkout persisted, so exactly one is sent.

git runs as :mod:`git_read` runs it (its ``-c`` settings and environment, not a copy): git's ownership check is
obeyed (only the job's own checkout in its workspace is trusted, on a GitHub Actions runner), and no program the
repository's configuration names runs — no hook (pre-push, reference-transaction, ``core.hooksPath``), fsmonitor,
signing program, credential helper, askpass or clean filter. Only the command that reaches the remote may use a
transport, and only the one of origin's push URL (https, http, or a local path); the push goes to that URL, so
``remote.origin.*`` names no program either.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from ..runner import git_read

DOCS = "#deploy"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
_REF_CHARS = re.compile(r"^[A-Za-z0-9._/-]+$")


class Committed(NamedTuple):
    commit: str  # "" when there was nothing to commit
    pushed: bool  # False when the remote branch already was at ``commit``


def check_branch(name: str, *, input_name: str = "branch") -> str:
    """A branch name git and GitHub accept (``git check-ref-format`` rules, kept to a safe alphabet): no
    ``..``, no leading ``-`` or ``/``, no ``.lock`` component, no ``@{``, no control characters."""
    problems = []
    if not name:
        problems.append("it is empty")
    if name.startswith("-"):
        problems.append("it starts with '-' (git would read it as an option)")
    if ".." in name:
        problems.append("it contains '..'")
    if not _REF_CHARS.match(name or "x"):
        problems.append("it has characters other than letters, digits, '.', '_', '/' and '-'")
    parts = name.split("/")
    if any(not p or p.startswith(".") or p.endswith(".lock") for p in parts) or name.endswith("."):
        problems.append("a '/'-separated part is empty, starts with '.' or ends with '.lock' or '.'")
    if name in ("HEAD", "@") or name.startswith("refs/"):
        problems.append("it is reserved (HEAD, @, refs/…)")
    if problems:
        raise ActionError(
            what=f"{input_name} {name[:100]!r} is not a usable branch name",
            why="; ".join(problems) + ".",
            fix=f"with:\n  {input_name}: wash-actions/promote",
            docs=DOCS,
        )
    return name


def auth_env(token: str, server_url: str) -> dict[str, str]:
    """git configuration, as environment variables, that sends ``token`` to ``server_url`` only."""
    if not token:
        return {}
    key = f"http.{server_url.rstrip('/')}/.extraheader"
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": key,
        "GIT_CONFIG_VALUE_0": "",
        "GIT_CONFIG_KEY_1": key,
        "GIT_CONFIG_VALUE_1": f"AUTHORIZATION: basic {basic}",
    }


class Git:
    """git in one repository, run as :mod:`git_read` runs it. Every call is an argument list; the environment
    carries what is secret. ``trusted``: the one directory git may use whoever owns it (the job's checkout);
    ``ceiling``: git looks for no repository at or above it."""

    def __init__(
        self,
        repo: Path,
        env: Mapping[str, str] | None = None,
        git: str = "git",
        *,
        trusted: Path | None = None,
        ceiling: Path | None = None,
    ) -> None:
        self.repo = repo
        self.git = git
        self.trusted = trusted
        self.env = {**git_read.environment(dict(os.environ), ceiling=ceiling), **(env or {})}

    def run(
        self,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        check: bool = True,
        transport: str | None = None,
    ) -> str:
        """git ARGS in the repository; stdout stripped; an ActionError with git's message when it fails.
        ``transport``: the one protocol this command may use (see :data:`git_read.TRANSPORTS`)."""
        result = git_read.execute(
            self.git,
            self.repo,
            *args,
            env={**self.env, **(extra_env or {})},
            timeout=300,
            trusted=self.trusted,
            transport=transport,
            instead="or use mode: write and commit the manifests yourself.",
        )
        if check and result.code != 0:
            raise GitError(args[0], result.stderr or result.stdout, result.code)
        return result.stdout


class GitError(ActionError):
    """A git command failed; ``message`` is git's own text."""

    def __init__(self, command: str, message: str, code: int) -> None:
        hint = _hint(message)
        super().__init__(
            what=f"git {command} failed (exit {code})",
            why=message[-1500:] or "git printed nothing.",
            fix=hint,
            docs=DOCS,
        )
        self.message = message


def _hint(message: str) -> str:
    text = message.lower()
    if "403" in text or "permission" in text or "denied" in text:
        return (
            "Give the job's token write access to the repository's contents:\npermissions:\n  contents: write\n"
            "  pull-requests: write"
        )
    if "non-fast-forward" in text or "fetch first" in text or "rejected" in text:
        return "The branch moved since this job checked it out: re-run the job (it starts from the new tip)."
    return "Check that the manifests are in a Git checkout (actions/checkout) whose origin you may push to."


def repository_of(path: Path, git: str = "git", *, workspace: Path | None = None) -> Path:
    """The top directory of the Git checkout that holds ``path``. ``workspace``: the job's workspace on a GitHub
    Actions runner, which holds ``path``: the checkout in it that holds ``path`` is trusted whoever owns it, and
    git looks for none above the workspace."""
    where = path if path.is_dir() else path.parent
    trusted = ceiling = None
    if workspace is not None:
        ceiling = workspace.parent
        trusted = next((d for d in (where, *where.parents) if (d / ".git").exists()), None)
        if trusted is not None and not trusted.is_relative_to(workspace):
            trusted = None
    top = Git(where, git=git, trusted=trusted, ceiling=ceiling).run("rev-parse", "--show-toplevel")
    return Path(top).resolve()


def origin_url(repo: Git, remote: str = "origin") -> tuple[str, str]:
    """``remote``'s push URL and the one transport it needs; one clear error for a transport other than
    https, http or a local path (ssh would run ``core.sshCommand``; ``ext::`` and helpers run programs)."""
    url = repo.run("remote", "get-url", "--push", remote)
    transport = transport_of(url)
    if transport is None:
        shown = re.sub(r"//[^/@]*@", "//", url)  # never a credential in the log
        raise ActionError(
            what=f"promote cannot push to {remote} at {shown}",
            why="promote pushes with the job's token over HTTPS (or to a local path), through git's own "
            "transports only: ssh would run core.sshCommand and a remote helper (<name>::) runs a program.",
            fix="Check out over HTTPS with the job's token (actions/checkout does by default, without ssh-key):\n"
            "- uses: actions/checkout@v5",
            docs=DOCS,
        )
    return url, transport


def transport_of(url: str) -> str | None:
    """The git transport ``url`` uses when it is https, http or a local path, else None."""
    lower = url.lower()
    for scheme in ("https", "http", "file"):
        if lower.startswith(f"{scheme}://"):
            return scheme
    if re.match(r"^[a-z]:[\\/]", lower):
        return "file"  # a Windows drive path
    head = url.split("/", 1)[0]
    if "://" in url or "::" in url or ":" in head:
        return None  # ssh://, git://, helper::address, scp-like host:path
    return "file"


def check_unfiltered(repo: Git, files: Sequence[Path]) -> None:
    """One clear error when a file has a clean filter (``filter=`` in .gitattributes, e.g. Git LFS): committing
    it as git would runs the program the repository names for it."""
    for file in files:
        relative = file.resolve().relative_to(repo.repo).as_posix()
        attribute = repo.run("check-attr", "filter", "--", relative).rpartition(": ")[2]
        if attribute not in ("unspecified", "unset"):
            raise ActionError(
                what=f"{relative} has a clean filter ({attribute}) in .gitattributes",
                why="A filter runs a program the repository names; promote runs none, so it cannot commit the "
                "file as git would.",
                fix="Keep manifests out of filters (Git LFS and the like), or use mode: write and commit them "
                "yourself.",
                docs=DOCS,
            )


def commit_files(
    repo: Git,
    files: Sequence[Path],
    message: str,
) -> str:
    """A commit on top of HEAD holding the working-tree content of ``files`` (tracked files of ``repo``);
    "" when their content is already HEAD's. The checkout's index and branch are not touched."""
    import tempfile

    head = repo.run("rev-parse", "--verify", "HEAD^{commit}")
    date = repo.run("show", "-s", "--format=%cI", head)
    check_unfiltered(repo, files)
    with tempfile.TemporaryDirectory(prefix="wash-actions-index-") as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        repo.run("read-tree", head, extra_env=index)
        for file in files:
            relative = file.resolve().relative_to(repo.repo).as_posix()
            listed = repo.run("ls-files", "-s", "--", relative, extra_env=index)
            if not listed:
                raise ActionError(
                    what=f"{relative} is not committed to the repository",
                    why="promote commits its edits of tracked manifests only.",
                    fix="Commit the manifest first, or use mode: write.",
                    docs=DOCS,
                )
            mode = listed.split()[0]
            blob = repo.run("hash-object", "-w", "--path", relative, "--", relative)
            repo.run("update-index", "--cacheinfo", f"{mode},{blob},{relative}", extra_env=index)
        tree = repo.run("write-tree", extra_env=index)
    if tree == repo.run("rev-parse", f"{head}^{{tree}}"):
        return ""
    identity = {
        "GIT_AUTHOR_NAME": BOT_NAME,
        "GIT_AUTHOR_EMAIL": BOT_EMAIL,
        "GIT_COMMITTER_NAME": BOT_NAME,
        "GIT_COMMITTER_EMAIL": BOT_EMAIL,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    return repo.run("commit-tree", tree, "-p", head, "-m", message, extra_env=identity)


def remote_head(repo: Git, remote: str, branch: str) -> str:
    """The commit ``branch`` points at on ``remote`` (a remote's name), or "" when it has no such branch."""
    url, transport = origin_url(repo, remote)
    return _remote_head(repo, url, transport, branch)


def _remote_head(repo: Git, url: str, transport: str, branch: str) -> str:
    out = repo.run("ls-remote", "--heads", url, f"refs/heads/{branch}", transport=transport)
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    return ""


def push(repo: Git, remote: str, commit: str, branch: str, *, force: bool) -> bool:
    """Point ``branch`` on ``remote`` (a remote's name) at ``commit``; False when it already was there. git
    reaches the remote's push URL with its transport only (:func:`origin_url`)."""
    url, transport = origin_url(repo, remote)
    if _remote_head(repo, url, transport, branch) == commit:
        return False
    spec = f"{'+' if force else ''}{commit}:refs/heads/{branch}"
    repo.run("push", "--quiet", "--no-signed", "--no-verify", url, spec, transport=transport)
    return True


def current_branch(repo: Git) -> str:
    """The checked-out branch; one clear error on a detached HEAD (a tag or pull-request checkout)."""
    name = repo.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if not name:
        raise ActionError(
            what="mode: push needs a checked-out branch, and HEAD is detached",
            why="The job checked out a tag or a commit (a tag push or a pull_request event does), so there is "
            "no branch to add the commit to.",
            fix="Check out the branch to change, or open a pull request instead:\n"
            "- uses: actions/checkout@v5\n  with:\n    ref: main",
            docs=DOCS,
        )
    return name


def advance(repo: Git, branch: str, commit: str, files: Sequence[Path]) -> None:
    """Move the local ``branch`` (checked out) to ``commit``, and origin's remote-tracking branch when there is
    one (git pushed to origin's URL, not by its name); refresh the index for ``files``."""
    repo.run("update-ref", f"refs/heads/{branch}", commit)
    tracking = f"refs/remotes/origin/{branch}"
    if repo.run("rev-parse", "--verify", "--quiet", tracking, check=False):
        repo.run("update-ref", tracking, commit)
    relative = [f.resolve().relative_to(repo.repo).as_posix() for f in files]
    repo.run("reset", "--quiet", "--", *relative)
