"""The registry proxy stack: the real wash and Python clients through it, in front of a real docker-registry."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.helpers import time_limit
from tests.stacks import proxy as proxy_stack
from tests.stacks import registry as registry_stack
from tests.stacks.proxy import BearerAuth, Fault

MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[registry_stack.RegistryProcess]:
    """A registry of this module's own, without auth: the proxy's upstream."""
    with registry_stack.running(tmp_path_factory.mktemp("proxy-origin")) as reg:
        yield reg


@pytest.fixture
def proxy(origin) -> Iterator[proxy_stack.Proxy]:
    with proxy_stack.serving(origin.url) as px:
        yield px


@pytest.fixture
def bearer_proxy(origin) -> Iterator[proxy_stack.Proxy]:
    with proxy_stack.serving(origin.url, bearer=BearerAuth("ci-user", "s3cret")) as px:
        yield px


def wash_push(
    wash: Path, reference: str, component: Path, *, docker_config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if docker_config is not None:
        env["DOCKER_CONFIG"] = str(docker_config)
    return subprocess.run(
        [str(wash), "oci", "push", "--insecure", "-o", "json", reference, str(component)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def docker_config(directory: Path, host: str, username: str, password: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    (directory / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return directory


def pushed_digest(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)["data"]["digest"]


def push_blob(base_url: str, repository: str, data: bytes, **kwargs) -> requests.Response:
    """A monolithic upload (POST then PUT) through ``base_url``; the PUT body goes chunked."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    start = requests.post(f"{base_url}/v2/{repository}/blobs/uploads/", timeout=30, **kwargs)
    assert start.status_code == 202, start.text
    location = start.headers["Location"]

    def pieces() -> Iterator[bytes]:
        for offset in range(0, len(data), 1 << 20):
            yield data[offset : offset + (1 << 20)]

    separator = "&" if "?" in location else "?"
    return requests.put(f"{location}{separator}digest={digest}", data=pieces(), timeout=60, **kwargs)


# -- plain forwarding ----------------------------------------------------------------------------------------


def test_wash_pushes_a_component_through_the_proxy(proxy, origin, wash_binary, built_python):
    run = wash_push(wash_binary, f"{proxy.host}/acme/x:v1", built_python)
    digest = pushed_digest(run)

    manifest = origin.manifest("acme/x", "v1")
    assert manifest.status_code == 200
    assert manifest.headers["Docker-Content-Digest"] == digest
    layer = manifest.json()["layers"][0]
    assert layer["size"] == built_python.stat().st_size
    # every request went through the proxy, including the 18 MB layer upload
    methods = {entry.method for entry in proxy.log if entry.path.startswith("/v2/acme/x/")}
    assert {"POST", "PATCH", "PUT"} <= methods
    assert all(200 <= entry.status < 300 for entry in proxy.log), proxy.log
    assert proxy.requests_to(r"/manifests/v1$", "PUT")[0].status == 201


def test_upload_locations_point_at_the_proxy_and_chunked_bodies_stream(proxy, origin):
    data = os.urandom(5 * (1 << 20) + 123)
    start = requests.post(f"{proxy.url}/v2/acme/loc/blobs/uploads/", timeout=30)
    assert start.status_code == 202
    assert start.headers["Location"].startswith(f"{proxy.url}/v2/acme/loc/blobs/uploads/")

    done = push_blob(proxy.url, "acme/loc", data)
    assert done.status_code == 201, done.text
    assert done.headers["Location"].startswith(f"{proxy.url}/v2/acme/loc/blobs/sha256:")
    digest = done.headers["Docker-Content-Digest"]
    assert origin.blob("acme/loc", digest) == data
    fetched = requests.get(f"{proxy.url}/v2/acme/loc/blobs/{digest}", timeout=30)
    assert fetched.content == data
    assert fetched.headers["Content-Length"] == str(len(data))
    head = requests.head(f"{proxy.url}/v2/acme/loc/blobs/{digest}", timeout=30)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))


def test_keep_alive_serves_many_requests_on_one_connection(proxy):
    with requests.Session() as session:
        for _ in range(5):
            assert session.get(f"{proxy.url}/v2/", timeout=10).status_code == 200
            assert session.head(f"{proxy.url}/v2/acme/none/manifests/v1", timeout=10).status_code == 404
            missing = session.get(f"{proxy.url}/v2/acme/none/manifests/v1", timeout=10)
            assert missing.status_code == 404
            assert missing.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    assert proxy.connections == 1
    assert len(proxy.log) == 15


class _RelativeLocation(BaseHTTPRequestHandler):
    """An upstream answering with one relative and one absolute (own-host) Location."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.send_response(202)
        own = f"http://{self.headers['Host']}"
        location = "/v2/r/blobs/uploads/u1?_state=a%3D" if "relative" in self.path else f"{own}/v2/r/blobs/uploads/u2"
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_relative_and_absolute_locations():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RelativeLocation)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with proxy_stack.serving(f"http://127.0.0.1:{server.server_address[1]}") as px:
            relative = requests.post(f"{px.url}/v2/r/blobs/uploads/?relative", timeout=10, allow_redirects=False)
            absolute = requests.post(f"{px.url}/v2/r/blobs/uploads/", timeout=10, allow_redirects=False)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert relative.headers["Location"] == "/v2/r/blobs/uploads/u1?_state=a%3D"  # already resolves at the proxy
    assert absolute.headers["Location"] == f"{px.url}/v2/r/blobs/uploads/u2"


# -- bearer auth ---------------------------------------------------------------------------------------------


def test_wash_pushes_with_bearer_tokens_from_a_docker_config(bearer_proxy, origin, wash_binary, built_python, tmp_path):
    config = docker_config(tmp_path / "docker", bearer_proxy.host, "ci-user", "s3cret")
    digest = pushed_digest(
        wash_push(wash_binary, f"{bearer_proxy.host}/acme/bearer:v1", built_python, docker_config=config)
    )

    assert origin.manifest("acme/bearer", "v1").headers["Docker-Content-Digest"] == digest
    tokens = bearer_proxy.token_requests.snapshot()
    assert tokens, "wash never asked for a token"
    assert all(t.username == "ci-user" and t.service == "registry.test" and t.status == 200 for t in tokens)
    assert tokens[0].scopes == ("repository:acme/bearer:pull,push",)
    # only the anonymous /v2/ probes were challenged; every repository request carried a valid token
    challenged = [entry.path for entry in bearer_proxy.log if entry.status == 401]
    assert set(challenged) <= {"/v2/"}
    assert all(e.status < 300 for e in bearer_proxy.log if e.path.startswith("/v2/acme/bearer/"))


def test_wash_with_a_wrong_password_pushes_nothing(bearer_proxy, origin, wash_binary, built_python, tmp_path):
    config = docker_config(tmp_path / "docker", bearer_proxy.host, "ci-user", "wrong")
    run = wash_push(wash_binary, f"{bearer_proxy.host}/acme/denied:v1", built_python, docker_config=config)

    assert run.returncode != 0
    assert origin.tags("acme/denied") == []
    assert [t.status for t in bearer_proxy.token_requests] and all(t.status == 401 for t in bearer_proxy.token_requests)
    assert not [e for e in bearer_proxy.log if e.path.startswith("/v2/acme/denied/") and e.status < 400]


def test_requests_without_a_token_get_the_challenge(bearer_proxy):
    realm = f'Bearer realm="{bearer_proxy.url}/token",service="registry.test"'
    root = requests.get(f"{bearer_proxy.url}/v2/", timeout=10)
    assert root.status_code == 401
    assert root.headers["WWW-Authenticate"] == realm
    assert root.headers["Docker-Distribution-Api-Version"] == "registry/2.0"

    manifest = requests.get(f"{bearer_proxy.url}/v2/acme/x/manifests/v1", timeout=10)
    assert manifest.status_code == 401
    assert manifest.headers["WWW-Authenticate"] == realm + ',scope="repository:acme/x:pull,push"'
    assert manifest.json()["errors"][0]["code"] == "UNAUTHORIZED"
    # Basic credentials are no substitute for a token
    basic = requests.get(f"{bearer_proxy.url}/v2/acme/x/manifests/v1", auth=("ci-user", "s3cret"), timeout=10)
    assert basic.status_code == 401


def _token(proxy: proxy_stack.Proxy, scope: str, auth=("ci-user", "s3cret")) -> requests.Response:
    params = {"service": "registry.test", "scope": scope}
    return requests.get(f"{proxy.url}/token", params=params, auth=auth, timeout=10)


def test_tokens_cover_only_their_repository_and_actions(bearer_proxy, origin):
    assert _token(bearer_proxy, "repository:acme/tok:pull", auth=None).status_code == 401
    assert _token(bearer_proxy, "repository:acme/tok:pull", auth=("ci-user", "nope")).status_code == 401

    issued = _token(bearer_proxy, "repository:acme/tok:pull,push")
    assert issued.status_code == 200
    body = issued.json()
    assert body["token"] == body["access_token"] and body["expires_in"] == 300
    push = {"Authorization": f"Bearer {body['token']}"}

    assert requests.get(f"{bearer_proxy.url}/v2/", headers=push, timeout=10).status_code == 200
    uploaded = push_blob(bearer_proxy.url, "acme/tok", b"layer bytes", headers=push)
    assert uploaded.status_code == 201
    digest = uploaded.headers["Docker-Content-Digest"]
    assert origin.blob("acme/tok", digest) == b"layer bytes"

    other = requests.get(f"{bearer_proxy.url}/v2/acme/other/blobs/{digest}", headers=push, timeout=10)
    assert other.status_code == 401
    assert 'scope="repository:acme/other:pull"' in other.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in other.headers["WWW-Authenticate"]

    pull = {"Authorization": f"Bearer {_token(bearer_proxy, 'repository:acme/tok:pull').json()['token']}"}
    assert requests.get(f"{bearer_proxy.url}/v2/acme/tok/blobs/{digest}", headers=pull, timeout=10).content == (
        b"layer bytes"
    )
    denied = requests.post(f"{bearer_proxy.url}/v2/acme/tok/blobs/uploads/", headers=pull, timeout=10)
    assert denied.status_code == 401
    assert 'scope="repository:acme/tok:pull,push"' in denied.headers["WWW-Authenticate"]
    assert (
        requests.get(f"{bearer_proxy.url}/v2/", headers={"Authorization": "Bearer forged"}, timeout=10).status_code
        == 401
    )

    assert [(t.username, t.scopes, t.status) for t in bearer_proxy.token_requests] == [
        (None, ("repository:acme/tok:pull",), 401),
        ("ci-user", ("repository:acme/tok:pull",), 401),
        ("ci-user", ("repository:acme/tok:pull,push",), 200),
        ("ci-user", ("repository:acme/tok:pull",), 200),
    ]


# -- faults --------------------------------------------------------------------------------------------------


def test_a_503_then_normal_lets_a_retrying_client_through(proxy):
    proxy.faults.put(Fault.status(503, path="^/v2/$"))
    with requests.Session() as session:
        retry = Retry(total=2, status_forcelist=[503], backoff_factor=0, allowed_methods=None)
        session.mount("http://", HTTPAdapter(max_retries=retry))
        assert session.get(f"{proxy.url}/v2/", timeout=10).status_code == 200
    assert [(e.path, e.status, e.fault) for e in proxy.log] == [("/v2/", 503, "status"), ("/v2/", 200, None)]
    assert len(proxy.faults) == 0


def test_429_carries_retry_after(proxy):
    proxy.faults.put(Fault.status(429, retry_after=1))
    limited = requests.get(f"{proxy.url}/v2/", timeout=10)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert requests.get(f"{proxy.url}/v2/", timeout=10).status_code == 200


def test_reset_closes_the_connection_without_a_response(proxy):
    proxy.faults.put(Fault.reset(method="GET", path="^/v2/$"))
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(f"{proxy.url}/v2/", timeout=10)
    assert "reset" in str(caught.value).lower() or "aborted" in str(caught.value).lower()
    assert requests.get(f"{proxy.url}/v2/", timeout=10).status_code == 200
    assert [e.status for e in proxy.log] == [0, 200]


def test_slow_body_takes_at_least_the_delay(proxy, origin):
    uploaded = push_blob(proxy.url, "acme/slow", b"x" * 2048)
    digest = uploaded.headers["Docker-Content-Digest"]
    proxy.faults.put(Fault.slow_body(0.15, chunk=1024, path="/blobs/sha256:"))
    started = time.monotonic()
    response = requests.get(f"{proxy.url}/v2/acme/slow/blobs/{digest}", timeout=10)
    elapsed = time.monotonic() - started
    assert response.content == b"x" * 2048
    assert elapsed >= 0.3  # two 1 KiB chunks, each after 0.15 s
    assert requests.get(f"{proxy.url}/v2/acme/slow/blobs/{digest}", timeout=10).content == b"x" * 2048
    assert [e.fault for e in proxy.log][-2:] == ["slow_body", None]  # the fault applied once, not again


def test_slow_body_applies_to_the_proxys_own_responses(bearer_proxy):
    bearer_proxy.faults.put(Fault.slow_body(0.05, chunk=64, path="^/token$"))
    started = time.monotonic()
    issued = _token(bearer_proxy, "repository:acme/slow:pull")
    assert issued.status_code == 200 and issued.json()["expires_in"] == 300
    assert time.monotonic() - started >= 0.05 * (len(issued.content) // 64)
    assert [(e.path, e.fault) for e in bearer_proxy.log] == [("/token", "slow_body")]


def test_persistent_faults_last_until_cleared(proxy):
    proxy.faults.put(Fault.status(503, method="GET").persistent(), Fault.status(500))
    assert [requests.get(f"{proxy.url}/v2/", timeout=10).status_code for _ in range(3)] == [503, 503, 503]
    assert requests.head(f"{proxy.url}/v2/", timeout=10).status_code == 500  # the one-shot rule, for HEAD
    assert requests.head(f"{proxy.url}/v2/", timeout=10).status_code == 200
    proxy.clear_faults()
    assert requests.get(f"{proxy.url}/v2/", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.status(503, method="PATCH"), "code: 503"),
        (Fault.status(429, retry_after=1, method="PATCH"), "code: 429"),
        (Fault.reset(method="PATCH"), "Connection reset by peer"),
        (Fault.reset(method="PUT", path="/manifests/"), "Connection reset by peer"),
    ],
    ids=["503-patch", "429-patch", "reset-patch", "reset-manifest-put"],
)
def test_wash_does_not_retry_a_failed_upload(proxy, origin, wash_binary, built_python, fault, message):
    """wash 2.10.3 gives up on the first 5xx/429/reset of an upload request: a retry is up to its caller."""
    repository = f"acme/fault-{secrets.token_hex(4)}"
    proxy.faults.put(fault)
    run = wash_push(wash_binary, f"{proxy.host}/{repository}:v1", built_python)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert origin.tags(repository) == []
    assert len(proxy.faults) == 0
    assert len(proxy.faults.applied) == 1


def test_wash_shrugs_off_a_failed_v2_probe(proxy, origin, wash_binary, built_python):
    proxy.faults.put(Fault.status(503, path="^/v2/$"), Fault.reset(path="^/v2/$"))
    digest = pushed_digest(wash_push(wash_binary, f"{proxy.host}/acme/probe:v1", built_python))
    assert origin.manifest("acme/probe", "v1").headers["Docker-Content-Digest"] == digest
    assert [e.status for e in proxy.log if e.path == "/v2/"][:2] == [503, 0]


# -- shutdown ------------------------------------------------------------------------------------------------


def _proxy_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("oci-proxy")]


def test_the_proxy_stops_with_open_and_busy_connections(origin):
    before = _proxy_threads()
    with contextlib.ExitStack() as running:
        px = running.enter_context(proxy_stack.serving(origin.url))
        idle = socket.create_connection(("127.0.0.1", int(px.host.rsplit(":", 1)[1])), timeout=5)
        session = requests.Session()
        assert session.get(f"{px.url}/v2/", timeout=10).status_code == 200  # a keep-alive connection stays open
        px.faults.put(Fault.slow_body(30, chunk=1, path="^/v2/$"))
        slow = threading.Thread(target=lambda: _swallow(session, f"{px.url}/v2/"), daemon=True)
        slow.start()
        deadline = time.monotonic() + 5
        while len(px.faults.applied) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(_proxy_threads()) > len(before)
        with time_limit(3, "stopping the proxy with a busy connection"):  # the slow body would take 30 s
            running.close()
    assert _proxy_threads() == before
    slow.join(5)
    idle.close()
    session.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{px.url}/v2/", timeout=2)


def _swallow(session: requests.Session, url: str) -> None:
    try:
        session.get(url, timeout=10).content
    except requests.RequestException:
        pass
