"""A real OCI registry (Debian's docker-registry, the CNCF distribution registry) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RegistryProcess:
    host: str  # 127.0.0.1:PORT
    root: Path
    pid: int
    username: str = ""
    password: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def auth(self) -> tuple[str, str] | None:
        return (self.username, self.password) if self.username else None

    def manifest(self, repository: str, reference: str) -> requests.Response:
        accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
        return requests.get(
            f"{self.url}/v2/{repository}/manifests/{reference}",
            headers={"Accept": accept},
            auth=self.auth(),
            timeout=30,
        )

    def blob(self, repository: str, digest: str) -> bytes:
        response = requests.get(f"{self.url}/v2/{repository}/blobs/{digest}", auth=self.auth(), timeout=60)
        response.raise_for_status()
        return response.content

    def tags(self, repository: str) -> list[str]:
        response = requests.get(f"{self.url}/v2/{repository}/tags/list", auth=self.auth(), timeout=30)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(response.json().get("tags") or [])

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)


def binary() -> str:
    found = shutil.which("docker-registry") or shutil.which("registry")
    if not found:
        raise RuntimeError("docker-registry is not installed: run scripts/setup (apt-get install docker-registry)")
    return found


def start(root: Path, *, username: str = "", password: str = "") -> RegistryProcess:
    """Start a registry with its own storage under ``root``; htpasswd auth when a user is given."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    auth = ""
    if username:
        htpasswd = root / "htpasswd"
        # bcrypt entry via htpasswd from apache2-utils; the password goes through stdin
        subprocess.run(
            ["htpasswd", "-iBc", str(htpasswd), username],
            input=password,
            text=True,
            check=True,
            capture_output=True,
        )
        auth = f"auth:\n  htpasswd:\n    realm: wash-actions-test\n    path: {htpasswd}\n"
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + auth
    )
    log = (root / "registry.log").open("wb")
    proc = subprocess.Popen(
        [binary(), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    reg = RegistryProcess(f"127.0.0.1:{port}", root, proc.pid, username, password)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {(root / 'registry.log').read_text()[-2000:]}")
        try:
            if requests.get(f"{reg.url}/v2/", timeout=2).status_code in (200, 401):
                return reg
        except requests.ConnectionError:
            time.sleep(0.05)
    reg.stop()
    raise RuntimeError("docker-registry did not start within 20 s")


@contextlib.contextmanager
def running(root: Path, **kwargs: str) -> Iterator[RegistryProcess]:
    reg = start(root, **kwargs)
    try:
        yield reg
    finally:
        reg.stop()
