"""Which wash release, asset and URLs a ``wash-version`` request resolves to, from plain values.

Nothing here talks to the network or the runner: the setup-wash command fetches release records
(:mod:`releases`) and hands them in; these functions decide. An exact version needs no release record at all
(:func:`direct`); a range or ``latest`` picks from the records (:func:`pick`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from .. import versions
from ..errors import ActionError
from . import assets, known

DEFAULT_DOWNLOAD_BASE = "https://github.com"
DEFAULT_API = "https://api.github.com"


def job_api_url(server_url: str, api_url: str) -> str:
    """The job's own API, which its token belongs to: GITHUB_API_URL, else derived from GITHUB_SERVER_URL."""
    if api_url:
        return api_url
    server = server_url.rstrip("/")
    if not server:
        return ""
    return DEFAULT_API if server == DEFAULT_DOWNLOAD_BASE else f"{server}/api/v3"


def default_api_url(server_url: str, api_url: str) -> str:
    """wash is released on github.com: use the job's API only when the job runs on github.com too."""
    if api_url and server_url.rstrip("/") in ("", DEFAULT_DOWNLOAD_BASE):
        return api_url
    return DEFAULT_API


class Resolved(NamedTuple):
    """One wash binary to install: its version, release tag, asset name, URLs and expected digest."""

    version: versions.Version
    tag: str
    asset: str
    url: str
    sha256: str  # expected digest: the user's checksum, else the API's asset digest, else ""
    bundle_url: str  # the release's wash.sigstore.json, when it has one

    def as_json(self) -> str:
        """The form the resolve step hands to the install step (an action output)."""
        return json.dumps(
            {
                "version": str(self.version),
                "tag": self.tag,
                "asset": self.asset,
                "url": self.url,
                "sha256": self.sha256,
                "bundle_url": self.bundle_url,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Resolved:
        """Read back what :meth:`as_json` wrote."""
        data = json.loads(text)
        version = versions.parse_version(data["version"])
        assert version is not None
        return cls(version, data["tag"], data["asset"], data["url"], data["sha256"], data["bundle_url"])


def tags_for(request: versions.Request) -> list[str]:
    """The release tags an exact request may be published under, most likely first (``v2.10.3``,
    ``wash-v2.10.3``; a prerelease the other way round; a request written as a tag first of all)."""
    assert request.exact is not None
    given = request.text.strip()
    version = request.exact
    candidates = [given] if not given[0].isdigit() else []
    candidates += [f"v{version}", f"wash-v{version}"] if not version.prerelease else [f"wash-v{version}", f"v{version}"]
    return list(dict.fromkeys(candidates))


def from_release(
    release: assets.Release, plat: assets.Platform, *, download_base_url: str, checksum: str
) -> Resolved | None:
    """The release's binary for this platform (None when it has none), downloaded from the mirror when one
    is set; the expected digest is the checksum pin, else the asset digest the API states."""
    for name in assets.asset_names(plat, release.version):
        asset = release.assets.get(name)
        if asset is None:
            continue
        url = assets.download_url(download_base_url, release.tag, name) if download_base_url else asset.url
        bundle = release.assets.get(assets.BUNDLE_ASSET)
        bundle_url = ""
        if bundle is not None:
            bundle_url = (
                assets.download_url(download_base_url, release.tag, bundle.name) if download_base_url else bundle.url
            )
        listed = None if checksum else known.known_sha256(release.version, name)
        expected = checksum or listed or asset.digest.lower().removeprefix("sha256:")
        return Resolved(release.version, release.tag, name, url, expected, bundle_url)
    return None


def from_manifest(
    version: versions.Version, plat: assets.Platform, *, download_base_url: str, checksum: str
) -> Resolved | None:
    """An exact version listed in the manifest of known releases: tag, asset and sha256 without any API."""
    hit = known.lookup(version, assets.asset_names(plat, version))
    if hit is None:
        return None
    check_pin_against(hit, checksum)
    url = assets.download_url(download_base_url or DEFAULT_DOWNLOAD_BASE, hit.release.tag, hit.asset)
    return Resolved(version, hit.release.tag, hit.asset, url, hit.sha256, "")


def check_pin_against(hit: known.Known, checksum: str) -> None:
    """A ``checksum`` pin must agree with the manifest's verified sha256 for the same asset."""
    if checksum and checksum != hit.sha256:
        raise ActionError(
            what=f"checksum pins another binary than wash {hit.release.version}'s {hit.asset}",
            why=f"That asset was verified against wasmCloud's provenance with sha256 {hit.sha256}; "
            f"'checksum' is {checksum}. Both cannot match one download.",
            fix="Remove 'checksum' (the verified digest is used), or set it to the verified one:\n"
            f"with:\n  checksum: {hit.sha256}",
            docs="#trust-model",
        )


def from_exact_release(
    request: versions.Request,
    release: assets.Release,
    plat: assets.Platform,
    *,
    download_base_url: str,
    checksum: str,
) -> Resolved:
    """The exact version's release, which must have a binary for this platform."""
    assert request.exact is not None
    resolved = from_release(release, plat, download_base_url=download_base_url, checksum=checksum)
    if resolved is None:
        raise assets.not_found(request.exact, assets.asset_name(plat, request.exact))
    return resolved


def not_released(request: versions.Request) -> ActionError:
    """No release carries any of the exact version's tags."""
    return ActionError(
        what=f"wash {request.exact} is not released",
        why=f"{known.UPSTREAM} has no release tagged {' or '.join(tags_for(request))}.",
        fix="Use a released version (see https://github.com/wasmCloud/wasmCloud/releases), or a range:\n"
        "with:\n  wash-version: latest",
        docs="#setup-wash",
    )


def pick(
    request: versions.Request,
    available: Iterable[assets.Release],
    plat: assets.Platform,
    *,
    download_base_url: str,
    checksum: str,
) -> Resolved:
    """The newest release a range or ``latest`` admits that has a binary for this platform.

    Releases GitHub marks as prereleases are skipped, whatever their tag says.
    """
    usable = {
        r.version: r
        for r in available
        if not r.prerelease
        and from_release(r, plat, download_base_url=download_base_url, checksum=checksum) is not None
    }
    picked = request.pick(usable)
    if picked is None:
        stable = sorted((v for v in usable if not v.prerelease), key=versions.Version.key)
        raise ActionError(
            what=f"No wash release matches {request.text!r}",
            why=f"The newest wash 2.x release with a binary for this platform is {stable[-1] if stable else 'none'}.",
            fix="Widen the range or use latest:\nwith:\n  wash-version: latest",
            docs="#setup-wash",
        )
    resolved = from_release(usable[picked], plat, download_base_url=download_base_url, checksum=checksum)
    assert resolved is not None
    return resolved


def direct(request: versions.Request, plat: assets.Platform, *, download_base_url: str, checksum: str) -> Resolved:
    """An exact version needs no API call: the download URL is known, the digest comes from the checksum
    pin or, when verifying, from the provenance. A tag or asset that does not exist is a 404 at download."""
    assert request.exact is not None
    base = download_base_url or DEFAULT_DOWNLOAD_BASE
    tag = tags_for(request)[0]
    asset = assets.asset_name(plat, request.exact)
    bundle = assets.download_url(base, tag, assets.BUNDLE_ASSET)
    return Resolved(request.exact, tag, asset, assets.download_url(base, tag, asset), checksum, bundle)


def cache_key(resolved: Resolved, plat: assets.Platform) -> str:
    """The actions/cache key of the binary: version, platform and (when known) the digest's first 16 hex."""
    libc = "-musl" if plat.musl else ""
    digest = f"-{resolved.sha256[:16]}" if resolved.sha256 else ""
    return f"wash-{resolved.version}-{plat.os}-{plat.arch}{libc}{digest}"
