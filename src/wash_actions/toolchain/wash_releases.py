"""wash releases from GitHub's Releases REST API, through the package's own transport.

Only the parts setup-wash needs: each release's tag, whether it is a prerelease, and its assets with their
download URL, size and (where GitHub provides it) ``sha256:`` digest. Shapes, from GitHub's REST docs
("List releases", "Get a release by tag name", API version 2022-11-28): a release object has ``tag_name``,
``draft``, ``prerelease`` and ``assets`` (objects with ``name``, ``browser_download_url``, ``size`` and
``digest`` — ``"sha256:<hex>"`` or null for assets uploaded before GitHub computed digests); the list is
paginated with ``per_page`` (max 100) and an RFC 8288 ``Link`` header whose ``rel="next"`` names the next
page; an unknown tag answers 404.

A token is sent only to the host it belongs to (:func:`api_auth`): on GitHub Enterprise Server or GHE.com the
job's token is never sent to api.github.com, where wash is released.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ..errors import ActionError
from ..runner import transport
from ..versions import parse_version
from .assets import Asset, Release
from .known import UPSTREAM

PER_PAGE = 100
MAX_PAGES = 20
DEADLINE = 120.0
GITHUB_API = "https://api.github.com"
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


class ApiUnavailable(Exception):
    """The API could not be reached at all (network), as opposed to answering with an error."""


def api_auth(api_url: str, token: str, *, job_api_url: str, explicit_api: bool) -> transport.Auth | None:
    """The token bound to the API host it belongs to, or None when it must not be sent there.

    The job's token belongs to the job's own API (``GITHUB_API_URL``). A ``github-api-url`` the user set
    explicitly is where they chose to send their token (a mirror with its own token). Anything else — the
    github.com API reached from a GHES or GHE.com job — is asked without a token.
    """
    if not token:
        return None
    host = transport.host_of(api_url)
    if explicit_api or (job_api_url and transport.host_of(job_api_url) == host):
        return transport.Auth.bearer(token, api_url)
    if not job_api_url and host == transport.host_of(GITHUB_API):
        return transport.Auth.bearer(token, api_url)  # outside Actions: a token the user gave for github.com
    return None


def _asset(raw: object, host: str) -> Asset | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    url = raw.get("browser_download_url")
    size = raw.get("size")
    digest = str(raw.get("digest") or "").lower()
    return Asset(
        raw["name"],
        url if isinstance(url, str) else "",
        size if isinstance(size, int) else 0,
        digest if _SHA256.fullmatch(digest) else "",  # another algorithm or garbage: as if not reported
    )


def parse_release(raw: object, host: str) -> Release | None:
    """A release object as the REST API documents it; None for drafts and tags that are not versions."""
    if not isinstance(raw, dict):
        raise _shape_error(host, "a release object", raw)
    tag = raw.get("tag_name")
    version = parse_version(tag) if isinstance(tag, str) else None
    if version is None or raw.get("draft") is True:
        return None
    listed = raw.get("assets")
    if not isinstance(listed, list):
        raise _shape_error(host, "a release with an assets list", raw)
    assets = {a.name: a for a in (_asset(item, host) for item in listed) if a is not None}
    return Release(str(tag), version, raw.get("prerelease") is True or version.prerelease, assets)


def _shape_error(host: str, expected: str, got: object) -> ActionError:
    return transport.TransportError(
        what=f"{host} answered the Releases API with something other than {expected}",
        why=f"It sent {transport.sanitise(repr(got), 120)}.",
        fix="Leave 'github-api-url' unset to use GitHub's API, or point it at a server that serves "
        "GitHub's Releases API.",
        docs="#setup-wash",
        host=host,
        kind="content",
    )


def _api_error(response: transport.Response, api_url: str) -> ActionError:
    status = response.status
    host = response.host
    if status == 401:
        return ActionError(
            what=f"GitHub's API at {host} rejected the token (HTTP 401)",
            why="The 'github-token' input is not a valid token for this API.",
            fix="Leave github-token at its default (the job's token), or pass a valid one:\n"
            "with:\n  github-token: ${{ secrets.GITHUB_TOKEN }}",
            docs="#setup-wash",
        )
    if status in (403, 429):
        return ActionError(
            what=f"GitHub's API at {host} refused to list wash releases (HTTP {status})",
            why="Most likely the API rate limit: unauthenticated requests get 60 an hour per IP "
            f"({response.describe()}).",
            fix="Pass a token (the default is the job's token), or pin an exact version, which needs no API:\n"
            "with:\n  wash-version: 2.10.3",
            docs="#setup-wash",
        )
    if status == 404:
        return ActionError(
            what=f"{UPSTREAM} was not found at {api_url}",
            why=f"The API URL does not serve GitHub's Releases API for wasmCloud/wasmCloud ({response.describe()}).",
            fix="Leave 'github-api-url' unset to use api.github.com.",
            docs="#setup-wash",
        )
    return ActionError(
        what=f"GitHub's API at {host} failed (HTTP {status})",
        why=f"It answered {response.describe()}"
        + (f" after {response.attempts} attempts." if response.attempts > 1 else "."),
        fix="Re-run the job; pin an exact version to install without the API:\nwith:\n  wash-version: 2.10.3",
        docs="#setup-wash",
    )


def _get(url: str, auth: transport.Auth | None) -> transport.Response:
    try:
        return transport.get_json(url, auth=auth, headers=transport.GITHUB_API_HEADERS, deadline=DEADLINE)
    except transport.TransportError as exc:
        if exc.kind in ("connection", "deadline"):
            raise ApiUnavailable(f"{exc.what}: {exc.why}") from None
        exc.docs = "#setup-wash"
        raise


def list_releases(api_url: str, auth: transport.Auth | None) -> list[Release]:
    """Every wash release (tags that are versions), newest first as the API lists them."""
    url = f"{api_url.rstrip('/')}/repos/{UPSTREAM}/releases?per_page={PER_PAGE}"
    releases: list[Release] = []
    for _ in range(MAX_PAGES):
        response = _get(url, auth)
        if response.status != 200:
            raise _api_error(response, api_url)
        batch = response.json(list, what="the list of releases")
        releases += [r for r in (parse_release(raw, response.host) for raw in batch) if r is not None]
        url = transport.next_link(response)
        if not url:
            break
        if transport.host_of(url) != response.host or not url.startswith(("https://", "http://")):
            raise _shape_error(response.host, "a next page on the same server", f"Link: {url}")
    return releases


def get_release(api_url: str, auth: transport.Auth | None, tag: str) -> Release | None:
    """One release by tag; None when the API says it does not exist."""
    url = f"{api_url.rstrip('/')}/repos/{UPSTREAM}/releases/tags/{quote(tag, safe='')}"
    response = _get(url, auth)
    if response.status == 404:
        return None
    if response.status != 200:
        raise _api_error(response, api_url)
    return parse_release(response.json(dict, what=f"the release {tag}"), response.host)
