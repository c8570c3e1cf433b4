"""publish attests under act, as a user's workflow with id-token: write would on GitHub."""

from __future__ import annotations

import base64
import json
import shutil

import pytest

from tests.act import steps
from tests.conftest import USER_IDENTITY

pytestmark = pytest.mark.act


def workflow(release_server, registry, built_python, repository: str) -> str:
    return f"""
on: push
permissions:
  contents: read
  packages: write
  id-token: write
  attestations: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url)}
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {built_python}
          registry: {registry.host}
          repository: {repository}
          tags: v1
          insecure: true
          attest: true
"""


def push_event(visibility: str) -> dict[str, object]:
    """A push event payload with the repository object GitHub sends (visibility: public, private, internal)."""
    return {
        "ref": "refs/heads/main",
        "repository": {"full_name": "acme/hello-world", "visibility": visibility, "private": visibility != "public"},
    }


def test_publish_signs_stores_and_pushes_the_attestation(
    act, release_server, registry, user_sigstore, built_python, tmp_path
):
    workflow_text = workflow(release_server, registry, built_python, "acme/attested-act")
    release_server.store.stored.clear()
    env = {
        **{k: v for k, v in user_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    result = act.run(workflow_text, env=env, name="attest", payload=push_event("public"))
    assert result.returncode == 0, result.log[-4000:]
    publish = result.outputs("publish")
    digest = publish["digest"]
    assert publish["bundle-path"].endswith(f"attestation-sha256-{digest[7:]}.sigstore.json")
    stored, _sbom = release_server.store.stored  # RUNNER_TEMP is gone after the job; GitHub got the bundles
    bundle = stored["body"]["bundle"]
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(json.dumps(bundle))
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["subject"][0] == {"name": f"{registry.host}/acme/attested-act", "digest": {"sha256": digest[7:]}}
    assert publish["attestation-url"].endswith("/acme/hello-world/attestations/1")
    index = registry.manifest("acme/attested-act", "sha256-" + digest[7:]).json()
    expected = [publish["attestation-digest"], publish["sbom-attestation-digest"]]
    assert [m["digest"] for m in index["manifests"]] == expected
    check = user_sigstore.verify_with_node(bundle_path, None, USER_IDENTITY, user_sigstore.issuer)
    assert check.returncode == 0, check.stderr
    assert "Installing sigstore" in result.log  # only the signing step installs it, on first use


def test_a_private_repository_is_attested_with_githubs_instance(
    act, release_server, registry, github_sigstore, built_python, tmp_path
):
    """No public transparency log: Fulcio + timestamp authority, verified against a trust root without tlogs."""
    release_server.store.stored.clear()
    env = {
        **{k: v for k, v in github_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_GITHUB_SIGNING_TRUST_CONFIG": str(github_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    text = workflow(release_server, registry, built_python, "acme/private-act")
    result = act.run(text, env=env, name="attest-private", payload=push_event("private"))
    assert result.returncode == 0, result.log[-4000:]
    publish = result.outputs("publish")
    stored, _sbom = release_server.store.stored
    bundle = stored["body"]["bundle"]
    assert bundle["verificationMaterial"]["tlogEntries"] == []
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(json.dumps(bundle))
    check = github_sigstore.verify_with_node(bundle_path, None, USER_IDENTITY, github_sigstore.issuer)
    assert check.returncode == 0, check.stderr
    assert publish["attestation-digest"]


def test_a_fresh_runner_restores_sigstore_from_actions_cache(
    act, release_server, registry, user_sigstore, built_python, tmp_path
):
    """The first job downloads sigstore's wheels and saves them; a fresh runner (empty tool cache) restores
    them with actions/cache, checks each against requirements/sigstore.txt and signs without pip."""
    workflow = f"""
on: push
permissions:
  id-token: write
  attestations: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url)}
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {built_python}
          registry: {registry.host}
          repository: acme/attested-cache
          tags: v1
          insecure: true
"""
    env = {
        **{k: v for k, v in user_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    runner, store = tmp_path / "runner", tmp_path / "actions-cache"
    first = act.run(
        workflow, env=env, cache=runner, cache_store=store, name="sigstore-cache-first", payload=push_event("public")
    )
    assert first.returncode == 0, first.log[-4000:]
    assert first.outputs("publish")["attestation-id"]  # attest: auto signed, with id-token: write
    assert "Installing sigstore" in first.log
    assert "Cache saved with key: wash-actions-sigstore-" in first.log

    for leftover in (runner / "tool_cache" / "wash-actions").glob("sigstore-*"):
        shutil.rmtree(leftover)  # a fresh hosted runner: nothing of sigstore on disk
    second = act.run(
        workflow, env=env, cache=runner, cache_store=store, name="sigstore-cache-second", payload=push_event("public")
    )
    assert second.returncode == 0, second.log[-4000:]
    assert second.outputs("publish")["attestation-id"]
    assert "Cache restored from key: wash-actions-sigstore-" in second.log
    assert "Installing sigstore" not in second.log  # no pip: the restored wheels were checked and unpacked


def test_publish_without_signing_restores_nothing(act, release_server, registry, built_python):
    workflow = f"""
on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
{steps.setup_wash(release_server.url)}
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {built_python}
          registry: {registry.host}
          repository: acme/unattested
          tags: v1
          insecure: true
"""
    result = act.run(workflow, name="sigstore-cache-unsigned")  # no id-token: attest auto does not sign
    assert result.returncode == 0, result.log[-4000:]
    assert "wash-actions-sigstore-" not in result.log
    assert "Installing sigstore" not in result.log
