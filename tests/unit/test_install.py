"""Platform and asset naming, the tool-cache layout, download retries, and the verified cache install."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.runner.transport import Auth
from wash_actions.toolchain import assets, install
from wash_actions.toolchain.assets import Platform
from wash_actions.versions import Version, parse_version


def V(text: str) -> Version:
    version = parse_version(text)
    assert version is not None, text
    return version


def test_version_is_ordered_numerically() -> None:
    assert Version(2, 0, 10) > Version(2, 0, 5)
    assert Version(2, 10, 0) > Version(2, 9, 99)
    assert str(Version(2, 10, 3)) == "2.10.3"
    assert V("v2.10.3") == V("2.10.3") == Version(2, 10, 3)


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
    assert assets.target_triple(plat, V(version)) == triple
    assert assets.asset_name(plat, V(version)) == asset


@pytest.mark.parametrize(
    ("plat", "version", "names"),
    [
        (LINUX_X64, "2.10.3", ["wash-x86_64-unknown-linux-gnu"]),
        (LINUX_X64, "2.0.4", ["wash-x86_64-unknown-linux-musl"]),
        (LINUX_X64, "2.0.5-rc.1", ["wash-x86_64-unknown-linux-gnu"]),
        (LINUX_X64, "wash-v2.0.0-rc.8", ["wash-x86_64-unknown-linux-musl"]),
        (MUSL_ARM, "2.10.3", ["wash-aarch64-unknown-linux-musl"]),
        (MAC_ARM, "2.10.3", ["wash-aarch64-apple-darwin"]),
        (WIN_X64, "2.10.3", ["wash-x86_64-pc-windows-msvc.exe", "wash-x86_64-pc-windows-msvc"]),  # .exe first
    ],
)
def test_asset_names(plat: Platform, version: str, names: list[str]) -> None:
    assert assets.asset_names(plat, V(version)) == names
    assert assets.asset_name(plat, V(version)) == names[0]


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
    for supported in assets.SUPPORTED:
        assert supported in error.why
    assert "runs-on:" in error.fix


@pytest.mark.parametrize(
    ("base", "tag", "asset", "url"),
    [
        (
            "https://github.com",
            "v2.10.3",
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
            "v2.10.3",
            "wash-aarch64-apple-darwin",
            "http://127.0.0.1:8080/mirror/wasmCloud/wasmCloud/releases/download/v2.10.3/wash-aarch64-apple-darwin",
        ),
        (
            "https://github.com",
            "wash-v2.0.0-rc.8",
            assets.BUNDLE_ASSET,
            "https://github.com/wasmCloud/wasmCloud/releases/download/wash-v2.0.0-rc.8/wash.sigstore.json",
        ),
    ],
)
def test_download_url(base: str, tag: str, asset: str, url: str) -> None:
    assert assets.download_url(base, tag, asset) == url


@pytest.mark.parametrize(
    ("plat", "version", "directory", "marker"),
    [
        (LINUX_X64, "2.10.3", "wash/2.10.3/x64", "wash/2.10.3/x64.complete"),
        (MAC_ARM, "v2.10.3", "wash/2.10.3/arm64", "wash/2.10.3/arm64.complete"),
        (WIN_X64, "2.0.4", "wash/2.0.4/x64", "wash/2.0.4/x64.complete"),
        (LINUX_X64, "wash-v2.0.0-rc.8", "wash/2.0.0-rc.8/x64", "wash/2.0.0-rc.8/x64.complete"),
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
        ([500, 500, 200], [1, 2]),
        ([503, 429, 502, 200], [1, 2, 4]),
    ],
)
def test_download_retries_then_succeeds(serve, tmp_path: Path, script: list[int], sleeps: list[float]) -> None:
    server = serve(*script)
    dest = tmp_path / "nested" / "dir" / "wash"
    slept: list[float] = []
    digest = install.download(server.url, dest, auth=Auth.bearer("t0ken", server.url), sleep=slept.append)
    assert digest == hashlib.sha256(BODY).hexdigest()
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
    assert len(server.requests) == install.RETRY.attempts
    assert len(slept) == install.RETRY.attempts - 1
    assert f"HTTP {status}" in caught.value.what and "127.0.0.1" in caught.value.what
    assert f"{install.RETRY.attempts} attempts" in caught.value.why
    assert list(dest.parent.iterdir()) == []


def test_download_connection_refused_is_retried_then_reported(serve, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dest = tmp_path / "out" / "wash"
    slept: list[float] = []
    with pytest.raises(ActionError) as caught:
        install.download(f"http://127.0.0.1:{port}/wash", dest, sleep=slept.append)
    assert "connection refused" in caught.value.why and f"127.0.0.1:{port}" in caught.value.what
    assert len(slept) == install.RETRY.attempts - 1
    assert list(dest.parent.iterdir()) == []


def test_download_retries_a_connection_dropped_mid_body(serve, tmp_path: Path) -> None:
    server = serve(200, truncate_first=True)
    dest = tmp_path / "out" / "wash"
    install.download(server.url, dest, sleep=lambda s: None)
    assert dest.read_bytes() == BODY
    assert len(server.requests) == 2


# --- install_into_cache: digest, provenance callback, then (and only then) the tool cache ---------

BODY_SHA256 = hashlib.sha256(BODY).hexdigest()
OTHER_SHA256 = hashlib.sha256(b"some other file").hexdigest()


def _entry(tmp_path: Path, plat: Platform = LINUX_X64) -> install.CacheEntry:
    return install.cache_entry(tmp_path / "tool-cache", V("2.10.3"), plat)


def test_install_into_cache_marks_complete_only_after_success(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    binary, digest = install.install_into_cache(entry, server.url, LINUX_X64)
    assert binary == entry.directory / "wash"
    assert binary.read_bytes() == BODY
    assert binary.stat().st_mode & 0o111 == 0o111
    assert digest == BODY_SHA256
    assert install.Record.read(entry.directory) == install.Record(
        BODY_SHA256, "", "", install.UNVERIFIED, stat=install.file_stat(binary)
    )
    assert entry.complete
    assert sorted(p.name for p in entry.directory.parent.iterdir()) == ["x64", "x64.complete"]
    assert sorted(p.name for p in entry.directory.iterdir()) == ["wash", "wash.verified.json"]


@pytest.mark.parametrize(
    "expected", [BODY_SHA256, BODY_SHA256.upper(), f"sha256:{BODY_SHA256}", f"SHA256:{BODY_SHA256}"]
)
def test_install_into_cache_accepts_a_matching_expected_sha256(serve, tmp_path: Path, expected: str) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    binary, digest = install.install_into_cache(entry, server.url, LINUX_X64, expected_sha256=expected)
    assert digest == BODY_SHA256
    assert binary.read_bytes() == BODY
    assert entry.complete


def test_install_into_cache_windows_binary_is_wash_exe(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = _entry(tmp_path, WIN_X64)
    binary, _ = install.install_into_cache(entry, server.url, WIN_X64)
    assert binary == entry.directory / "wash.exe"
    assert sorted(p.name for p in entry.directory.iterdir()) == ["wash.exe", "wash.verified.json"]


def test_install_into_cache_replaces_an_incomplete_entry(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    entry.directory.mkdir(parents=True)
    (entry.directory / "wash").write_bytes(b"half a binary")
    (entry.directory / "leftover").write_text("x")
    binary, _ = install.install_into_cache(entry, server.url, LINUX_X64)
    assert binary.read_bytes() == BODY
    assert sorted(p.name for p in entry.directory.iterdir()) == ["wash", "wash.verified.json"]


@pytest.mark.parametrize("expected", [OTHER_SHA256, f"sha256:{OTHER_SHA256}"])
def test_install_into_cache_refuses_a_checksum_mismatch(serve, tmp_path: Path, expected: str) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    called: list[Path] = []
    with pytest.raises(ActionError) as caught:
        install.install_into_cache(
            entry, server.url, LINUX_X64, expected_sha256=expected, verify=lambda b, d: str(called.append(b))
        )
    error = caught.value
    assert "does not match its expected sha256" in error.what
    assert BODY_SHA256 in error.why
    assert f"expected {OTHER_SHA256}" in error.why
    assert "sha256:" not in error.why.split("expected", 1)[1]
    assert server.url in error.why
    assert error.docs == "#verification"
    assert called == []  # provenance is not even looked at for a file that is not the expected one
    assert not entry.complete
    assert list(entry.directory.parent.iterdir()) == []  # no staging dir, no x64/, no marker


def test_install_into_cache_runs_verify_before_the_binary_is_executable_or_visible(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    seen: list[tuple[Path, str, int, bytes]] = []

    def verify(binary: Path, sha256: str) -> str:
        assert not entry.directory.exists()
        assert not entry.marker.exists()
        assert binary.parent.parent == entry.directory.parent  # in a staging dir beside the entry
        assert binary.parent != entry.directory
        seen.append((binary, sha256, binary.stat().st_mode, binary.read_bytes()))
        return "signed by a release run"

    binary, digest = install.install_into_cache(
        entry, server.url, LINUX_X64, expected_sha256=BODY_SHA256, verify=verify
    )
    assert len(seen) == 1
    staged, sha256, mode, content = seen[0]
    assert mode & 0o111 == 0, oct(mode)  # never executable before provenance was verified
    assert sha256 == digest == BODY_SHA256
    assert content == BODY
    assert staged.name == "wash"
    assert not staged.exists()  # the staging dir itself became the entry
    assert binary.stat().st_mode & 0o111 == 0o111
    assert entry.complete
    record = install.Record.read(entry.directory)
    assert record == install.Record(
        BODY_SHA256, "", "", install.PROVENANCE, "signed by a release run", install.file_stat(binary)
    )


@pytest.mark.parametrize(
    "failure",
    [
        ActionError(what="could not be verified", why="test", fix="test"),
        RuntimeError("sigstore exploded"),
    ],
)
def test_install_into_cache_leaves_nothing_when_verify_raises(serve, tmp_path: Path, failure: Exception) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    modes: list[int] = []

    def verify(binary: Path, sha256: str) -> None:
        modes.append(binary.stat().st_mode)
        raise failure

    with pytest.raises(type(failure)) as caught:
        install.install_into_cache(entry, server.url, LINUX_X64, verify=verify)
    assert caught.value is failure
    assert len(modes) == 1
    assert modes[0] & 0o111 == 0, oct(modes[0])
    assert not entry.complete
    assert list(entry.directory.parent.iterdir()) == []


def test_install_into_cache_leaves_no_partial_entry_on_404(serve, tmp_path: Path) -> None:
    server = serve(404)
    entry = _entry(tmp_path)
    with pytest.raises(install.NotFound):
        install.install_into_cache(entry, server.url, LINUX_X64)
    assert not entry.complete
    assert list(entry.directory.parent.iterdir()) == []  # no staging dir, no half-filled x64/


# --- adopt_restored: an actions/cache restore is re-checked before it is trusted ----------------


def _restored(
    tmp_path: Path,
    plat: Platform = LINUX_X64,
    *,
    body: bytes = BODY,
    recorded: str | None = None,
    verified: str = "provenance",
):
    """A tool-cache directory as actions/cache restores it: binary and its record, no .complete marker."""
    entry = _entry(tmp_path, plat)
    entry.directory.mkdir(parents=True)
    (entry.directory / plat.exe).write_bytes(body)
    if recorded is not None:
        record = install.Record(recorded, "2.10.3", "wash-x86_64-unknown-linux-gnu", verified)
        (entry.directory / install.RECORD_FILE).write_text(record.to_json())
    return entry


@pytest.mark.parametrize("expected", ["", BODY_SHA256, BODY_SHA256.upper(), f"sha256:{BODY_SHA256}"])
@pytest.mark.parametrize("plat", [LINUX_X64, WIN_X64])
def test_adopt_restored_accepts_a_matching_binary(tmp_path: Path, plat: Platform, expected: str) -> None:
    entry = _restored(tmp_path, plat, recorded=BODY_SHA256)
    assert not entry.complete
    assert install.adopt_restored(entry, plat, expected) == BODY_SHA256
    assert entry.complete
    assert (entry.directory / plat.exe).read_bytes() == BODY


def test_adopt_restored_accepts_what_install_into_cache_saved(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    install.install_into_cache(entry, server.url, LINUX_X64, expected_sha256=BODY_SHA256)
    entry.marker.unlink()  # actions/cache saves only the directory
    assert install.adopt_restored(entry, LINUX_X64, BODY_SHA256) == BODY_SHA256
    assert entry.complete


@pytest.mark.parametrize(
    ("body", "recorded", "expected"),
    [
        pytest.param(b"tampered wash", BODY_SHA256, "", id="tampered-binary"),
        pytest.param(b"tampered wash", BODY_SHA256, BODY_SHA256, id="tampered-binary-with-expected"),
        pytest.param(BODY, None, "", id="no-record"),
        pytest.param(BODY, None, BODY_SHA256, id="no-record-with-expected"),
        pytest.param(BODY, OTHER_SHA256, "", id="wrong-record"),
        pytest.param(BODY, "", "", id="empty-record"),
        pytest.param(BODY, BODY_SHA256, OTHER_SHA256, id="expected-mismatch"),
        pytest.param(
            hashlib.sha256(b"x").digest(),
            hashlib.sha256(hashlib.sha256(b"x").digest()).hexdigest(),
            BODY_SHA256,
            id="consistent-but-not-expected",
        ),
    ],
)
def test_adopt_restored_discards_what_does_not_match(
    tmp_path: Path, body: bytes, recorded: str | None, expected: str
) -> None:
    entry = _restored(tmp_path, body=body, recorded=recorded)
    assert install.adopt_restored(entry, LINUX_X64, expected) is None
    assert not entry.directory.exists()
    assert not entry.complete


def test_adopt_restored_without_a_binary(tmp_path: Path) -> None:
    entry = _entry(tmp_path)
    entry.directory.mkdir(parents=True)
    record = install.Record(BODY_SHA256, "2.10.3", "wash", install.PROVENANCE)
    (entry.directory / install.RECORD_FILE).write_text(record.to_json())
    assert install.adopt_restored(entry, LINUX_X64) is None
    assert not entry.directory.exists()
    assert not entry.complete


def test_adopt_restored_with_nothing_restored(tmp_path: Path) -> None:
    entry = _entry(tmp_path)
    assert install.adopt_restored(entry, LINUX_X64) is None
    assert not entry.complete


def test_adopt_restored_windows_ignores_a_bare_wash(tmp_path: Path) -> None:
    entry = _restored(tmp_path, LINUX_X64, recorded=BODY_SHA256)  # "wash", not "wash.exe"
    assert install.adopt_restored(entry, WIN_X64) is None
    assert not entry.directory.exists()


# --- trusted_entry: what a tool-cache hit may be trusted for ----------------------------------------


@pytest.mark.parametrize(
    ("verified", "verify", "trusted"),
    [
        (install.PROVENANCE, True, True),
        (install.PROVENANCE, False, True),
        (install.CHECKSUM, True, False),  # a known digest is not provenance
        (install.CHECKSUM, False, True),
        (install.UNVERIFIED, True, False),  # installed with verify: false
        (install.UNVERIFIED, False, True),
        ("maybe", False, False),  # a record this version does not know
    ],
)
def test_trusted_entry_by_what_was_verified(tmp_path: Path, verified: str, verify: bool, trusted: bool) -> None:
    entry = _restored(tmp_path, recorded=BODY_SHA256, verified=verified)
    entry.marker.write_text("")
    record = install.trusted_entry(entry, LINUX_X64, verify=verify)
    assert (record is not None) == trusted
    assert entry.directory.exists()  # judging removes nothing


@pytest.mark.parametrize("verify", [True, False])
def test_trusted_entry_rechecks_the_binary_on_every_hit(tmp_path: Path, verify: bool) -> None:
    entry = _restored(tmp_path, recorded=BODY_SHA256)
    entry.marker.write_text("")
    assert install.trusted_entry(entry, LINUX_X64, verify=verify) is not None
    (entry.directory / "wash").write_bytes(b"tampered wash")
    assert install.trusted_entry(entry, LINUX_X64, verify=verify) is None


def test_trusted_entry_hashes_once_then_trusts_the_recorded_file_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _restored(tmp_path, recorded=BODY_SHA256)  # a record without a file status (restored, or older)
    entry.marker.write_text("")
    hashed: list[Path] = []
    real = install.sha256_file
    monkeypatch.setattr(install, "sha256_file", lambda path: hashed.append(path) or real(path))
    first = install.trusted_entry(entry, LINUX_X64, verify=False)
    assert first is not None and hashed == [entry.directory / "wash"]
    recorded = install.Record.read(entry.directory)
    assert recorded is not None and recorded.stat == install.file_stat(entry.directory / "wash") != ""
    assert install.trusted_entry(entry, LINUX_X64, verify=False) == recorded
    assert len(hashed) == 1  # the second hit read nothing


def test_trusted_entry_catches_a_same_size_rewrite_with_its_time_set_back(tmp_path: Path) -> None:
    entry = _restored(tmp_path, recorded=BODY_SHA256)
    entry.marker.write_text("")
    assert install.trusted_entry(entry, LINUX_X64, verify=False) is not None  # records the file status
    binary = entry.directory / "wash"
    before = binary.stat()
    time.sleep(0.02)  # a later status-change time, whatever the file system's clock granularity
    binary.write_bytes(bytes(b ^ 1 for b in BODY))  # same size, other bytes
    os.utime(binary, ns=(before.st_atime_ns, before.st_mtime_ns))  # modification time set back
    assert install.trusted_entry(entry, LINUX_X64, verify=False) is None


def test_trusted_entry_refuses_a_record_of_other_bytes_than_expected(tmp_path: Path) -> None:
    entry = _restored(tmp_path, recorded=BODY_SHA256)
    entry.marker.write_text("")
    assert install.trusted_entry(entry, LINUX_X64, verify=False, expected_sha256="0" * 64) is None
    assert install.trusted_entry(entry, LINUX_X64, verify=False, expected_sha256=f"sha256:{BODY_SHA256}") is not None


def test_trusted_entry_needs_a_record_and_the_marker(tmp_path: Path) -> None:
    entry = _restored(tmp_path)  # binary only, as an older version of this action left it
    entry.marker.write_text("")
    assert install.trusted_entry(entry, LINUX_X64, verify=False) is None
    entry = _restored(tmp_path / "b", recorded=BODY_SHA256)
    assert install.trusted_entry(entry, LINUX_X64, verify=False) is None  # not complete


def test_reinstalling_the_same_bytes_upgrades_the_record(serve, tmp_path: Path) -> None:
    server = serve(200)
    entry = _entry(tmp_path)
    install.install_into_cache(entry, server.url, LINUX_X64)
    assert install.trusted_entry(entry, LINUX_X64, verify=True) is None
    install.install_into_cache(entry, server.url, LINUX_X64, verify=lambda b, d: "signed by a release run")
    record = install.trusted_entry(entry, LINUX_X64, verify=True)
    assert record is not None and record.evidence == "signed by a release run"


def test_adopt_restored_under_verify_true_needs_a_provenance_record(tmp_path: Path) -> None:
    entry = _restored(tmp_path, recorded=BODY_SHA256, verified=install.CHECKSUM)
    assert install.adopt_restored(entry, LINUX_X64, BODY_SHA256, verify=True) is None
    assert not entry.directory.exists()
