"""The stdlib transport against loopback HTTP servers (threads): retries, Retry-After, deadlines, redirects,
credentials bound to their host, caps, digests on receipt, JSON shapes, proxies."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import time_limit
from wash_actions.runner import transport
from wash_actions.runner.transport import Auth, RetryPolicy, TransportError

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Server:
    url: str
    routes: dict[str, list[Handler]]
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # method, path, headers

    def route(self, path: str, *handlers: Handler) -> str:
        self.routes[path] = list(handlers)
        return self.url + path

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.seen]


def reply(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)

    return handle


def dribble(body: bytes, every: float) -> Handler:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for byte in body:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(every)

    return handle


def truncated(body: bytes) -> Handler:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.close_connection = True

    return handle


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(transport.DEADLINE_ENV, raising=False)
    monkeypatch.delenv(transport.READ_TIMEOUT_ENV, raising=False)


def start_server() -> tuple[Server, http.server.ThreadingHTTPServer]:
    server = Server("", {})

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            server.seen.append((self.command, self.path, dict(self.headers.items())))
            handlers = server.routes.get(self.path.split("?")[0]) or [reply(404, b'{"message":"Not Found"}')]
            handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
            handler(self)

        do_GET = do_POST = do_PUT = do_HEAD = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    server.url = f"http://127.0.0.1:{httpd.server_port}"
    return server, httpd


@pytest.fixture
def serve(no_proxy: None) -> Iterator[Callable[[], Server]]:
    started: list[http.server.ThreadingHTTPServer] = []

    def make() -> Server:
        server, httpd = start_server()
        started.append(httpd)
        return server

    yield make
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(serve: Callable[[], Server]) -> Server:
    return serve()


# -- retries -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "attempts", "sleeps"),
    [
        ([200], 1, []),
        ([500, 503, 200], 3, [1.0, 2.0]),
        ([429, 502, 504, 200], 4, [1.0, 2.0, 4.0]),
    ],
)
def test_retries_5xx_and_429_then_succeeds(server: Server, statuses, attempts, sleeps) -> None:
    url = server.route("/x", *[reply(s, b"ok" if s == 200 else b"no") for s in statuses])
    slept: list[float] = []
    response = transport.request("GET", url, sleep=slept.append)
    assert (response.status, response.body, response.attempts) == (200, b"ok", attempts)
    assert slept == sleeps


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_client_errors_are_never_retried(server: Server, status: int) -> None:
    url = server.route("/x", reply(status, b"{}"))
    response = transport.request("GET", url, sleep=lambda s: pytest.fail("slept"))
    assert response.status == status
    assert len(server.seen) == 1


def test_401_403_404_are_never_retried_even_if_a_policy_lists_them(server: Server) -> None:
    policy = RetryPolicy(attempts=5, backoff=(0.0,), statuses=frozenset({401, 403, 404, 500}))
    for status in (401, 403, 404):
        server.seen.clear()
        url = server.route(f"/{status}", reply(status))
        assert transport.request("GET", url, retry=policy, sleep=lambda s: None).status == status
        assert len(server.seen) == 1


def test_persistent_5xx_returns_the_last_answer_after_the_policy_attempts(server: Server) -> None:
    url = server.route("/x", reply(503, b"down"))
    slept: list[float] = []
    response = transport.request("GET", url, retry=RetryPolicy(attempts=3, backoff=(1.0, 5.0)), sleep=slept.append)
    assert (response.status, response.attempts, response.body) == (503, 3, b"down")
    assert slept == [1.0, 5.0]


def test_octokit_policy_matches_actions_attest(server: Server) -> None:
    policy = transport.OCTOKIT_RETRY
    assert policy.attempts == 6  # five retries
    assert [policy.wait(n) for n in range(1, 6)] == [1.0, 4.0, 9.0, 16.0, 25.0]
    for status in (400, 401, 403, 404, 410, 422, 451):
        assert not policy.retries(status)
    for status in (408, 409, 429, 500, 502, 503):
        assert policy.retries(status)
    url = server.route("/x", reply(500), reply(409), reply(201, b'{"id": 1}'))
    slept: list[float] = []
    assert transport.request("POST", url, body=b"{}", retry=policy, sleep=slept.append).status == 201
    assert slept == [1.0, 4.0]


@pytest.mark.parametrize(("value", "expected"), [("7", 7.0), ("0", 1.0), ("9999", transport.RETRY_AFTER_CAP)])
def test_retry_after_is_honoured_and_capped(server: Server, value: str, expected: float) -> None:
    url = server.route("/x", reply(429, headers={"Retry-After": value}), reply(200, b"ok"))
    slept: list[float] = []
    transport.request("GET", url, deadline=1000, sleep=slept.append)
    assert slept == [expected]


def test_retry_after_beyond_the_deadline_gives_up_at_once(server: Server) -> None:
    url = server.route("/x", reply(503, headers={"Retry-After": "50"}))
    slept: list[float] = []
    response = transport.request("GET", url, deadline=5, sleep=slept.append)
    assert response.status == 503 and slept == []


def test_connection_refused_is_retried_then_named(no_proxy: None) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    slept: list[float] = []
    with pytest.raises(TransportError) as caught:
        transport.request("GET", f"http://127.0.0.1:{port}/x", sleep=slept.append)
    assert caught.value.host == f"127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in caught.value.what
    assert "connection refused" in caught.value.why and "4 attempts" in caught.value.why
    assert len(slept) == 3


def test_a_body_cut_short_is_retried(server: Server) -> None:
    body = b"x" * 5000
    url = server.route("/x", truncated(body), reply(200, body))
    assert transport.request("GET", url, sleep=lambda s: None).body == body
    assert len(server.seen) == 2


# -- deadline ----------------------------------------------------------------------------------------------


def test_a_dribbling_server_ends_at_the_deadline(server: Server) -> None:
    url = server.route("/x", dribble(b"y" * 100, 0.3))  # the whole body would take 30 s
    started = time.monotonic()
    with time_limit(4, "a request with a 1.5 s deadline"), pytest.raises(TransportError) as caught:
        transport.request("GET", url, deadline=1.5, sleep=lambda s: None)
    assert time.monotonic() - started >= 1.4  # not stopped before its deadline (load only makes this longer)
    assert caught.value.kind == "deadline"
    assert "did not answer within 1.5 s" in caught.value.what
    assert transport.DEADLINE_ENV in caught.value.fix
    # each read was quick (some bytes came, the read timeout never fired), only the overall deadline stopped it
    received = int(re.search(r"after (\d+) bytes", caught.value.why)[1])  # type: ignore[index]
    assert 0 < received < 100
    assert server.paths() == ["/x"]  # and a deadline is not retried


def test_the_deadline_comes_from_the_environment(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(transport.DEADLINE_ENV, "1")
    url = server.route("/x", dribble(b"y" * 100, 0.2))
    with pytest.raises(TransportError, match="within 1 s"):
        transport.request("GET", url, deadline=600, sleep=lambda s: None)


def test_a_silent_server_hits_the_read_timeout_then_the_retries(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(transport.READ_TIMEOUT_ENV, "0.3")
    url = server.route("/x", lambda h: time.sleep(1.0))
    with pytest.raises(TransportError) as caught:
        transport.request("GET", url, retry=RetryPolicy(attempts=2, backoff=(0.0,)), sleep=lambda s: None)
    assert "read timed out" in caught.value.why
    assert len(server.seen) == 2


# -- redirects ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://example.com/x", "http://example.com/x", "gopher://x/"]
)
def test_redirects_to_another_scheme_are_refused(server: Server, location: str) -> None:
    url = server.route("/x", reply(302, headers={"Location": location}))
    with pytest.raises(TransportError) as caught:
        transport.request("GET", url)
    assert caught.value.kind == "redirect"
    assert server.url.removeprefix("http://") in caught.value.what and "refused" in caught.value.what
    assert len(server.seen) == 1


def test_loopback_http_may_redirect_within_loopback(server: Server) -> None:
    server.route("/b", reply(200, b"here"))
    url = server.route("/a", reply(301, headers={"Location": "/b"}))
    response = transport.request("GET", url)
    assert response.body == b"here" and response.url.endswith("/b")


def test_a_redirect_loop_is_detected(server: Server) -> None:
    server.route("/b", reply(302, headers={"Location": "/a"}))
    url = server.route("/a", reply(302, headers={"Location": "/b"}))
    with pytest.raises(TransportError, match="redirects in a loop"):
        transport.request("GET", url)
    assert server.paths() == ["/a", "/b"]


def test_redirects_are_bounded(server: Server) -> None:
    for n in range(10):
        server.route(f"/r{n}", reply(302, headers={"Location": f"/r{n + 1}"}))
    with pytest.raises(TransportError, match=f"more than {transport.MAX_REDIRECTS} times"):
        transport.request("GET", server.url + "/r0")
    assert len(server.seen) == transport.MAX_REDIRECTS + 1


def test_credentials_go_only_to_their_host(serve: Callable[[], Server]) -> None:
    home, elsewhere = serve(), serve()
    target = elsewhere.route("/asset", reply(200, b"bytes"))
    url = home.route("/start", reply(302, headers={"Location": target}))
    auth = Auth.bearer("s3cret", url)
    assert transport.request("GET", url, auth=auth).body == b"bytes"
    assert home.seen[0][2]["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in elsewhere.seen[0][2]


def test_a_credential_for_another_host_is_never_sent(server: Server) -> None:
    url = server.route("/x", reply(200, b"{}"))
    transport.request("GET", url, auth=Auth("Bearer for-github", "api.github.com"))
    assert "Authorization" not in server.seen[0][2]


def test_a_caller_header_named_authorization_is_not_a_way_around_the_binding(server: Server) -> None:
    url = server.route("/x", reply(200))
    transport.request("GET", url, headers={"Authorization": "Bearer stray"})
    assert "Authorization" not in server.seen[0][2]


def test_303_turns_a_post_into_a_get(server: Server) -> None:
    server.route("/done", reply(200, b"ok"))
    url = server.route("/post", reply(303, headers={"Location": "/done"}))
    transport.request("POST", url, body=b"payload")
    assert [m for m, _, _ in server.seen] == ["POST", "GET"]


# -- bodies, caps, digests, JSON ---------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused(server: Server) -> None:
    url = server.route("/x", reply(200, b"z" * 2000))
    with pytest.raises(TransportError) as caught:
        transport.request("GET", url, max_bytes=1000)
    assert caught.value.kind == "too-large" and "more than 1000 bytes" in caught.value.what


def test_expected_digest_matches(server: Server) -> None:
    body = b'{"schemaVersion":2}'
    url = server.route("/m", reply(200, body))
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    assert transport.request("GET", url, expected_digest=digest).digest == digest


def test_expected_digest_mismatch_is_refused(server: Server) -> None:
    url = server.route("/m", reply(200, b"a foreign manifest"))
    wanted = "sha256:" + "0" * 64
    with pytest.raises(TransportError) as caught:
        transport.request("GET", url, expected_digest=wanted)
    assert caught.value.kind == "digest"
    assert wanted in caught.value.why and "127.0.0.1" in caught.value.what


@pytest.mark.parametrize(
    "digest",
    ["sha256:../../x", "sha256:" + "A" * 64, "sha512:" + "0" * 64, "sha256:" + "0" * 63, "", "sha256:/etc"],
)
def test_invalid_digests_are_refused_before_use(digest: str) -> None:
    with pytest.raises(TransportError) as caught:
        transport.check_digest(digest, source="registry.example")
    assert "registry.example gave an invalid digest" in caught.value.what


def test_download_streams_to_the_file_with_its_digest(server: Server, tmp_path: Path) -> None:
    body = bytes(range(256)) * 1000
    url = server.route("/wash", reply(200, body))
    dest = tmp_path / "d" / "wash"
    response = transport.download(url, dest)
    assert dest.read_bytes() == body
    assert response.digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["wash"]


@pytest.mark.parametrize("handler", [reply(404, b"nope"), reply(200, b"tampered")], ids=["404", "digest"])
def test_download_leaves_nothing_on_failure(server: Server, tmp_path: Path, handler: Handler) -> None:
    url = server.route("/wash", handler)
    dest = tmp_path / "d" / "wash"
    try:
        response = transport.download(url, dest, expected_digest="sha256:" + "1" * 64)
        assert response.status == 404 and response.body == b"nope"
    except TransportError as exc:
        assert exc.kind == "digest"
    assert list(dest.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("body", "content_type", "shape", "shown"),
    [
        (b"<html><body>Sign in to the proxy</body></html>", "text/html", dict, "text/html"),
        (b"[]", "application/json", dict, "'[]'"),
        (b'{"a": 1}', "application/json", list, "'{\"a\": 1}'"),
        (b"\x00\x01garbage\n::error::injected", "application/octet-stream", dict, "garbage"),
    ],
)
def test_json_of_the_wrong_kind_is_one_clear_error(server: Server, body, content_type, shape, shown) -> None:
    url = server.route("/api", reply(200, body, {"Content-Type": content_type}))
    response = transport.request("GET", url)
    with pytest.raises(TransportError) as caught:
        response.json(shape)
    error = caught.value
    assert error.host == server.url.removeprefix("http://")
    assert error.host in error.what and "HTTP 200" in error.why and shown in error.why
    assert "\n" not in error.why and "::error" not in error.why


def test_next_link_follows_githubs_pagination_header(server: Server) -> None:
    link = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"'
    url = server.route("/x", reply(200, b"[]", {"Link": link}))
    assert transport.next_link(transport.request("GET", url)) == "https://api.github.com/x?page=2"
    assert transport.next_link(transport.request("GET", server.route("/y", reply(200, b"[]")))) == ""


# -- proxies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "url", "proxy"),
    [
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.github.com/x", "http://proxy:3128"),
        ({"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:2"}, "https://a.example/", "http://low:1"),
        ({"HTTPS_PROXY": "proxy:3128"}, "https://a.example/", "http://proxy:3128"),
        ({"HTTP_PROXY": "http://proxy:3128"}, "https://a.example/", ""),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "github.com"}, "https://api.github.com/", ""),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": ".example.com"}, "https://a.example.com/", ""),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": "example.com:8443"}, "https://example.com/", "http://p:1"),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": "example.com:8443"}, "https://example.com:8443/", ""),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": "*"}, "https://a.example/", ""),
        ({"HTTPS_PROXY": "http://p:1", "no_proxy": "notexample.com"}, "https://example.com/", "http://p:1"),
        ({"HTTP_PROXY": "http://p:1"}, "http://127.0.0.1:5000/v2/", ""),
        ({"HTTP_PROXY": "http://p:1"}, "http://localhost:5000/v2/", ""),
    ],
)
def test_proxy_for(monkeypatch: pytest.MonkeyPatch, no_proxy: None, env: dict[str, str], url: str, proxy: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert transport.proxy_for(url) == proxy


def test_plain_http_goes_through_the_proxy_in_absolute_form(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.route("http://mirror.example/wasmCloud/x", reply(200, b"via proxy"))
    monkeypatch.setenv("http_proxy", server.url.replace("127.0.0.1", "proxyuser:pw@127.0.0.1"))
    response = transport.request("GET", "http://mirror.example/wasmCloud/x")
    assert response.body == b"via proxy"
    _method, path, headers = server.seen[0]
    assert path == "http://mirror.example/wasmCloud/x"
    assert headers["Proxy-Authorization"].startswith("Basic ")


def test_https_goes_through_a_connect_tunnel(no_proxy: None, monkeypatch: pytest.MonkeyPatch) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen: list[bytes] = []

    def proxy() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(1024)
            seen.append(data)
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=proxy, daemon=True)
    thread.start()
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{listener.getsockname()[1]}")
    with pytest.raises(TransportError) as caught:
        transport.request("GET", "https://api.github.com/repos/x", retry=transport.NO_RETRY)
    thread.join(5)
    listener.close()
    assert seen and seen[0].startswith(b"CONNECT api.github.com:443 HTTP/1.")
    assert "api.github.com" in caught.value.what


def test_a_json_body_is_sent_and_read_back(server: Server) -> None:
    def echo(h: http.server.BaseHTTPRequestHandler) -> None:
        reply(201, json.dumps({"id": 7}).encode(), {"Content-Type": "application/json"})(h)

    url = server.route("/attestations", echo)
    response = transport.request("POST", url, body=b'{"bundle": {}}', headers={"Content-Type": "application/json"})
    assert response.json(dict) == {"id": 7}
    assert server.seen[0][2]["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1", True),
        ("127.0.0.1:5000", True),
        ("127.1.2.3:80", True),
        ("[::1]", True),
        ("[::1]:5000", True),
        ("ghcr.io", False),
        ("10.0.0.1:5000", False),
        ("192.168.1.10", False),
        ("0.0.0.0:5000", False),
        ("[::]:5000", False),
        ("[fe80::1]:5000", False),
        ("localhost.example.com:5000", False),
        ("127.0.0.1.nip.io:5000", False),
        ("notlocalhost:5000", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert transport.is_loopback(host) is expected
