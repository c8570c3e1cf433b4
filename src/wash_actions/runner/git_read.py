"""Read a git repository with git, safely: git's ownership check obeyed, and no program the repository names run.

git refuses a repository that another user owns (CVE-2022-24765, ``safe.directory``): its ``.git/config`` could
make git run programs as whoever reads it. This module never overrides that check with ``safe.directory=*``.
It trusts one directory only where the runner itself made it: the job's workspace on a GitHub Actions runner
(``GITHUB_ACTIONS=true``). actions/checkout (``src/git-source-provider.ts``) adds the workspace as a
``safe.directory`` to a *temporary* global config for its own git commands and removes it afterwards, so in a
container job — where the runner's user created the workspace and the container's user reads it — every later
git command is refused. The job already runs code from that checkout (its build), so trusting the workspace
there gives nothing away. Everywhere else (the ``digest`` command, run by a person) git's answer stands, and a
refusal is one :class:`ActionError` that says how to mark the repository safe.

Whatever the repository's configuration says, no program runs: the command line's ``-c`` settings win over
the repository's, and they switch off the fsmonitor, hooks, pagers, signature verification (``gpg.program``,
``log.showSignature``), credential helpers and every transport (``protocol.allow=never``: a partial clone's
lazy fetch would run ``core.sshCommand``), askpass programs and commit/push signing; diff-family commands get
``--no-ext-diff --no-textconv``. A writer (:mod:`git_commit`) runs git the same way, with one transport allowed
for the one command that reaches its remote (``transport``: https, http or file, git's own). The job's
``GIT_*`` variables are left out so they cannot point git elsewhere; messages are in English (``LC_ALL=C``)
because a refusal is recognised by git's own wording, the only way git tells it apart (exit code 128 is
every fatal error).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError

# Settings from the command line override the repository's own (git-config(1), "FILES": -c is read last).
_NO_PROGRAMS = (
    "core.fsmonitor=",  # empty: off, both where it is a hook path (git < 2.36) and a boolean (later)
    f"core.hooksPath={os.devnull}",
    "core.pager=cat",
    "log.showSignature=false",
    f"gpg.program={os.devnull}",
    f"gpg.openpgp.program={os.devnull}",
    f"gpg.ssh.program={os.devnull}",
    f"gpg.x509.program={os.devnull}",
    f"core.sshCommand={os.devnull}",
    "credential.helper=",  # empty: resets the list of helpers
    "core.askPass=",  # empty: no askpass program (GIT_ASKPASS is left out of the environment)
    "commit.gpgSign=false",  # commit-tree signs when it is set, with gpg.program
    "push.gpgSign=false",
    "protocol.allow=never",
    "safe.bareRepository=explicit",  # never an embedded bare repository found by walking up
)
_DIFF_COMMANDS = {"show", "log", "diff", "diff-tree", "whatchanged"}
# The transports a writer may allow, one per command, for the remote it names: git's own, none runs a program
# the repository names (ssh would run core.sshCommand; ext:: and remote helpers run programs by design).
TRANSPORTS = ("https", "http", "file")
# git's wording of an ownership refusal: 2.35.2+ ("detected dubious ownership"), 2.35.2's first form.
_REFUSED = ("detected dubious ownership", "is owned by someone else")


class Result(NamedTuple):
    """A git command that ran: its exit code and stripped output."""

    code: int
    stdout: str
    stderr: str


def command(*args: str, trusted: Path | None = None, transport: str | None = None) -> list[str]:
    """The argument list after ``git``: the no-program settings, ``trusted`` as the one safe directory,
    ``transport`` (one of :data:`TRANSPORTS`) the only protocol allowed, then ``args`` (with
    ``--no-ext-diff --no-textconv`` after a diff-family subcommand)."""
    settings = [*_NO_PROGRAMS]
    if transport is not None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport {transport!r} is not one of {TRANSPORTS}")
        settings.append(f"protocol.{transport}.allow=always")
    if trusted is not None:
        settings.append(f"safe.directory={trusted}")
    out = ["--no-pager"]
    for setting in settings:
        out += ["-c", setting]
    if args and args[0] in _DIFF_COMMANDS:
        return [*out, args[0], "--no-ext-diff", "--no-textconv", *args[1:]]
    return [*out, *args]


def environment(base: dict[str, str], *, ceiling: Path | None = None) -> dict[str, str]:
    """``base`` without ``GIT_*``; English messages; no prompts, lazy fetches or optional locks; git's search
    for a repository stops below ``ceiling`` when given."""
    env = {k: v for k, v in base.items() if not k.upper().startswith("GIT_")}
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_NO_LAZY_FETCH="1", GIT_OPTIONAL_LOCKS="0")
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    return env


def refused(stderr: str) -> bool:
    """git refused the repository because another user owns it."""
    return any(text in stderr for text in _REFUSED)


def execute(
    git: str,
    repo: Path,
    *args: str,
    env: Mapping[str, str],
    timeout: float,
    trusted: Path | None = None,
    transport: str | None = None,
    instead: str = "",
) -> Result:
    """One git command as every git command of the actions runs: the ``git`` binary in ``repo`` with
    :func:`command`'s settings, ``env`` (from :func:`environment`), no stdin, output as text. Raises
    :func:`not_safe` (with ``instead``) when git refuses the repository's owner; OSError and
    ``subprocess.SubprocessError`` (a timeout) pass through for the caller to word."""
    import subprocess  # only when git is run at all

    result = subprocess.run(
        [git, *command(*args, trusted=trusted, transport=transport)],
        cwd=repo,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0 and refused(result.stderr):
        raise not_safe(repo, result.stderr, instead=instead)
    return Result(result.returncode, result.stdout.strip(), result.stderr.strip())


def run(repo: Path, *args: str, trusted: Path | None = None, ceiling: Path | None = None) -> Result | None:
    """``git <args>`` in ``repo`` (see the module's rules), or None when git is not installed or does not finish
    within 30 s. Raises :func:`not_safe` when git refuses the repository's owner."""
    import shutil  # only when git is run at all
    import subprocess

    found = shutil.which("git")
    if found is None:
        return None
    try:
        return execute(
            found, repo, *args, env=environment(dict(os.environ), ceiling=ceiling), timeout=30, trusted=trusted
        )
    except (OSError, subprocess.SubprocessError):
        return None


def output(repo: Path, *args: str, trusted: Path | None = None, ceiling: Path | None = None) -> str | None:
    """:func:`run`'s stripped output when git succeeded, else None."""
    result = run(repo, *args, trusted=trusted, ceiling=ceiling)
    return result.stdout if result is not None and result.code == 0 else None


def not_safe(repo: Path, stderr: str, *, instead: str = "") -> ActionError:
    """git refused to read ``repo``: another user owns it. ``instead``: the fix's last alternative (by default,
    digest's: give the time yourself)."""
    where = repo.resolve()
    for line in stderr.splitlines():
        if "repository at '" in line:
            where = Path(line.split("repository at '", 1)[1].rstrip("'"))
    return ActionError(
        what=f"git refuses to read the repository at {where}: another user owns it",
        why="git does not read a repository owned by someone else unless you mark it safe (CVE-2022-24765): "
        "its configuration could make git run programs as you. wash-actions never overrides that check "
        "(it trusts only the job's own workspace on a GitHub Actions runner).",
        fix="If you trust that repository, mark it safe once, then run this again:\n"
        f"  git config --global --add safe.directory '{where}'\n"
        "or run as the user who owns it, "
        + (instead or "or give the time yourself: SOURCE_DATE_EPOCH=<seconds> (or --created)."),
        docs="#reproducible-digests",
    )
