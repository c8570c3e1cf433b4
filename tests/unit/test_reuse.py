"""reuse.check_manifest: which manifests under a source key's tag may be reused; reuse.signer_policy: whose
provenance makes a digest reusable (plain values, no registry)."""

from __future__ import annotations

import json

import pytest

from wash_actions.oci.layout import CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE
from wash_actions.oci.registry import Manifest, digest_of
from wash_actions.reuse import published, source_key
from wash_actions.trust.policy import ISSUER, SignerIdentity, identity_problem

KEY = "sha256:" + "12" * 32


def manifest(*, key: str = KEY, media_type: str = MANIFEST_MEDIA_TYPE, **changes: object) -> Manifest:
    data: dict[str, object] = {
        "annotations": {source_key.ANNOTATION: key, "org.opencontainers.image.revision": "abc123"},
        "config": {"digest": "sha256:" + "c" * 64, "mediaType": CONFIG_MEDIA_TYPE, "size": 10},
        "layers": [{"digest": "sha256:" + "d" * 64, "mediaType": LAYER_MEDIA_TYPE, "size": 1234}],
        "mediaType": MANIFEST_MEDIA_TYPE,
        "schemaVersion": 2,
    }
    data.update(changes)
    body = json.dumps(data).encode()
    return Manifest(body, media_type, digest_of(body))


def test_a_component_manifest_that_records_the_key_is_a_hit() -> None:
    hit = published.check_manifest(manifest(), KEY)
    assert isinstance(hit, published.Hit)
    assert hit.layer_digest == "sha256:" + "d" * 64 and hit.layer_size == 1234
    assert hit.commit == "abc123"


@pytest.mark.parametrize(
    ("found", "why"),
    [
        pytest.param(manifest(key="sha256:" + "34" * 32), "records the source key", id="another-key"),
        pytest.param(manifest(key=KEY[:-1] + "3"), "records the source key", id="same-tag-prefix-other-key"),
        pytest.param(manifest(annotations={}), "records the source key", id="no-key"),
        pytest.param(manifest(media_type="application/vnd.oci.image.index.v1+json"), "not an OCI image", id="index"),
        pytest.param(manifest(layers=[]), "exactly one layer", id="no-layer"),
        pytest.param(
            manifest(layers=[{"digest": "sha256:" + "d" * 64, "mediaType": "application/tar", "size": 1}]),
            "application/wasm",
            id="not-wasm",
        ),
        pytest.param(manifest(config={"mediaType": "application/json"}), "config", id="not-a-component-config"),
    ],
)
def test_anything_else_is_refused_with_a_reason(found: Manifest, why: str) -> None:
    result = published.check_manifest(found, KEY)
    assert isinstance(result, str) and why in result


def test_a_manifest_that_is_not_json_is_refused() -> None:
    assert "not JSON" in str(published.check_manifest(Manifest(b"{", MANIFEST_MEDIA_TYPE, digest_of(b"{")), KEY))


# ------------------------------------------------------------------ whose provenance makes a digest reusable

GH = "https://github.com/"
THIS = "acme/hello-world"
ACTIONS = "wash-actions/wash-actions"  # the wash-actions repository the step runs from (github.action_repository)
CALLED = f"{ACTIONS}/.github/workflows/wasm-component.yml@refs/tags/v1"


def run_of(build_signer: str, source: str = THIS, owner: str = "") -> SignerIdentity:
    """Fulcio's identity of a run of ``source`` whose job ran the workflow ``build_signer`` (job_workflow_ref)."""
    uri = GH + build_signer
    return SignerIdentity(
        sans=(uri,),
        issuer=ISSUER,
        build_signer=uri,
        source_repository=GH + source,
        source_ref="refs/heads/main",
        owner=GH + (owner or source.split("/")[0]),
    )


@pytest.mark.parametrize(
    ("identity", "problem"),
    [
        pytest.param(run_of(f"{THIS}/.github/workflows/component.yml@refs/heads/main"), "", id="this-repository"),
        pytest.param(run_of(f"{THIS}/.github/workflows/release.yml@refs/tags/v2"), "", id="this-repository-other-file"),
        pytest.param(run_of(CALLED), "", id="reusable-workflow-called-from-here"),
        pytest.param(
            run_of(f"{ACTIONS}/.github/workflows/wasm-component.yml@refs/heads/feature/x"), "", id="reusable-any-ref"
        ),
        pytest.param(run_of(CALLED.replace(ACTIONS, "Wash-Actions/WASH-actions")), "", id="repository-names-any-case"),
        pytest.param(run_of(CALLED, source="fork/hello-world"), "source repository is", id="called-from-a-fork"),
        pytest.param(run_of(CALLED, source="mallory/other"), "source repository is", id="called-from-another-repo"),
        pytest.param(run_of(CALLED, owner="mallory"), "owner is", id="another-owner"),
        pytest.param(
            run_of(f"{ACTIONS}/.github/workflows/release.yml@refs/heads/main"),
            "is not a workflow of acme/hello-world or wash-actions/wash-actions/.github/workflows/wasm-component.yml",
            id="another-wash-actions-workflow",
        ),
        pytest.param(
            run_of(CALLED.replace("wasm-component.yml", "Wasm-Component.yml")), "is not", id="file-paths-exact"
        ),
        pytest.param(
            run_of(CALLED.replace("wasm-component.yml", "wasm-component.yaml")), "is not", id="another-extension"
        ),
        pytest.param(
            run_of("mallory/wash-actions/.github/workflows/wasm-component.yml@refs/tags/v1"),
            "is not",
            id="another-repositorys-reusable-workflow",
        ),
        pytest.param(
            run_of(f"{ACTIONS}-fork/.github/workflows/wasm-component.yml@refs/tags/v1"), "is not", id="prefix-repo"
        ),
        pytest.param(run_of(f"{ACTIONS}/.github/workflows/wasm-component.yml"), "is not", id="no-ref"),
    ],
)
def test_whose_provenance_makes_a_digest_reusable(identity: SignerIdentity, problem: str) -> None:
    """This repository's workflows, and wash-actions' reusable workflow of the repository the step runs from, called
    from this repository: nothing else of wash-actions, no other repository's reusable workflow, no fork as source."""
    policy = published.signer_policy(THIS, "https://github.com", ACTIONS)
    found = identity_problem(identity, policy)
    assert (found == "") if not problem else (problem in found), found


def test_without_the_action_repository_only_this_repositorys_workflows_sign() -> None:
    """Run outside a composite that maps github.action_repository (or from a local ./ path, where the runner gives
    none): the reusable workflow's provenance is not accepted, this repository's still is."""
    for given in ("", "not a repository", "a/b/c", "../x"):
        policy = published.signer_policy(THIS, "", given)
        assert policy.reusable_workflows == () and policy.server_url == "https://github.com"
        assert "is not a workflow of acme/hello-world" in identity_problem(run_of(CALLED), policy)
        assert identity_problem(run_of(f"{THIS}/.github/workflows/component.yml@refs/heads/main"), policy) == ""


def test_the_policy_says_which_signers_count() -> None:
    policy = published.signer_policy(THIS, "https://github.com", ACTIONS)
    assert policy.reusable_workflows == (f"{ACTIONS}/.github/workflows/wasm-component.yml",)
    assert policy.describe() == (
        f"a workflow of {THIS} or {ACTIONS}/.github/workflows/wasm-component.yml called from it"
    )
    assert published.signer_policy(THIS, "https://github.com").describe() == f"a workflow of {THIS}"
