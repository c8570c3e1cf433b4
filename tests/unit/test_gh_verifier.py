"""The GitHub CLI as the first verifier: which gh outcomes are refusals (kinds, read once from gh's answer), the
project's policy applied to what gh reports, and the rule "a gh refusal is final; sigstore-python only when gh could
not judge". gh's answers here are the JSON shape of ``gh attestation verify --format json`` (gh 2.102.0, read from a
real run) played back by a stand-in executable; the real gh judges real signatures in
tests/integration/test_verifier_agreement.py and test_verifier_images.py."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.unit.test_verifier_unit import bundle, statement, verifiers  # noqa: F401 - verifiers: a fixture
from wash_actions.trust import bundle_sources, gh_verifier, verifier
from wash_actions.trust import policy as trust_policy
from wash_actions.trust.policy import WASH_POLICY, Policy

SHA = "d5a3115f597f83e8f8207afd42f0f9d8e31201ca0d08688eae4e95c9f967a6e7"
RELEASE = {
    "subjectAlternativeName": "https://github.com/wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
    "issuer": "https://token.actions.githubusercontent.com",
    "buildSignerURI": "https://github.com/wasmCloud/wasmCloud/.github/workflows/release-tag.yml@refs/heads/main",
    "sourceRepositoryURI": "https://github.com/wasmCloud/wasmCloud",
    "sourceRepositoryRef": "refs/heads/main",
    "sourceRepositoryOwnerURI": "https://github.com/wasmCloud",
}


def output(certificate: dict[str, str], sha256: str = SHA, **statement_fields: object) -> str:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "wash", "digest": {"sha256": sha256}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        **statement_fields,
    }
    return json.dumps(
        [{"attestation": {}, "verificationResult": {"signature": {"certificate": certificate}, "statement": statement}}]
    )


@pytest.mark.parametrize(
    ("code", "stdout", "stderr", "kind"),
    [
        (1, "", 'Error: verifying with issuer "sigstore.mock"', "refused"),
        (1, "", "Error: expected SourceRepositoryOwnerURI to be https://github.com/wasmCloud, got x", "refused"),
        (1, "", "✗ Verification failed", "refused"),
        (1, "", "something gh never said before", "refused"),  # unknown: a refusal, never another verifier's turn
        (1, "", "error creating Sigstore verifier: no valid Sigstore verifiers could be initialized", "unavailable"),
        (1, "", "failed to create TUF client: dial tcp 1.2.3.4:443: i/o timeout", "unavailable"),
        (1, "", 'unknown command "attestation" for "gh"', "unavailable"),
        (1, "", "unknown flag: --predicate-type", "unavailable"),
        (
            1,
            "",
            "error getting trust domain, make sure you are authenticated against the host: HTTP 401",
            "unavailable",
        ),
        (4, "", "To get started with GitHub CLI, please run:  gh auth login", "unavailable"),
        (0, "", "✗ No attestations found with predicate type: https://slsa.dev/provenance/v1", "empty"),
        (0, "  \n", "", "empty"),
        (0, "[]", "", "empty"),
        (0, "{}", "", "empty"),
        (0, "not json", "", "refused"),
        (0, output(RELEASE), "", "verified"),
    ],
)
def test_every_gh_outcome_has_a_kind(code, stdout, stderr, kind):
    assert gh_verifier.classify(code, stdout, stderr).kind == kind


def fake_gh(
    tmp_path: Path, stdout: str = "", stderr: str = "", code: int = 0, *, then: Sequence[tuple[str, str, int]] = ()
) -> str:
    """An executable that answers as gh did (stdout, stderr, exit code; ``then``: the answers of later calls, the
    last one repeated) and records its argv."""
    script = tmp_path / "gh"
    answers = tmp_path / "gh.answers.json"
    answers.write_text(json.dumps([[stdout, stderr, code], *then]))
    log = tmp_path / "gh.argv"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"answers = json.load(open({str(answers)!r}))\n"
        f"log = {str(log)!r}\n"
        "n = len(open(log).read().splitlines()) if os.path.exists(log) else 0\n"
        "open(log, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "out, err, code = answers[min(n, len(answers) - 1)]\n"
        "sys.stdout.write(out); sys.stderr.write(err); sys.exit(code)\n"
    )
    script.chmod(0o755)
    return str(script)


def calls(tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "gh.argv"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run(gh: str, *bundles: bytes, policy: Policy = WASH_POLICY) -> verifier.Evidence:
    artifact = verifier.Artifact(SHA, "wash", data=b"the binary's bytes")
    return verifier.verify(artifact, [bundle_sources.given("bundle", list(bundles))], policy, gh=gh)


GOOD = bundle(payload=statement(SHA))


def test_a_release_identity_is_accepted(tmp_path):
    evidence = run(fake_gh(tmp_path, output(RELEASE)), GOOD)
    assert evidence.verifier == "gh" and evidence.identity == RELEASE["buildSignerURI"]
    assert evidence.signer_workflow == ".github/workflows/release-tag.yml" and evidence.source_ref == "refs/heads/main"
    assert evidence.subject_digest == "sha256:" + SHA and evidence.fallback == ""


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
def test_the_projects_policy_refuses_what_gh_accepts(tmp_path, change, reason):
    with pytest.raises(verifier.Unverified) as caught:
        run(fake_gh(tmp_path, output({**RELEASE, **change})), GOOD)
    [failure] = caught.value.failures
    assert failure.kind == "identity" and reason in failure.detail


@pytest.mark.parametrize(
    ("answer", "kind", "reason"),
    [
        (output(RELEASE, "0" * 64), "statement", "subjects do not include this artifact"),
        (output(RELEASE, predicateType="https://cyclonedx.org/bom"), "statement", "predicate type is https://cyclone"),
        (output(RELEASE, _type="https://example.com/not-in-toto"), "statement", "not an in-toto statement"),
        ("[]", "gh-empty", "exited 0 with no result"),
    ],
)
def test_what_gh_verified_must_be_the_policys_statement_about_this_artifact(tmp_path, answer, kind, reason):
    with pytest.raises(verifier.Unverified) as caught:
        run(fake_gh(tmp_path, answer), GOOD)
    [failure] = caught.value.failures
    assert failure.kind == kind and reason in failure.detail


def test_an_empty_answer_says_what_gh_found(tmp_path):
    """gh 2.61 exits 0 with nothing on stdout when no attestation has the predicate type (verify.go returns nil)."""
    said = "Loaded 1 attestation from bundle.json\n✗ No attestations found with predicate type: https://slsa.dev/provenance/v1"
    with pytest.raises(verifier.Unverified) as caught:
        run(fake_gh(tmp_path, "", said, 0), GOOD)
    [failure] = caught.value.failures
    assert failure.kind == "gh-empty"
    assert "gh found no https://slsa.dev/provenance/v1 attestation it could verify" in failure.detail
    assert "No attestations found with predicate type" in failure.detail
    # and what the bundle itself says it holds
    holds = "a application/vnd.in-toto+json envelope with a https://slsa.dev/provenance/v1 statement about 1 subject(s)"
    assert f"the bundle holds {holds}" in failure.detail


def test_a_gh_refusal_is_final_and_names_the_signer(tmp_path, verifiers):  # noqa: F811 - the fixture imported above
    with pytest.raises(verifier.Unverified) as caught:
        run(fake_gh(tmp_path, "", "✗ Verification failed", 1), GOOD, GOOD)
    assert caught.value.verifier == "gh" and not verifiers.made  # sigstore-python never asked
    assert [f.kind for f in caught.value.failures] == ["gh-refused", "gh-refused"]
    assert "signed by SAN https://github.com/wasmCloud/wasmCloud/" in caught.value.failures[0].detail


def test_gh_that_cannot_judge_hands_over_to_sigstore_python(tmp_path, verifiers):  # noqa: F811 - the fixture imported above
    evidence = run(fake_gh(tmp_path, "", "unknown flag: --predicate-type", 1), GOOD)
    assert evidence.verifier == "sigstore-python" and len(verifiers.made) == 1
    assert "unknown flag: --predicate-type" in evidence.fallback


def test_gh_is_not_asked_about_a_bundle_the_policy_refuses_as_sent(tmp_path, verifiers):  # noqa: F811 - the fixture imported above
    message_signature = bundle(digest=SHA)
    with pytest.raises(verifier.Unverified) as caught:
        run(fake_gh(tmp_path, output(RELEASE)), message_signature)
    assert [f.kind for f in caught.value.failures] == ["statement"]
    assert calls(tmp_path) == []


def test_gh_is_pinned_to_the_policy(tmp_path):
    run(fake_gh(tmp_path, output(RELEASE)), GOOD)
    [argv] = calls(tmp_path)
    pairs = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert argv[:2] == ["attestation", "verify"]
    assert pairs["--repo"] == pairs["--signer-repo"] == "wasmCloud/wasmCloud"
    assert pairs["--predicate-type"] == "https://slsa.dev/provenance/v1"  # explicit: no default before gh 2.61
    assert pairs["--cert-oidc-issuer"] == trust_policy.ISSUER and pairs["--hostname"] == "github.com"
    assert pairs["--format"] == "json" and "--custom-trusted-root" not in pairs


def test_a_signer_workflow_reaches_gh_as_signer_workflow(tmp_path):
    policy = Policy("acme/app", signer_workflow=".github/workflows/release.yml", source_repository="acme/caller")
    command = gh_verifier.command("gh", Path("a"), Path("b.json"), policy, None)
    pairs = dict(zip(command[4::2], command[5::2], strict=False))
    assert pairs["--signer-workflow"] == "acme/app/.github/workflows/release.yml" and "--signer-repo" not in pairs
    assert pairs["--repo"] == "acme/caller"


@pytest.mark.parametrize(
    ("workflow", "san", "matches"),
    [
        ("", "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main", True),
        (
            "",
            "https://GitHub.com/ACME/app/.github/workflows/ci.yml@refs/heads/main",
            True,
        ),  # gh's (?i), as --signer-repo
        ("", "https://github.com/acme/shared/.github/workflows/build.yml@refs/tags/v1", True),
        ("", "https://github.com/acme/shared/.github/workflows/build.yml.x@refs/tags/v1", False),
        ("", "https://github.com/acme/shared/.github/workflows/other.yml@refs/tags/v1", False),
        ("", "https://github.com/acme/shared-x/.github/workflows/build.yml@refs/tags/v1", False),
        ("", "https://github.com/acme/app-x/.github/workflows/ci.yml@refs/heads/main", False),
        ("", "https://githubXcom/acme/app/.github/workflows/ci.yml@refs/heads/main", False),  # "." is literal
        ("", "https://evil.example/https://github.com/acme/app/.github/workflows/ci.yml@x", False),
        (".github/workflows/release.yml", "https://github.com/acme/app/.github/workflows/release.yml@v", True),
        (".github/workflows/release.yml", "https://github.com/acme/app/.github/workflows/ci.yml@v", False),
        (".github/workflows/release.yml", "https://github.com/acme/shared/.github/workflows/build.yml@v", True),
    ],
)
def test_reusable_workflows_reach_gh_as_one_identity_regex(workflow, san, matches):
    """gh takes one signer flag: a policy with reusable workflows of other repositories gets --cert-identity-regex,
    which gh applies to the SAN (cli/cli verify/policy.go buildSANMatcher); the project's policy then matches
    exactly. Go's RE2 and Python's re agree on this subset (anchors, (?i), (?:|), escaped punctuation)."""
    import re

    policy = Policy(
        "acme/app", signer_workflow=workflow, reusable_workflows=("acme/shared/.github/workflows/build.yml",)
    )
    command = gh_verifier.command("gh", Path("a"), Path("b.json"), policy, None)
    pairs = dict(zip(command[4::2], command[5::2], strict=False))
    assert "--signer-repo" not in pairs and "--signer-workflow" not in pairs and pairs["--repo"] == "acme/app"
    assert bool(re.match(pairs["--cert-identity-regex"], san)) is matches


def test_the_test_trust_roots_reach_gh_as_trusted_root_jsonl(tmp_path):
    paths = []
    for name, tlogs in (("github", []), ("public-good", [{"baseUrl": "https://rekor"}]), ("other", [])):
        config = tmp_path / f"{name}.json"
        root = {"mediaType": name, "tlogs": tlogs}
        config.write_text(json.dumps({"mediaType": "x", "trustedRoot": root, "signingConfig": {}}))
        paths.append(str(config))
    logged = gh_verifier.trusted_root_file(tuple(paths), tmp_path)
    assert logged is not None
    assert [json.loads(line)["mediaType"] for line in logged.read_text().splitlines()] == [
        "public-good",
        "github",
        "other",
    ]
    unlogged = gh_verifier.trusted_root_file(tuple(paths), tmp_path, logged=False)
    assert unlogged is not None
    assert [json.loads(line)["mediaType"] for line in unlogged.read_text().splitlines()] == [
        "github",
        "other",
        "public-good",
    ]
    assert gh_verifier.trusted_root_file((), tmp_path) is None


def test_after_a_refusal_gh_failing_to_judge_is_not_a_reason_to_ask_sigstore_python(tmp_path, verifiers):  # noqa: F811
    gh = fake_gh(tmp_path, "", "✗ Verification failed", 1, then=[("", "dial tcp: i/o timeout", 1)])
    with pytest.raises(verifier.Unverified) as caught:
        run(gh, GOOD, GOOD)
    assert caught.value.verifier == "gh" and not verifiers.made
    assert [f.kind for f in caught.value.failures] == ["gh-refused", "unsupported"]
    assert len(calls(tmp_path)) == 2


def test_gh_judging_a_later_bundle_wins(tmp_path):
    gh = fake_gh(tmp_path, "", "✗ Verification failed", 1, then=[(output(RELEASE), "", 0)])
    evidence = run(gh, GOOD, GOOD)
    assert evidence.verifier == "gh" and len(calls(tmp_path)) == 2


def test_gh_2_61_prints_the_statement_with_protobuf_field_names(tmp_path):
    """gh 2.61.0 prints "type" and "predicate_type" (measured: test_verifier_agreement.py); newer gh "_type" and
    "predicateType". Both are read; a statement without either is still refused."""
    statement = {
        "type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "wash", "digest": {"sha256": SHA}}],
        "predicate_type": "https://slsa.dev/provenance/v1",
    }
    answer = json.dumps([{"verificationResult": {"signature": {"certificate": RELEASE}, "statement": statement}}])
    assert run(fake_gh(tmp_path, answer), GOOD).verifier == "gh"
    statement["predicate_type"] = "https://cyclonedx.org/bom"
    answer = json.dumps([{"verificationResult": {"signature": {"certificate": RELEASE}, "statement": statement}}])
    second = tmp_path / "second"
    second.mkdir()
    with pytest.raises(verifier.Unverified) as caught:
        run(fake_gh(second, answer), GOOD)
    assert [f.kind for f in caught.value.failures] == ["statement"]
    assert "predicate type is https://cyclonedx.org/bom" in caught.value.why
