"""GitHub's pulls REST API: find the open pull request of a branch, open one, or update its title and body.

Endpoints (docs.github.com/en/rest/pulls/pulls, API version 2022-11-28):
``GET /repos/{owner}/{repo}/pulls?state=open&head={owner}:{branch}&base={base}`` (a JSON list),
``POST /repos/{owner}/{repo}/pulls`` with ``{title, head, base, body}`` (201, the pull request),
``PATCH /repos/{owner}/{repo}/pulls/{pull_number}`` with ``{title, body}`` (200, the pull request).
A repository whose Actions settings forbid "Allow GitHub Actions to create and approve pull requests" answers
the POST with 403.
"""

from __future__ import annotations

import json
from typing import NamedTuple
from urllib.parse import quote, urlencode

from ..errors import ActionError
from ..runner import transport

DOCS = "#deploy"
PERMISSIONS_FIX = (
    "Give the job's token write access to contents and pull requests (and allow GitHub Actions to create pull "
    "requests under Settings → Actions → General):\npermissions:\n  contents: write\n  pull-requests: write"
)


class PullRequest(NamedTuple):
    number: int
    url: str  # html_url


class Opened(NamedTuple):
    pull: PullRequest
    operation: str  # "created" | "updated"


def _pull(response: transport.Response, what: str) -> PullRequest:
    data = response.json(dict, what=what)
    number, url = data.get("number"), data.get("html_url")
    if not isinstance(number, int) or not isinstance(url, str):
        raise ActionError(
            what=f"{what}: the answer has no pull request number or html_url",
            why=f"{response.describe()} answered without them.",
            fix="Re-run the job; if it persists, check github-api-url.",
            docs=DOCS,
        )
    return PullRequest(number, url)


def _failed(response: transport.Response, what: str) -> ActionError:
    try:
        message = str(response.json(dict, what=what).get("message", ""))
    except ActionError:
        message = ""
    forbidden = response.status in (401, 403, 404)
    return ActionError(
        what=f"{what} failed: HTTP {response.status}",
        why=(message or response.describe())[:1000],
        fix=PERMISSIONS_FIX if forbidden else "Re-run the job; if it persists, the message above says why.",
        docs=DOCS,
    )


def find_open(api_url: str, repository: str, branch: str, base: str, auth: transport.Auth | None) -> PullRequest | None:
    """The open pull request from ``branch`` (of the repository's owner) into ``base``, if there is one."""
    owner = repository.split("/")[0]
    query = urlencode({"state": "open", "head": f"{owner}:{branch}", "base": base, "per_page": "100"})
    url = f"{api_url.rstrip('/')}/repos/{quote(repository)}/pulls?{query}"
    response = transport.get_json(url, auth=auth, headers=transport.GITHUB_API_HEADERS)
    if response.status != 200:
        raise _failed(response, f"Listing the pull requests of {repository}")
    listed = response.json(list, what=f"the pull requests of {repository}")
    if not listed or not isinstance(listed[0], dict):
        return None
    number, html = listed[0].get("number"), listed[0].get("html_url")
    return PullRequest(number, html) if isinstance(number, int) and isinstance(html, str) else None


def open_or_update(
    api_url: str,
    repository: str,
    branch: str,
    base: str,
    title: str,
    body: str,
    auth: transport.Auth | None,
) -> Opened:
    """Update the open pull request of ``branch`` into ``base`` (title and body), else open one."""
    api = f"{api_url.rstrip('/')}/repos/{quote(repository)}/pulls"
    headers = {**transport.GITHUB_API_HEADERS, "Content-Type": "application/json"}
    existing = find_open(api_url, repository, branch, base, auth)
    if existing is not None:
        payload = json.dumps({"title": title, "body": body}).encode()
        response = transport.request(
            "PATCH", f"{api}/{existing.number}", headers=headers, body=payload, auth=auth, retry=transport.NO_RETRY
        )
        if response.status != 200:
            raise _failed(response, f"Updating pull request #{existing.number}")
        return Opened(_pull(response, f"pull request #{existing.number}"), "updated")
    payload = json.dumps({"title": title, "head": branch, "base": base, "body": body}).encode()
    response = transport.request("POST", api, headers=headers, body=payload, auth=auth, retry=transport.NO_RETRY)
    if response.status != 201:
        raise _failed(response, f"Opening a pull request from {branch} into {base}")
    return Opened(_pull(response, "the new pull request"), "created")
