"""A loopback HTTP reverse proxy in front of an OCI registry: GHCR-style bearer tokens and injected faults.

``serving(upstream_url)`` starts a :class:`Proxy` on 127.0.0.1 that forwards every request to the upstream
registry (the real ``docker-registry`` from :mod:`tests.stacks.registry`), streaming bodies both ways in
chunks, and rewrites upstream ``Location`` headers (blob upload URLs) so that they point at the proxy.

With ``bearer=BearerAuth(user, password)`` the proxy behaves like GHCR or Docker Hub: every ``/v2/`` request
needs ``Authorization: Bearer <token>`` whose scopes cover the repository and action (pull for GET/HEAD, push
for PUT/POST/PATCH/DELETE); otherwise it answers 401 with a ``WWW-Authenticate: Bearer realm=…`` challenge.
``GET /token`` hands out tokens for valid Basic credentials. The client's Authorization never reaches the
upstream, which runs without auth.

``proxy.faults`` is a queue of :class:`Fault` rules, each consumed by the next request it matches (a
:meth:`Fault.persistent` rule stays until cleared): a status (503, 429 with Retry-After…), a connection reset,
or a response body dribbled slowly. Faults are checked before auth, so they apply to ``/token`` too unless a
``path`` regex narrows them (``path=r"^/v2/"``).

Every request is recorded in ``proxy.log`` (method, path, status) when its status is decided, before the
response goes out, so a client that has its response can assert on the log; token requests are also recorded
in ``proxy.token_requests``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests
import urllib3.exceptions  # requests' own transport

CHUNK = 64 * 1024  # bytes per read/write when streaming bodies
UPSTREAM_TIMEOUT = (5.0, 60.0)  # connect, read (between bytes) — the upstream registry is on loopback
IDLE_TIMEOUT = 60.0  # a keep-alive client connection idle this long is closed
JOIN_TIMEOUT = 10.0  # per thread, at shutdown
TOKEN_TTL = 300
MAX_LINE = 64 * 1024

# RFC 9110 §7.6.1 hop-by-hop headers, plus what the proxy frames itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
NOT_FORWARDED_UPSTREAM = HOP_BY_HOP | {"host", "content-length", "expect"}
NOT_FORWARDED_DOWNSTREAM = HOP_BY_HOP | {"content-length", "date", "server"}

PULL_METHODS = frozenset({"GET", "HEAD"})
REPOSITORY_PATH = re.compile(r"^/v2/(?P<name>.+)/(?:manifests/[^/]+|blobs/uploads/[^/]*|blobs/[^/]+|tags/list)$")

T = TypeVar("T")


class SafeList(Generic[T]):
    """An append-only list shared between handler threads; iteration and indexing see a snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[T] = []

    def append(self, item: T) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[T]:
        with self._lock:
            return list(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> T:
        with self._lock:
            return self._items[index]

    def __repr__(self) -> str:
        return f"SafeList({self.snapshot()!r})"


@dataclass(frozen=True)
class Logged:
    method: str
    path: str  # without the query
    status: int  # 0 when the connection was reset instead
    query: str = ""
    fault: str | None = None  # the kind of the fault applied, if any


@dataclass(frozen=True)
class TokenRequest:
    username: str | None  # None: anonymous
    service: str
    scopes: tuple[str, ...]  # as requested, e.g. "repository:acme/x:pull,push"
    status: int


@dataclass(frozen=True)
class BearerAuth:
    username: str
    password: str
    service: str = "registry.test"


@dataclass(frozen=True)
class Fault:
    """One injected fault, applied to the next request matching ``method``/``path`` (regexes; None: any).

    ``method`` must match the whole method (case-insensitive, e.g. ``"PUT|PATCH"``); ``path`` is searched
    in the request path without its query (e.g. ``r"/blobs/uploads/"``).
    """

    kind: str  # "status" | "reset" | "slow_body"
    status_code: int = 0
    retry_after: int | None = None
    delay_s: float = 0.0
    chunk: int = 1024
    method: str | None = None
    path: str | None = None
    sticky: bool = False

    @classmethod
    def status(
        cls, code: int, *, retry_after: int | None = None, method: str | None = None, path: str | None = None
    ) -> Fault:
        """Answer ``code`` (with a registry-style JSON error and, if given, ``Retry-After``) without forwarding."""
        return cls("status", status_code=code, retry_after=retry_after, method=method, path=path)

    @classmethod
    def reset(cls, *, method: str | None = None, path: str | None = None) -> Fault:
        """Close the client connection with a TCP reset (SO_LINGER 0) instead of responding."""
        return cls("reset", method=method, path=path)

    @classmethod
    def slow_body(
        cls, delay_s: float, *, chunk: int = 1024, method: str | None = None, path: str | None = None
    ) -> Fault:
        """Forward, send the headers at once, then the body in ``chunk``-byte pieces each after ``delay_s``.

        The response therefore takes at least ``delay_s`` (an empty body is held back once, too).
        """
        return cls("slow_body", delay_s=delay_s, chunk=max(1, chunk), method=method, path=path)

    def persistent(self) -> Fault:
        """This rule for every matching request until cleared: ``Fault.persistent(Fault.status(503))``."""
        return dataclasses.replace(self, sticky=True)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and not re.fullmatch(self.method, method, re.IGNORECASE):
            return False
        return self.path is None or re.search(self.path, path) is not None


class FaultQueue:
    """Fault rules in order; a request takes the first one it matches (one-shot rules are then removed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self.applied: SafeList[tuple[Fault, str, str]] = SafeList()  # (rule, method, path)

    def put(self, *rules: Fault) -> None:
        with self._lock:
            self._rules.extend(rules)

    add = put

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.matches(method, path):
                    if not rule.sticky:
                        del self._rules[index]
                    break
            else:
                return None
        self.applied.append((rule, method, path))
        return rule


@dataclass
class _Grant:
    scopes: frozenset[tuple[str, str]]  # (repository, action); action "*" covers all
    expires: float


class _TokenStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}

    def issue(self, scopes: Iterable[tuple[str, str]]) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[token] = _Grant(frozenset(scopes), time.monotonic() + TOKEN_TTL)
        return token

    def lookup(self, token: str) -> _Grant | None:
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or grant.expires < time.monotonic():
            return None
        return grant


def parse_scopes(raw: Iterable[str]) -> tuple[list[str], set[tuple[str, str]]]:
    """``repository:<name>:<actions>`` scopes (space-separated or repeated) → raw list and (name, action) pairs."""
    listed: list[str] = []
    pairs: set[tuple[str, str]] = set()
    for value in raw:
        for scope in value.split():
            listed.append(scope)
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind != "repository" or not name:
                continue
            pairs.update((name, action) for action in actions.split(",") if action in {"pull", "push", "*"})
    return listed, pairs


def repository_of(path: str) -> str | None:
    match = REPOSITORY_PATH.match(path)
    return match.group("name") if match else None


class _ClientGone(Exception):
    """The client connection failed or was closed while the proxy was talking to it."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go in separate writes
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._fault: Fault | None = None  # the fault drawn by the current request
        self._upstream = requests.Session()
        self._upstream.headers.clear()  # forward the client's headers only, no requests defaults
        self._upstream.trust_env = False  # never through an HTTP(S)_PROXY from the environment

    def finish(self) -> None:
        try:
            self._upstream.close()
        finally:
            with contextlib.suppress(OSError):
                super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # every method goes through one entry point
    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (_ClientGone, OSError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    @property
    def _proxy(self) -> Proxy:
        return self.server.proxy

    # -- request bodies ------------------------------------------------------------------------------------

    def _body_kind(self) -> tuple[str, int]:
        """("chunked", 0), ("length", n) or ("none", 0) for the client's request body."""
        encodings = [e.strip().lower() for e in self.headers.get("Transfer-Encoding", "").split(",") if e.strip()]
        if encodings:
            if encodings[-1] != "chunked":
                raise _BadRequest("unsupported Transfer-Encoding")
            return "chunked", 0
        length = self.headers.get("Content-Length")
        if length is None:
            return "none", 0
        if not length.strip().isdigit():
            raise _BadRequest("bad Content-Length")
        return ("length", int(length)) if int(length) else ("none", 0)

    def _read_line(self) -> bytes:
        line = self.rfile.readline(MAX_LINE + 1)
        if not line.endswith(b"\n"):
            raise _ClientGone("request body ended early")
        return line

    def _body_chunks(self, kind: str, length: int) -> Iterator[bytes]:
        """The request body, de-chunked, in pieces of at most CHUNK bytes; the request is consumed at the end."""
        if kind == "length":
            remaining = length
            while remaining:
                data = self.rfile.read(min(CHUNK, remaining))
                if not data:
                    raise _ClientGone("request body ended early")
                remaining -= len(data)
                yield data
        elif kind == "chunked":
            while True:
                size_field = self._read_line().split(b";", 1)[0].strip()
                try:
                    size = int(size_field, 16)
                except ValueError:
                    raise _ClientGone("malformed chunk size") from None
                if size == 0:
                    while self._read_line() not in (b"\r\n", b"\n"):  # trailers
                        pass
                    return
                remaining = size
                while remaining:
                    data = self.rfile.read(min(CHUNK, remaining))
                    if not data:
                        raise _ClientGone("request body ended early")
                    remaining -= len(data)
                    yield data
                self._read_line()  # CRLF after the chunk

    def _drain(self, body: Iterator[bytes]) -> None:
        for _ in body:
            pass

    # -- responses -----------------------------------------------------------------------------------------

    def _record(self, status: int) -> None:
        parts = urlsplit(self.path)
        kind = self._fault.kind if self._fault else None
        self._proxy.log.append(Logged(self.command, parts.path, status, parts.query, kind))

    def _write_body(self, pieces: Iterable[bytes], *, chunked: bool = False) -> None:
        """Send a response body, dribbled when the request drew a slow_body fault; chunk-framed if asked."""
        slow = self._fault if self._fault is not None and self._fault.kind == "slow_body" else None
        if slow is not None:
            pieces = _regroup(pieces, slow.chunk)
        sent_any = False
        for data in pieces:
            if not data:
                continue
            if slow is not None and self.server.stopping.wait(slow.delay_s):
                raise _ClientGone("proxy stopping")
            self._write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent_any = True
        if slow is not None and not sent_any and self.server.stopping.wait(slow.delay_s):
            raise _ClientGone("proxy stopping")
        if chunked:
            self._write(b"0\r\n\r\n")

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as exc:
            raise _ClientGone(str(exc)) from exc

    def _send_simple(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, *, content_type: str = ""
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        try:
            self.end_headers()
        except OSError as exc:
            raise _ClientGone(str(exc)) from exc
        self._write_body([] if self.command == "HEAD" else [body])

    def _send_error_json(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()
        self._send_simple(status, body, headers, content_type="application/json")

    def _reset(self) -> None:
        """Abort the connection with RST: linger 0, then really close (the rfile holds a reference)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.rfile.close()  # the wfile writes straight to the socket and holds no reference
        with contextlib.suppress(OSError):
            self.connection.close()

    # -- the request ---------------------------------------------------------------------------------------

    def _serve(self) -> None:
        self._fault = None
        path = urlsplit(self.path).path
        try:
            kind, length = self._body_kind()
        except _BadRequest as exc:
            self.close_connection = True
            self._record(400)
            self._send_error_json(400, "BAD_REQUEST", str(exc))
            return
        body = self._body_chunks(kind, length)

        self._fault = fault = self._proxy.faults.take(self.command, path)
        if fault is not None and fault.kind == "reset":
            self._record(0)
            self._reset()
            return
        if fault is not None and fault.kind == "status":
            self._drain(body)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self._record(fault.status_code)
            self._send_error_json(fault.status_code, _error_code(fault.status_code), "injected fault", headers)
            return

        bearer = self._proxy.bearer
        if bearer is not None:
            if path == "/token":
                self._drain(body)
                self._token(bearer)
                return
            if path == "/v2" or path.startswith("/v2/"):
                challenge = self._authorize(bearer, path)
                if challenge is not None:
                    self._drain(body)
                    self._record(401)
                    self._send_error_json(
                        401,
                        "UNAUTHORIZED",
                        "authentication required",
                        {"WWW-Authenticate": challenge, "Docker-Distribution-Api-Version": "registry/2.0"},
                    )
                    return
        self._forward(kind, body)

    def _token(self, bearer: BearerAuth) -> None:
        query = parse_qs(urlsplit(self.path).query)
        service = (query.get("service") or [""])[0]
        listed, pairs = parse_scopes(query.get("scope", []))
        username, password = _basic_credentials(self.headers.get("Authorization", ""))
        realm = f'Basic realm="{self._proxy.url}/token"'
        if username is None:
            status, message = 401, "credentials required"
        elif not (_same(username, bearer.username) and _same(password, bearer.password)):
            status, message = 401, "invalid username or password"
        elif service and service != bearer.service:
            status, message = 400, f"unknown service {service!r}"
        else:
            status, message = 200, ""
        self._proxy.token_requests.append(TokenRequest(username, service, tuple(listed), status))
        self._record(status)
        if status != 200:
            challenge = {"WWW-Authenticate": realm} if status == 401 else None
            self._send_error_json(status, "UNAUTHORIZED" if status == 401 else "DENIED", message, challenge)
            return
        token = self._proxy._tokens.issue(pairs)
        issued_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        payload = {"token": token, "access_token": token, "expires_in": TOKEN_TTL, "issued_at": issued_at}
        self._send_simple(200, json.dumps(payload).encode(), content_type="application/json")

    def _authorize(self, bearer: BearerAuth, path: str) -> str | None:
        """None when the request's token covers it, else the WWW-Authenticate challenge to send."""
        realm = f'Bearer realm="{self._proxy.url}/token",service="{bearer.service}"'
        repository = repository_of(path)
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        grant = self._proxy._tokens.lookup(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None:
            return realm + (f',scope="repository:{repository}:pull,push"' if repository else "")
        if repository is None:
            return None  # /v2/, _catalog: any valid token
        action = "pull" if self.command in PULL_METHODS else "push"
        if (repository, action) in grant.scopes or (repository, "*") in grant.scopes:
            return None
        needed = "pull" if action == "pull" else "pull,push"
        return realm + f',scope="repository:{repository}:{needed}",error="insufficient_scope"'

    def _forward(self, kind: str, body: Iterator[bytes]) -> None:
        proxy = self._proxy
        self._oci_subject = ""
        if proxy.ecr_like and self.command == "PUT" and "/manifests/" in self.path and kind == "length":
            # AWS ECR answers a manifest with a subject with OCI-Subject, yet has no referrers API
            # (@sigstore/oci dist/image.js addArtifact comment): read the small manifest to name its subject
            raw = b"".join(body)
            with contextlib.suppress(ValueError, AttributeError):
                self._oci_subject = str((json.loads(raw).get("subject") or {}).get("digest") or "")
            body = iter([raw])
        headers: dict[str, str] = {}
        connection_tokens = {t.strip().lower() for t in self.headers.get("Connection", "").split(",")}
        for name, value in self.headers.items():
            lower = name.lower()
            if lower in NOT_FORWARDED_UPSTREAM or lower in connection_tokens:
                continue
            if lower == "authorization" and proxy.bearer is not None:
                continue
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        data: Any = None
        if kind == "length":
            data = _LengthBody(body, int(self.headers["Content-Length"]))
        elif kind == "chunked":
            data = body  # a generator: requests sends it chunked

        url = proxy.upstream_url + self.path
        request = requests.Request(self.command, url, headers=headers, data=data)
        prepared = self._upstream.prepare_request(request)
        prepared.url = url  # exactly the client's request-target, not re-quoted
        try:
            upstream = self._upstream.send(prepared, stream=True, timeout=UPSTREAM_TIMEOUT, allow_redirects=False)
        except _ClientGone:
            raise
        except requests.RequestException as exc:
            self.close_connection = True  # the request body may be half read
            self._record(502)
            self._send_error_json(502, "BAD_GATEWAY", f"upstream: {type(exc).__name__}")
            return
        with upstream:
            self._drain(body)  # the upstream may answer before reading it all
            self._relay(upstream)

    def _relay(self, upstream: requests.Response) -> None:
        status = upstream.status_code
        raw_headers = upstream.raw.headers
        has_length = "content-length" in raw_headers
        bodyless = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        chunked = not has_length and not bodyless and self.request_version == "HTTP/1.1"
        if not has_length and not bodyless and not chunked:
            self.close_connection = True  # HTTP/1.0 client: the end of the body is the end of the connection

        self._record(status)
        self.send_response_only(status, upstream.reason)
        connection_tokens = {t.strip().lower() for t in raw_headers.get("Connection", "").split(",")}
        for name, value in raw_headers.items():
            lower = name.lower()
            if lower in NOT_FORWARDED_DOWNSTREAM or lower in connection_tokens:
                continue
            if lower == "location":
                value = self._rewrite_location(value)
            self.send_header(name, value)
        if getattr(self, "_oci_subject", "") and 200 <= status < 300:
            self.send_header("OCI-Subject", self._oci_subject)
        self.send_header("Date", self.date_time_string())
        if has_length:
            self.send_header("Content-Length", raw_headers["Content-Length"])
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        try:
            self.end_headers()
        except OSError as exc:
            raise _ClientGone(str(exc)) from exc
        pieces = () if bodyless else upstream.raw.stream(CHUNK, decode_content=False)
        try:
            self._write_body(pieces, chunked=chunked)
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            # the upstream body failed midway: end the connection so the client sees a truncated response
            raise _ClientGone(str(exc)) from exc

    def _rewrite_location(self, value: str) -> str:
        """Absolute upstream URLs → the same path on the proxy; relative ones already resolve against it."""
        parts = urlsplit(value)
        if not parts.netloc:
            return value
        upstream = urlsplit(self._proxy.upstream_url)
        if parts.netloc.lower() != upstream.netloc.lower():
            return value
        return urlunsplit(("http", self._proxy.host, parts.path, parts.query, parts.fragment))


class _BadRequest(Exception):
    pass


def _regroup(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The same bytes in pieces of exactly ``size`` (the last one may be shorter)."""
    carry = b""
    for data in pieces:
        if carry:
            need = size - len(carry)
            carry, data = carry + data[:need], data[need:]
            if len(carry) < size:
                continue
            yield carry
            carry = b""
        whole = len(data) - len(data) % size
        for offset in range(0, whole, size):
            yield data[offset : offset + size]
        carry = data[whole:]
    if carry:
        yield carry


class _LengthBody:
    """A request body of known length for requests: sent with Content-Length, read in CHUNK pieces."""

    def __init__(self, chunks: Iterator[bytes], length: int) -> None:
        self._chunks = chunks
        self._length = length
        self._pending = b""

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        if self._pending:
            yield self._pending
            self._pending = b""
        yield from self._chunks

    def read(self, size: int = -1) -> bytes:
        if not self._pending:
            self._pending = next(self._chunks, b"")
        if size is None or size < 0:
            size = len(self._pending)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


def _error_code(status: int) -> str:
    return {429: "TOOMANYREQUESTS", 503: "UNAVAILABLE", 500: "UNKNOWN", 404: "NAME_UNKNOWN"}.get(status, "UNKNOWN")


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def _basic_credentials(header: str) -> tuple[str | None, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None, ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None, ""
    username, _, password = decoded.partition(":")
    return username, password


class _Server(ThreadingHTTPServer):
    """Handler threads are tracked, and their connections shut down at close so that none outlives the proxy."""

    daemon_threads = True  # never keep the interpreter alive; close() joins them anyway
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, proxy: Proxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._active: dict[threading.Thread, socket.socket] = {}
        self.accepted = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._run, args=(request, client_address), name=f"oci-proxy-conn-{client_address[1]}", daemon=True
        )
        with self._lock:
            self._active[thread] = request
            self.accepted += 1
        thread.start()

    def _run(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._active.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError | _ClientGone | _BadRequest):
            return  # a client went away: not worth a traceback
        super().handle_error(request, client_address)

    def stop_connections(self) -> list[threading.Thread]:
        """Wake every handler (sleeps end, socket reads fail) and wait for them; the threads left alive."""
        self.stopping.set()
        with self._lock:
            active = dict(self._active)
        for conn in active.values():
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + JOIN_TIMEOUT
        for thread in active:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t for t in active if t.is_alive()]


class Proxy:
    def __init__(self, upstream_url: str, bearer: BearerAuth | None = None, *, ecr_like: bool = False) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self.bearer = bearer
        self.ecr_like = ecr_like
        self.log: SafeList[Logged] = SafeList()
        self.token_requests: SafeList[TokenRequest] = SafeList()
        self.faults = FaultQueue()
        self._tokens = _TokenStore()
        self._server = _Server(self)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oci-proxy-accept", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def connections(self) -> int:
        """Client connections accepted so far (keep-alive reuses one for many requests)."""
        return self._server.accepted

    @property
    def realm(self) -> str:
        return f"{self.url}/token"

    def clear_faults(self) -> None:
        self.faults.clear()

    def requests_to(self, pattern: str, method: str | None = None) -> list[Logged]:
        """Logged requests whose path matches ``pattern`` (searched), optionally of one method."""
        return [r for r in self.log if re.search(pattern, r.path) and (method is None or r.method == method)]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._thread.join(JOIN_TIMEOUT)
        left = self._server.stop_connections()
        self._server.server_close()
        if left or self._thread.is_alive():
            raise RuntimeError(f"proxy threads still running after stop: {[t.name for t in left]}")


@contextlib.contextmanager
def serving(upstream_url: str, *, bearer: BearerAuth | None = None, ecr_like: bool = False) -> Iterator[Proxy]:
    """A proxy for ``upstream_url`` (e.g. ``registry.url``) on a free 127.0.0.1 port, stopped on exit.

    ``ecr_like``: answer a pushed manifest that has a ``subject`` with ``OCI-Subject`` as AWS ECR does, while the
    upstream (docker-registry 2.8) has no referrers API.
    """
    proxy = Proxy(upstream_url, bearer, ecr_like=ecr_like)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
