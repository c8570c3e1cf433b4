"""Where Sigstore bundles come from: each source is a value (a name and a loader) that the verifier takes.

- :func:`release_asset`: a release's bundle asset (wash's ``wash.sigstore.json``);
- :func:`attestations_api`: GitHub's attestations API, ``GET /repos/{owner}/{repo}/attestations/{subject_digest}``
  (REST docs "List attestations");
- :func:`oci_referrers`: an OCI image's attestations in its registry, read as gh's ``--bundle-from-oci`` reads them
  (cli/cli pkg/cmd/attestation/artifact/oci/client.go ``GetAttestations``): the referrers of the digest (referrers
  API, else the ``sha256-<hex>`` tag's index), those whose ``artifactType`` starts
  ``application/vnd.dev.sigstore.bundle``, each one's first layer;
- :func:`given`: bundles already in hand.

A loader returns [] for "none found"; a source that failed (an error status, HTML, a wrong shape, unreachable)
raises :class:`SourceFailed`, never "none found".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ActionError
from ..runner import transport

if TYPE_CHECKING:
    from ..oci.registry import Registry

DEADLINE = 120.0
MAX_BUNDLES = 16 << 20  # all bundles of one source
MAX_BUNDLE = 4 << 20  # one bundle layer in a registry
MAX_REFERRERS = 64  # bundle referrers read per image
BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class SourceFailed(Exception):
    """A source answered with an error or unusable content (not "none found"); the message names the server."""


class Source(NamedTuple):
    """A named source of bundles: ``load()`` returns them ([] when it has none) or raises SourceFailed."""

    name: str
    load: Callable[[], list[bytes]]


def _failed(exc: ActionError) -> SourceFailed:
    return SourceFailed(f"{exc.what} ({exc.why})")


def given(name: str, bundles: list[bytes]) -> Source:
    """Bundles already in hand (e.g. one release bundle shared by several binaries)."""
    return Source(name, lambda: list(bundles))


def fetch_asset(url: str) -> bytes | None:
    """A release's bundle asset; None when the release has none (404). Other failures raise SourceFailed."""
    try:
        response = transport.request("GET", url, deadline=DEADLINE, max_bytes=MAX_BUNDLES)
    except transport.TransportError as exc:
        raise _failed(exc) from None
    if response.status == 404:
        return None
    if response.status != 200:
        raise SourceFailed(f"{response.host} answered {response.describe()}")
    return response.body


def release_asset(url: str, name: str) -> Source:
    """The bundle a release carries as the asset at ``url``."""

    def load() -> list[bytes]:
        found = fetch_asset(url)
        return [found] if found else []

    return Source(f"release asset {name}", load)


def fetch_attestations(api_url: str, auth: transport.Auth | None, repository: str, sha256: str) -> list[bytes]:
    """Bundles from GitHub's attestations API for ``repository`` and the subject ``sha256:<sha256>``.

    [] when the API has none for this digest (404); an error status, HTML or a wrong shape raises SourceFailed.
    """
    if not _HEX64.fullmatch(sha256):
        raise SourceFailed(f"not a sha256: {transport.sanitise(sha256, 80)!r}")
    url = f"{api_url.rstrip('/')}/repos/{repository}/attestations/sha256:{sha256}"
    try:
        response = transport.request(
            "GET", url, headers=transport.GITHUB_API_HEADERS, auth=auth, deadline=DEADLINE, max_bytes=MAX_BUNDLES
        )
        if response.status == 404:
            return []
        if response.status != 200:
            raise SourceFailed(f"{response.host} answered {response.describe()}")
        listed = response.json(dict, what="the attestations request").get("attestations")
    except transport.TransportError as exc:
        raise _failed(exc) from None
    if not isinstance(listed, list):
        raise SourceFailed(f"{response.host} answered without an attestations list: {response.describe()}")
    return [
        json.dumps(a["bundle"]).encode() for a in listed if isinstance(a, dict) and isinstance(a.get("bundle"), dict)
    ]


def attestations_api(api_url: str, auth: transport.Auth | None, repository: str, sha256: str) -> Source:
    """GitHub's attestations API of ``repository`` (``owner/repo``) for the subject ``sha256``."""
    return Source("GitHub attestations API", lambda: fetch_attestations(api_url, auth, repository, sha256))


def fetch_referrers(client: Registry, repository: str, digest: str) -> list[bytes]:
    """The Sigstore bundles attached to ``repository@digest`` in its registry (see the module's docstring)."""
    from ..oci.registry import RegistryError

    try:
        descriptors = client.referrers(repository, digest)
        bundles: list[bytes] = []
        for descriptor in descriptors:
            artifact_type = descriptor.get("artifactType")
            if not isinstance(artifact_type, str) or not artifact_type.startswith(BUNDLE_ARTIFACT_TYPE):
                continue
            if len(bundles) >= MAX_REFERRERS:
                break
            reference = descriptor.get("digest")
            manifest = client.get_manifest(repository, reference if isinstance(reference, str) else "")
            layers = json.loads(manifest.body).get("layers")
            if not isinstance(layers, list) or not layers or not isinstance(layers[0], dict):
                raise SourceFailed(f"the referrer {manifest.digest} of {digest} has no layers")
            layer = layers[0].get("digest")
            bundles.append(client.get_blob(repository, layer if isinstance(layer, str) else "", max_bytes=MAX_BUNDLE))
    except (RegistryError, transport.TransportError) as exc:
        raise _failed(exc) from None
    except (ValueError, AttributeError) as exc:
        raise SourceFailed(f"{client.host} sent an unreadable referrer manifest for {digest}: {exc}") from None
    return bundles


def oci_referrers(client: Registry, repository: str, digest: str) -> Source:
    """The attestations attached to an image in its registry (referrers API, else the ``sha256-<hex>`` tag)."""
    return Source(f"registry {client.host}/{repository}", lambda: fetch_referrers(client, repository, digest))
