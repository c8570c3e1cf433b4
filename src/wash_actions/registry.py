"""OCI distribution operations wash lacks: read a manifest's raw bytes, tag it, resolve a tag.

Manifests are moved as raw bytes with their exact media type: re-serialising the JSON would change
the digest. Authentication follows the distribution spec: basic credentials, or the bearer token
exchange (``WWW-Authenticate: Bearer realm=…,service=…,scope=…``) that GHCR, Docker Hub and ECR use.

Why not oras-py (evaluated at 0.2.43): ``get_manifest`` returns parsed JSON and ``upload_manifest`` sends
``json=`` with a fixed Content-Type, so a manifest moved with them gets a different digest; its requests
carry no timeout; and it pulls jsonschema (with a Rust-built dependency) into every runner's venv. The
transport here is requests with timeouts, bounded retries (5xx, 429 with Retry-After, resets) and the
token exchange, tested against the real registry and a GHCR-style bearer-token proxy.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from .errors import ActionError

TIMEOUT = (10, 60)
RETRIES = 4
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def basic(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Manifest:
    body: bytes
    media_type: str
    digest: str


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port: where plain HTTP is allowed."""
    host = host.lower()
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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


def write_docker_config(config_dir: Path, registry: str, creds: Credentials) -> Path:
    """A job-scoped docker config wash reads through ``DOCKER_CONFIG``: the secret stays off argv."""
    config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = config_dir / "config.json"
    auth = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    path.touch(mode=0o600)
    path.write_text(json.dumps({"auths": {registry: {"auth": auth}}}))
    return path


class Registry:
    """A minimal, retrying OCI distribution client for one registry host."""

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
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))

    # -- transport -------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        url: str,
        scope: str,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        last = ""
        for attempt in range(RETRIES):
            if attempt:
                self._sleep(min(2**attempt, 10))
            sent = dict(headers or {})
            auth = self._authorization(scope)
            if auth:
                sent["Authorization"] = auth
            try:
                response = self.session.request(method, url, headers=sent, data=data, timeout=TIMEOUT)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                last = f"{type(exc).__name__} talking to {self.host}"
                continue
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code == 401 and scope not in self._tokens and challenge.lower().startswith("bearer "):
                self._tokens[scope] = self._token(challenge, scope)
                return self._send(method, url, scope, headers, data)
            if response.status_code >= 500 or response.status_code == 429:
                last = f"HTTP {response.status_code} from {self.host}"
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    self._sleep(min(int(retry_after), 30))
                continue
            return response
        raise unreachable(self.host, last)

    def _authorization(self, scope: str) -> str | None:
        if scope in self._tokens:
            return f"Bearer {self._tokens[scope]}"
        if self.credentials:
            return self.credentials.basic()
        return None

    def _token(self, challenge: str, scope: str) -> str:
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.pop("realm", "")
        params["scope"] = scope
        headers = {"Authorization": self.credentials.basic()} if self.credentials else {}
        try:
            response = requests.get(realm, params=params, headers=headers, timeout=TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise unreachable(realm, type(exc).__name__) from None
        if response.status_code != 200:
            raise denied(self.host, response.status_code, scope)
        body = response.json()
        return str(body.get("token") or body.get("access_token") or "")

    # -- operations ------------------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str) -> Manifest:
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        response = self._send("GET", url, f"repository:{repository}:pull", headers={"Accept": MANIFEST_TYPES})
        self._check(response, repository, "pull")
        body = response.content
        return Manifest(body, response.headers.get("Content-Type", "").split(";")[0], digest_of(body))

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        return self.push_manifest(repository, reference, manifest)[0]

    def push_manifest(
        self, repository: str, reference: str, manifest: Manifest, *, if_match: str = ""
    ) -> tuple[str, Mapping[str, str]]:
        """PUT the exact bytes; returns the digest and the response headers (``OCI-Subject`` …).

        Raises :class:`Conflict` when ``if_match`` (an ETag) no longer matches.
        """
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        headers = {"Content-Type": manifest.media_type}
        if if_match:
            headers["If-Match"] = if_match
        response = self._send("PUT", url, f"repository:{repository}:pull,push", headers=headers, data=manifest.body)
        if response.status_code == 412:
            raise Conflict(reference)
        self._check(response, repository, "push")
        return response.headers.get("Docker-Content-Digest") or manifest.digest, response.headers

    def has_referrers_api(self, repository: str) -> bool:
        """``GET /v2/<repo>/referrers/<zero digest>`` answers 200 (OCI distribution 1.1), as @sigstore/oci checks."""
        url = f"{self.base}/v2/{repository}/referrers/sha256:{'0' * 64}"
        accept = {"Accept": "application/vnd.oci.image.index.v1+json"}
        response = self._send("GET", url, f"repository:{repository}:pull", headers=accept)
        return response.status_code == 200

    def find_manifest(self, repository: str, reference: str) -> tuple[Manifest, str] | None:
        """A manifest and its ETag, or None when the reference does not exist."""
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        response = self._send("GET", url, f"repository:{repository}:pull", headers={"Accept": MANIFEST_TYPES})
        if response.status_code == 404:
            return None
        self._check(response, repository, "pull")
        body = response.content
        manifest = Manifest(body, response.headers.get("Content-Type", "").split(";")[0], digest_of(body))
        return manifest, response.headers.get("ETag", "")

    def upload_blob(self, repository: str, data: bytes) -> str:
        """Upload a blob (monolithic: POST for a session, PUT with the digest), skipping one already there."""
        digest = digest_of(data)
        scope = f"repository:{repository}:pull,push"
        head = self._send("HEAD", f"{self.base}/v2/{repository}/blobs/{digest}", scope)
        if head.status_code == 200:
            return digest
        start = self._send("POST", f"{self.base}/v2/{repository}/blobs/uploads/", scope)
        self._check(start, repository, "push")
        location = urljoin(f"{self.base}/", start.headers.get("Location", ""))
        separator = "&" if "?" in location else "?"
        done = self._send(
            "PUT",
            f"{location}{separator}digest={digest}",
            scope,
            headers={"Content-Type": "application/octet-stream"},
            data=data,
        )
        self._check(done, repository, "push")
        return digest

    def resolve(self, repository: str, reference: str) -> str:
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        response = self._send("HEAD", url, f"repository:{repository}:pull", headers={"Accept": MANIFEST_TYPES})
        self._check(response, repository, "pull")
        digest = response.headers.get("Docker-Content-Digest")
        return digest or self.get_manifest(repository, reference).digest

    def _check(self, response: requests.Response, repository: str, action: str) -> None:
        if response.status_code in (401, 403):
            raise denied(self.host, response.status_code, f"repository:{repository}:{action}")
        if response.status_code == 404:
            raise ActionError(
                what=f"{self.host}/{repository} has no such manifest",
                why="The registry answered 404: the repository or reference does not exist.",
                fix="Check 'registry' and 'repository', and that the push step ran first.",
                docs="#publish",
            )
        if response.status_code >= 400:
            raise ActionError(
                what=f"{self.host} refused the request (HTTP {response.status_code})",
                why=response.text[:300] or "The registry gave no reason.",
                fix="Check 'registry', 'repository' and the credentials.",
                docs="#publish",
            )


class Conflict(Exception):
    """A conditional manifest PUT lost a race (HTTP 412)."""


def unreachable(host: str, detail: str) -> ActionError:
    return ActionError(
        what=f"Registry {host} is unreachable",
        why=f"{detail or 'No answer'} after {RETRIES} attempts.",
        fix="Check the 'registry' input (host[:port], no scheme); for a plain-HTTP registry on "
        "loopback set\nwith:\n  insecure: true",
        docs="#publish",
    )


def denied(host: str, status: int, scope: str) -> ActionError:
    return ActionError(
        what=f"{host} denied access (HTTP {status}) for {scope}",
        why="The credentials are missing, wrong, or lack push rights to this repository.",
        fix="For GitHub Container Registry grant the job\npermissions:\n  packages: write\n"
        "otherwise pass 'username' and 'password' (a token with push rights) from secrets.",
        docs="#publish",
    )
