"""publish with attestation: SLSA provenance for the pushed digest, signed by a local Sigstore stack,
stored through the attestations API fake, pushed to the real registry, checked by two verifiers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import USER_IDENTITY as IDENTITY
from tests.helpers import assert_one_clear_error, rendered, run_command

ISSUER = "https://token.actions.githubusercontent.com"


def event_file(path: Path, visibility: str | None) -> Path:
    """The event payload GitHub writes to GITHUB_EVENT_PATH: ``repository.visibility`` is public, private or
    internal (REST "repository" object in webhook payloads); None leaves it out."""
    owner = {"login": "acme", "type": "Organization"}
    repository: dict[str, object] = {"full_name": "acme/hello-world", "owner": owner}
    if visibility is not None:
        repository["visibility"] = visibility
        repository["private"] = visibility != "public"
    path.write_text(json.dumps({"ref": "refs/heads/main", "repository": repository}))
    return path


@pytest.fixture
def publish(monkeypatch, capfd, tmp_path, wash_binary, built_python, release_server, user_sigstore, github_sigstore):
    def run(env: dict[str, str] | None = None, visibility: str | None = "public", **inputs: str):
        all_env = {
            **user_sigstore.github_env(),
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
            "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG": str(github_sigstore.trust_config_path),
            "GITHUB_API_URL": release_server.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(event_file(tmp_path / f"event-{visibility}.json", visibility)),
            **(env or {}),
        }
        all_inputs = {
            "component-path": str(built_python),
            "insecure": "true",
            "github-token": "ghs_attest-token",
            **inputs,
        }
        return run_command(
            "publish", all_inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", env=all_env
        )

    return run


def test_attests_the_published_digest(publish, registry, release_server, user_sigstore, tmp_path, built_python):
    release_server.store.stored.clear()
    run = publish(registry=registry.host, repository="acme/attested", tags="v1,latest", attest="true")
    assert run.code == 0, run.stdout + run.stderr
    digest = run.outputs["digest"]
    bundle_path = Path(run.outputs["bundle-path"])
    bundle = json.loads(bundle_path.read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"

    # the statement: subject = image without tag, digest = the one every tag resolves to
    envelope = bundle["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [{"name": f"{registry.host}/acme/attested", "digest": {"sha256": digest[7:]}}]
    assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
    predicate = statement["predicate"]
    claims = user_sigstore.claims
    assert predicate["buildDefinition"]["buildType"] == "https://actions.github.io/buildtypes/workflow/v1"
    assert predicate["buildDefinition"]["externalParameters"]["workflow"] == {
        "ref": "refs/heads/main",
        "repository": "https://github.com/acme/hello-world",
        "path": ".github/workflows/component.yml",
    }
    assert predicate["buildDefinition"]["internalParameters"]["github"] == {
        "event_name": claims["event_name"],
        "repository_id": claims["repository_id"],
        "repository_owner_id": claims["repository_owner_id"],
        "runner_environment": claims["runner_environment"],
    }
    assert predicate["buildDefinition"]["resolvedDependencies"] == [
        {"uri": "git+https://github.com/acme/hello-world@refs/heads/main", "digest": {"gitCommit": claims["sha"]}}
    ]
    assert predicate["runDetails"]["builder"]["id"] == IDENTITY
    assert predicate["runDetails"]["metadata"]["invocationId"] == (
        f"https://github.com/acme/hello-world/actions/runs/{claims['run_id']}/attempts/{claims['run_attempt']}"
    )

    # stored with the documented request: the provenance, then the SBOM
    stored, stored_sbom = release_server.store.stored
    assert stored["repository"] == "acme/hello-world"
    assert stored["authorization"] == "Bearer ghs_attest-token"
    assert stored["api_version"] == "2022-11-28"
    assert stored["body"] == {"bundle": bundle}
    assert run.outputs["attestation-id"] == "1"
    assert run.outputs["attestation-url"] == "https://github.com/acme/hello-world/attestations/1"
    # acme is an organization: a storage record, as actions/attest's create-storage-record makes
    record = release_server.store.storage_records[-1]
    assert record["org"] == "acme"
    assert record["body"] == {
        "name": f"{registry.host}/acme/attested",
        "digest": digest,
        "registry_url": f"https://{registry.host}",
    }
    assert run.outputs["storage-record-ids"] == str(len(release_server.store.storage_records))

    # in the registry: docker-registry 2.8 has no referrers API, so the fallback tag's index lists both
    index = registry.manifest("acme/attested", "sha256-" + digest[7:]).json()
    entry, sbom_entry = index["manifests"]
    assert entry["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert entry["annotations"]["dev.sigstore.bundle.predicateType"] == "https://slsa.dev/provenance/v1"
    assert entry["digest"] == run.outputs["attestation-digest"]
    referrer = registry.manifest("acme/attested", entry["digest"]).json()
    assert referrer["subject"]["digest"] == digest
    assert referrer["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert referrer["annotations"]["dev.sigstore.bundle.content"] == "dsse-envelope"
    (layer,) = referrer["layers"]
    assert json.loads(registry.blob("acme/attested", layer["digest"])) == bundle
    verify_both(bundle_path, digest, user_sigstore, tmp_path)

    # the SBOM attestation: the CycloneDX document publish wrote is the predicate (actions/attest sbom-path)
    sbom_bundle_path = Path(run.outputs["sbom-bundle-path"])
    sbom_bundle = json.loads(sbom_bundle_path.read_text())
    sbom_statement = json.loads(base64.b64decode(sbom_bundle["dsseEnvelope"]["payload"]))
    document = json.loads(Path(run.outputs["sbom-path"]).read_text())
    assert sbom_statement == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": f"{registry.host}/acme/attested", "digest": {"sha256": digest[7:]}}],
        "predicateType": "https://cyclonedx.org/bom",
        "predicate": document,
    }
    assert document["metadata"]["component"]["name"] == f"{registry.host}/acme/attested"
    component_sha = hashlib.sha256(built_python.read_bytes()).hexdigest()
    assert document["metadata"]["component"]["hashes"] == [{"alg": "SHA-256", "content": component_sha}]
    assert stored_sbom["body"] == {"bundle": sbom_bundle}
    assert run.outputs["sbom-attestation-id"] == "2"
    assert run.outputs["sbom-attestation-url"] == "https://github.com/acme/hello-world/attestations/2"
    assert sbom_entry["digest"] == run.outputs["sbom-attestation-digest"]
    assert sbom_entry["annotations"]["dev.sigstore.bundle.predicateType"] == "https://cyclonedx.org/bom"
    sbom_referrer = registry.manifest("acme/attested", sbom_entry["digest"]).json()
    assert sbom_referrer["subject"]["digest"] == digest
    (sbom_layer,) = sbom_referrer["layers"]
    assert json.loads(registry.blob("acme/attested", sbom_layer["digest"])) == sbom_bundle
    verify_both(sbom_bundle_path, digest, user_sigstore, tmp_path)


def verify_both(bundle_path: Path, digest: str, stack, tmp_path: Path) -> None:
    """sigstore-python and sigstore-js (@sigstore/verify) both accept it, for this identity and digest."""
    from sigstore.models import Bundle, ClientTrustConfig
    from sigstore.verify import Verifier, policy

    trust = ClientTrustConfig.from_json(stack.trust_config_path.read_text())
    verifier = Verifier(trusted_root=trust.trusted_root)
    _, payload = verifier.verify_dsse(
        Bundle.from_json(bundle_path.read_text()), policy.Identity(identity=IDENTITY, issuer=ISSUER)
    )
    assert json.loads(payload)["subject"][0]["digest"]["sha256"] == digest[7:]
    node = stack.verify_with_node(bundle_path, None, IDENTITY, ISSUER)
    assert node.returncode == 0, node.stderr


def test_two_verifiers_reject_tampering_wrong_identity_and_wrong_digest(publish, registry, user_sigstore, tmp_path):
    from sigstore.models import Bundle, ClientTrustConfig
    from sigstore.verify import Verifier, policy

    run = publish(
        registry=registry.host, repository="acme/tamper", tags="v1", attest="true", **{"push-attestation": "false"}
    )
    assert run.code == 0, run.stdout
    bundle = json.loads(Path(run.outputs["bundle-path"]).read_text())
    trust = ClientTrustConfig.from_json(user_sigstore.trust_config_path.read_text())
    verifier = Verifier(trusted_root=trust.trusted_root)

    tampered = json.loads(json.dumps(bundle))
    statement = json.loads(base64.b64decode(tampered["dsseEnvelope"]["payload"]))
    statement["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"another component").hexdigest()
    tampered["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    tampered_path = tmp_path / "tampered.json"
    tampered_path.write_text(json.dumps(tampered))
    with pytest.raises(Exception):
        verifier.verify_dsse(
            Bundle.from_json(tampered_path.read_text()), policy.Identity(identity=IDENTITY, issuer=ISSUER)
        )
    assert user_sigstore.verify_with_node(tampered_path, None, IDENTITY, ISSUER).returncode != 0

    original = tmp_path / "bundle.json"
    original.write_text(json.dumps(bundle))
    wrong = "https://github.com/mallory/x/.github/workflows/x.yml@refs/heads/main"
    with pytest.raises(Exception):
        verifier.verify_dsse(Bundle.from_json(original.read_text()), policy.Identity(identity=wrong, issuer=ISSUER))
    assert user_sigstore.verify_with_node(original, None, wrong, ISSUER).returncode != 0

    # the bundle does not vouch for another artifact (a different digest)
    other = tmp_path / "other.wasm"
    other.write_bytes(b"\0asm\x0d\x00\x01\x00 not the published component")
    assert user_sigstore.verify_with_node(original, other, IDENTITY, ISSUER).returncode != 0
    assert registry.tags("acme/tamper") == ["v1"]  # push-attestation: false left no fallback tag


def test_a_second_attestation_is_merged_into_the_fallback_index(publish, registry):
    first = publish(registry=registry.host, repository="acme/twice", tags="v1", attest="true")
    assert first.code == 0, first.stdout
    digest = first.outputs["digest"]
    # attest the same digest again (e.g. a re-run): the index keeps both referrers
    from wash_actions.oci import registry as oci
    from wash_actions.trust import attest

    client = oci.Registry(registry.host, insecure=True)
    manifest = client.get_manifest("acme/twice", digest)
    bundle = Path(first.outputs["bundle-path"]).read_bytes().replace(b'"mediaType"', b'"mediaType" ', 1)
    second = attest.push_referrer(client, "acme/twice", manifest, bundle)
    index = registry.manifest("acme/twice", "sha256-" + digest[7:]).json()
    expected = {first.outputs["attestation-digest"], first.outputs["sbom-attestation-digest"], second}
    assert {m["digest"] for m in index["manifests"]} == expected


def test_auto_without_oidc_token_publishes_with_a_notice(publish, registry):
    run = publish(
        registry=registry.host,
        repository="acme/no-oidc",
        tags="v1",
        env={"ACTIONS_ID_TOKEN_REQUEST_URL": "", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ""},
    )
    assert run.code == 0, run.stdout
    assert "::notice title=publish%3A attestation::Attestation skipped" in run.stdout
    assert "id-token: write" in run.stdout
    assert run.outputs["attestation-url"] == ""


def test_attest_true_without_oidc_is_an_error_before_any_push(publish, registry):
    run = publish(
        registry=registry.host,
        repository="acme/must-attest",
        tags="v1",
        attest="true",
        env={"ACTIONS_ID_TOKEN_REQUEST_URL": "", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ""},
    )
    assert_one_clear_error(run, "id-token")
    assert registry.tags("acme/must-attest") == []


def test_attestations_api_refusal_names_the_permission(publish, registry, release_server):
    release_server.store.faults[:] = [403]
    run = publish(registry=registry.host, repository="acme/refused", tags="v1", attest="true")
    line = assert_one_clear_error(run, "attestations: write", "while storing the attestation")
    digest = run.outputs["digest"]
    assert f"{registry.host}/acme/refused@{digest} is published" in line
    assert run.outputs["image-ref"] == f"{registry.host}/acme/refused@{digest}"
    assert json.loads(run.outputs["tags"]) == [f"{registry.host}/acme/refused:v1"]
    assert "subject-digest: ${{ steps.publish.outputs.digest }}" in line.replace("%0A", "\n")
    assert registry.tags("acme/refused") == ["v1"]


@pytest.mark.parametrize("visibility", ["private", "internal", None])
def test_private_internal_or_unknown_visibility_signs_with_githubs_instance(
    publish, registry, release_server, github_sigstore, user_sigstore, tmp_path, visibility
):
    """As @actions/attest: GitHub's instance (Fulcio + TSA, no Rekor) unless the event says public."""
    release_server.store.stored.clear()
    repository = f"acme/private-{visibility or 'unknown'}"
    run = publish(
        registry=registry.host,
        repository=repository,
        tags="v1",
        visibility=visibility,
        env=github_sigstore.github_env(),
    )
    assert run.code == 0, run.stdout + run.stderr
    assert "GitHub's Sigstore instance" in run.stdout
    bundle_path = Path(run.outputs["bundle-path"])
    bundle = json.loads(bundle_path.read_text())
    material = bundle["verificationMaterial"]
    assert material["tlogEntries"] == []
    assert len(material["timestampVerificationData"]["rfc3161Timestamps"]) == 1
    # sigstore-js verifies it against a trust root without transparency logs, and only against that one
    ok = github_sigstore.verify_with_node(bundle_path, None, IDENTITY, ISSUER)
    assert ok.returncode == 0, ok.stderr
    assert user_sigstore.verify_with_node(bundle_path, None, IDENTITY, ISSUER).returncode != 0
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["subject"][0]["digest"] == {"sha256": run.outputs["digest"][7:]}
    stored, stored_sbom = release_server.store.stored
    assert stored["body"] == {"bundle": bundle}
    # the SBOM is signed on the same instance
    sbom_bundle_path = Path(run.outputs["sbom-bundle-path"])
    assert json.loads(sbom_bundle_path.read_text())["verificationMaterial"]["tlogEntries"] == []
    assert stored_sbom["body"] == {"bundle": json.loads(sbom_bundle_path.read_text())}
    ok = github_sigstore.verify_with_node(sbom_bundle_path, None, IDENTITY, ISSUER)
    assert ok.returncode == 0, ok.stderr
    index = registry.manifest(repository, "sha256-" + run.outputs["digest"][7:]).json()
    assert [m["digest"] for m in index["manifests"]] == [
        run.outputs["attestation-digest"],
        run.outputs["sbom-attestation-digest"],
    ]


def test_a_ghe_com_tenant_signs_with_its_tenants_instance(publish, registry, release_server, github_sigstore):
    """GHE.com: the tenant's instance (fulcio.<tenant>.ghe.com, as @actions/attest buildGitHubEndpoints derives it);
    the local GitHub-instance stack stands in for it. Provenance and the attestation URL name the tenant."""
    env = {**github_sigstore.github_env(), "GITHUB_SERVER_URL": "https://acme.ghe.com"}
    run = publish(registry=registry.host, repository="acme/tenant", tags="v1", visibility="private", env=env)
    assert run.code == 0, run.stdout + run.stderr
    assert (
        "GitHub's Sigstore instance (https://fulcio.acme.ghe.com, timestamps from https://timestamp.acme.ghe.com"
        in (run.stdout)
    )
    assert run.outputs["attestation-url"].startswith("https://acme.ghe.com/acme/hello-world/attestations/")
    bundle = json.loads(Path(run.outputs["bundle-path"]).read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    workflow = statement["predicate"]["buildDefinition"]["externalParameters"]["workflow"]
    assert workflow["repository"] == "https://acme.ghe.com/acme/hello-world"
    check = github_sigstore.verify_with_node(Path(run.outputs["bundle-path"]), None, IDENTITY, ISSUER)
    assert check.returncode == 0, check.stderr


def test_public_signs_with_the_public_good_instance(publish, registry, user_sigstore):
    run = publish(registry=registry.host, repository="acme/public", tags="v1", visibility="public")
    assert run.code == 0, run.stdout + run.stderr
    bundle = json.loads(Path(run.outputs["bundle-path"]).read_text())
    assert len(bundle["verificationMaterial"]["tlogEntries"]) == 1
    assert "public-good instance" in run.stdout


def test_a_signing_failure_keeps_the_outputs_and_says_what_is_published(publish, registry, github_sigstore):
    """The GitHub instance's Fulcio refuses the token (another stack's OIDC key): the image is already out."""
    run = publish(registry=registry.host, repository="acme/sign-fails", tags="v1", visibility="private")
    line = assert_one_clear_error(run, "while signing the provenance", "GitHub's Sigstore instance")
    digest = run.outputs["digest"]
    assert f"{registry.host}/acme/sign-fails@{digest} is published" in line
    assert run.outputs["image"] == f"{registry.host}/acme/sign-fails"
    assert "attestation-url" not in run.outputs
    assert registry.tags("acme/sign-fails") == ["v1"]


def test_a_refused_referrer_push_is_not_blamed_on_the_credentials(publish, registry, release_server):
    from tests.stacks import proxy as proxy_stack

    with proxy_stack.serving(registry.url) as proxied:
        # the registry took the image (an earlier publish of the same commit: same digest, so this one sends no
        # manifest), then refuses the referrer manifest (pushed by digest)
        assert publish(registry=proxied.host, repository="acme/no-referrers", tags="v1", attest="false").code == 0
        proxied.faults.put(proxy_stack.Fault.status(403, method="PUT", path=r"/manifests/sha256:"))
        run = publish(registry=proxied.host, repository="acme/no-referrers", tags="v1")
    line = assert_one_clear_error(run, "while pushing the attestation to the registry", "push-attestation: false")
    assert "although the same credentials pushed the image" in line
    assert "lack push rights" not in line
    assert "/acme/hello-world/attestations/" in line  # stored with GitHub before the push
    assert run.outputs["digest"].startswith("sha256:")


def test_fork_pull_requests_and_ghes_skip_with_a_notice(publish, registry, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "pull_request": {
                    "number": 3,
                    "head": {"sha": "a" * 40, "repo": {"full_name": "someone/hello-world"}},
                    "base": {"repo": {"full_name": "acme/hello-world"}},
                }
            }
        )
    )
    fork = publish(
        registry=registry.host,
        repository="acme/fork",
        env={"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event), "GITHUB_REF": "refs/pull/3/merge"},
    )
    assert fork.code == 0, fork.stdout
    assert "forks" in fork.stdout and fork.outputs["attestation-url"] == ""
    ghes = publish(
        registry=registry.host, repository="acme/ghes", tags="v1", env={"GITHUB_SERVER_URL": "https://ghe.example.com"}
    )
    assert ghes.code == 0 and "Enterprise Server" in ghes.stdout


def test_an_sbom_attestation_failure_says_the_image_and_provenance_stand(publish, registry, release_server):
    """GitHub stores the provenance, then refuses the SBOM (4th request: POST provenance, GET the repository and
    POST the storage record come first): the error names both things already done, the outputs keep them."""
    release_server.store.stored.clear()
    release_server.store.faults[:] = [None, None, None, 403]
    run = publish(registry=registry.host, repository="acme/sbom-refused", tags="v1", attest="true")
    line = assert_one_clear_error(run, "attestations: write", "while storing the SBOM attestation")
    line = rendered(run.summary)  # the long form (the annotation's title is capped)
    digest = run.outputs["digest"]
    url = run.outputs["attestation-url"]
    assert url.startswith("https://github.com/acme/hello-world/attestations/")
    assert f"{registry.host}/acme/sbom-refused@{digest} is published and its provenance is stored ({url})" in line
    assert run.outputs["attestation-digest"] in line  # pushed as a referrer before the SBOM failed
    assert "sbom-attestation-url" not in run.outputs
    assert Path(run.outputs["sbom-path"]).is_file()
    (stored,) = release_server.store.stored
    assert json.loads(base64.b64decode(stored["body"]["bundle"]["dsseEnvelope"]["payload"]))["predicateType"] == (
        "https://slsa.dev/provenance/v1"
    )


def test_a_users_spdx_sbom_is_attested_as_is(publish, registry, release_server, user_sigstore, tmp_path):
    spdx = {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "hello",
        "dataLicense": "CC0-1.0",
        "documentNamespace": "https://example.com/hello",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: example"]},
    }
    path = tmp_path / "hello.spdx.json"
    path.write_text(json.dumps(spdx))
    release_server.store.stored.clear()
    run = publish(
        registry=registry.host, repository="acme/own-sbom", tags="v1", attest="true", **{"sbom-path": str(path)}
    )
    assert run.code == 0, run.stdout
    assert run.outputs["sbom-path"] == str(path)
    bundle = release_server.store.stored[1]["body"]["bundle"]
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["predicateType"] == "https://spdx.dev/Document/v2.3"
    assert statement["predicate"] == spdx
    index = registry.manifest("acme/own-sbom", "sha256-" + run.outputs["digest"][7:]).json()
    types = [m["annotations"]["dev.sigstore.bundle.predicateType"] for m in index["manifests"]]
    assert types == ["https://slsa.dev/provenance/v1", "https://spdx.dev/Document/v2.3"]


CDX_HEAD = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:0", '


@pytest.mark.parametrize(
    ("content", "why"),
    [
        pytest.param(b'{"hello": "world"}', "not an SPDX JSON document", id="neither-format"),
        # a lone UTF-16 surrogate: valid JSON text that no UTF-8 statement can carry
        pytest.param(CDX_HEAD + b'"components": [{"name": "a\\ud800"}]}', "lone UTF-16 surrogate", id="surrogate"),
        pytest.param(CDX_HEAD + b'"metadata": {"\\udc00": 1}}', "lone UTF-16 surrogate", id="surrogate-key"),
        pytest.param(CDX_HEAD + b'"version": NaN}', "NaN is not a JSON value", id="nan"),
        pytest.param(CDX_HEAD + b'"version": 1e400}', "beyond the range of a double", id="overflow"),
        pytest.param(CDX_HEAD + b'"name": "caf\xe9"}', "not UTF-8 text", id="latin-1"),
        pytest.param(b"\xef\xbb\xbf" + CDX_HEAD + b'"version": 1}', "not JSON", id="utf8-bom"),
        pytest.param(CDX_HEAD + b'"x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "more than 128 deep", id="deep"),
        pytest.param(b'{"bomFormat": "SPDX", "specVersion": "1.6", "serialNumber": "x"}', "CycloneDX", id="bomFormat"),
    ],
)
def test_a_bad_sbom_path_stops_before_anything_is_pushed(publish, registry, tmp_path, content: bytes, why: str):
    """Read whole and checked before the first push: one error, exit 1, no tag, no manifest, no attestation."""
    path = tmp_path / "not-an-sbom.json"
    path.write_bytes(content)
    repository = f"acme/bad-sbom-{hashlib.sha256(content).hexdigest()[:12]}"
    run = publish(registry=registry.host, repository=repository, tags="v1", attest="true", **{"sbom-path": str(path)})
    line = assert_one_clear_error(run, "is not an SBOM")
    assert why in line.replace("%0A", "\n")
    assert registry.tags(repository) == []
    assert "digest" not in run.outputs


# ------------------------------------------------------------------ same source, same digest: reuse with attestations


def rebuilt(built_python: Path, tmp_path: Path, name: str) -> Path:
    """Another build of the same source: other bytes (one more custom section), as componentize-py gives."""
    from wash_actions.component.sections import custom_section

    path = tmp_path / name / built_python.name
    path.parent.mkdir()
    path.write_bytes(built_python.read_bytes() + custom_section("rebuilt", name.encode()))
    return path


REUSE_KEY = "sha256:" + "5e" * 32


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
def test_reuses_a_digest_with_this_repositorys_verified_provenance(
    publish, registry, release_server, built_python, tmp_path, verifier
):
    """The reuse check goes through the one verifier: with the runner's gh, and with sigstore-python without one."""
    from tests.integration.test_setup_wash import VERIFIED_BY, path_for

    repo = f"acme/attested-reuse-{verifier}"
    first = publish(registry=registry.host, repository=repo, tags="v2.0.0", attest="true", **{"source-key": REUSE_KEY})
    assert first.code == 0, first.stdout + first.stderr
    stored = len(release_server.store.stored)
    again = publish(
        env={"PATH": path_for(verifier)},
        registry=registry.host,
        repository=repo,
        tags="v2.0.0,sha-2",
        attest="true",
        **{"source-key": REUSE_KEY, "component-path": str(rebuilt(built_python, tmp_path, "rerun"))},
    )
    assert again.code == 0, again.stdout + again.stderr
    assert again.outputs["reused"] == "true"
    assert again.outputs["digest"] == first.outputs["digest"]
    assert again.outputs["attestation-id"] == ""  # no new provenance for bytes this run did not build
    assert len(release_server.store.stored) == stored
    assert "Verified:" in again.stdout and "reused" in again.summary
    verified = next(line for line in again.stdout.splitlines() if "Verified:" in line)
    assert VERIFIED_BY[verifier] in verified, verified
    assert registry.manifest(repo, "sha-2").headers["Docker-Content-Digest"] == first.outputs["digest"]


def test_a_planted_digest_without_provenance_is_rebuilt(publish, registry, built_python, tmp_path):
    from tests.integration.test_reuse import plant
    from wash_actions.reuse import source_key

    repo = "acme/attested-planted"
    planted = plant(
        registry, repo, rebuilt(built_python, tmp_path, "planted"), REUSE_KEY, source_key.tag_for(REUSE_KEY)
    )
    run = publish(registry=registry.host, repository=repo, tags="v1", attest="true", **{"source-key": REUSE_KEY})
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["reused"] == "false"
    assert run.outputs["digest"] != planted and run.outputs["attestation-id"]
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "has no provenance" in warnings[0], warnings
    tag = registry.manifest(repo, source_key.tag_for(REUSE_KEY))
    assert tag.headers["Docker-Content-Digest"] == run.outputs["digest"]  # the index names the attested build now


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
def test_provenance_from_another_repository_is_not_reused(publish, registry, built_python, tmp_path, verifier):
    from tests.integration.test_setup_wash import path_for

    repo = f"acme/attested-elsewhere-{verifier}"
    first = publish(registry=registry.host, repository=repo, tags="a", attest="true", **{"source-key": REUSE_KEY})
    assert first.code == 0, first.stdout + first.stderr
    # the same registry repository published from another GitHub repository (a fork's workflow signs as the fork)
    other = publish(
        env={"GITHUB_REPOSITORY": "fork/hello-world", "PATH": path_for(verifier)},
        registry=registry.host,
        repository=repo,
        tags="b",
        attest="true",
        **{"source-key": REUSE_KEY, "component-path": str(rebuilt(built_python, tmp_path, "fork"))},
    )
    assert other.outputs.get("reused") == "false", other.stdout
    warnings = [line for line in other.stdout.splitlines() if line.startswith("::warning")]
    assert any("provenance was refused" in w and "fork/hello-world" in w for w in warnings), warnings
    assert other.outputs["digest"] != first.outputs["digest"]


# wash-actions' reusable workflow (uses: wash-actions/wash-actions/.github/workflows/wasm-component.yml@v1): its
# jobs' tokens carry job_workflow_ref = the called workflow, repository = the caller (GitHub's OIDC claims; Fulcio
# puts the first in the Build Signer URI and the SAN, the second in the Source Repository URI)
ACTIONS = "wash-actions/wash-actions"
CALLED = f"{ACTIONS}/.github/workflows/wasm-component.yml@refs/tags/v1"


def published_by(publish, registry, user_sigstore, monkeypatch, repo: str, claims: dict[str, object]) -> str:
    """A digest published for REUSE_KEY whose SLSA provenance was signed as a run with ``claims`` (the local
    Sigstore stack mints the token): publish pushes it and records the key (attest: false), the provenance is signed
    and pushed as its referrer as publish does. Returns the digest."""
    from tests.integration.test_verify import attach
    from wash_actions.oci import registry as oci

    first = publish(registry=registry.host, repository=repo, tags="v1", attest="false", **{"source-key": REUSE_KEY})
    assert first.code == 0, first.stdout + first.stderr
    client = oci.Registry(registry.host, insecure=True)
    attach(client, repo, client.get_manifest(repo, first.outputs["digest"]), user_sigstore, monkeypatch, claims=claims)
    return first.outputs["digest"]


def publish_again(publish, registry, verifier: str, action_repository: str, repo: str, tags: str, component: Path):
    """publish, attest on, of a rebuilt component under REUSE_KEY, from the step of ``action_repository`` (what the
    composite maps from github.action_repository), verifying with ``verifier`` (gh or sigstore-python)."""
    from tests.integration.test_setup_wash import path_for

    return publish(
        env={"PATH": path_for(verifier), "WASHACTIONS_ACTION_REPOSITORY": action_repository},
        registry=registry.host,
        repository=repo,
        tags=tags,
        attest="true",
        **{"source-key": REUSE_KEY, "component-path": str(component)},
    )


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
def test_reuses_what_the_reusable_workflow_published_for_this_repository(
    publish, registry, release_server, user_sigstore, monkeypatch, built_python, tmp_path, verifier
):
    """The reusable workflow signs as itself, for the caller: reused when this step runs from that wash-actions
    repository (the composite maps github.action_repository), through the runner's gh and through sigstore-python."""
    from tests.integration.test_setup_wash import VERIFIED_BY

    repo = f"acme/reusable-reuse-{verifier}"
    claims = {"repository": "acme/hello-world", "job_workflow_ref": CALLED}
    digest = published_by(publish, registry, user_sigstore, monkeypatch, repo, claims)
    stored = len(release_server.store.stored)
    component = rebuilt(built_python, tmp_path, "called")
    again = publish_again(publish, registry, verifier, ACTIONS, repo, "v1,sha-2", component)
    assert again.code == 0, again.stdout + again.stderr
    assert again.outputs["reused"] == "true" and again.outputs["digest"] == digest
    assert again.outputs["attestation-id"] == ""  # no new provenance for bytes this run did not build
    # published_by attached provenance only: publish (sbom auto) attests the SBOM the digest lacks, nothing else
    assert [predicate_type(record) for record in release_server.store.stored[stored:]] == [CYCLONEDX]
    verified = next(line for line in again.stdout.splitlines() if "Verified:" in line)
    assert VERIFIED_BY[verifier] in verified and f"signed by https://github.com/{CALLED}" in verified, verified
    assert "run of acme/hello-world" in verified, verified
    assert not [line for line in again.stdout.splitlines() if line.startswith("::warning")]
    assert registry.manifest(repo, "sha-2").headers["Docker-Content-Digest"] == digest


CYCLONEDX = "https://cyclonedx.org/bom"


def predicate_type(record: dict) -> str:
    """The predicate type of an attestation GitHub's attestations API stored (its bundle's DSSE payload)."""
    return json.loads(base64.b64decode(record["body"]["bundle"]["dsseEnvelope"]["payload"]))["predicateType"]


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
def test_a_reused_digest_without_an_sbom_attestation_gets_one_of_its_published_bytes(
    publish, registry, release_server, user_sigstore, built_python, tmp_path, verifier
):
    """A source published with sbom: false, published again with sbom on (the default): the digest is reused and
    its SBOM attested now, of the bytes in the registry (pulled), not of this run's rebuild; the next publish finds
    that SBOM attestation (verified) and attests nothing."""
    from tests.integration.test_verify import oracle

    repo = f"acme/sbom-completed-{verifier}"
    first = publish(
        registry=registry.host, repository=repo, tags="v1", attest="true", sbom="false", **{"source-key": REUSE_KEY}
    )
    assert first.code == 0, first.stdout + first.stderr
    digest, stored = first.outputs["digest"], len(release_server.store.stored)
    component = rebuilt(built_python, tmp_path, "sbom-later")
    again = publish_again(publish, registry, verifier, "", repo, "v1,v1.1", component)
    assert again.code == 0, again.stdout + again.stderr
    assert again.outputs["reused"] == "true" and again.outputs["digest"] == digest
    assert again.outputs["attestation-id"] == ""  # the provenance stands: none is made for it again
    assert again.outputs["sbom-attestation-id"] and again.outputs["sbom-attestation-digest"].startswith("sha256:")
    assert [predicate_type(record) for record in release_server.store.stored[stored:]] == [CYCLONEDX]
    document = json.loads(Path(again.outputs["sbom-path"]).read_text())
    published = hashlib.sha256(built_python.read_bytes()).hexdigest()  # what the first run pushed
    assert document["metadata"]["component"]["hashes"] == [{"alg": "SHA-256", "content": published}]
    assert "has no verified SBOM attestation (https://cyclonedx.org/bom) from a workflow of" in again.stdout
    assert registry.manifest(repo, "v1.1").headers["Docker-Content-Digest"] == digest
    # gh alone agrees: the registry holds an SBOM attestation of the digest from this repository
    flags = ["--repo", "acme/hello-world", "--predicate-type", CYCLONEDX]
    assert oracle(f"{registry.host}/{repo}@{digest}", user_sigstore.trust_config_path, tmp_path, *flags)

    third = publish_again(publish, registry, verifier, "", repo, "v1", rebuilt(built_python, tmp_path, "third"))
    assert third.code == 0, third.stdout + third.stderr
    assert third.outputs["reused"] == "true" and third.outputs["sbom-attestation-id"] == ""
    assert len(release_server.store.stored) == stored + 1
    assert sum("Verified:" in line for line in third.stdout.splitlines()) == 2  # the provenance, then the SBOM


def test_a_reused_digest_whose_bytes_cannot_be_pulled_moves_no_tag(
    publish, registry, built_python, tmp_path, monkeypatch
):
    """Its SBOM attestation is missing and its bytes cannot be had for one: one clear error, no new tag."""
    from wash_actions.reuse import published

    repo = "acme/sbom-unpulled"
    first = publish(
        registry=registry.host, repository=repo, tags="v1", attest="true", sbom="false", **{"source-key": REUSE_KEY}
    )
    assert first.code == 0, first.stdout + first.stderr
    monkeypatch.setattr(published, "pull_layer", lambda client, repository, hit: "could not pull it: 503")
    again = publish_again(publish, registry, "gh", "", repo, "v1,v2", rebuilt(built_python, tmp_path, "unpulled"))
    line = assert_one_clear_error(again, "Could not attest the SBOM of", "could not pull it: 503", "reuse: false")
    assert "No tag was moved" in line
    assert registry.manifest(repo, "v2").status_code == 404


def test_a_rerun_attests_the_sbom_a_failed_run_could_not(publish, registry, release_server):
    """The SBOM attestation failed after the provenance was stored; the error says to re-run the job, and the re-run
    (same source: the digest is reused) attests the SBOM before it moves the new tag."""
    repo = "acme/sbom-rerun"
    release_server.store.stored.clear()
    release_server.store.faults[:] = [None, None, None, 403]  # the provenance, the repository, its record; the SBOM
    first = publish(registry=registry.host, repository=repo, tags="v1", attest="true", **{"source-key": REUSE_KEY})
    line = assert_one_clear_error(first, "while storing the SBOM attestation", "re-run the job to attest the SBOM")
    assert [predicate_type(record) for record in release_server.store.stored] == ["https://slsa.dev/provenance/v1"]
    rerun = publish(registry=registry.host, repository=repo, tags="v1", attest="true", **{"source-key": REUSE_KEY})
    assert rerun.code == 0, rerun.stdout + rerun.stderr + line
    assert rerun.outputs["reused"] == "true" and rerun.outputs["digest"] == first.outputs["digest"]
    assert rerun.outputs["sbom-attestation-url"].startswith("https://github.com/acme/hello-world/attestations/")
    assert [predicate_type(record) for record in release_server.store.stored] == [
        "https://slsa.dev/provenance/v1",
        CYCLONEDX,
    ]


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
@pytest.mark.parametrize(
    ("case", "claims", "action_repository", "why"),
    [
        pytest.param(
            "fork",
            {"repository": "fork/hello-world", "job_workflow_ref": CALLED},
            ACTIONS,
            "source repository is https://github.com/fork/hello-world",
            id="called-from-a-fork",
        ),
        pytest.param(
            "other-file",
            {
                "repository": "acme/hello-world",
                "job_workflow_ref": f"{ACTIONS}/.github/workflows/release.yml@refs/tags/v1",
            },
            ACTIONS,
            f"https://github.com/{ACTIONS}/.github/workflows/release.yml@refs/tags/v1 is not",
            id="another-wash-actions-workflow",
        ),
        pytest.param(
            "other-repo",
            {"repository": "acme/hello-world", "job_workflow_ref": CALLED.replace(ACTIONS, "mallory/wash-actions")},
            ACTIONS,
            "mallory/wash-actions/.github/workflows/wasm-component.yml@refs/tags/v1 is not",
            id="another-repositorys-reusable-workflow",
        ),
        pytest.param(
            "not-this-actions",
            {"repository": "acme/hello-world", "job_workflow_ref": CALLED},
            "mallory/wash-actions",
            f"https://github.com/{CALLED} is not",
            id="signed-by-a-wash-actions-this-step-does-not-run-from",
        ),
        pytest.param(
            "no-actions",
            {"repository": "acme/hello-world", "job_workflow_ref": CALLED},
            "",
            f"https://github.com/{CALLED} is not a workflow of acme/hello-world",
            id="no-action-repository",
        ),
    ],
)
def test_the_reusable_workflows_provenance_counts_only_for_this_repository(
    publish,
    registry,
    user_sigstore,
    monkeypatch,
    built_python,
    tmp_path,
    verifier,
    case,
    claims,
    action_repository,
    why,
):
    """Each variant is refused by both verifiers: rebuilt and published, with one warning that names why."""
    repo = f"acme/reusable-refused-{case}-{verifier}"
    digest = published_by(publish, registry, user_sigstore, monkeypatch, repo, claims)
    component = rebuilt(built_python, tmp_path, case)
    run = publish_again(publish, registry, verifier, action_repository, repo, "v2", component)
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["reused"] == "false" and run.outputs["digest"] != digest and run.outputs["attestation-id"]
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "provenance was refused" in warnings[0], warnings
    assert why in warnings[0], warnings[0]


@pytest.mark.parametrize("verifier", ["gh", "sigstore"])
def test_build_pulls_what_the_reusable_workflow_published_for_this_repository(
    monkeypatch, capfd, tmp_path, registry, release_server, user_sigstore, github_sigstore, wash_binary, verifier
):
    """The reusable workflow's first step that reuses is build (reuse-from, attest on): it pulls the digest the
    reusable workflow published and attested for this repository instead of building, and builds when the step does
    not run from that wash-actions repository."""
    from tests.conftest import committed_example
    from tests.helpers import run_git
    from tests.integration.test_setup_wash import VERIFIED_BY, path_for
    from tests.integration.test_verify import attach
    from wash_actions.oci import registry as oci

    workspace = committed_example("hello-python", tmp_path / "ws")
    repo = f"acme/reusable-build-{verifier}"
    tools = tmp_path / "tools"  # componentize-py without the gh beside it (the interpreter's directory holds both)
    tools.mkdir()
    (tools / "componentize-py").symlink_to(Path(sys.executable).parent / "componentize-py")
    job = {
        **user_sigstore.github_env(),
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG": str(github_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
        "GITHUB_EVENT_PATH": str(event_file(tmp_path / "event.json", "public")),
        "GITHUB_SHA": run_git(workspace, "rev-parse", "HEAD"),
        "PATH": path_for(verifier) + os.pathsep + str(tools),
    }
    build_inputs = {
        "wash-path": str(wash_binary),
        "skip-fetch": "true",
        "working-directory": "hello-python",
        "reuse-from": f"{registry.host}/{repo}",
        "insecure": "true",
        "attest": "true",
    }

    def step(runner: str, command: str, inputs: dict[str, str], actions: str = ACTIONS):
        env = {**job, "WASHACTIONS_ACTION_REPOSITORY": actions}
        return run_command(
            command,
            inputs,
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / runner,
            workspace=workspace,
            env=env,
        )

    first = step("runner1", "build", build_inputs)
    assert first.code == 0, first.stdout
    assert first.outputs["reused"] == "false"
    published = step(
        "runner1",
        "publish",
        {
            "component-path": first.outputs["component-path"],
            "registry": registry.host,
            "repository": repo,
            "insecure": "true",
            "attest": "false",
            "tags": "one",
        },
    )
    assert published.code == 0, published.stdout
    digest = published.outputs["digest"]
    client = oci.Registry(registry.host, insecure=True)
    claims = {"repository": "acme/hello-world", "job_workflow_ref": CALLED}
    attach(client, repo, client.get_manifest(repo, digest), user_sigstore, monkeypatch, claims=claims)
    monkeypatch.setenv("WASHACTIONS_SIGSTORE_TRUST_CONFIG", str(user_sigstore.trust_config_path))

    shutil.rmtree(workspace / "hello-python" / "build")
    again = step("runner2", "build", build_inputs)
    assert again.code == 0, again.stdout
    assert again.outputs["reused"] == "true", again.stdout
    layer = registry.manifest(repo, digest).json()["layers"][0]["digest"]
    assert "sha256:" + hashlib.sha256(Path(again.outputs["component-path"]).read_bytes()).hexdigest() == layer
    verified = next(line for line in again.stdout.splitlines() if "Verified:" in line)
    assert VERIFIED_BY[verifier] in verified and f"signed by https://github.com/{CALLED}" in verified, verified

    shutil.rmtree(workspace / "hello-python" / "build")
    elsewhere = step("runner3", "build", build_inputs, actions="")
    assert elsewhere.code == 0, elsewhere.stdout
    assert elsewhere.outputs["reused"] == "false"
    warnings = [line for line in elsewhere.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and f"https://github.com/{CALLED} is not" in warnings[0], warnings


def test_a_manifest_whose_annotation_lies_is_not_reused_with_copied_provenance(
    publish, registry, built_python, tmp_path
):
    """A registry writer copies an attested manifest, changes its source-key annotation to another key (the bytes
    stay those of another source), tags it as that key's build and copies the attestation's referrers beside it.
    The provenance names the original digest, not the copy's: refused, rebuilt, one warning."""
    from tests.integration.test_reuse import KEY, OTHER_KEY
    from wash_actions.oci import registry as oci
    from wash_actions.reuse import source_key

    repo = "acme/attested-lying"
    first = publish(registry=registry.host, repository=repo, tags="a", attest="true", **{"source-key": OTHER_KEY})
    assert first.code == 0, first.stdout + first.stderr
    original = first.outputs["digest"]
    client = oci.Registry(registry.host, insecure=True)
    data = json.loads(client.get_manifest(repo, original).body)
    data["annotations"][source_key.ANNOTATION] = KEY  # the lie: "this is the build of KEY"
    body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    forged = oci.Manifest(body, data["mediaType"], oci.digest_of(body))
    client.push_manifest(repo, forged.digest, forged)
    client.push_manifest(repo, source_key.tag_for(KEY), forged)
    index = client.get_manifest(repo, "sha256-" + original[7:])  # docker-registry 2.8: the referrers tag fallback
    client.push_manifest(repo, "sha256-" + forged.digest[7:], index)

    run = publish(
        registry=registry.host,
        repository=repo,
        tags="b",
        attest="true",
        **{"source-key": KEY, "component-path": str(rebuilt(built_python, tmp_path, "honest"))},
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["reused"] == "false"
    assert run.outputs["digest"] not in (forged.digest, original)
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1 and "provenance was refused" in warnings[0], warnings
