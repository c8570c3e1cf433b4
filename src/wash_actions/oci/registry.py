"""OCI distribution operations wash lacks: read a manifest's raw bytes, tag it, resolve a tag.

Manifests are moved as raw bytes with their exact media type: re-serialising the JSON would change
the digest. Authentication follows the distribution spec: basic credentials, or the bearer token
exchange (``WWW-Authenticate: Bearer realm=…,service=…,scope=…``) that GHCR, Docker Hub and ECR use.

Why not oras-py (evaluated at 0.2.43): ``get_manifest`` returns parsed JSON and ``upload_manifest`` sends
``json=`` with a fixed Content-Type, so a manifest moved with them gets a different digest; its requests
carry no timeout; and it pulls jsonschema (with a Rust-built dependency) into every runner's venv. The
transport is the package's own (:mod:`wash_actions.runner.transport`: deadlines, bounded retries with Retry-After,
safe redirects, digests checked on receipt) plus the token exchange, tested against the real registry and
a GHCR-style bearer-token proxy.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple
from urllib.parse import quote, urljoin, urlsplit

from ..errors import ActionError
from ..runner import transport
from .media import OCI_INDEX as OCI_INDEX
from .media import OCI_MANIFEST as OCI_MANIFEST
from .media import Manifest as Manifest
from .media import digest_of as digest_of

if TYPE_CHECKING:
    from email.message import Message

RETRY = transport.DEFAULT_RETRY
DEADLINE = 300.0  # one registry exchange, every attempt included
MAX_MANIFEST = 4 << 20  # the OCI distribution spec's manifest size registries must accept
MANIFEST_TYPES = ", ".join(
    [
        OCI_MANIFEST,
        OCI_INDEX,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class Credentials(NamedTuple):
    username: str
    password: str

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"Credentials(username={self.username!r}, password=***)"

    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class Stored(NamedTuple):
    """A manifest the registry stored: its digest and the response headers, looked up case-insensitively."""

    digest: str
    headers: Mapping[str, str]


class Blob(NamedTuple):
    """A blob the repository has now: its digest, and whether this upload sent it (False: it was there)."""

    digest: str
    uploaded: bool


GITHUB_REGISTRIES = ("ghcr.io",)


def input_credentials(host: str, username: str, password: str, *, job_actor: str, job_token: str) -> Credentials | None:
    """The credentials the inputs give; for GitHub's registry with none given, the job's actor and token.
    None means the runner's docker login (:func:`docker_config_credentials`)."""
    if not username and not password and host in GITHUB_REGISTRIES:
        username, password = job_actor, job_token
    if bool(username) != bool(password):
        missing = "password" if username else "username"
        raise ActionError(
            what=f"Input '{missing}' is missing",
            why="Registry credentials need both a username and a password (or token).",
            fix="with:\n  username: ${{ github.actor }}\n  password: ${{ secrets.REGISTRY_TOKEN }}",
            docs="#publish",
        )
    return Credentials(username, password) if username else None


def pull_credentials(
    host: str, username: str, password: str, *, job_actor: str, job_token: str, docker_config: Path
) -> Credentials | None:
    """The credentials to read images from ``host`` with, as publish has them: the inputs' (for ghcr.io without
    any, the job's actor and token), else the runner's docker login. The one rule for check and verify."""
    given = input_credentials(host, username, password, job_actor=job_actor, job_token=job_token)
    return given or docker_config_credentials(docker_config, host)


def docker_config_credentials(config_dir: Path, registry: str) -> Credentials | None:
    """Credentials stored by ``docker login``/docker/login-action under ``auths``."""
    path = config_dir / "config.json"
    try:
        auths = json.loads(path.read_text()).get("auths", {})
    except (OSError, ValueError):
        return None
    for key in (registry, f"https://{registry}", f"http://{registry}"):
        entry = auths.get(key) or {}
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return Credentials(user, password)
        if entry.get("username") and entry.get("password"):
            return Credentials(entry["username"], entry["password"])
    return None


class Registry:
    """A minimal OCI distribution client for one registry host, on the package's transport.

    Every manifest read is hashed on receipt: by digest it must match that digest, and a
    ``Docker-Content-Digest`` header that disagrees with the bytes is refused. Credentials (basic or the
    bearer token exchanged for them) are bound to the registry host and sent nowhere else.
    """

    def __init__(
        self,
        host: str,
        *,
        insecure: bool = False,
        credentials: Credentials | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.host = host
        self.base = f"{'http' if insecure else 'https'}://{host}"
        self.credentials = credentials
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._sleep = sleep

    # -- transport -------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        url: str,
        scope: str,
        headers: dict[str, str] | None = None,
        data: bytes | memoryview | None = None,
        *,
        reference: str = "",
        expected_digest: str = "",
        max_bytes: int = MAX_MANIFEST,
        challenged: bool = False,
    ) -> transport.Response:
        try:
            response = transport.request(
                method,
                url,
                headers=headers,
                body=data,
                auth=self._authorization(scope),
                retry=RETRY,
                deadline=DEADLINE,
                max_bytes=max_bytes,
                expected_digest=expected_digest,
                sleep=self._sleep,
            )
        except transport.TransportError as exc:
            raise self._failed(exc, method, scope, reference) from None
        challenge = response.header("WWW-Authenticate")
        if (
            response.status == 401
            and not challenged
            and response.host == self.host.lower()  # a challenge from the registry itself, not a redirect target
            and challenge.lower().startswith("bearer")
        ):
            token = self._token(challenge, scope)
            with self._lock:
                self._tokens[scope] = token
            return self._send(
                method,
                url,
                scope,
                headers,
                data,
                reference=reference,
                expected_digest=expected_digest,
                max_bytes=max_bytes,
                challenged=True,
            )
        if RETRY.retries(response.status):
            raise unreachable(
                self.host,
                f"HTTP {response.status} after {response.attempts} attempts ({response.describe()})",
                status=response.status,
                method=method,
                reference=reference,
            )
        return response

    def _failed(self, exc: transport.TransportError, method: str, scope: str, reference: str) -> RegistryError:
        if exc.kind == "connection":
            return unreachable(self.host, exc.why, method=method, reference=reference)
        return RegistryError(
            what=exc.what,
            why=exc.why,
            fix=exc.fix,
            docs="#publish",
            kind="exchange",
            host=exc.host or self.host,
            status=exc.status,
            method=method,
            reference=reference,
        )

    def _authorization(self, scope: str) -> transport.Auth | None:
        with self._lock:
            token = self._tokens.get(scope)
        if token:
            return transport.Auth(f"Bearer {token}", self.host)
        if self.credentials:
            return transport.Auth(self.credentials.basic(), self.host)
        return None

    def _token(self, challenge: str, scope: str) -> str:
        """The bearer token exchange of the distribution token spec (docs/spec/auth/token.md).

        The realm is the token service the registry names in its own challenge; it gets the registry
        credentials (basic), over https only (plain http only from a loopback registry to a loopback realm).
        """
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.pop("realm", "")
        realm_host = transport.host_of(realm) if "://" in realm else ""
        parts = urlsplit(realm)
        plain_ok = self.base.startswith("http://") and transport.is_loopback(realm_host)
        if not realm or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not plain_ok):
            raise RegistryError(
                what=f"{self.host} asked for a bearer token from an unusable realm {transport.sanitise(realm, 100)!r}",
                why="A registry's WWW-Authenticate challenge must name its token service as an https URL "
                f"(it sent {transport.sanitise(challenge, 160)!r}); credentials are never sent elsewhere.",
                fix="Check 'registry': the host (or a proxy in front of it) is not a conforming OCI registry.",
                docs="#publish",
                kind="token",
                host=self.host,
                status=401,
                reference=scope,
            )
        params["scope"] = scope
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe=':,/')}" for k, v in params.items())
        url = f"{realm}{'&' if parts.query else '?'}{query}"
        auth = transport.Auth(self.credentials.basic(), realm_host) if self.credentials else None
        try:
            response = transport.request("GET", url, auth=auth, retry=RETRY, deadline=DEADLINE, sleep=self._sleep)
            if response.status in (401, 403):
                raise denied(self.host, response.status, scope)
            if response.status != 200:
                raise _answered(
                    "token",
                    response,
                    scope,
                    what=f"The token service {response.host} of {self.host} failed (HTTP {response.status})",
                    why=f"It answered {response.describe()}.",
                    fix="Re-run the job; check 'registry' and the credentials if it persists.",
                )
            body = response.json(dict, what="the token request")
        except transport.TransportError as exc:
            raise self._failed(exc, "GET", scope, scope) from None
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str) or not token:
            raise _answered(
                "token",
                response,
                scope,
                what=f"The token service {response.host} of {self.host} gave no token",
                why=f"Its answer has no 'token' or 'access_token' string: {response.describe()}.",
                fix="Check 'registry' and the credentials.",
            )
        return token

    # -- operations ------------------------------------------------------------------------
    def _manifest(self, response: transport.Response, repository: str, reference: str) -> Manifest:
        body = response.body
        digest = digest_of(body)
        stated = response.header("Docker-Content-Digest")
        if stated and stated != digest:
            raise _answered(
                "mismatch",
                response,
                reference,
                method="GET",
                host=self.host,
                what=f"{self.host} sent a manifest for {repository}:{reference} that does not match its own digest",
                why=f"Docker-Content-Digest says {transport.sanitise(stated, 100)!r}; the {len(body)} bytes received "
                f"hash to {digest}. The registry, or a proxy in front of it, is not serving what it claims.",
                fix="Re-run the job; if it persists, do not trust this registry path.",
            )
        return Manifest(body, response.content_type, digest)

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest's exact bytes; by digest they must hash to that digest (checked on receipt)."""
        expected = transport.check_digest(reference, source=self.host) if reference.startswith("sha256:") else ""
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        response = self._send(
            "GET",
            url,
            f"repository:{repository}:pull",
            headers={"Accept": MANIFEST_TYPES},
            reference=reference,
            expected_digest=expected,
        )
        self._check(response, repository, "pull", reference)
        return self._manifest(response, repository, reference)

    def push_manifest(self, repository: str, reference: str, manifest: Manifest, *, if_match: str = "") -> Stored:
        """PUT the exact bytes under ``reference`` (a tag or the manifest's digest); returns the digest and the
        response headers (``OCI-Subject`` …).

        Raises :class:`Conflict` when ``if_match`` (an ETag) no longer matches, and a :class:`RegistryError`
        naming the reference when the registry says it stored a different digest.
        """
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        headers = {"Content-Type": manifest.media_type}
        if if_match:
            headers["If-Match"] = if_match
        response = self._send(
            "PUT", url, f"repository:{repository}:pull,push", headers=headers, data=manifest.body, reference=reference
        )
        if response.status == 412:
            raise Conflict(reference)
        self._check(response, repository, "push", reference)
        stated = response.header("Docker-Content-Digest")
        if stated and stated != manifest.digest:
            raise _answered(
                "mismatch",
                response,
                reference,
                method="PUT",
                host=self.host,
                what=f"{self.host} stored {repository}:{reference} under another digest",
                why=f"Sent {manifest.digest}; the registry answered Docker-Content-Digest "
                f"{transport.sanitise(stated, 100)!r}.",
                fix="Check that the registry stores manifests unchanged; re-run the job.",
            )
        return Stored(manifest.digest, _Headers(response.headers))

    def has_referrers_api(self, repository: str) -> bool:
        """``GET /v2/<repo>/referrers/<zero digest>`` answers 200 (OCI distribution 1.1), as @sigstore/oci checks."""
        url = f"{self.base}/v2/{repository}/referrers/sha256:{'0' * 64}"
        accept = {"Accept": OCI_INDEX}
        response = self._send("GET", url, f"repository:{repository}:pull", headers=accept)
        return response.status == 200

    def find_manifest(self, repository: str, reference: str) -> tuple[Manifest, str] | None:
        """A manifest and its ETag, or None when the reference does not exist."""
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        response = self._send(
            "GET", url, f"repository:{repository}:pull", headers={"Accept": MANIFEST_TYPES}, reference=reference
        )
        if response.status == 404:
            return None
        self._check(response, repository, "pull", reference)
        return self._manifest(response, repository, reference), response.header("ETag")

    def upload_blob(self, repository: str, data: bytes | memoryview, *, digest: str = "") -> Blob:
        """Upload a blob unless the repository has it (``HEAD`` first; then monolithic: POST for a session, PUT
        with the digest). Returns its digest and whether it was sent.

        A ``HEAD`` that answers 200 must describe these bytes: a ``Docker-Content-Digest`` or ``Content-Length``
        that disagrees is refused, never taken as "already there". ``digest``: the data's, when already known.
        """
        digest = digest or digest_of(data)
        scope = f"repository:{repository}:pull,push"
        head = self._send("HEAD", f"{self.base}/v2/{repository}/blobs/{digest}", scope, reference=digest)
        if head.status == 200:
            self._check_head(head, "blob", digest, len(data))
            return Blob(digest, uploaded=False)
        start = self._send("POST", f"{self.base}/v2/{repository}/blobs/uploads/", scope, reference=digest)
        self._check(start, repository, "push", digest)
        location = urljoin(f"{self.base}/", start.header("Location"))
        separator = "&" if "?" in location else "?"
        done = self._send(
            "PUT",
            f"{location}{separator}digest={digest}",
            scope,
            headers={"Content-Type": "application/octet-stream"},
            data=data,
            reference=digest,
        )
        self._check(done, repository, "push", digest)
        return Blob(digest, uploaded=True)

    def has_manifest(self, repository: str, digest: str) -> bool:
        """Whether the repository stores a manifest under ``digest`` (``HEAD``; a 200 must name that digest)."""
        url = f"{self.base}/v2/{repository}/manifests/{digest}"
        head = self._send(
            "HEAD", url, f"repository:{repository}:pull,push", headers={"Accept": MANIFEST_TYPES}, reference=digest
        )
        if head.status == 404:
            return False
        self._check(head, repository, "pull", digest)
        self._check_head(head, "manifest", digest, -1)
        return True

    def _check_head(self, head: transport.Response, what: str, digest: str, size: int) -> None:
        stated = head.header("Docker-Content-Digest")
        length = head.header("Content-Length")
        wrong = ""
        if stated and stated != digest:
            wrong = f"Docker-Content-Digest {transport.sanitise(stated, 100)!r}"
        elif size >= 0 and length.isdigit() and int(length) != size:
            wrong = f"Content-Length {length} (the {what} has {size} bytes)"
        if wrong:
            raise _answered(
                "mismatch",
                head,
                digest,
                method="HEAD",
                host=self.host,
                what=f"{self.host} answered that it has {what} {digest}, but described another one",
                why=f"Asked for {digest}; the registry answered 200 with {wrong}. A registry (or a proxy in "
                "front of it) that misreports what it stores cannot be published to safely. Nothing was tagged.",
                fix="Re-run the job; if it persists, check the registry (or the proxy in front of it).",
            )

    def get_blob(self, repository: str, digest: str, *, max_bytes: int) -> bytes:
        """A blob's bytes, at most ``max_bytes`` (more is refused as it arrives), hashed on receipt against
        ``digest``."""
        expected = transport.check_digest(digest, source=self.host)
        url = f"{self.base}/v2/{repository}/blobs/{digest}"
        response = self._send(
            "GET", url, f"repository:{repository}:pull", reference=digest, expected_digest=expected, max_bytes=max_bytes
        )
        self._check(response, repository, "pull", digest)
        return response.body

    def resolve(self, repository: str, reference: str) -> str:
        """The digest of what ``reference`` points at, computed from the manifest bytes (never a header alone)."""
        return self.get_manifest(repository, reference).digest

    # -- reading referrers (the read side of attest.push_referrer) ---------------------------------
    def referrers(self, repository: str, digest: str) -> list[dict[str, object]]:
        """The descriptors of the manifests that refer to ``digest`` (OCI distribution 1.1), as go-containerregistry
        reads them for gh's ``--bundle-from-oci`` (pkg/v1/remote/referrers.go ``fetchReferrers``):
        ``GET /v2/<repo>/referrers/<digest>``; an answer other than 200 with an image index (404, 400, 406, or
        another content type) means no referrers API, so the ``sha256-<hex>`` tag's index is read instead (404:
        none). Bounded by the manifest size limit."""
        transport.check_digest(digest, source=self.host)
        url = f"{self.base}/v2/{repository}/referrers/{digest}"
        scope = f"repository:{repository}:pull"
        response = self._send("GET", url, scope, headers={"Accept": OCI_INDEX}, reference=digest)
        body: bytes | None = None
        if response.status == 200 and response.content_type == OCI_INDEX:
            body = response.body
        elif response.status in (200, 400, 404, 406):
            found = self.find_manifest(repository, digest.replace(":", "-", 1))
            if found is None:
                return []
            body = found[0].body
        else:
            self._check(response, repository, "pull", digest)
            raise unreachable(
                self.host, f"HTTP {response.status} for the referrers of {digest}", status=response.status
            )
        try:
            index = json.loads(body)
        except ValueError:
            index = None
        manifests = index.get("manifests") if isinstance(index, dict) else None
        if not isinstance(manifests, list):
            raise RegistryError(
                what=f"{self.host} answered the referrers of {repository}@{digest} with something other than an index",
                why=f"It sent {transport.sanitise(body, 120)!r}.",
                fix="Check 'registry' and 'repository'; a conforming OCI registry answers an image index.",
                docs="#verification",
                kind="refused",
                host=self.host,
                status=response.status,
                reference=digest,
            )
        return [m for m in manifests if isinstance(m, dict)]

    def _check(self, response: transport.Response, repository: str, action: str, reference: str = "") -> None:
        where = f"{repository}:{reference}" if reference and not reference.startswith("sha256:") else repository
        if reference.startswith("sha256:"):
            where = f"{repository}@{reference}"
        if response.status in (401, 403):
            raise denied(self.host, response.status, f"repository:{repository}:{action}", reference=reference)
        if response.status == 404:
            raise RegistryError(
                what=f"{self.host}/{where} has no such manifest",
                why="The registry answered 404: the repository or reference does not exist.",
                fix="Check 'registry' and 'repository', and that the push step ran first.",
                docs="#publish",
                kind="not-found",
                host=self.host,
                status=404,
                reference=reference,
            )
        if response.status >= 400:
            raise RegistryError(
                what=f"{self.host} refused to {action} {where} (HTTP {response.status})",
                why=f"It answered {response.describe()}.",
                fix="Check 'registry', 'repository' and the credentials.",
                docs="#publish",
                kind="refused",
                host=self.host,
                status=response.status,
                reference=reference,
            )


class _Headers(Mapping[str, str]):
    """Response headers looked up case-insensitively (``OCI-Subject``)."""

    def __init__(self, message: Mapping[str, str] | Message[str, str]) -> None:
        self._items = {k.lower(): v for k, v in message.items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


RegistryKind = Literal["denied", "unreachable", "not-found", "refused", "mismatch", "token", "exchange"]
"""What a registry exchange's failure was, for a caller that decides by it (never by the message text):
the credentials refused (401/403), no answer or kept failing, no such manifest (404), another 4xx, an answer
that disagrees with the bytes (a digest or a length), an unusable bearer-token exchange, or the transport
refused the exchange itself (too slow, a refused redirect, a body too large, bytes of the wrong shape)."""


class RegistryError(ActionError):
    """A registry exchange that failed: what kind of failure, which host, which status, and the reference."""

    def __init__(
        self,
        what: str,
        why: str,
        fix: str,
        docs: str,
        *,
        kind: RegistryKind,
        host: str,
        status: int = 0,
        method: str = "",
        reference: str = "",
        details: str = "",
    ) -> None:
        super().__init__(what, why, fix, docs, details=details)
        self.kind: RegistryKind = kind
        self.host = host
        self.status = status
        self.method = method
        self.reference = reference


def _answered(
    kind: RegistryKind,
    response: transport.Response,
    reference: str,
    *,
    what: str,
    why: str,
    fix: str,
    method: str = "",
    host: str = "",
) -> RegistryError:
    """The error for an answer that cannot be used (a token service's, or one that disagrees with the bytes):
    its status, and the host it came from unless ``host`` names the registry it was asked of."""
    return RegistryError(
        what,
        why,
        fix,
        "#publish",
        kind=kind,
        host=host or response.host,
        status=response.status,
        method=method,
        reference=reference,
    )


class Conflict(Exception):
    """A conditional manifest PUT lost a race (HTTP 412)."""


def unreachable(host: str, detail: str, *, status: int = 0, method: str = "", reference: str = "") -> RegistryError:
    """The error for a registry that did not answer, or kept failing."""
    target = f" while writing {reference}" if method in ("PUT", "POST", "PATCH") and reference else ""
    return RegistryError(
        what=f"Registry {host} is unreachable{target}" if not status else f"Registry {host} kept failing{target}",
        why=f"{detail or 'No answer'}.",
        fix="Re-run the job. Check the 'registry' input (host[:port], no scheme); for a plain-HTTP registry on "
        "loopback set\nwith:\n  insecure: true",
        docs="#publish",
        kind="unreachable",
        host=host,
        status=status,
        method=method,
        reference=reference,
    )


def denied(host: str, status: int, scope: str, *, reference: str = "") -> RegistryError:
    """The error for a registry that refused the credentials (401/403)."""
    return RegistryError(
        what=f"{host} denied access (HTTP {status}) for {scope}",
        why="The credentials are missing, wrong, or lack push rights to this repository.",
        fix="For GitHub Container Registry grant the job\npermissions:\n  packages: write\n"
        "otherwise pass 'username' and 'password' (a token with push rights) from secrets.",
        docs="#publish",
        kind="denied",
        host=host,
        status=status,
        reference=reference,
    )
