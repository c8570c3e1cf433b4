"""The one HTTP transport of the actions, on the standard library only (http.client, ssl, urllib.parse).

Every exchange has a connect timeout, a per-read timeout and an overall deadline: a watchdog shuts the
socket down when the deadline passes, so a server that dribbles a byte every few seconds ends with a
clear error instead of holding the job. Retries are bounded and follow a :class:`RetryPolicy` passed as
data (statuses, attempts, backoff schedule), honour ``Retry-After``, and never repeat 401/403/404.

Redirects are followed only to ``https`` (``http`` only from a plain-http loopback URL, as tests use),
at most :data:`MAX_REDIRECTS` times, never in a loop and never to another scheme (``file://``). A
credential is bound to the host it belongs to (:class:`Auth`): it is sent to that host only, so it is
dropped on a redirect to another host and never leaves for a host it was not issued by.

Proxies: ``https_proxy``/``HTTPS_PROXY``, ``http_proxy``/``HTTP_PROXY`` and ``no_proxy``/``NO_PROXY``,
the lower-case name first, as the self-hosted runner reads them (GitHub docs "Using a proxy server with
self-hosted runners"). ``no_proxy`` entries are host names or domain suffixes, optionally with a port;
``*`` bypasses the proxy for every host. Loopback addresses never go through a proxy.

Bodies are capped, digests are checked on receipt (``expected_digest``), and a body that should be JSON
but is not (HTML, garbage, the wrong shape) becomes one :class:`TransportError` naming the server, its
status and content type, and the first bytes it sent.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import ActionError

if TYPE_CHECKING:  # the network stack is imported by the exchange itself: a step that sends nothing skips it
    import email.message
    import http.client
    import ssl
    import threading

DEADLINE_ENV = "WASHACTIONS_HTTP_DEADLINE"  # seconds; overrides every exchange's deadline (tests, slow links)
READ_TIMEOUT_ENV = "WASHACTIONS_HTTP_READ_TIMEOUT"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
DEADLINE = 300.0
MAX_REDIRECTS = 5
MAX_BODY = 32 << 20  # an API answer or a manifest; downloads to a file set their own cap
CHUNK = 64 << 10
ERROR_BODY = 64 << 10  # what is kept of an error answer
RETRY_AFTER_CAP = 60.0
USER_AGENT = "wash-actions"
# What every call to GitHub's REST API sends: its JSON media type and the API version it was written against
# (https://docs.github.com/en/rest/about-the-rest-api/api-versions). Written here once; callers copy it to add.
GITHUB_API_HEADERS: Mapping[str, str] = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
DOCS = "#setup-wash"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RetryPolicy(NamedTuple):
    """When to try again: which statuses, how many attempts in all, and the waits between them.

    ``backoff[i]`` is the wait before attempt ``i + 2`` (the last value repeats). 401, 403 and 404 are
    never retried, whatever ``statuses`` says.
    """

    attempts: int = 4
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0)
    statuses: frozenset[int] = frozenset({429, *range(500, 600)})

    def retries(self, status: int) -> bool:
        return status in self.statuses and status not in (401, 403, 404)

    def wait(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        if not self.backoff:
            return 0.0
        return self.backoff[min(attempt - 1, len(self.backoff) - 1)]


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1, backoff=())
# @octokit/plugin-retry (used by actions/attest): 5 retries, polynomial backoff (retryCount + 1)² s, every
# status ≥ 400 except doNotRetry [400, 401, 403, 404, 410, 422, 451] (octokit/plugin-retry.js src/index.ts,
# src/error-request.ts).
OCTOKIT_RETRY = RetryPolicy(
    attempts=6,
    backoff=(1.0, 4.0, 9.0, 16.0, 25.0),
    statuses=frozenset(range(400, 600)) - {400, 401, 403, 404, 410, 422, 451},
)


class Auth(NamedTuple):
    """An ``Authorization`` header value and the one host (``name[:port]``) it may be sent to."""

    header: str
    host: str

    @classmethod
    def bearer(cls, token: str, url: str) -> Auth | None:
        """A bearer token for the host of ``url``; None without a token."""
        return cls(f"Bearer {token}", host_of(url)) if token else None

    def for_url(self, url: str) -> str | None:
        return self.header if host_of(url) == self.host.lower() else None


TransportKind = Literal["connection", "deadline", "redirect", "too-large", "digest", "content", "tls"]
"""Why an exchange failed, for a caller that decides by it (never by the message text): no answer
(``connection``), too slow (``deadline``), a refused redirect, a body over its limit, bytes that do not match
their digest (or a malformed digest), an answer of the wrong shape (``content``)."""


class TransportError(ActionError):
    """An exchange that failed in the transport: unreachable, too slow, a refused redirect, bad bytes."""

    def __init__(
        self,
        what: str,
        why: str,
        fix: str,
        docs: str,
        *,
        kind: TransportKind,
        host: str = "",
        status: int = 0,
        details: str = "",
    ) -> None:
        super().__init__(what, why, fix, docs, details=details)
        self.host = host
        self.status = status
        self.kind: TransportKind = kind


class Response:
    """One exchange's answer. Filled in as it arrives: the body, the attempts it took, the digest of the body."""

    def __init__(self, url: str, status: int, reason: str, headers: email.message.Message, body: bytes = b"") -> None:
        self.url = url  # the final URL, after redirects
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.attempts = 1
        self.digest = ""  # sha256 of a 2xx body as received

    def __repr__(self) -> str:
        return f"Response({self.url!r}, {self.status}, {self.reason!r}, {len(self.body)} bytes)"

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str:
        return str(self.headers.get(name, "") or "")

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    def describe(self) -> str:
        """What the server sent, for an error message: status, content type and its first bytes, sanitised."""
        parts = [f"HTTP {self.status}" + (f" {sanitise(self.reason, 40)}" if self.reason else "")]
        if self.content_type:
            parts.append(self.content_type)
        parts.append(f"{len(self.body)} bytes" + (f": {sanitise(self.body)!r}" if self.body else ""))
        return ", ".join(parts)

    def json(self, shape: type = dict, *, what: str = "") -> Any:
        """The body as JSON of the given shape (``dict`` or ``list``), or one clear error naming the server."""
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            value = _INVALID
        if isinstance(value, shape):
            return value
        expected = "a JSON object" if shape is dict else "a JSON array" if shape is list else "JSON"
        raise TransportError(
            what=f"{self.host} answered {what or self.url_path()} with something other than {expected}",
            why=f"It sent {self.describe()}. A proxy, captive portal or a server that is not the API "
            "answered in its place, or the URL points at the wrong server.",
            fix="Check the URL inputs (github-api-url, download-base-url, registry) and the runner's proxy "
            "settings (https_proxy, no_proxy); re-run the job if the server was briefly failing.",
            docs=DOCS,
            host=self.host,
            status=self.status,
            kind="content",
        )

    def url_path(self) -> str:
        return sanitise(urlsplit(self.url).path, 120)


_INVALID = object()


def host_of(url: str) -> str:
    """``name[:port]`` of a URL, lower-case, without credentials."""
    return (urlsplit(url).netloc.rpartition("@")[2]).lower()


def _userinfo_as_auth(url: str, auth: Auth | None) -> tuple[str, Auth | None]:
    """A URL with ``user:password@`` (a mirror behind Basic auth): the credentials become an :class:`Auth` bound
    to that host, so they never follow a redirect elsewhere nor appear in a request line, and the URL loses them."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, auth
    stripped = parts._replace(netloc=host_of(url)).geturl()
    if auth is not None:
        return stripped, auth
    user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return stripped, Auth("Basic " + base64.b64encode(user.encode()).decode(), host_of(url))


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port."""
    host = host.lower()
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def sanitise(data: bytes | str, limit: int = 80) -> str:
    """A printable, single-line excerpt of what a server sent (no control characters, no newlines)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = "".join(c if c.isprintable() and c not in "\r\n" else " " for c in text[: limit * 2])
    text = re.sub(r"\s+", " ", text).strip().replace("::", ": :")
    return text[:limit] + ("…" if len(text) > limit else "")


def check_digest(digest: str, *, source: str) -> str:
    """``sha256:`` and 64 lower-case hex characters, or one clear error: a digest may become a path."""
    if isinstance(digest, str) and _DIGEST.fullmatch(digest):
        return digest
    raise TransportError(
        what=f"{source} gave an invalid digest {sanitise(str(digest), 100)!r}",
        why="A content digest is 'sha256:' followed by 64 lower-case hexadecimal characters; anything else "
        "is refused before it is used as a reference or a file name.",
        fix="Check that the registry (or a proxy in front of it) is a conforming OCI registry.",
        docs=DOCS,
        host=source,
        kind="digest",
    )


def deadline_seconds(default: float) -> float:
    """The overall deadline for one exchange: the environment's override, else ``default``."""
    raw = os.environ.get(DEADLINE_ENV, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def read_timeout(default: float = READ_TIMEOUT) -> float:
    """The per-read timeout: the environment's override, else ``default``."""
    raw = os.environ.get(READ_TIMEOUT_ENV, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


# -- proxies ---------------------------------------------------------------------------------------------


def _env(name: str) -> str:
    return os.environ.get(name.lower()) or os.environ.get(name.upper()) or ""


def proxy_for(url: str) -> str:
    """The proxy URL for ``url`` from the environment, or "" to connect directly."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or is_loopback(host):
        return ""
    proxy = _env("https_proxy") if parts.scheme == "https" else _env("http_proxy")
    if not proxy or _bypassed(host, parts.port or (443 if parts.scheme == "https" else 80)):
        return ""
    return proxy if "://" in proxy else f"http://{proxy}"


def _bypassed(host: str, port: int) -> bool:
    for entry in (e.strip().lower() for e in _env("no_proxy").split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip("*").lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


# -- one exchange ----------------------------------------------------------------------------------------


class _Deadline:
    """Shuts the connection's socket down when the deadline passes; every read also has its own timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.fired = False
        self._timer: threading.Timer | None = None
        self._conn: http.client.HTTPConnection | None = None

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def watch(self, conn: http.client.HTTPConnection) -> None:
        import threading

        self._conn = conn
        self._timer = threading.Timer(max(self.remaining(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        import socket

        self.fired = True
        sock = self._conn.sock if self._conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _ssl_context() -> ssl.SSLContext:
    import ssl

    context = ssl.create_default_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR
    extra = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if extra and Path(extra).is_file():
        context.load_verify_locations(cafile=extra)
    return context


class _Connection(NamedTuple):
    """A connection, the request target to send on it, and the headers every request on it carries (a plain-HTTP
    proxy's credentials)."""

    conn: http.client.HTTPConnection
    target: str
    headers: dict[str, str]


def _connection(url: str, timeout: float) -> _Connection:
    """A connection for ``url`` (through the environment's proxy if any) and the request target to send."""
    import http.client  # here, not at import: a step that sends nothing does not load the network stack

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    proxy = proxy_for(url)
    if not proxy:
        if parts.scheme == "https":
            secure = http.client.HTTPSConnection(host_of(url), timeout=timeout, context=_ssl_context())
            return _Connection(secure, target, {})
        return _Connection(http.client.HTTPConnection(host_of(url), timeout=timeout), target, {})
    proxy_parts = urlsplit(proxy)
    proxy_headers = {}
    if proxy_parts.username is not None:
        user = f"{proxy_parts.username}:{proxy_parts.password or ''}"
        proxy_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(user.encode()).decode()
    proxy_host = proxy_parts.netloc.rpartition("@")[2]
    if parts.scheme == "https":
        tunnel = http.client.HTTPSConnection(proxy_host, timeout=timeout, context=_ssl_context())
        tunnel.set_tunnel(parts.hostname or "", parts.port or 443, headers=proxy_headers)
        return _Connection(tunnel, target, {})
    # a plain-http proxy: an absolute-form request target, and the proxy's headers on every request
    return _Connection(http.client.HTTPConnection(proxy_host, timeout=timeout), url, proxy_headers)


class _Sink:
    """Where a body goes: memory (capped) or a file, hashed as it arrives."""

    def __init__(self, limit: int, file: Any = None) -> None:
        self.limit = limit
        self.file = file
        self.hasher = _sha256()
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLarge(self.size)
        self.hasher.update(data)
        if self.file is not None:
            self.file.write(data)
        else:
            self.parts.append(data)

    def reset(self) -> None:
        self.size = 0
        self.hasher = _sha256()
        self.parts.clear()
        if self.file is not None:
            self.file.seek(0)
            self.file.truncate()


def _sha256() -> Any:
    import hashlib

    return hashlib.sha256()


class _TooLarge(Exception):
    pass


class _Retryable(Exception):
    """A network failure worth another attempt (connection refused or reset, timeout, truncated body)."""


def _exchange(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | memoryview | None,
    sink: _Sink,
    deadline: _Deadline,
    connect_timeout: float,
    read: float,
) -> Response:
    import http.client
    import ssl

    remaining = deadline.remaining()
    if remaining <= 0:
        raise _DeadlinePassed()
    conn, target, proxy_headers = _connection(url, min(connect_timeout, remaining))
    deadline.watch(conn)
    try:
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers, **proxy_headers}
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in sent.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if conn.sock is not None:
            conn.sock.settimeout(max(min(read, deadline.remaining()), 0.001))
        if body:
            conn.send(body)
        raw = conn.getresponse()
        length = raw.getheader("Content-Length")
        if length and length.isdigit() and int(length) > sink.limit and method != "HEAD":
            raise _TooLarge(int(length))
        response = Response(url, raw.status, raw.reason or "", raw.msg)
        if raw.status in _REDIRECTS or method == "HEAD":
            return response
        if not response.ok:  # an error answer: keep its start for the message, never in the file
            if conn.sock is not None:
                conn.sock.settimeout(max(min(read, deadline.remaining()), 0.001))
            response.body = raw.read(ERROR_BODY) if raw.length is None or raw.length > ERROR_BODY else raw.read()
            return response
        while True:
            if conn.sock is not None:
                conn.sock.settimeout(max(min(read, deadline.remaining()), 0.001))
            data = raw.read1(CHUNK) if hasattr(raw, "read1") else raw.read(CHUNK)
            if not data:
                break
            sink.write(data)
        if raw.length:  # a Content-Length body that ended early
            raise http.client.IncompleteRead(b"")
        return response
    except (_TooLarge, _DeadlinePassed):
        raise
    except ssl.SSLCertVerificationError as exc:  # retrying does not make a certificate trusted
        raise _Untrusted(host_of(url), str(exc.verify_message or exc.reason or exc)) from None
    except (OSError, http.client.HTTPException) as exc:
        if deadline.fired or deadline.remaining() <= 0:
            raise _DeadlinePassed() from None
        raise _Retryable(_network_reason(exc)) from None
    finally:
        deadline.stop()
        conn.close()


class _DeadlinePassed(Exception):
    pass


class _Untrusted(Exception):
    """A server's TLS certificate failed verification: (host, OpenSSL's reason)."""


def ca_store_is_empty() -> bool:
    """Python's TLS has no trusted root certificate to verify a server with: no CA in the default bundle
    (``SSL_CERT_FILE`` or OpenSSL's own ``cert.pem``) and no certificate in the hashed directory (``SSL_CERT_DIR``
    or OpenSSL's ``certs``), which OpenSSL reads only on demand. A bare ``ubuntu``/``debian`` container image, or
    a python.org macOS Python whose "Install Certificates" step never ran, is in this state."""
    import ssl

    if _ssl_context().cert_store_stats().get("x509_ca", 0):
        return False
    paths = ssl.get_default_verify_paths()
    directories = os.environ.get(paths.openssl_capath_env) or paths.openssl_capath  # as OpenSSL picks them
    return not any(
        Path(directory).is_dir() and any(Path(directory).glob("*.[0-9]"))
        for directory in directories.split(os.pathsep)
        if directory
    )


def untrusted(host: str, reason: str) -> TransportError:
    """The one error for a certificate that failed verification; with the fix for a machine without CA
    certificates when that is the cause."""
    import ssl

    if ca_store_is_empty():
        paths = ssl.get_default_verify_paths()
        return TransportError(
            what=f"Cannot verify {host}'s TLS certificate: this machine has no CA certificates",
            why=f"Python's TLS ({ssl.OPENSSL_VERSION}) found no trusted root certificate (bundle "
            f"{os.environ.get(paths.openssl_cafile_env) or paths.openssl_cafile}: none), so it can verify no HTTPS "
            f"server ({sanitise(reason, 80)}). Bare container images (ubuntu, debian) ship without them. Nothing "
            "was sent.",
            fix="Install the CA certificates in a step before this one (as root in the container):\n"
            "- run: apt-get update && apt-get install -y ca-certificates\n"
            "(Alpine: apk add ca-certificates; Fedora, UBI: dnf install -y ca-certificates)\n"
            "or point Python at a CA bundle you have:\nenv:\n  SSL_CERT_FILE: /path/to/ca-certificates.crt",
            docs=DOCS,
            host=host,
            kind="tls",
        )
    return TransportError(
        what=f"{host}'s TLS certificate is not trusted ({sanitise(reason, 80)})",
        why="The server, or a TLS-intercepting proxy in front of it, presented a certificate that no CA this "
        "machine trusts vouches for. Retrying does not change that; nothing was sent.",
        fix="If your network re-signs HTTPS (a corporate proxy), give its CA bundle:\nenv:\n"
        "  SSL_CERT_FILE: /etc/ssl/certs/corporate-ca.pem\n(REQUESTS_CA_BUNDLE adds a bundle to the system's); "
        "otherwise check the URL inputs and the machine's clock.",
        docs=DOCS,
        host=host,
        kind="tls",
    )


def _network_reason(exc: BaseException) -> str:
    import http.client
    import socket

    if isinstance(exc, TimeoutError | socket.timeout):
        return "read timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, http.client.IncompleteRead):
        return "connection closed before the whole body arrived"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    return f"{type(exc).__name__}: {sanitise(str(exc), 120)}"


def _retry_after(response: Response) -> float | None:
    value = response.header("Retry-After").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def redirect_target(current: str, location: str, original: str, seen: set[str]) -> str:
    """The next URL, or a :class:`TransportError` saying why the redirect is refused."""
    host = host_of(current)
    target = urljoin(current, location.strip())
    parts = urlsplit(target)
    plain_loopback = urlsplit(original).scheme == "http" and is_loopback(host_of(original))
    allowed = parts.scheme == "https" or (parts.scheme == "http" and plain_loopback and is_loopback(parts.netloc))
    if not allowed or not parts.netloc:
        raise TransportError(
            what=f"{host} redirected to {sanitise(target, 120)!r}, which is refused",
            why="Redirects are followed only to https URLs (plain http only between loopback addresses); "
            "never to another scheme such as file://.",
            fix="Check the URL inputs (download-base-url, github-api-url, registry): the server, or a proxy "
            "in front of it, is not the one intended.",
            docs=DOCS,
            host=host,
            kind="redirect",
        )
    if target in seen:
        raise TransportError(
            what=f"{host} redirects in a loop",
            why=f"The redirect to {sanitise(target, 120)!r} leads back to a URL already visited.",
            fix="Check the URL inputs; the server or a proxy in front of it is misconfigured.",
            docs=DOCS,
            host=host,
            kind="redirect",
        )
    return target


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | memoryview | None = None,
    auth: Auth | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    deadline: float = DEADLINE,
    connect_timeout: float = CONNECT_TIMEOUT,
    max_bytes: int = MAX_BODY,
    expected_digest: str = "",
    to_file: Path | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Response:
    """One HTTP exchange: retries, redirects, deadline, caps and digest checks applied.

    Returns the final response whatever its status (after retries for ``retry.statuses``); raises
    :class:`TransportError` when no usable answer arrived. With ``to_file`` the body streams into that
    file (created here, removed on failure) instead of ``Response.body``. With ``expected_digest`` the
    body of a 2xx answer must hash to it.
    """
    wait = sleep or (lambda seconds: time.sleep(seconds))
    url, auth = _userinfo_as_auth(url, auth)
    if urlsplit(url).scheme not in ("http", "https") or not host_of(url):
        raise TransportError(
            what=f"Refused to fetch {sanitise(url, 120)!r}",
            why="Only http and https URLs are fetched.",
            fix="Check the URL inputs (download-base-url, github-api-url).",
            docs=DOCS,
            host=host_of(url),
            kind="redirect",
        )
    limit = _Deadline(deadline_seconds(deadline))
    read = read_timeout()
    if expected_digest:
        check_digest(expected_digest, source=host_of(url))
    handle = to_file.open("wb") if to_file is not None else None
    sink = _Sink(max_bytes, handle)
    try:
        response = _with_retries(
            method, url, headers or {}, body, auth, retry, limit, connect_timeout, read, sink, wait
        )
        if response.ok and to_file is None:
            response.body = b"".join(sink.parts)
        if response.ok and method != "HEAD":
            response.digest = "sha256:" + sink.hasher.hexdigest()
        if response.ok and expected_digest and method != "HEAD":
            got = "sha256:" + sink.hasher.hexdigest()
            if got != expected_digest:
                raise TransportError(
                    what=f"{response.host} sent bytes that do not match the digest they were requested by",
                    why=f"Asked for {expected_digest}, received {sink.size} bytes hashing to {got}. The server "
                    "(or a proxy in front of it) served different content; nothing was used.",
                    fix="Re-run the job; if it persists, the server or the network path to it is not trustworthy.",
                    docs=DOCS,
                    host=response.host,
                    status=response.status,
                    kind="digest",
                )
        return response
    except BaseException:
        if handle is not None:
            handle.close()
            handle = None
            if to_file is not None:
                to_file.unlink(missing_ok=True)
        raise
    finally:
        if handle is not None:
            handle.close()


def _with_retries(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | memoryview | None,
    auth: Auth | None,
    retry: RetryPolicy,
    limit: _Deadline,
    connect_timeout: float,
    read: float,
    sink: _Sink,
    wait: Callable[[float], None],
) -> Response:
    last = ""
    attempt = 0
    while True:
        attempt += 1
        sink.reset()
        response: Response | None = None
        try:
            response = _follow(method, url, headers, body, auth, limit, connect_timeout, read, sink)
        except _Retryable as exc:
            last = str(exc)
        except _DeadlinePassed:
            raise _deadline_error(url, limit, sink.size) from None
        except _Untrusted as exc:
            raise untrusted(*exc.args) from None
        except _TooLarge as exc:
            raise TransportError(
                what=f"{host_of(url)} sent more than {sink.limit} bytes",
                why=f"The answer ({exc.args[0]} bytes so far) exceeds what this request can be; a server or "
                "proxy is sending something else.",
                fix="Check the URL inputs and the runner's proxy settings.",
                docs=DOCS,
                host=host_of(url),
                kind="too-large",
            ) from None
        if response is not None:
            response.attempts = attempt
            if not retry.retries(response.status):
                return response
            last = f"HTTP {response.status}"
        if attempt >= retry.attempts:
            if response is not None:
                return response
            raise TransportError(
                what=f"Could not reach {host_of(url)}",
                why=f"{last} (after {attempt} attempt{'s' if attempt > 1 else ''}, {method} {_short(url)}).",
                fix=f"Re-run the job; if it persists, check the runner's network access to {host_of(url)} "
                "(and https_proxy/no_proxy on self-hosted runners).",
                docs=DOCS,
                host=host_of(url),
                kind="connection",
            )
        pause = retry.wait(attempt)
        hinted = _retry_after(response) if response is not None else None
        if hinted is not None:
            pause = max(pause, min(hinted, RETRY_AFTER_CAP))
        if pause >= limit.remaining():
            if response is not None:
                return response
            raise _deadline_error(url, limit, sink.size)
        wait(pause)


def _short(url: str) -> str:
    parts = urlsplit(url)
    return sanitise(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}", 160)


def _deadline_error(url: str, limit: _Deadline, received: int) -> TransportError:
    host = host_of(url)
    return TransportError(
        what=f"{host} did not answer within {limit.seconds:g} s",
        why=f"The exchange ({_short(url)}) passed its overall deadline after {received} bytes of the answer: "
        "the server, or a proxy in front of it, is stalled or sending very slowly.",
        fix=f"Re-run the job; if it persists, check the runner's network path to {host}. "
        f"The limit can be raised with the environment variable {DEADLINE_ENV} (seconds).",
        docs=DOCS,
        host=host,
        kind="deadline",
    )


def _follow(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | memoryview | None,
    auth: Auth | None,
    limit: _Deadline,
    connect_timeout: float,
    read: float,
    sink: _Sink,
) -> Response:
    seen = {url}
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        sent = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        credential = auth.for_url(current) if auth is not None else None
        if credential:  # only to the host the credential belongs to: dropped on a redirect elsewhere
            sent["Authorization"] = credential
        response = _exchange(method, current, sent, body, sink, limit, connect_timeout, read)
        if response.status not in _REDIRECTS:
            return response
        location = response.header("Location")
        if not location:
            return response
        current = redirect_target(current, location, url, seen)
        seen.add(current)
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, body = ("GET" if method != "HEAD" else "HEAD"), None
    raise TransportError(
        what=f"{host_of(url)} redirected more than {MAX_REDIRECTS} times",
        why=f"The chain started at {_short(url)} and did not end.",
        fix="Check the URL inputs; the server or a proxy in front of it is misconfigured.",
        docs=DOCS,
        host=host_of(url),
        kind="redirect",
    )


# -- conveniences ----------------------------------------------------------------------------------------


def get_json(
    url: str,
    *,
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    deadline: float = 120.0,
) -> Response:
    """A GET whose answer should be JSON; the caller checks ``status`` and calls ``json()``."""
    sent = {"Accept": "application/json", **(headers or {})}
    return request("GET", url, headers=sent, auth=auth, retry=retry, deadline=deadline)


def download(
    url: str,
    dest: Path,
    *,
    auth: Auth | None = None,
    headers: Mapping[str, str] | None = None,
    expected_digest: str = "",
    retry: RetryPolicy = DEFAULT_RETRY,
    deadline: float = 900.0,
    max_bytes: int = 1 << 30,
    sleep: Callable[[float], None] | None = None,
) -> Response:
    """Stream ``url`` into ``dest`` atomically (a temp file beside it, renamed only on a complete 2xx).

    Returns the response (``digest`` holds the sha256 of what was written). A non-2xx answer writes nothing.
    """
    import tempfile  # downloads only: publish and build start without it

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".download-")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        response = request(
            "GET",
            url,
            headers=headers,
            auth=auth,
            retry=retry,
            deadline=deadline,
            max_bytes=max_bytes,
            expected_digest=expected_digest,
            to_file=tmp,
            sleep=sleep,
        )
        if response.ok:
            os.replace(tmp, dest)
        return response
    finally:
        tmp.unlink(missing_ok=True)


def next_link(response: Response) -> str:
    """The ``rel="next"`` URL of an RFC 8288 ``Link`` header (GitHub's pagination), or ""."""
    for part in response.header("Link").split(","):
        url, _, params = part.partition(";")
        if re.search(r'rel="?next"?', params):
            return url.strip().strip("<>")
    return ""
