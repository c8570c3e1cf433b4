"""wash releases from the GitHub Releases API (PyGithub), paginated and authenticated.

Only the parts setup-wash needs: each release's tag, whether it is a prerelease, and its assets with
their download URL, size and (where GitHub provides it) ``sha256:`` digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ActionError
from .versions import Version, parse_version

UPSTREAM = "wasmCloud/wasmCloud"
PER_PAGE = 100
MAX_PAGES = 20
TIMEOUT = 20


@dataclass(frozen=True)
class Asset:
    name: str
    url: str
    size: int = 0
    digest: str = ""  # "sha256:<hex>" when the API reports it


@dataclass(frozen=True)
class Release:
    tag: str
    version: Version
    prerelease: bool
    assets: dict[str, Asset] = field(default_factory=dict)


class ApiUnavailable(Exception):
    """The API could not be reached at all (network), as opposed to answering with an error."""


def _client(api_url: str, token: str):  # type: ignore[no-untyped-def]
    import github  # lazy: ~0.2 s to import, and only a cold install needs it
    from urllib3.util.retry import Retry

    retry = Retry(
        total=3,
        backoff_factor=1.0,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=("GET",),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    auth = github.Auth.Token(token) if token else None
    return github.Github(
        base_url=api_url.rstrip("/"),
        auth=auth,
        timeout=TIMEOUT,
        per_page=PER_PAGE,
        retry=retry,
        seconds_between_requests=None,
        user_agent="wash-actions",
        lazy=True,
    )


def _release(raw: object) -> Release | None:
    tag = str(getattr(raw, "tag_name", ""))
    version = parse_version(tag)
    if version is None or getattr(raw, "draft", False):
        return None
    assets = {
        a.name: Asset(a.name, a.browser_download_url, int(a.size or 0), str(getattr(a, "digest", "") or ""))
        for a in raw.assets  # type: ignore[attr-defined]
    }
    return Release(tag, version, bool(getattr(raw, "prerelease", False)) or version.prerelease, assets)


def _api_error(exc: Exception, api_url: str) -> ActionError | ApiUnavailable:
    import requests

    if isinstance(exc, requests.RequestException):
        return ApiUnavailable(str(exc))
    status = getattr(exc, "status", 0)
    if status == 401:
        return ActionError(
            what=f"GitHub's API at {api_url} rejected the token (HTTP 401)",
            why="The 'github-token' input is not a valid token for this API.",
            fix="Leave github-token at its default (the job's token), or pass a valid one:\n"
            "with:\n  github-token: ${{ secrets.GITHUB_TOKEN }}",
            docs="#setup-wash",
        )
    if status in (403, 429):
        return ActionError(
            what=f"GitHub's API at {api_url} refused to list wash releases (HTTP {status})",
            why="Most likely the API rate limit: unauthenticated requests get 60 an hour per IP.",
            fix="Pass a token (the default is the job's token), or pin an exact version, which needs no API:\n"
            "with:\n  wash-version: 2.10.3",
            docs="#setup-wash",
        )
    if status == 404:
        return ActionError(
            what=f"{UPSTREAM} was not found at {api_url}",
            why="The API URL does not serve GitHub's Releases API for wasmCloud/wasmCloud (a GHES or mirror URL?).",
            fix="Leave 'github-api-url' unset to use api.github.com.",
            docs="#setup-wash",
        )
    return ActionError(
        what=f"GitHub's API at {api_url} failed (HTTP {status or '?'})",
        why=str(exc)[:300],
        fix="Re-run the job; pin an exact version to install without the API.",
        docs="#setup-wash",
    )


def list_releases(api_url: str, token: str) -> list[Release]:
    """Every wash release (tags that are versions), newest first as the API lists them."""
    import github
    import requests

    client = _client(api_url, token)
    releases: list[Release] = []
    try:
        paginated = client.get_repo(UPSTREAM).get_releases()
        for page in range(MAX_PAGES):
            batch = paginated.get_page(page)
            releases += [r for r in (_release(raw) for raw in batch) if r is not None]
            if len(batch) < PER_PAGE:
                break
    except (github.GithubException, requests.RequestException) as exc:
        raise _api_error(exc, api_url) from None
    return releases


def get_release(api_url: str, token: str, tag: str) -> Release | None:
    """One release by tag; None when the API says it does not exist."""
    import github
    import requests

    client = _client(api_url, token)
    try:
        raw = client.get_repo(UPSTREAM).get_release(tag)
    except github.UnknownObjectException:
        return None
    except (github.GithubException, requests.RequestException) as exc:
        raise _api_error(exc, api_url) from None
    return _release(raw)
