"""A real local Sigstore stack (Fulcio, Rekor, RFC 3161 TSA, GitHub-style OIDC) on 127.0.0.1.

The stack is ``tests/stacks/sigstore/server.mjs`` (Node, around ``@sigstore/mock``): it signs with
real keys it generates at start and writes the trust material clients need:

- ``trusted_root.json``: Sigstore TrustedRoot v0.1 (CA, Rekor key, CT log key, TSA chain);
- ``trust_config.json``: ClientTrustConfig v0.1 (that trusted root + a SigningConfig v0.2 pointing
  at the stack's URLs), what ``sigstore.models.ClientTrustConfig.from_json`` loads.

Its OIDC endpoint answers like GitHub's ``ACTIONS_ID_TOKEN_REQUEST_URL``, so code that signs with
the runner's ambient credential (``id.detect_credential``) works unchanged when a test sets
``ACTIONS_ID_TOKEN_REQUEST_URL``/``ACTIONS_ID_TOKEN_REQUEST_TOKEN``/``GITHUB_ACTIONS=true``.

``verify_with_node`` runs ``verify.mjs`` (sigstore-js ``@sigstore/verify``), a second verifier
independent of sigstore-python.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

PACKAGE = Path(__file__).resolve().parent / "sigstore"
SERVER = PACKAGE / "server.mjs"
VERIFIER = PACKAGE / "verify.mjs"
ORACLE = PACKAGE / "oracle.mjs"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
START_TIMEOUT = 30.0


def node() -> str:
    """The node binary on PATH, after checking that ``npm ci`` installed the stack's packages."""
    found = shutil.which("node")
    if not found:
        raise RuntimeError("node is not on PATH: the Sigstore test stack needs Node 20+")
    if not (PACKAGE / "node_modules" / "@sigstore" / "mock").is_dir():
        raise RuntimeError(
            f"the Sigstore test stack's npm packages are missing: run scripts/setup (npm ci in {PACKAGE})"
        )
    return found


@dataclass
class SigstoreStack:
    """A running stack: its URLs, trust files, OIDC credentials and the identity it certifies."""

    url: str
    trust_config_path: Path
    trusted_root_path: Path
    signing_config_path: Path
    oidc_request_url: str
    """What a runner puts in ACTIONS_ID_TOKEN_REQUEST_URL (it already has a query string)."""
    oidc_request_token: str
    """What a runner puts in ACTIONS_ID_TOKEN_REQUEST_TOKEN."""
    identity: str
    """The SAN URI of issued certificates: ``https://github.com/<job_workflow_ref>``."""
    issuer: str
    """The OIDC issuer in tokens and certificates: GitHub Actions'."""
    claims: dict[str, Any]
    """The GitHub Actions claims of every token the stack mints."""
    instance: str
    """public-good (Fulcio + Rekor + TSA) or github (Fulcio + TSA, no transparency log)."""
    pid: int
    directory: Path
    log_path: Path = field(repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def token(self, audience: str = "sigstore", claims: dict[str, Any] | None = None) -> str:
        """A fresh OIDC token (JWT) from the stack's GitHub-style token endpoint.

        With ``claims``, a token of another workflow run (``POST /oidc/mint``): the server derives the
        claims not given from ``repository``, ``ref`` and ``workflow_ref`` as for its own.
        """
        headers = {"Authorization": f"bearer {self.oidc_request_token}"}
        if claims is not None:
            response = requests.post(
                f"{self.url}/oidc/mint", json={"claims": claims, "audience": audience}, headers=headers, timeout=30
            )
        else:
            response = requests.get(self.oidc_request_url, params={"audience": audience}, headers=headers, timeout=30)
        response.raise_for_status()
        return str(response.json()["value"])

    def github_env(self) -> dict[str, str]:
        """The environment a GitHub Actions runner gives a job with ``id-token: write``."""
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.oidc_request_url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.oidc_request_token,
        }

    @property
    def discovery_url(self) -> str:
        """The stack's OpenID configuration (its ``issuer`` is GitHub's, so a client names it with
        ``WASHACTIONS_OIDC_DISCOVERY_URL``)."""
        return f"{self.url}/oidc/.well-known/openid-configuration"

    def job_env(self, **claims: str) -> dict[str, str]:
        """The environment GitHub gives one job with ``id-token: write``: its own request credential, whose tokens
        carry ``claims`` (e.g. ``run_id``, ``run_attempt``) over the stack's (``POST /oidc/job``)."""
        response = requests.post(
            f"{self.url}/oidc/job",
            json={"claims": claims},
            headers={"Authorization": f"bearer {self.oidc_request_token}"},
            timeout=30,
        )
        response.raise_for_status()
        return {**self.github_env(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": str(response.json()["requestToken"])}

    def verify_with_node(
        self, bundle_path: Path, artifact_path: Path | None, identity: str, issuer: str
    ) -> subprocess.CompletedProcess[str]:
        """Verify a bundle with sigstore-js against this stack's trusted root (see ``verify_with_node``)."""
        return verify_with_node(
            bundle_path,
            artifact_path,
            identity,
            issuer,
            trusted_root=self.trusted_root_path,
            tlog=self.instance != "github",
        )

    def log(self) -> str:
        """The server's stderr so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the server by its PID (it exits on SIGTERM), and reap it when this process started it."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)


def start(
    directory: Path, claims: dict[str, Any] | None = None, *, port: int = 0, instance: str = "public-good"
) -> SigstoreStack:
    """Start a stack whose files go under ``directory``.

    ``claims`` override the GitHub Actions token claims; the server derives the others from
    ``repository`` and ``ref`` (``sub``, ``workflow_ref``, ``job_workflow_ref`` ...), so
    ``{"repository": "acme/widget"}`` alone gives the identity
    ``https://github.com/acme/widget/.github/workflows/release.yml@refs/heads/main``.
    """
    binary = node()
    directory.mkdir(parents=True, exist_ok=True)
    command = [binary, str(SERVER), "--dir", str(directory), "--port", str(port), "--instance", instance]
    if claims:
        claims_path = directory / "claims.json"
        claims_path.write_text(json.dumps(claims))
        command += ["--claims", str(claims_path)]
    ready_path = directory / "server.out"
    log_path = directory / "server.log"
    with ready_path.open("wb") as out, log_path.open("wb") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=PACKAGE, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = ready_path.read_text().partition("\n")
        if line[1]:
            info = json.loads(line[0])
            return SigstoreStack(
                url=info["url"],
                trust_config_path=Path(info["trust_config"]),
                trusted_root_path=Path(info["trusted_root"]),
                signing_config_path=Path(info["signing_config"]),
                oidc_request_url=info["oidc_request_url"],
                oidc_request_token=info["oidc_request_token"],
                identity=info["identity"],
                issuer=info["issuer"],
                claims=info["claims"],
                instance=info["instance"],
                pid=proc.pid,
                directory=directory,
                log_path=log_path,
                process=proc,
            )
        if proc.poll() is not None:
            raise RuntimeError(f"the Sigstore test stack exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
        time.sleep(0.05)
    proc.terminate()
    proc.wait(timeout=10)
    raise RuntimeError(f"the Sigstore test stack did not start within {START_TIMEOUT:.0f} s")


@contextlib.contextmanager
def running(
    directory: Path, claims: dict[str, Any] | None = None, *, port: int = 0, instance: str = "public-good"
) -> Iterator[SigstoreStack]:
    """A started stack, stopped on exit."""
    stack = start(directory, claims, port=port, instance=instance)
    try:
        yield stack
    finally:
        stack.stop()


def verify_with_node(
    bundle_path: Path,
    artifact_path: Path | None,
    identity: str,
    issuer: str,
    *,
    trusted_root: Path,
    tlog: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Verify a Sigstore bundle with sigstore-js (``verify.mjs``); returncode 0 means verified.

    A message-signature bundle is checked over ``artifact_path``. A DSSE bundle must hold an
    in-toto Statement; with ``artifact_path``, one of its subjects must have the artifact's sha256.
    The reason for a failure is in ``stderr``.
    """
    command = [
        node(),
        str(VERIFIER),
        "--bundle",
        str(bundle_path),
        "--trusted-root",
        str(trusted_root),
        "--identity",
        identity,
        "--issuer",
        issuer,
    ]
    if artifact_path is not None:
        command += ["--artifact", str(artifact_path)]
    if not tlog:
        command.append("--no-tlog")
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def oracle(command: str, args: dict[str, str], env: dict[str, str] | None = None) -> Any:
    """Run the official implementation (``oracle.mjs``: @actions/attest 3.2.0, @sigstore/oci 0.7.2); its JSON."""
    return json.loads(oracle_bytes(command, args, env))


def oracle_bytes(command: str, args: dict[str, str], env: dict[str, str] | None = None) -> bytes:
    """The result line ``oracle.mjs`` prints, as bytes: ``JSON.stringify`` of what the official code returned."""
    argv = [node(), str(ORACLE), command]
    for name, value in args.items():
        argv += [f"--{name}", value]
    result = subprocess.run(argv, capture_output=True, timeout=120, check=False, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise RuntimeError(f"oracle {command} failed: {result.stderr.decode(errors='replace')[-3000:]}")
    # @actions/core writes workflow commands (::debug::, ::add-mask::) to stdout before the result line; the
    # result has no raw line feed (JSON.stringify escapes it), though it may hold U+2028
    return result.stdout.rstrip(b"\n").split(b"\n")[-1]
