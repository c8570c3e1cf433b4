"""Download, verification and the tool cache for the wash binary (which release: see resolution)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from ..runner import transport
from ..versions import Version
from .assets import SUPPORTED, Platform


def host_platform(system: str | None = None, machine: str | None = None) -> Platform:
    """This runner's OS and architecture as wash names them; one clear error where wash has no build."""
    import platform

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
    import platform

    libc, _ = platform.libc_ver()
    return libc != "glibc" and Path("/etc/alpine-release").exists()


class CacheEntry(NamedTuple):
    directory: Path
    marker: Path

    @property
    def complete(self) -> bool:
        return self.marker.is_file()


def cache_entry(tool_cache: Path, version: Version, plat: Platform) -> CacheEntry:
    """Where this version lives in the runner's tool cache (``wash/<version>/<arch>``) and its marker file."""
    directory = tool_cache / "wash" / str(version) / plat.arch
    return CacheEntry(directory, directory.parent / f"{plat.arch}.complete")


def sha256_file(path: Path) -> str:
    """The file's SHA-256 (hex), read in 1 MiB blocks."""
    import hashlib

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


RECORD_FILE = "wash.verified.json"  # written at verification time, beside the binary
PROVENANCE = "provenance"  # a Sigstore bundle of a wasmCloud release run covers the binary's sha256
CHECKSUM = "checksum"  # only a known digest (the user's checksum or the release asset's) was matched
UNVERIFIED = "none"  # verify: false and no known digest


class Record(NamedTuple):
    """What was checked when the binary entered the tool cache, re-checked on every later hit."""

    sha256: str
    version: str
    asset: str
    verified: str  # provenance | checksum | none
    evidence: str = ""  # the signer identity and where the bundle came from, or which digest matched
    stat: str = ""  # the binary's file status when its sha256 was last computed (see ``file_stat``)

    def to_json(self) -> str:
        return json.dumps(
            {
                "sha256": self.sha256,
                "version": self.version,
                "asset": self.asset,
                "verified": self.verified,
                "evidence": self.evidence,
                "stat": self.stat,
            },
            indent=2,
        )

    @classmethod
    def read(cls, directory: Path) -> Record | None:
        try:
            data = json.loads((directory / RECORD_FILE).read_text())
            record = cls(
                str(data["sha256"]),
                str(data["version"]),
                str(data["asset"]),
                str(data["verified"]),
                str(data.get("evidence", "")),
                str(data.get("stat", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record if record.verified in (PROVENANCE, CHECKSUM, UNVERIFIED) else None


def _write_record(directory: Path, record: Record) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".record-")
    with os.fdopen(fd, "w") as handle:
        handle.write(record.to_json() + "\n")
    os.replace(tmp, directory / RECORD_FILE)


def file_stat(path: Path) -> str:
    """What the file system says of a file without reading it: size, modification and status-change times and
    inode. Writing the file changes its size or times, and its status-change time (ctime on Linux and macOS) cannot
    be set back, so an unchanged value means the bytes hashed then are the bytes there now ("" when unreadable)."""
    try:
        st = path.stat()
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def trusted_entry(entry: CacheEntry, plat: Platform, *, verify: bool, expected_sha256: str = "") -> Record | None:
    """The tool-cache entry's record when the entry may be used as it is, else None (install it again).

    The binary must still be what was recorded: its file status is the one recorded when its sha256 was computed
    (``file_stat``), else its sha256 is computed again and must equal the record's (and then the new status is
    recorded, so the next hit reads nothing). ``expected_sha256``, when known, must equal the record's. Under
    ``verify: true`` only an entry whose record says its provenance was verified is trusted: one installed with
    ``verify: false`` or without a record never is.
    """
    binary = entry.directory / plat.exe
    record = Record.read(entry.directory)
    if not entry.complete or record is None or not binary.is_file():
        return None
    if verify and record.verified != PROVENANCE:
        return None
    expected = expected_sha256.lower().removeprefix("sha256:")
    if expected and record.sha256 != expected:
        return None
    status = file_stat(binary)
    if status and status == record.stat:
        return record
    if sha256_file(binary) != record.sha256:
        return None
    if status and status == file_stat(binary):  # unchanged while it was read: remember it
        record = record._replace(stat=status)
        try:
            _write_record(entry.directory, record)
        except OSError:  # a read-only tool cache: the next hit hashes again
            pass
    return record


def remove_entry(entry: CacheEntry) -> None:
    """Delete a tool-cache entry and its marker."""
    import shutil

    entry.marker.unlink(missing_ok=True)
    shutil.rmtree(entry.directory, ignore_errors=True)


def install_into_cache(
    entry: CacheEntry,
    url: str,
    plat: Platform,
    *,
    expected_sha256: str = "",
    verify: Callable[[Path, str], str] | None = None,
    version: str = "",
    asset: str = "",
) -> tuple[Path, str]:
    """Download into a staging dir, check it, and move it into the tool cache only when it passed.

    ``expected_sha256`` (the release asset's digest or the user's ``checksum``) must match, and
    ``verify(binary, sha256)`` must not raise, before the binary is ever executed or made visible. What was
    checked is recorded beside the binary (``RECORD_FILE``); ``verify`` returns the evidence it found.
    """
    import shutil
    import tempfile

    entry.directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=entry.directory.parent, prefix=f".{plat.arch}-"))
    try:
        binary = staging / plat.exe
        digest = download(url, binary)  # hashed on receipt
        if expected_sha256 and digest != expected_sha256.lower().removeprefix("sha256:"):
            raise checksum_mismatch(url, expected_sha256, digest)
        if verify is not None:
            record = Record(digest, version, asset, PROVENANCE, verify(binary, digest))
        elif expected_sha256:
            record = Record(digest, version, asset, CHECKSUM, f"sha256 {expected_sha256.removeprefix('sha256:')}")
        else:
            record = Record(digest, version, asset, UNVERIFIED)
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        _write_record(staging, record._replace(stat=file_stat(binary)))  # moving the directory keeps it
        existing = entry.directory / plat.exe
        if entry.directory.exists():
            if entry.complete and existing.is_file() and sha256_file(existing) == digest:
                # the same bytes are there already (another job, or an entry trusted for less): record what
                # was checked now
                _write_record(entry.directory, record._replace(stat=file_stat(existing)))
                return existing, digest
            shutil.rmtree(entry.directory, ignore_errors=True)
        try:
            os.replace(staging, entry.directory)
        except OSError:
            # another job on this runner installed the same version meanwhile: keep theirs if it is this binary
            if not (entry.complete and existing.is_file() and sha256_file(existing) == digest):
                shutil.rmtree(entry.directory, ignore_errors=True)
                os.replace(staging, entry.directory)
            else:
                _write_record(entry.directory, record._replace(stat=file_stat(existing)))
        entry.marker.write_text("")
        return entry.directory / plat.exe, digest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def adopt_restored(entry: CacheEntry, plat: Platform, expected_sha256: str = "", *, verify: bool = False) -> str | None:
    """A tool-cache directory restored by actions/cache: re-check its binary before trusting it.

    Returns the binary's sha256 when it matches its record (and the expected digest, when known) and the
    record is good enough for ``verify``; otherwise removes the directory and returns None so it is
    downloaded again.
    """
    if not entry.directory.is_dir():
        return None
    entry.marker.write_text("")  # actions/cache saves the directory only; judged like any tool-cache entry
    record = trusted_entry(entry, plat, verify=verify, expected_sha256=expected_sha256)
    if record is None:
        remove_entry(entry)
        return None
    return record.sha256


def checksum_mismatch(url: str, expected: str, actual: str) -> ActionError:
    """The error for a binary whose sha256 is not the expected one."""
    return ActionError(
        what="The downloaded wash does not match its expected sha256",
        why=f"{url} served a file with sha256 {actual}, expected {expected.removeprefix('sha256:')}. "
        "The download was corrupted or the file is not the released binary; nothing was installed.",
        fix="Re-run the job. If you pinned 'checksum', check it is the sha256 of this platform's binary.",
        docs="#verification",
    )
