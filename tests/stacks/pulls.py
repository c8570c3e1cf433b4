"""A loopback stand-in of GitHub's pulls REST API, over a real (bare) Git repository.

GitHub cannot run here, so this follows its documented shapes (docs.github.com/en/rest/pulls/pulls, API version
2022-11-28, "List pull requests", "Create a pull request", "Update a pull request"):

- ``GET /repos/{owner}/{repo}/pulls?state=&head=&base=&per_page=&page=``: a JSON array of pull requests;
  ``state`` defaults to ``open``; ``head`` is ``user:ref-name`` or ``organization:ref-name``; ``base`` a branch.
- ``POST /repos/{owner}/{repo}/pulls`` with ``{title, head, base, body}``: ``201`` and the pull request; ``422``
  ``{"message": "Validation Failed", "errors": [...]}`` when ``head`` or ``base`` is not a branch of the
  repository (``{"resource": "PullRequest", "field": "head", "code": "invalid"}``), when there is no commit
  between them (``"No commits between main and topic"``) or when an open pull request for ``head`` exists
  (``"A pull request already exists for owner:topic."``), as GitHub words them.
- ``PATCH /repos/{owner}/{repo}/pulls/{pull_number}`` with ``{title?, body?, state?, base?}``: ``200`` and the
  pull request; ``404 {"message": "Not Found"}`` for an unknown number.
- Without an ``Authorization`` header: ``401 {"message": "Requires authentication"}``.

A pull request object carries the fields the docs list that callers read: ``url``, ``id``, ``number``,
``html_url``, ``state``, ``title``, ``body``, ``head`` and ``base`` (``{label, ref, sha}``). Branches and their
commits are read from the bare repository, so a push the action made is what the stand-in sees.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DOCS_URL = "https://docs.github.com/rest/pulls/pulls"


@dataclass
class PullStore:
    repository: str  # owner/repo
    remote: Path  # the bare repository the branches live in
    server_url: str = "https://github.example"
    pulls: list[dict[str, object]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, object] | None]] = field(default_factory=list)  # method, path, body
    authorization: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def branch_sha(self, branch: str) -> str:
        result = subprocess.run(
            ["git", "--git-dir", str(self.remote), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip()

    def ahead(self, base: str, head: str) -> int:
        out = subprocess.run(
            ["git", "--git-dir", str(self.remote), "rev-list", "--count", f"{base}..{head}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(out.strip())

    def pull_json(self, number: int) -> dict[str, object]:
        pull = next(p for p in self.pulls if p["number"] == number)
        owner = self.repository.split("/")[0]
        head, base = str(pull["head_ref"]), str(pull["base_ref"])
        return {
            "url": f"/repos/{self.repository}/pulls/{number}",
            "id": 1000 + number,
            "node_id": f"PR_{number}",
            "html_url": f"{self.server_url}/{self.repository}/pull/{number}",
            "number": number,
            "state": pull["state"],
            "title": pull["title"],
            "body": pull["body"],
            "head": {"label": f"{owner}:{head}", "ref": head, "sha": self.branch_sha(head)},
            "base": {"label": f"{owner}:{base}", "ref": base, "sha": self.branch_sha(base)},
        }


def _validation(message: str, errors: list[dict[str, str]] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"message": "Validation Failed", "documentation_url": DOCS_URL}
    body["errors"] = errors or [{"resource": "PullRequest", "code": "custom", "message": message}]
    return body


class _Handler(BaseHTTPRequestHandler):
    store: PullStore

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        self.end_headers()
        self.wfile.write(data)

    def _begin(self) -> tuple[list[str], dict[str, list[str]], dict[str, object] | None] | None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self.store.lock:
            self.store.requests.append((self.command, url.path + (f"?{url.query}" if url.query else ""), body))
            self.store.authorization.append(self.headers.get("Authorization", ""))
        if not self.headers.get("Authorization"):
            self._json(401, {"message": "Requires authentication", "documentation_url": DOCS_URL})
            return None
        parts = url.path.strip("/").split("/")
        if parts[:1] != ["repos"] or "/".join(parts[1:3]) != self.store.repository or parts[3:4] != ["pulls"]:
            self._json(404, {"message": "Not Found", "documentation_url": DOCS_URL})
            return None
        return parts[4:], parse_qs(url.query), body

    def do_GET(self) -> None:
        begun = self._begin()
        if begun is None:
            return
        rest, query, _ = begun
        store = self.store
        if rest:
            number = int(rest[0]) if rest[0].isdigit() else -1
            if not any(p["number"] == number for p in store.pulls):
                self._json(404, {"message": "Not Found", "documentation_url": DOCS_URL})
                return
            self._json(200, store.pull_json(number))
            return
        state = query.get("state", ["open"])[0]
        head = query.get("head", [""])[0]
        base = query.get("base", [""])[0]
        owner = store.repository.split("/")[0]
        listed = [
            store.pull_json(int(str(p["number"])))
            for p in store.pulls
            if (state == "all" or p["state"] == state)
            and (not head or head == f"{owner}:{p['head_ref']}")
            and (not base or base == p["base_ref"])
        ]
        self._json(200, listed)

    def do_POST(self) -> None:
        begun = self._begin()
        if begun is None:
            return
        rest, _, body = begun
        store = self.store
        if rest or not isinstance(body, dict):
            self._json(404, {"message": "Not Found", "documentation_url": DOCS_URL})
            return
        head, base = str(body.get("head", "")), str(body.get("base", ""))
        owner = store.repository.split("/")[0]
        for name, value in (("head", head), ("base", base)):
            if not value or not store.branch_sha(value):
                self._json(422, _validation("", [{"resource": "PullRequest", "field": name, "code": "invalid"}]))
                return
        if any(p["state"] == "open" and p["head_ref"] == head and p["base_ref"] == base for p in store.pulls):
            self._json(422, _validation(f"A pull request already exists for {owner}:{head}."))
            return
        if store.ahead(base, head) == 0:
            self._json(422, _validation(f"No commits between {base} and {head}"))
            return
        with store.lock:
            number = len(store.pulls) + 1
            store.pulls.append(
                {
                    "number": number,
                    "state": "open",
                    "title": body.get("title", ""),
                    "body": body.get("body", ""),
                    "head_ref": head,
                    "base_ref": base,
                }
            )
        self._json(201, store.pull_json(number))

    def do_PATCH(self) -> None:
        begun = self._begin()
        if begun is None:
            return
        rest, _, body = begun
        store = self.store
        number = int(rest[0]) if rest and rest[0].isdigit() else -1
        pull = next((p for p in store.pulls if p["number"] == number), None)
        if pull is None or not isinstance(body, dict):
            self._json(404, {"message": "Not Found", "documentation_url": DOCS_URL})
            return
        with store.lock:
            for key in ("title", "body", "state"):
                if key in body:
                    pull[key] = body[key]
            if "base" in body:
                pull["base_ref"] = body["base"]
        self._json(200, store.pull_json(number))


@dataclass
class PullServer:
    url: str
    store: PullStore


@contextmanager
def serving(store: PullStore) -> Iterator[PullServer]:
    handler = type("Handler", (_Handler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PullServer(f"http://127.0.0.1:{server.server_address[1]}", store)
    finally:
        server.shutdown()
        server.server_close()
