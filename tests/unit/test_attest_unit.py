"""attest's decisions without a network: the Sigstore instance, when to attest, and the store retry policy."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from wash_actions.errors import ActionError
from wash_actions.trust import attest, attest_decision

PUBLIC_GOOD = attest_decision.Instance(
    "public-good", "https://fulcio.sigstore.dev", rekor_url="https://rekor.sigstore.dev"
)
GITHUB = attest_decision.Instance("github", "https://fulcio.githubapp.com", tsa_url="https://timestamp.githubapp.com")


def event(visibility: object) -> dict[str, object]:
    return {"repository": {"full_name": "acme/app", "visibility": visibility}}


# @actions/attest 3.2.0 lib/endpoints.js signingEndpoints / buildGitHubEndpoints
@pytest.mark.parametrize(
    ("payload", "server", "instance"),
    [
        (event("public"), "https://github.com", PUBLIC_GOOD),
        (event("private"), "https://github.com", GITHUB),
        (event("internal"), "https://github.com", GITHUB),
        (event(None), "https://github.com", GITHUB),
        ({}, "https://github.com", GITHUB),
        ({"repository": "acme/app"}, "https://github.com", GITHUB),
        (event("PUBLIC"), "https://github.com", GITHUB),  # compared exactly, as the official code does
        (event("private"), "", GITHUB),
        (
            event("private"),
            "https://acme.ghe.com",
            attest_decision.Instance("github", "https://fulcio.acme.ghe.com", tsa_url="https://timestamp.acme.ghe.com"),
        ),
        (event("public"), "https://acme.ghe.com", PUBLIC_GOOD),
    ],
)
def test_signing_instance(payload: dict[str, object], server: str, instance: attest_decision.Instance) -> None:
    assert attest_decision.signing_instance(payload, server) == instance


def decide(mode: str = "auto", server: str = "https://github.com", payload: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return attest_decision.decide(
        mode,
        push=True,
        oidc_url="https://oidc.example/token",
        server_url=server,
        event_name="push",
        event=payload if payload is not None else event("private"),
    )


def test_the_instance_is_decided_before_anything_is_pushed() -> None:
    assert decide().instance == GITHUB
    assert decide(payload=event("public")).instance == PUBLIC_GOOD


def test_ghe_com_tenants_attest_and_ghes_is_skipped() -> None:
    tenant = decide(server="https://acme.ghe.com")
    assert tenant.enabled and tenant.instance is not None
    assert tenant.instance.fulcio_url == "https://fulcio.acme.ghe.com"
    ghes = decide(server="https://github.example.com")
    assert not ghes.enabled and "Enterprise Server" in ghes.notice
    assert not decide(server="https://github.com.evil.example").enabled


# @octokit/plugin-retry 8.1.1 (dist-bundle/index.js): doNotRetry, retries 5 from @actions/attest lib/store.js,
# retryAfter = (retryCount + 1)^2 seconds
def test_store_retry_policy_is_the_official_clients() -> None:
    policy = attest.STORE_RETRY
    assert policy.attempts == 6
    assert [policy.wait(n) for n in range(1, 6)] == [1, 4, 9, 16, 25]
    assert {s for s in range(400, 600) if not policy.retries(s)} == {400, 401, 403, 404, 410, 422, 451}
    assert not policy.retries(200) and not policy.retries(304)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[int], list[str]]]:
    """A loopback stand-in for POST /repos/{owner}/{repo}/attestations answering a scripted list of statuses
    (0: the connection is dropped without an answer); 201 carries ``{"id": 1}`` as GitHub's REST API does."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    answers: list[int] = []
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(self.path)
            status = answers.pop(0)
            if not status:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = json.dumps({"id": 1} if status == 201 else {"message": "nope"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", answers, seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    ("statuses", "posts", "slept", "outcome"),
    [
        ([201], 1, [], "1"),
        ([500, 502, 201], 3, [1, 4], "1"),
        ([429, 409, 201], 3, [1, 4], "1"),
        ([0, 201], 2, [1], "1"),  # no response at all is retried, as @octokit/request reports it as a 500
        ([500] * 6, 6, [1, 4, 9, 16, 25], "HTTP 500"),
        ([400], 1, [], "HTTP 400"),
        ([401], 1, [], "attestations: write"),
        ([422], 1, [], "HTTP 422"),
        ([451], 1, [], "HTTP 451"),
        ([410], 1, [], "HTTP 410"),
    ],
)
def test_store_follows_the_policy(
    api: tuple[str, list[int], list[str]], statuses: list[int], posts: int, slept: list[float], outcome: str
) -> None:
    url, answers, seen = api
    answers.extend(statuses)
    waits: list[float] = []
    call = lambda: attest.store(url, "t", "acme/app", "{}", "https://github.com", sleep=waits.append)  # noqa: E731
    if outcome == "1":
        assert call() == ("1", "https://github.com/acme/app/attestations/1")
    else:
        with pytest.raises(ActionError) as caught:
            call()
        assert outcome in str(caught.value)
    assert seen == ["/repos/acme/app/attestations"] * posts
    assert waits == slept
