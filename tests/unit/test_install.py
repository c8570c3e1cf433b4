"""Version parsing, platform and asset naming, the tool-cache layout, and download retries."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wash_actions import install
from wash_actions.errors import ActionError
from wash_actions.install import Platform, Version

V = install.parse_exact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.10.3", Version(2, 10, 3)),
        ("v2.10.3", Version(2, 10, 3)),
        ("  2.10.3\n", Version(2, 10, 3)),
        ("\tv2.10.3 ", Version(2, 10, 3)),
        ("2.0.0", Version(2, 0, 0)),
        ("3.0.12", Version(3, 0, 12)),
    ],
)
def test_parse_exact(text: str, expected: Version) -> None:
    assert install.parse_exact(text) == expected


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("1.0.0", "wash 1.0.0 is not supported"),
        ("v0.39.0", "wash 0.39.0 is not supported"),
        ("1.99.99", "wash 1.99.99 is not supported"),
        ("2.10", "is not a version"),
        ("latest", "is not a version"),
        ("garbage", "is not a version"),
        ("", "is not a version"),
        ("2.10.3.1", "is not a version"),
        ("2.10.3-rc.1", "is not a version"),
        ("vv2.10.3", "is not a version"),
        ("2.10.x", "is not a version"),
    ],
)
def test_parse_exact_rejects(text: str, what: str) -> None:
    with pytest.raises(ActionError) as caught:
        install.parse_exact(text)
    assert what in caught.value.what
    assert "wash-version: 2.10.3" in caught.value.fix
    assert caught.value.docs == "#setup-wash"


def test_version_is_ordered_numerically_and_has_a_tag() -> None:
    assert Version(2, 0, 10) > Version(2, 0, 5)
    assert Version(2, 10, 0) > Version(2, 9, 99)
    assert str(Version(2, 10, 3)) == "2.10.3"
    assert Version(2, 10, 3).tag == "v2.10.3"


LINUX_X64 = Platform("linux", "x86_64")
LINUX_ARM = Platform("linux", "aarch64")
MUSL_X64 = Platform("linux", "x86_64", musl=True)
MUSL_ARM = Platform("linux", "aarch64", musl=True)
MAC_X64 = Platform("macos", "x86_64")
MAC_ARM = Platform("macos", "aarch64")
WIN_X64 = Platform("windows", "x86_64")


@pytest.mark.parametrize(
    ("plat", "version", "triple", "asset"),
    [
        (LINUX_X64, "2.10.3", "x86_64-unknown-linux-gnu", "wash-x86_64-unknown-linux-gnu"),
        (LINUX_ARM, "2.10.3", "aarch64-unknown-linux-gnu", "wash-aarch64-unknown-linux-gnu"),
        (LINUX_X64, "2.0.5", "x86_64-unknown-linux-gnu", "wash-x86_64-unknown-linux-gnu"),
        (LINUX_X64, "2.0.10", "x86_64-unknown-linux-gnu", "wash-x86_64-unknown-linux-gnu"),
        (LINUX_X64, "2.0.4", "x86_64-unknown-linux-musl", "wash-x86_64-unknown-linux-musl"),
        (LINUX_ARM, "2.0.0", "aarch64-unknown-linux-musl", "wash-aarch64-unknown-linux-musl"),
        (MUSL_X64, "2.10.3", "x86_64-unknown-linux-musl", "wash-x86_64-unknown-linux-musl"),
        (MUSL_ARM, "2.10.3", "aarch64-unknown-linux-musl", "wash-aarch64-unknown-linux-musl"),
        (MUSL_X64, "2.0.4", "x86_64-unknown-linux-musl", "wash-x86_64-unknown-linux-musl"),
        (MAC_X64, "2.10.3", "x86_64-apple-darwin", "wash-x86_64-apple-darwin"),
        (MAC_ARM, "2.10.3", "aarch64-apple-darwin", "wash-aarch64-apple-darwin"),
        (MAC_ARM, "2.0.4", "aarch64-apple-darwin", "wash-aarch64-apple-darwin"),
        (WIN_X64, "2.10.3", "x86_64-pc-windows-msvc", "wash-x86_64-pc-windows-msvc.exe"),
        (WIN_X64, "2.0.4", "x86_64-pc-windows-msvc", "wash-x86_64-pc-windows-msvc.exe"),
    ],
)
def test_target_triple_and_asset_name(plat: Platform, version: str, triple: str, asset: str) -> None:
    assert install.target_triple(plat, V(version)) == triple
    assert install.asset_name(plat, V(version)) == asset


@pytest.mark.parametrize(
    ("plat", "arch", "exe"),
    [
        (LINUX_X64, "x64", "wash"),
        (LINUX_ARM, "arm64", "wash"),
        (MUSL_X64, "x64", "wash"),
        (MAC_ARM, "arm64", "wash"),
        (WIN_X64, "x64", "wash.exe"),
    ],
)
def test_platform_arch_and_exe(plat: Platform, arch: str, exe: str) -> None:
    assert plat.arch == arch
    assert plat.exe == exe


@pytest.mark.parametrize(
    ("system", "machine", "musl_host", "expected"),
    [
        ("Linux", "x86_64", False, LINUX_X64),
        ("linux", "AMD64", False, LINUX_X64),
        ("Linux", "aarch64", False, LINUX_ARM),
        ("Linux", "arm64", False, LINUX_ARM),
        ("Linux", "x86_64", True, MUSL_X64),
        ("Linux", "aarch64", True, MUSL_ARM),
        ("Darwin", "x86_64", False, MAC_X64),
        ("Darwin", "arm64", False, MAC_ARM),
        ("Darwin", "arm64", True, MAC_ARM),  # musl is a Linux-only notion
        ("Windows", "AMD64", False, WIN_X64),
        ("Windows", "x86_64", True, WIN_X64),
    ],
)
def test_host_platform(
    monkeypatch: pytest.MonkeyPatch, system: str, machine: str, musl_host: bool, expected: Platform
) -> None:
    monkeypatch.setattr(install, "_is_musl", lambda: musl_host)
    assert install.host_platform(system, machine) == expected


@pytest.mark.parametrize(
    ("system", "machine"),
    [
        ("FreeBSD", "amd64"),
        ("Windows", "ARM64"),
        ("Windows", "x86"),
        ("Linux", "i686"),
        ("Linux", "armv7l"),
        ("Linux", "riscv64"),
        ("SunOS", "x86_64"),
        ("Darwin", "ppc"),
    ],
)
def test_host_platform_unsupported(monkeypatch: pytest.MonkeyPatch, system: str, machine: str) -> None:
    monkeypatch.setattr(install, "_is_musl", lambda: False)
    with pytest.raises(ActionError) as caught:
        install.host_platform(system, machine)
    error = caught.value
    assert f"({system.lower()} {machine.lower()})" in error.what
    for supported in install.SUPPORTED:
        assert supported in error.why
    assert "runs-on:" in error.fix


@pytest.mark.parametrize(
    ("base", "version", "asset", "url"),
    [
        (
            "https://github.com",
            "2.10.3",
            "wash-x86_64-unknown-linux-gnu",
            "https://github.com/wasmCloud/wasmCloud/releases/download/v2.10.3/wash-x86_64-unknown-linux-gnu",
        ),
        (
            "https://github.example.com/",
            "v2.0.4",
            "wash-x86_64-pc-windows-msvc.exe",
            "https://github.example.com/wasmCloud/wasmCloud/releases/download/v2.0.4/wash-x86_64-pc-windows-msvc.exe",
        ),
        (
            "http://127.0.0.1:8080/mirror//",
            "2.10.3",
            "wash-aarch64-apple-darwin",
            "http://127.0.0.1:8080/mirror/wasmCloud/wasmCloud/releases/download/v2.10.3/wash-aarch64-apple-darwin",
        ),
    ],
)
def test_download_url(base: str, version: str, asset: str, url: str) -> None:
    assert install.download_url(base, V(version), asset) == url


@pytest.mark.parametrize(
    ("plat", "version", "directory", "marker"),
    [
        (LINUX_X64, "2.10.3", "wash/2.10.3/x64", "wash/2.10.3/x64.complete"),
        (MAC_ARM, "v2.10.3", "wash/2.10.3/arm64", "wash/2.10.3/arm64.complete"),
        (WIN_X64, "2.0.4", "wash/2.0.4/x64", "wash/2.0.4/x64.complete"),
    ],
)
def test_cache_entry_layout(tmp_path: Path, plat: Platform, version: str, directory: str, marker: str) -> None:
    entry = install.cache_entry(tmp_path, V(version), plat)
    assert entry.directory == tmp_path / directory
    assert entry.marker == tmp_path / marker
    assert not entry.complete
    entry.directory.mkdir(parents=True)
    assert not entry.complete  # the directory alone is not a finished install
    entry.marker.write_text("")
    assert entry.complete


# --- download against a local HTTP server -------------------------------------------------------

BODY = b"\x7fELF fake wash binary" * 100


@dataclass
class Server:
    """Answers each GET with the next scripted status; the last one repeats."""

    script: list[int]
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    truncate_first: bool = False


def _handler(server: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append({"path": self.path, **dict(self.headers.items())})
            index = min(len(server.requests), len(server.script)) - 1
            status = server.script[index]
            body = BODY if status == 200 else b'{"error": "scripted"}'
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if server.truncate_first and len(server.requests) == 1:
                self.wfile.write(body[:10])  # then the connection drops mid-body
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Server]]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    httpds: list[http.server.ThreadingHTTPServer] = []

    def start(*script: int, truncate_first: bool = False) -> Server:
        server = Server(list(script), truncate_first=truncate_first)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        httpds.append(httpd)
        server.url = f"http://127.0.0.1:{httpd.server_port}/wasmCloud/wasmCloud/releases/download/v2.10.3/wash"
        return server

    yield start
    for httpd in httpds:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(
    ("script", "sleeps"),
    [
        ([200], []),
        ([500, 500, 200], [2, 4]),
        ([503, 429, 502, 200], [2, 4, 8]),
    ],
)
def test_download_retries_then_succeeds(serve, tmp_path: Path, script: list[int], sleeps: list[float]) -> None:
    server = serve(*script)
    dest = tmp_path / "nested" / "dir" / "wash"
    slept: list[float] = []
    install.download(server.url, dest, headers={"Authorization": "Bearer t0ken"}, sleep=slept.append)
    assert dest.read_bytes() == BODY
    assert len(server.requests) == len(script)
    assert all(r["Authorization"] == "Bearer t0ken" for r in server.requests)
    assert slept == sleeps
    assert sorted(p.name for p in dest.parent.iterdir()) == ["wash"]  # no temp files left behind


def test_download_404_is_not_found_after_one_request(serve, tmp_path: Path) -> None:
    server = serve(404)
    dest = tmp_path / "out" / "wash"
    with pytest.raises(install.NotFound):
        install.download(server.url, dest, sleep=lambda s: None)
    assert len(server.requests) == 1
    assert list(dest.parent.iterdir()) == []


def test_download_404_after_a_retry_is_still_not_found(serve, tmp_path: Path) -> None:
    server = serve(500, 404)
    dest = tmp_path / "out" / "wash"
    with pytest.raises(install.NotFound):
        install.download(server.url, dest, sleep=lambda s: None)
    assert len(server.requests) == 2
    assert list(dest.parent.iterdir()) == []


@pytest.mark.parametrize("status", [401, 403, 410])
def test_download_other_4xx_is_refused_without_retry(serve, tmp_path: Path, status: int) -> None:
    server = serve(status)
    dest = tmp_path / "out" / "wash"
    with pytest.raises(ActionError) as caught:
        install.download(server.url, dest, sleep=lambda s: None)
    assert f"HTTP {status}" in caught.value.what
    assert len(server.requests) == 1
    assert list(dest.parent.iterdir()) == []


@pytest.mark.parametrize("status", [503, 500, 429])
def test_download_persistent_failure_gives_up_after_retries(serve, tmp_path: Path, status: int) -> None:
    server = serve(status)
    dest = tmp_path / "out" / "wash"
    slept: list[float] = []
    with pytest.raises(ActionError) as caught:
        install.download(server.url, dest, sleep=slept.append)
    assert len(server.requests) == install.RETRIES
    assert len(slept) == install.RETRIES - 1
    assert f"HTTP {status}" in caught.value.why
    assert f"{install.RETRIES} attempts" in caught.value.why
    assert list(dest.parent.iterdir()) == []


def test_download_connection_refused_is_retried_then_reported(serve, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dest = tmp_path / "out" / "wash"
    slept: list[float] = []
    with pytest.raises(ActionError) as caught:
        install.download(f"http://127.0.0.1:{port}/wash", dest, sleep=slept.append)
    assert "ConnectionError" in caught.value.why
    assert len(slept) == install.RETRIES - 1
    assert list(dest.parent.iterdir()) == []


def test_download_retries_a_connection_dropped_mid_body(serve, tmp_path: Path) -> None:
    server = serve(200, truncate_first=True)
    dest = tmp_path / "out" / "wash"
    install.download(server.url, dest, sleep=lambda s: None)
    assert dest.read_bytes() == BODY
    assert len(server.requests) == 2


def test_install_into_cache_marks_complete_only_after_success(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = install.cache_entry(tmp_path / "tool-cache", V("2.10.3"), LINUX_X64)
    binary = install.install_into_cache(entry, server.url, LINUX_X64)
    assert binary == entry.directory / "wash"
    assert binary.read_bytes() == BODY
    assert binary.stat().st_mode & 0o111 == 0o111
    assert entry.complete
    assert sorted(p.name for p in entry.directory.parent.iterdir()) == ["x64", "x64.complete"]


def test_install_into_cache_leaves_no_partial_entry_on_404(serve, tmp_path: Path) -> None:
    server = serve(404)
    entry = install.cache_entry(tmp_path / "tool-cache", V("2.10.3"), LINUX_X64)
    with pytest.raises(install.NotFound):
        install.install_into_cache(entry, server.url, LINUX_X64)
    assert not entry.complete
    assert list(entry.directory.parent.iterdir()) == []  # no staging dir, no half-filled x64/
