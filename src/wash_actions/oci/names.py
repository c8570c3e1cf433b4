"""OCI rules publish applies before anything is pushed, and what a failed push means.

Names: a registry is a host with an optional port (no scheme, no credentials, no path); a repository is
lower-case path components (the distribution spec's grammar).
"""

from __future__ import annotations

import re

from ..errors import ActionError

REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:]+\])(?::(\d{{1,5}}))?$")


def check_registry(value: str) -> str:
    """The registry input as a host[:port]; one clear error for a scheme, credentials, a path or a bad port."""
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
    """The repository input as a valid OCI name; empty means github.repository made valid."""
    if not value:
        if not github_repository:
            raise ActionError(
                what="Input 'repository' is required outside GitHub Actions",
                why="It defaults to github.repository, which this environment does not set.",
                fix="with:\n  repository: my-org/my-component",
                docs="#publish",
            )
        return repository_from_github(github_repository)
    if value != value.lower() and REPOSITORY.match(value.lower()):
        raise ActionError(
            what=f"repository {value!r} has upper-case letters",
            why="OCI repository names are lower-case only.",
            fix=f"with:\n  repository: {value.lower()}",
            docs="#publish",
        )
    if not REPOSITORY.match(value):
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
    if not REPOSITORY.match(name):
        raise ActionError(
            what=f"No valid OCI repository name can be made from {github_repository!r}",
            why="OCI repository names are lower-case letters and digits with single separators.",
            fix="with:\n  repository: my-org/my-component",
            docs="#publish",
        )
    return name
