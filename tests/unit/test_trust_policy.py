"""The generic policy on Fulcio's extensions (any repository as identity, a signer workflow, ref globs, a predicate
type, another server) and the in-toto statement rules. wasmCloud's release policy, one instance of it, is tested in
test_verifier_unit.py."""

from __future__ import annotations

import base64
import json

import pytest

from wash_actions.trust.policy import (
    SLSA_PROVENANCE_V1,
    Envelope,
    Policy,
    SignerIdentity,
    bundle_envelope,
    check_pattern,
    envelope_problem,
    identity_problem,
    parse_statement,
    ref_matches,
    signing_workflow,
    valid_ref,
    workflow_of,
)

GH = "https://github.com/"


def signer(
    workflow: str = ".github/workflows/release.yml",
    ref: str = "refs/tags/v1.2.0",
    repo: str = "acme/app",
    source: str = "acme/app",
    server: str = GH,
    source_ref: str = "",
    config: str = "",
    config_repo: str = "",
) -> SignerIdentity:
    build_signer = f"{server}{repo}/{workflow}@{ref}"
    return SignerIdentity(
        sans=(build_signer,),
        issuer="https://token.actions.githubusercontent.com",
        build_signer=build_signer,
        source_repository=server + source,
        source_ref=source_ref or ref,
        owner=server + source.split("/")[0],
        build_config=f"{server}{config_repo or source}/{config}@{source_ref or ref}" if config else "",
    )


@pytest.mark.parametrize(
    ("policy", "identity", "problem"),
    [
        (Policy("acme/app"), signer(), ""),
        (Policy("ACME/App"), signer(), ""),  # owner and repository names are case-insensitive
        (Policy("acme/app"), signer(repo="acme/other", source="acme/other"), "source repository is"),
        (Policy("acme/app"), signer(source="mallory/app"), "source repository is https://github.com/mallory/app"),
        (Policy("acme/app", signer_workflow=".github/workflows/release.yml"), signer(), ""),
        (
            Policy("acme/app", signer_workflow=".github/workflows/release.yml"),
            signer(".github/workflows/ci.yml"),
            "signing workflow is .github/workflows/ci.yml, not .github/workflows/release.yml",
        ),
        (
            Policy("acme/app", signer_workflow=".github/workflows/release.yml"),
            signer(".github/workflows/Release.yml"),  # paths are case-sensitive
            "not .github/workflows/release.yml",
        ),
        (Policy("acme/app", source_refs=("refs/tags/v*",)), signer(), ""),
        (
            Policy("acme/app", source_refs=("refs/tags/v*",)),
            signer(ref="refs/heads/main"),
            "ref refs/heads/main is not",
        ),
        (Policy("acme/app", source_refs=("refs/heads/main", "refs/tags/v*")), signer(ref="refs/heads/main"), ""),
        # a reusable workflow of acme/shared called by acme/app: signer and source repositories differ
        (
            Policy("acme/shared", source_repository="acme/app", signer_refs=("refs/tags/v*",)),
            signer(repo="acme/shared", source="acme/app", ref="refs/tags/v3"),
            "",
        ),
        (
            Policy(
                "acme/shared",
                source_repository="acme/app",
                source_refs=("refs/heads/main",),
                signer_refs=("refs/tags/v*",),
            ),
            signer(repo="acme/shared", source="acme/app", ref="refs/heads/main"),
            "signing workflow's ref refs/heads/main is not refs/tags/v*",
        ),
        (Policy("acme/shared"), signer(repo="acme/shared", source="acme/app"), "source repository is"),
        # GHE.com: the tenant's URLs and issuer
        (
            Policy("acme/app", server_url="https://acme.ghe.com", issuer="https://token.actions.githubusercontent.com"),
            signer(server="https://acme.ghe.com/"),
            "",
        ),
        (Policy("acme/app", server_url="https://acme.ghe.com"), signer(), "source repository is https://github.com/"),
        (Policy("acme/app", issuer="https://token.example"), signer(), "OIDC issuer is"),
    ],
)
def test_the_generic_policy(policy: Policy, identity: SignerIdentity, problem: str) -> None:
    found = identity_problem(identity, policy)
    assert (found == "") if not problem else (problem in found), found


@pytest.mark.parametrize(
    "workflow",
    [
        ".github/workflows/sub/release.yml",
        ".github/workflows/../release.yml",
        ".github/workflowsx/release.yml",
        "scripts/release.yml",
        ".github/workflows/release.txt",
    ],
)
def test_only_a_workflow_file_of_the_repository_signs(workflow: str) -> None:
    assert "is not a workflow of acme/app" in identity_problem(signer(workflow), Policy("acme/app"))


@pytest.mark.parametrize(
    ("ref", "patterns", "matches"),
    [
        ("refs/tags/v1.2.0", ("refs/tags/v*",), True),
        ("refs/tags/v1/evil", ("refs/tags/v*",), False),  # * stays within a segment
        ("refs/tags/v1/ok", ("refs/tags/v**",), True),  # ** crosses segments
        ("refs/heads/release/1.x", ("refs/heads/release/*",), True),
        ("refs/tags/v1", ("refs/tags/v?",), True),
        ("refs/tags/v12", ("refs/tags/v?",), False),
        ("refs/tags/v1", ("refs/tags/v[0-9]*",), True),
        ("refs/tags/vx", ("refs/tags/v[0-9]*",), False),
        ("refs/tags/vx", ("refs/tags/v[!0-9]*",), True),
        ("refs/tags/v1", (), True),  # no patterns: any valid ref
        ("refs/tags/v1.", ("refs/tags/v*",), False),  # not a valid ref
        ("refs/tags/v1 ", ("refs/tags/v*",), False),
        ("refs/tags/v1\n", ("refs/tags/v*",), False),
        ("refs/tags/v..1", ("refs/tags/v*",), False),
        ("refs/heads/a.lock", ("refs/heads/*",), False),
        ("refs/heads/.hidden", ("refs/heads/*",), False),
        ("refs/tags/v1", ("refs/tags/V*",), False),  # refs are case-sensitive
        ("refs/tags/v1.2", ("refs/tags/v1.2",), True),
        ("refs/tags/v1x2", ("refs/tags/v1.2",), False),  # . is literal
        ("", (), False),
        ("main", (), False),  # a full ref only
    ],
)
def test_ref_patterns(ref: str, patterns: tuple[str, ...], matches: bool) -> None:
    assert ref_matches(ref, patterns) is matches


def test_valid_refs_and_patterns() -> None:
    assert valid_ref("refs/heads/main") and not valid_ref("refs/heads/a@{1}") and not valid_ref("refs//x")
    assert check_pattern("refs/tags/v*") == ""
    assert "full ref pattern" in check_pattern("v*")
    assert "spaces" in check_pattern("refs/tags/v* refs/heads/main")


def test_workflow_of() -> None:
    policy = Policy("acme/app")
    assert workflow_of(signer().build_signer, policy) == (".github/workflows/release.yml", "refs/tags/v1.2.0")


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [
        (
            GH + "acme/app/.github/workflows/release.yml@refs/tags/v1",
            ("acme/app", ".github/workflows/release.yml", "refs/tags/v1"),
        ),
        (
            GH + "acme/app/.github/workflows/a.yaml@refs/heads/x@y",
            ("acme/app", ".github/workflows/a.yaml", "refs/heads/x@y"),
        ),
        ("https://GitHub.com/acme/app/.github/workflows/a.yml@r", ("acme/app", ".github/workflows/a.yml", "r")),
        ("https://acme.ghe.com/acme/app/.github/workflows/a.yml@r", ("", "", "")),  # another server
        (GH + "acme/app/.github/workflows/a.yml", ("", "", "")),  # no ref
        (GH + "acme/.github/workflows/a.yml@r", ("", "", "")),  # no repository
        (GH + "acme/app/sub/.github/workflows/a.yml@r", ("", "", "")),
        (GH + "../app/.github/workflows/a.yml@r", ("", "", "")),
        ("", ("", "", "")),
    ],
)
def test_signing_workflow(uri: str, parsed: tuple[str, str, str]) -> None:
    assert signing_workflow(uri) == parsed


SHARED = "acme/shared/.github/workflows/build.yml"


@pytest.mark.parametrize(
    ("policy", "identity", "problem"),
    [
        # the source repository's own workflows still sign, and the reusable workflow named, called from it
        (Policy("acme/app", reusable_workflows=(SHARED,)), signer(), ""),
        (
            Policy("acme/app", reusable_workflows=(SHARED,)),
            signer(".github/workflows/build.yml", repo="acme/shared"),
            "",
        ),
        (
            Policy("acme/app", reusable_workflows=(SHARED,)),
            signer(".github/workflows/other.yml", repo="acme/shared"),
            "is not a workflow of acme/app or acme/shared/.github/workflows/build.yml",
        ),
        (
            Policy("acme/app", reusable_workflows=(SHARED,)),
            signer(".github/workflows/build.yml", repo="acme/shared", source="acme/shared"),
            "source repository is https://github.com/acme/shared",
        ),
        (
            Policy("acme/app", reusable_workflows=(SHARED,)),
            signer(".github/workflows/build.yml", repo="acme/shared", source="mallory/app"),
            "source repository is",
        ),
        # a named signer workflow binds the source repository's own files
        (
            Policy("acme/app", signer_workflow=".github/workflows/release.yml", reusable_workflows=(SHARED,)),
            signer(".github/workflows/ci.yml"),
            "not .github/workflows/release.yml",
        ),
        # the run's ref patterns bind the run, not the version of the reusable workflow it called (a tag, a commit)
        (
            Policy("acme/app", reusable_workflows=(SHARED,), source_refs=("refs/heads/main",)),
            signer(".github/workflows/build.yml", repo="acme/shared", ref="refs/tags/v1", source_ref="refs/heads/main"),
            "",
        ),
        (
            Policy("acme/app", reusable_workflows=(SHARED,), source_refs=("refs/heads/main",)),
            signer(".github/workflows/build.yml", repo="acme/shared", ref="refs/heads/main", source_ref="refs/tags/v1"),
            "the run's ref refs/tags/v1 is not refs/heads/main",
        ),
        # a named signer workflow: the reusable workflow counts only in a run of that file (Build Config URI)
        (
            Policy("acme/app", signer_workflow=".github/workflows/release.yml", reusable_workflows=(SHARED,)),
            signer(".github/workflows/build.yml", repo="acme/shared", config=".github/workflows/release.yml"),
            "",
        ),
        (
            Policy("acme/app", signer_workflow=".github/workflows/release.yml", reusable_workflows=(SHARED,)),
            signer(".github/workflows/build.yml", repo="acme/shared", config=".github/workflows/ci.yml"),
            "the run's workflow https://github.com/acme/app/.github/workflows/ci.yml@refs/tags/v1.2.0 (which called "
            ".github/workflows/build.yml) is not .github/workflows/release.yml of acme/app",
        ),
        (  # the same file name in another repository's run is not it
            Policy("acme/app", signer_workflow=".github/workflows/release.yml", reusable_workflows=(SHARED,)),
            signer(
                ".github/workflows/build.yml",
                repo="acme/shared",
                config=".github/workflows/release.yml",
                config_repo="acme/shared",
            ),
            "is not .github/workflows/release.yml of acme/app",
        ),
        (  # no Build Config URI: refused
            Policy("acme/app", signer_workflow=".github/workflows/release.yml", reusable_workflows=(SHARED,)),
            signer(".github/workflows/build.yml", repo="acme/shared"),
            "the run's workflow (none)",
        ),
        # explicit signer ref patterns apply to the reusable workflow's ref too
        (
            Policy("acme/app", reusable_workflows=(SHARED,), signer_refs=("refs/tags/v*",)),
            signer(".github/workflows/build.yml", repo="acme/shared", ref="refs/heads/main"),
            "signing workflow's ref refs/heads/main is not refs/tags/v*",
        ),
    ],
)
def test_reusable_workflows_of_other_repositories(policy: Policy, identity: SignerIdentity, problem: str) -> None:
    found = identity_problem(identity, policy)
    assert (found == "") if not problem else (problem in found), found


def test_a_policy_with_reusable_workflows_describes_them() -> None:
    policy = Policy("acme/app", reusable_workflows=(SHARED,))
    assert policy.describe() == f"any workflow of acme/app, or {SHARED} called from acme/app on any ref"
    named = policy._replace(signer_workflow=".github/workflows/release.yml")
    assert named.describe() == (
        f".github/workflows/release.yml of acme/app, or {SHARED} called from .github/workflows/release.yml of "
        "acme/app on any ref"
    )


def envelope(statement: object, payload_type: str = "application/vnd.in-toto+json") -> Envelope:
    return Envelope(payload_type, json.dumps(statement).encode())


SHA = "ab" * 32
STATEMENT = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "x", "digest": {"sha256": SHA}}],
    "predicateType": SLSA_PROVENANCE_V1,
    "predicate": {},
}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (envelope(STATEMENT), ""),
        (envelope({**STATEMENT, "_type": "https://in-toto.io/Statement/v0.1"}), ""),
        (None, "plain message signature"),
        (envelope(STATEMENT, "text/plain"), "DSSE payload type is text/plain"),
        (Envelope("application/vnd.in-toto+json", b"not json"), "not a JSON in-toto statement"),
        (envelope([STATEMENT]), "not a JSON in-toto statement"),
        (envelope({**STATEMENT, "predicateType": "https://spdx.dev/Document/v2.3"}), "predicate type is https://spdx"),
        (envelope({**STATEMENT, "subject": [{"digest": {"sha256": "cd" * 32}}]}), "subjects do not include"),
        (envelope({**STATEMENT, "subject": "ab" * 32}), "subjects do not include"),
        (envelope({**STATEMENT, "_type": 1}), "_type missing"),
    ],
)
def test_statement_rules(value: Envelope | None, problem: str) -> None:
    found = envelope_problem(value, SHA, Policy("acme/app"))
    assert (found == "") if not problem else (problem in found), found


def test_a_policy_for_an_sbom() -> None:
    sbom = {**STATEMENT, "predicateType": "https://cyclonedx.org/bom"}
    assert envelope_problem(envelope(sbom), SHA, Policy("acme/app", predicate_type="https://cyclonedx.org/bom")) == ""


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        (b"not json", ValueError),
        (b"[]", ValueError),
        (b'{"dsseEnvelope": {}}', ValueError),  # no verificationMaterial: not a bundle
        (b'{"verificationMaterial": {}}', None),  # a bundle without an envelope: a message signature
        (b'{"verificationMaterial": {}, "dsseEnvelope": {"payload": "%%%"}}', ValueError),
        (b'{"verificationMaterial": {}, "dsseEnvelope": []}', ValueError),
    ],
)
def test_bundle_envelope_tells_a_message_signature_from_garbage(raw: bytes, outcome: object) -> None:
    if outcome is ValueError:
        with pytest.raises(ValueError):
            bundle_envelope(raw)
    else:
        assert bundle_envelope(raw) is None


def test_bundle_envelope_reads_the_payload() -> None:
    payload = json.dumps(STATEMENT).encode()
    raw = json.dumps(
        {
            "verificationMaterial": {},
            "dsseEnvelope": {
                "payloadType": "application/vnd.in-toto+json",
                "payload": base64.b64encode(payload).decode(),
            },
        }
    ).encode()
    assert bundle_envelope(raw) == Envelope("application/vnd.in-toto+json", payload)
    assert parse_statement(payload).subjects == {SHA}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("acme/app", "acme/app"),
        ("acme/app.js", "acme/app.js"),
        ("acme", ""),
        ("acme/app/x", ""),
        (" acme/app", ""),
        ("https://github.com/acme/app", ""),
        ("acme/..", ""),
        ("", ""),
    ],
)
def test_parse_repository(text: str, parsed: str) -> None:
    from wash_actions.trust.policy import parse_repository

    assert parse_repository(text) == parsed
