"""The GitHub CLI as setup-wash's first verifier: which gh failures are refusals, and the policy applied to what gh
reports (the JSON shape of ``gh attestation verify --format json``, gh 2.102.0, read from a real run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wash_actions import provenance_check as pc

SHA = "d5a3115f597f83e8f8207afd42f0f9d8e31201ca0d08688eae4e95c9f967a6e7"
RELEASE = {
    "subjectAlternativeName": "https://github.com/wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
    "issuer": "https://token.actions.githubusercontent.com",
    "buildSignerURI": "https://github.com/wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
    "sourceRepositoryURI": "https://github.com/wasmCloud/wasmCloud",
    "sourceRepositoryRef": "refs/heads/main",
    "sourceRepositoryOwnerURI": "https://github.com/wasmCloud",
}


def output(certificate: dict[str, str], sha256: str = SHA) -> str:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "wash", "digest": {"sha256": sha256}}],
    }
    return json.dumps(
        [{"attestation": {}, "verificationResult": {"signature": {"certificate": certificate}, "statement": statement}}]
    )


@pytest.mark.parametrize(
    ("stderr", "judged"),
    [
        ('Error: verifying with issuer "sigstore.mock"', True),
        ("Error: expected SourceRepositoryOwnerURI to be https://github.com/wasmCloud, got https://github.com/x", True),
        ("✗ Verification failed", True),
        ("something gh never said before", True),  # unknown: a refusal, never a reason to ask another verifier
        ("error creating Sigstore verifier: no valid Sigstore verifiers could be initialized", False),
        ("failed to create TUF client: dial tcp 1.2.3.4:443: i/o timeout", False),
        ('unknown command "attestation" for "gh"', False),
        ("unknown flag: --format", False),
    ],
)
def test_which_failures_are_refusals(stderr, judged):
    assert (pc.gh_unavailable_reason(stderr) == "") is judged


def test_a_release_identity_is_accepted():
    assert pc.gh_judgement(output(RELEASE), SHA) == RELEASE["buildSignerURI"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sourceRepositoryRef": "refs/heads/feature"}, "ref refs/heads/feature is not"),
        ({"sourceRepositoryURI": "https://github.com/mallory/app"}, "source repository is https://github.com/mallory"),
        ({"issuer": "https://accounts.google.com"}, "OIDC issuer"),
        (
            {"buildSignerURI": "https://github.com/wasmCloud/wasmCloud/.github/workflows/x.yml@refs/heads/dev"},
            "SAN does not name",
        ),
    ],
)
def test_the_projects_policy_refuses_what_gh_accepts(change, reason):
    with pytest.raises(ValueError, match=reason):
        pc.gh_judgement(output({**RELEASE, **change}), SHA)


def test_a_result_for_another_binary_or_no_result_is_refused():
    with pytest.raises(ValueError, match="does not cover"):
        pc.gh_judgement(output(RELEASE, "0" * 64), SHA)
    with pytest.raises(ValueError, match="no verified attestation"):
        pc.gh_judgement("[]", SHA)


def test_gh_is_pinned_to_wasmclouds_repository_issuer_and_host(tmp_path):
    command = pc.gh_command("gh", Path("wash"), Path("b.json"), tmp_path / "root.jsonl")
    pairs = dict(zip(command[4::2], command[5::2], strict=False))
    assert pairs["--repo"] == pairs["--signer-repo"] == "wasmCloud/wasmCloud"
    assert pairs["--cert-oidc-issuer"] == pc.ISSUER and pairs["--hostname"] == "github.com"
    assert pairs["--format"] == "json" and pairs["--custom-trusted-root"] == str(tmp_path / "root.jsonl")
    assert "--custom-trusted-root" not in pc.gh_command("gh", Path("wash"), Path("b.json"), None)


def test_the_test_trust_root_reaches_gh_as_trusted_root_jsonl(tmp_path):
    config = tmp_path / "trust.json"
    config.write_text(json.dumps({"mediaType": "x", "trustedRoot": {"mediaType": "root"}, "signingConfig": {}}))
    path = pc.gh_trusted_root(str(config), tmp_path)
    assert path is not None and path.read_text() == '{"mediaType":"root"}\n'
    assert pc.gh_trusted_root("", tmp_path) is None
