"""OCI image references as manifests and workflow outputs write them: ``[registry/]repository[:tag][@digest]``.

The grammar is the distribution project's (``reference/regexp.go``): a domain (host with an optional port)
when the first path component has a ``.`` or ``:`` or is ``localhost``; lower-case path components; a tag of
at most 128 word characters, dots and dashes; a digest ``algorithm:hex`` whose hex has the algorithm's length
(64 for sha256, 128 for sha512). Docker Hub's short names (``nginx``, ``library/nginx``) name the same
repository as ``docker.io/library/nginx``: :func:`ImageRef.key` compares them so.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import ActionError

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:]+\])(?::[0-9]{{1,5}})?$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
MAX_LENGTH = 4096
DOCS = "#deploy"
DOCKER_HUB_API = "registry-1.docker.io"  # docker.io's distribution API (distribution/reference normalize.go)


class ImageRef(NamedTuple):
    """One parsed reference. ``name`` is ``[domain/]path`` as written; ``tag`` and ``digest`` may be empty."""

    name: str
    tag: str
    digest: str

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def key(self) -> str:
        """The repository this reference names, the way a registry resolves it (Docker Hub's defaults
        filled in, the domain lower-cased): two references with one key name one repository."""
        first, _, rest = self.name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
            return f"{first.lower()}/{rest}"
        path = self.name if "/" in self.name else f"library/{self.name}"
        return f"docker.io/{path}"

    @property
    def registry(self) -> str:
        """The registry host to ask (Docker Hub's API host for ``docker.io``)."""
        host = self.key.split("/", 1)[0]
        return DOCKER_HUB_API if host == "docker.io" else host

    @property
    def repository(self) -> str:
        """The repository within the registry (``library/nginx`` for ``nginx``)."""
        return self.key.split("/", 1)[1]

    def pinned(self, digest: str, tag: str = "") -> ImageRef:
        """This reference at ``digest``, with ``tag`` (or its own tag when ``tag`` is empty) kept beside it."""
        return ImageRef(self.name, tag or self.tag, digest)


def check_digest(digest: str, *, where: str) -> str:
    """``algorithm:hex`` with the algorithm's length, lower-case; one clear error otherwise."""
    algorithm, sep, value = digest.partition(":")
    length = DIGEST_LENGTHS.get(algorithm)
    if not sep or length is None or not re.fullmatch(f"[0-9a-f]{{{length}}}", value):
        got = f"{len(value)} characters" if sep and length is not None else "no sha256:/sha512: prefix"
        raise ActionError(
            what=f"{where}: {shown(digest)} is not a digest",
            why=f"A digest is sha256: followed by 64 lower-case hex digits (or sha512: and 128); this has {got}.",
            fix="Copy the digest from publish's 'digest' output or from the registry, whole: sha256:<64 hex digits>.",
            docs=DOCS,
        )
    return digest


def shown(text: str, limit: int = 120) -> str:
    """``text`` quoted for an error message: control characters escaped, long values shortened."""
    clipped = text if len(text) <= limit else text[:limit] + "…"
    return repr(clipped)


def parse(text: str, *, where: str) -> ImageRef:
    """Parse one reference; ``where`` names its place (``deploy/app.yaml:12``) in the one error a bad one gets."""
    if not text or len(text) > MAX_LENGTH or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise _bad(
            text, where, "a reference is one token of at most 4096 characters, with no spaces or control characters"
        )
    rest, _, digest = text.partition("@")
    if digest:
        check_digest(digest, where=where)
    name, tag = rest, ""
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        name, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            raise _bad(text, where, f"the tag {tag!r} is not a tag (word characters, '.' and '-', at most 128)")
    first, sep, path = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _DOMAIN.match(first):
            raise _bad(text, where, f"{first!r} is not a registry host")
    else:
        path = name
    if not _PATH.match(path):
        raise _bad(
            text,
            where,
            "repository names are lower-case letters and digits separated by '.', '_', '__' or '-', joined by '/'",
        )
    return ImageRef(name, tag, digest)


def _bad(text: str, where: str, why: str) -> ActionError:
    return ActionError(
        what=f"{where}: {shown(text)} is not an image reference",
        why=f"An image reference is [registry/]repository[:tag][@sha256:digest]; {why}.",
        fix="Write it as the registry shows it, e.g. ghcr.io/my-org/my-component:1.2.0@sha256:<64 hex digits>.",
        docs=DOCS,
    )
