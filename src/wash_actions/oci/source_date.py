"""The ``created`` time of a published component: the commit's time, so one commit gives one digest.

``created: commit`` (the default) takes, in order: ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention,
https://reproducible-builds.org/specs/source-date-epoch/), the committer time of the commit (``git show -s
--format=%ct <sha>`` in the checkout), or, when the checkout lacks the commit (no checkout, another
repository), the event payload's ``head_commit.timestamp`` (push events; ``workflow_run.head_commit`` for
workflow_run), which GitHub's webhook documents as the commit's timestamp, or, for events that carry no
``head_commit`` (``release``, ``workflow_dispatch``, ``schedule``), the committer date GitHub's REST API gives
for the commit (:func:`api_commit_time`, with the job's token and API host). ``now`` is wash's own behaviour
(a new digest every push); an RFC 3339 date-time is used as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from .timestamps import Instant, out_of_range, parse_rfc3339

MODES = ("commit", "now")


class Created(NamedTuple):
    instant: Instant
    source: str  # where it came from, for the log: "SOURCE_DATE_EPOCH", "commit 0123abc", "now", "input"


def check_mode(raw: str) -> str:
    """The ``created`` input: ``commit`` (default), ``now`` or an RFC 3339 date-time."""
    value = raw.strip() or "commit"
    if value.lower() in MODES:
        return value.lower()
    if parse_rfc3339(value, source="created:") is not None:
        return value
    raise ActionError(
        what=f"created: {value[:80]!r} is not commit, now or an RFC 3339 date-time",
        why="created sets the component's OCI creation time; it is part of the digest.",
        fix="with:\n  created: commit    # the commit's time: one commit, one digest (default)\n"
        "or\nwith:\n  created: now       # a new digest every push, as wash oci push\n"
        "or\nwith:\n  created: '2026-05-01T12:00:00Z'",
        docs="#reproducible-digests",
    )


class CommitApi(NamedTuple):
    """Where to ask GitHub for a commit the checkout lacks: the job's API (``GITHUB_API_URL``: GHES and GHE.com
    have their own), a token that can read the repository, and the repository (``owner/name``)."""

    url: str
    token: str
    repository: str


def resolve(
    mode: str,
    *,
    sha: str,
    workspace: Path,
    env: Mapping[str, str],
    event: Mapping[str, object],
    job: bool = False,
    api: CommitApi | None = None,
) -> Created:
    """The instant ``mode`` names (see :func:`check_mode`); ``job``: ``workspace`` is a runner's job workspace
    (:func:`commit_time`); ``api``: where to ask for the commit when neither the checkout nor the event has it
    (:func:`api_commit_time`)."""
    if mode == "now":
        return Created(Instant.now(), "now")
    if mode != "commit":
        given = parse_rfc3339(mode, source="created:")
        assert given is not None  # check_mode let it through
        return Created(given, "the created input")
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not (epoch.isascii() and epoch.isdigit()):
            raise ActionError(
                what=f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not a number of seconds",
                why="SOURCE_DATE_EPOCH is the Unix time (an integer) of the source, by the reproducible-builds "
                "specification.",
                fix="env:\n  SOURCE_DATE_EPOCH: ${{ steps.date.outputs.epoch }}   # e.g. git log -1 --format=%ct",
                docs="#reproducible-digests",
            )
        if len(epoch) > 20:  # int() of thousands of digits is refused by Python itself; no year fits in 20
            raise out_of_range("SOURCE_DATE_EPOCH", epoch)
        return Created(Instant(int(epoch), source="SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH")
    if sha:
        seconds = commit_time(workspace, sha, job=job)
        if seconds is not None:
            return Created(Instant(seconds, source=f"the committer date of commit {sha[:12]}"), f"commit {sha[:12]}")
        stamp = event_commit_time(event, sha)
        if stamp is not None:
            return Created(stamp, f"commit {sha[:12]} (event payload)")
        if api is not None and api.token and api.repository and _HEX.fullmatch(sha):
            return Created(api_commit_time(api, sha), f"commit {sha[:12]} (GitHub's API)")
    raise ActionError(
        what=f"Cannot find the time of commit {sha[:12] or '(GITHUB_SHA is not set)'}",
        why="created: commit uses the commit's committer time so that one commit gives one digest; the commit is "
        "not in the checkout, the event payload does not carry its time, and there is no token to ask GitHub's "
        "API for it.",
        fix="Check out the repository before publishing:\n- uses: actions/checkout@v5\n"
        "or set the time yourself:\nenv:\n  SOURCE_DATE_EPOCH: '1767225600'\nor\nwith:\n  created: now",
        docs="#reproducible-digests",
    )


_HEX = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", re.ASCII)  # a SHA-1 or SHA-256 object name


def api_commit_time(api: CommitApi, sha: str) -> Instant:
    """The committer date of ``sha`` from ``GET {api}/repos/{owner}/{repo}/commits/{sha}`` (``commit.committer.
    date``, https://docs.github.com/en/rest/commits/commits#get-a-commit): what git's ``%ct`` gives for the same
    commit, so a job without a checkout publishes the digest a job with one does. One request, the token bound
    to the API's host; a token that cannot read the repository is one error naming the permission."""
    from ..runner import transport

    url = f"{api.url.rstrip('/')}/repos/{api.repository.strip('/')}/commits/{sha}?per_page=1"
    try:
        response = transport.get_json(
            url, auth=transport.Auth.bearer(api.token, url), headers=transport.GITHUB_API_HEADERS
        )
    except transport.TransportError as exc:
        exc.what = f"Could not ask GitHub's API for the time of commit {sha[:12]}: {exc.what}"
        exc.docs = "#reproducible-digests"
        raise
    where = f"{api.repository} at {response.host}"
    if response.status in (403, 429) and response.header("x-ratelimit-remaining") == "0":
        raise ActionError(
            what=f"GitHub's API at {response.host} is rate-limiting this token (HTTP {response.status})",
            why=f"publish asked for the time of commit {sha[:12]}, which neither the checkout nor the event payload "
            f"has; the token's API budget is spent until {response.header('x-ratelimit-reset') or 'its reset'}.",
            fix="Check out the commit before publishing, which needs no API call:\n- uses: actions/checkout@v5\n"
            "or set the time yourself:\nwith:\n  created: now",
            docs="#reproducible-digests",
        )
    if response.status in (401, 403, 404):
        raise ActionError(
            what=f"GitHub's API refused to read commit {sha[:12]} of {where} (HTTP {response.status})",
            why="created: commit needs the commit's committer time; the checkout lacks the commit and the event "
            "payload does not carry it, so publish asks the API, and the token cannot read the repository's "
            "contents (a job with a permissions: block gets only the permissions it lists).",
            fix="Let the job's token read the repository:\npermissions:\n  contents: read\n"
            "or check out the commit before publishing:\n- uses: actions/checkout@v5\n"
            "or set the time yourself:\nwith:\n  created: now",
            docs="#reproducible-digests",
        )
    if response.status in (409, 422):
        raise ActionError(
            what=f"GitHub has no commit {sha[:12]} in {where} (HTTP {response.status})",
            why=f"GITHUB_SHA names a commit that repository does not have; it answered {response.describe()}.",
            fix="Publish from a job of the repository that has the commit, or set the time yourself:\n"
            "with:\n  created: now",
            docs="#reproducible-digests",
        )
    if not response.ok:
        raise ActionError(
            what=f"GitHub's API could not give the time of commit {sha[:12]} of {where} (HTTP {response.status})",
            why=f"It answered {response.describe()}.",
            fix="Re-run the job, or check out the commit before publishing:\n- uses: actions/checkout@v5",
            docs="#reproducible-digests",
        )
    body = response.json(dict, what=f"commit {sha[:12]}")
    commit = body.get("commit")
    committer = commit.get("committer") if isinstance(commit, dict) else None
    date = committer.get("date") if isinstance(committer, dict) else None
    source = f"GitHub's committer date of commit {sha[:12]}"
    stamp = parse_rfc3339(date, source=source) if isinstance(date, str) else None
    if stamp is None or body.get("sha") not in (None, sha.lower()):
        raise ActionError(
            what=f"GitHub's API at {response.host} gave no committer date for commit {sha[:12]}",
            why=f"commit.committer.date should be an RFC 3339 date-time; it answered {response.describe()}.",
            fix="Check github-api-url (GITHUB_API_URL) and the runner's proxy, or check out the commit:\n"
            "- uses: actions/checkout@v5",
            docs="#reproducible-digests",
        )
    return stamp


def git(repo: Path, *args: str, trusted: Path | None = None, ceiling: Path | None = None) -> str | None:
    """``git <args>``'s stripped output in ``repo``, or None when git is missing or fails; read as
    :mod:`git_read` reads (git's ownership check obeyed, no program of the repository's run)."""
    from ..runner import git_read

    return git_read.output(repo, *args, trusted=trusted, ceiling=ceiling)


def commit_time(workspace: Path, sha: str, *, job: bool = False) -> int | None:
    """The committer time of ``sha`` in the checkout at ``workspace``, or None (no git, no such commit).

    ``job``: ``workspace`` is the job's workspace on a GitHub Actions runner, which the runner made: git may
    read it whoever owns it, and looks for no repository above it (see :mod:`git_read`)."""
    if not sha or not all(c in "0123456789abcdefABCDEF" for c in sha):
        return None
    where = workspace.resolve()
    trusted, ceiling = (where, where.parent) if job else (None, None)
    out = git(workspace, "show", "-s", "--format=%ct", sha, "--", trusted=trusted, ceiling=ceiling)
    if not out or not re.fullmatch(r"-?[0-9]+", out, re.ASCII):
        return None
    if len(out) > 20:  # git keeps 64-bit times; no year 0001-9999 needs 20 digits
        raise out_of_range(f"the committer date of commit {sha[:12]}", out)
    return int(out)


def event_commit_time(event: Mapping[str, object], sha: str) -> Instant | None:
    """``head_commit.timestamp`` of a push (or ``workflow_run.head_commit``) whose id is ``sha``."""
    candidates = [event.get("head_commit")]
    run = event.get("workflow_run")
    if isinstance(run, dict):
        candidates.append(run.get("head_commit"))
    for commit in candidates:
        if isinstance(commit, dict) and commit.get("id") == sha and isinstance(commit.get("timestamp"), str):
            return parse_rfc3339(str(commit["timestamp"]), source="the event payload's head_commit.timestamp")
    return None
