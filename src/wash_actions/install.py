"""Release resolution, download, verification and the tool cache for the wash binary."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import transport
from .errors import ActionError
from .versions import Version

UPSTREAM = "wasmCloud/wasmCloud"
BUNDLE_ASSET = "wash.sigstore.json"  # the release's Sigstore bundle, from wash 2.1.0


@dataclass(frozen=True)
class Platform:
    os: str  # linux | macos | windows
    machine: str  # x86_64 | aarch64
    musl: bool = False

    @property
    def arch(self) -> str:
        """The tool cache's architecture name, as @actions/tool-cache writes it."""
        return {"x86_64": "x64", "aarch64": "arm64"}[self.machine]

    @property
    def exe(self) -> str:
        return "wash.exe" if self.os == "windows" else "wash"


SUPPORTED = (
    "linux x86_64",
    "linux aarch64",
    "macos x86_64",
    "macos aarch64",
    "windows x86_64",
)


def host_platform(system: str | None = None, machine: str | None = None) -> Platform:
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    os_name = {"linux": "linux", "darwin": "macos", "windows": "windows"}.get(system)
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine)
    if os_name is None or arch is None or (os_name == "windows" and arch != "x86_64"):
        raise ActionError(
            what=f"wash has no release for this runner ({system} {machine})",
            why="wasmCloud publishes wash binaries for: " + ", ".join(SUPPORTED) + ".",
            fix="Run this job on a supported runner, e.g.\nruns-on: ubuntu-latest",
            docs="#setup-wash",
        )
    musl = os_name == "linux" and _is_musl()
    return Platform(os_name, arch, musl)


def _is_musl() -> bool:
    libc, _ = platform.libc_ver()
    return libc != "glibc" and Path("/etc/alpine-release").exists()


def target_triple(plat: Platform, version: Version) -> str:
    if plat.os == "macos":
        return f"{plat.machine}-apple-darwin"
    if plat.os == "windows":
        return f"{plat.machine}-pc-windows-msvc"
    libc = "musl" if plat.musl or version.core < (2, 0, 5) else "gnu"
    return f"{plat.machine}-unknown-linux-{libc}"


def asset_names(plat: Platform, version: Version) -> list[str]:
    """The raw binary's asset names for this platform, preferred first."""
    name = f"wash-{target_triple(plat, version)}"
    return [name + ".exe", name] if plat.os == "windows" else [name]


def asset_name(plat: Platform, version: Version) -> str:
    return asset_names(plat, version)[0]


def download_url(base: str, tag: str, asset: str) -> str:
    """GitHub's release download layout, also what a mirror given as download-base-url serves."""
    return f"{base.rstrip('/')}/{UPSTREAM}/releases/download/{tag}/{asset}"


@dataclass(frozen=True)
class CacheEntry:
    directory: Path
    marker: Path

    @property
    def complete(self) -> bool:
        return self.marker.is_file()


def cache_entry(tool_cache: Path, version: Version, plat: Platform) -> CacheEntry:
    directory = tool_cache / "wash" / str(version) / plat.arch
    return CacheEntry(directory, directory.parent / f"{plat.arch}.complete")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class NotFound(Exception):
    """The server answered 404: the release or asset does not exist."""


RETRY = transport.DEFAULT_RETRY
DEADLINE = 900.0  # a whole download, all attempts: ~50 MB on a slow self-hosted link
MAX_BINARY = 512 << 20


def download(
    url: str,
    dest: Path,
    *,
    auth: transport.Auth | None = None,
    sleep: Callable[[float], None] | None = None,
) -> str:
    """Stream ``url`` into ``dest`` atomically; returns its sha256 (hex), computed as the bytes arrive.

    Retries 5xx, 429, timeouts and resets (:data:`RETRY`); never 4xx. Redirects stay on https, and ``auth``
    goes only to the host it belongs to (GitHub's download redirects to another host get none).
    """
    try:
        response = transport.download(
            url, dest, auth=auth, retry=RETRY, deadline=DEADLINE, max_bytes=MAX_BINARY, sleep=sleep
        )
    except transport.TransportError as exc:
        exc.docs = "#setup-wash"
        raise
    if response.status == 404:
        raise NotFound(url)
    if not response.ok:
        retried = response.attempts > 1
        raise ActionError(
            what=f"Download of {url} failed: {response.host} answered HTTP {response.status}",
            why=(f"The server kept failing after {response.attempts} attempts" if retried else "The server refused it")
            + f" ({response.describe()}).",
            fix="Re-run the job; if it persists, check 'download-base-url' (leave it unset to download from GitHub).",
            docs="#setup-wash",
        )
    return response.digest.removeprefix("sha256:")


DIGEST_FILE = "wash.sha256"


def install_into_cache(
    entry: CacheEntry,
    url: str,
    plat: Platform,
    *,
    expected_sha256: str = "",
    verify: Callable[[Path, str], None] | None = None,
) -> tuple[Path, str]:
    """Download into a staging dir, check it, and move it into the tool cache only when it passed.

    ``expected_sha256`` (the release asset's digest or the user's ``checksum``) must match, and
    ``verify(binary, sha256)`` must not raise, before the binary is ever executed or made visible.
    """
    entry.directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=entry.directory.parent, prefix=f".{plat.arch}-"))
    try:
        binary = staging / plat.exe
        digest = download(url, binary)  # hashed on receipt
        if expected_sha256 and digest != expected_sha256.lower().removeprefix("sha256:"):
            raise checksum_mismatch(url, expected_sha256, digest)
        if verify is not None:
            verify(binary, digest)
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (staging / DIGEST_FILE).write_text(digest + "\n")
        if entry.directory.exists() and not entry.complete:
            shutil.rmtree(entry.directory, ignore_errors=True)  # a leftover that never completed
        try:
            os.replace(staging, entry.directory)
        except OSError:
            # another job on this runner installed the same version meanwhile: keep theirs if it is this binary
            existing = entry.directory / plat.exe
            if not (entry.complete and existing.is_file() and sha256_file(existing) == digest):
                shutil.rmtree(entry.directory, ignore_errors=True)
                os.replace(staging, entry.directory)
        entry.marker.write_text("")
        return entry.directory / plat.exe, digest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def adopt_restored(entry: CacheEntry, plat: Platform, expected_sha256: str = "") -> str | None:
    """A tool-cache directory restored by actions/cache: re-check its binary before trusting it.

    Returns the binary's sha256 when it matches what was verified when it was saved (and the expected
    digest, when known); otherwise removes the directory and returns None so it is downloaded again.
    """
    binary = entry.directory / plat.exe
    recorded = entry.directory / DIGEST_FILE
    if not binary.is_file() or not recorded.is_file():
        shutil.rmtree(entry.directory, ignore_errors=True)
        return None
    digest = sha256_file(binary)
    wanted = {recorded.read_text().strip()}
    if expected_sha256:
        wanted.add(expected_sha256.lower().removeprefix("sha256:"))
    if wanted != {digest}:
        shutil.rmtree(entry.directory, ignore_errors=True)
        return None
    entry.marker.write_text("")
    return digest


def checksum_mismatch(url: str, expected: str, actual: str) -> ActionError:
    return ActionError(
        what="The downloaded wash does not match its expected sha256",
        why=f"{url} served a file with sha256 {actual}, expected {expected.removeprefix('sha256:')}. "
        "The download was corrupted or the file is not the released binary; nothing was installed.",
        fix="Re-run the job. If you pinned 'checksum', check it is the sha256 of this platform's binary.",
        docs="#verification",
    )


def not_found(version: Version, asset: str) -> ActionError:
    return ActionError(
        what=f"wash {version} has no release asset {asset}",
        why=f"{UPSTREAM} has no release of wash {version}, or that release has no binary for this platform "
        "(the download answered 404).",
        fix="Use a released version (see https://github.com/wasmCloud/wasmCloud/releases), e.g.\n"
        "with:\n  wash-version: 2.10.3",
        docs="#setup-wash",
    )
