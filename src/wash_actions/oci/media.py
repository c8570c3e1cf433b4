"""The OCI records the registry client and the layout share: the media types (their one home in the package),
a manifest as bytes with its media type and digest, and how a digest is computed."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"  # the media types' one home in the package
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


class Manifest(NamedTuple):
    """A manifest's exact bytes, its media type and its digest."""

    body: bytes
    media_type: str
    digest: str


def digest_of(body: bytes | memoryview) -> str:
    """The OCI digest (``sha256:<hex>``) of these bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
