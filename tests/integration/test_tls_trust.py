"""A machine without CA certificates (a bare ``ubuntu:24.04`` container) gets an error that names the fix.

A real TLS server on loopback, with a certificate made by the real ``openssl`` for ``127.0.0.1`` and signed by a
test CA; the empty CA store is what such a container has: ``SSL_CERT_FILE`` pointing at an empty file and
``SSL_CERT_DIR`` at an empty directory.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import assert_one_clear_error, run_command
from wash_actions.runner import transport
from wash_actions.runner.transport import TransportError


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a server certificate for 127.0.0.1 signed by it, made by openssl."""
    where = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=wash-actions test CA", cwd=where)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=where)  # fmt: skip
    (where / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=where)  # fmt: skip
    return where


class TlsServer:
    def __init__(self, pki: Path) -> None:
        self.connections = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            def get_request(self):  # type: ignore[no-untyped-def]
                sock, address = super().get_request()
                owner.connections += 1
                return sock, address

            def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
                pass  # the client refusing our certificate ends the handshake: expected here

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki / "server.pem", pki / "server.key")
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls(pki: Path) -> Iterator[TlsServer]:
    server = TlsServer(pki)
    yield server
    server.close()


@pytest.fixture
def no_ca_certificates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process sees an empty CA store, as a bare container has."""
    empty = tmp_path / "empty-bundle.pem"
    empty.write_text("")
    (tmp_path / "empty-certs").mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "empty-certs"))
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_an_empty_ca_store_is_named_with_its_fix_and_not_retried(tls: TlsServer, no_ca_certificates: None):
    assert transport.ca_store_is_empty()
    with pytest.raises(TransportError) as caught:
        transport.request("GET", f"{tls.url}/wash", retry=transport.DEFAULT_RETRY, sleep=lambda _: None)
    error = caught.value
    assert error.kind == "tls" and error.host == tls.url.removeprefix("https://")
    assert "this machine has no CA certificates" in error.what
    assert "apt-get install -y ca-certificates" in error.fix and "SSL_CERT_FILE" in error.fix
    assert tls.connections == 1  # a certificate does not become trusted by asking again


def test_the_fix_works_a_bundle_in_ssl_cert_file_is_trusted(
    tls: TlsServer, no_ca_certificates: None, pki: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    assert not transport.ca_store_is_empty()
    assert transport.get_json(f"{tls.url}/ok").json() == {"ok": True}


def test_a_certificate_no_trusted_ca_signed_is_not_blamed_on_a_missing_store(
    tls: TlsServer, pki: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    other = tmp_path / "other"
    other.mkdir()
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "o.key", "-out", "o.pem", "-days", "2",
             "-subj", "/CN=another CA", cwd=other)  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(other / "o.pem"))  # a store with a CA, not the server's
    monkeypatch.setenv("SSL_CERT_DIR", str(other))
    assert not transport.ca_store_is_empty()
    with pytest.raises(TransportError) as caught:
        transport.request("GET", f"{tls.url}/x", sleep=lambda _: None)
    assert caught.value.kind == "tls" and "is not trusted" in caught.value.what
    assert "no CA certificates" not in caught.value.what and "apt-get" not in caught.value.fix
    assert "SSL_CERT_FILE" in caught.value.fix


def test_setup_wash_in_a_container_without_ca_certificates_says_how_to_install_them(
    tls: TlsServer, no_ca_certificates: None, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
):  # fmt: skip
    run = run_command(
        "setup-wash",
        {"wash-version": "latest", "github-api-url": tls.url, "cache": "false"},
        monkeypatch=monkeypatch,
        capfd=capfd,
        runner=tmp_path / "runner",
    )
    assert_one_clear_error(run, "no CA certificates", "apt-get install -y ca-certificates")
    assert tls.connections == 1
