"""Where bundles come from: a release asset and GitHub's attestations API, fetched from a loopback server that
answers as GitHub does (REST docs "List attestations"); "none found" is told apart from a failed source. An image's
referrers in its registry: test_registry_referrers.py."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_transport import reply, start_server
from tests.unit.test_verifier_unit import SHA
from wash_actions.runner.transport import Auth
from wash_actions.trust import bundle_sources


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    server, httpd = start_server()
    yield server
    httpd.shutdown()
    httpd.server_close()


def test_fetch_asset(api) -> None:
    url = api.route("/x/wash.sigstore.json", reply(200, b"bundle bytes"))
    assert bundle_sources.fetch_asset(url) == b"bundle bytes"
    assert bundle_sources.release_asset(url, "wash.sigstore.json").load() == [b"bundle bytes"]


def test_fetch_asset_missing_is_none(api) -> None:
    url = api.route("/x/wash.sigstore.json", reply(404, b"Not Found"))
    assert bundle_sources.fetch_asset(url) is None
    assert bundle_sources.release_asset(url, "wash.sigstore.json").load() == []


@pytest.mark.parametrize(
    ("handler", "shown"),
    [
        (reply(500, b"oops"), "HTTP 500"),
        (reply(403, b"{}"), "HTTP 403"),
        (reply(302, headers={"Location": "file:///x"}), "file://"),
    ],
)
def test_fetch_asset_failures_name_the_server(api, handler, shown: str) -> None:
    url = api.route("/x/wash.sigstore.json", handler)
    with pytest.raises(bundle_sources.SourceFailed) as caught:
        bundle_sources.fetch_asset(url)
    assert "127.0.0.1" in str(caught.value) and shown in str(caught.value)


@pytest.mark.parametrize("token", ["", "t0ken"])
def test_fetch_attestations(api, token: str) -> None:
    body = {"attestations": [{"bundle": {"a": 1}}, {"bundle": None}, {"other": 2}, {"bundle": {"b": 2}}]}
    api.route(f"/repos/wasmCloud/wasmCloud/attestations/sha256:{SHA}", reply(200, json.dumps(body).encode()))
    auth = Auth.bearer(token, api.url)
    got = bundle_sources.fetch_attestations(api.url + "/", auth, "wasmCloud/wasmCloud", SHA)
    assert [json.loads(b) for b in got] == [{"a": 1}, {"b": 2}]
    [(_method, path, headers)] = api.seen
    assert path == f"/repos/wasmCloud/wasmCloud/attestations/sha256:{SHA}"
    assert headers.get("Authorization") == (f"Bearer {token}" if token else None)
    assert headers["Accept"] == "application/vnd.github+json"


def test_fetch_attestations_none_found_is_empty(api) -> None:
    assert bundle_sources.fetch_attestations(api.url, None, "wasmCloud/wasmCloud", SHA) == []  # the fake answers 404


@pytest.mark.parametrize(
    ("status", "body", "shown"),
    [
        (401, b'{"message": "Bad credentials"}', "HTTP 401"),
        (403, b'{"message": "rate limit"}', "HTTP 403"),
        (502, b"<html>bad gateway</html>", "HTTP 502"),
        (200, b"<html>captive portal</html>", "something other than a JSON object"),
        (200, b"[]", "something other than a JSON object"),
        (200, b'{"attestations": {}}', "without an attestations list"),
    ],
)
def test_fetch_attestations_failures_are_not_none_found(api, status: int, body: bytes, shown: str) -> None:
    api.route(f"/repos/wasmCloud/wasmCloud/attestations/sha256:{SHA}", reply(status, body))
    with pytest.raises(bundle_sources.SourceFailed) as caught:
        bundle_sources.fetch_attestations(api.url, None, "wasmCloud/wasmCloud", SHA)
    assert "127.0.0.1" in str(caught.value) and shown in str(caught.value)
