"""The deploy half under act, as users write it: a release job publishes and attests, a deploy job verifies the
image and every component image of the workload manifests, then promote opens a pull request pinning the digest.

The checkout's origin (``https://github.com/acme/hello-world.git``, as act sets it) is redirected to a local bare
repository by the machine's git configuration (``url.<bare>.insteadOf`` in act's HOME), and GitHub's pulls API is
the stand-in of tests/stacks/pulls.py (promote's github-api-url, as on GHES); the rest is what a user writes."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.stacks import pulls

pytestmark = pytest.mark.act


def workflow(registry_host: str, built_python: str, pulls_api: str) -> str:
    return f"""
on: push
permissions:
  contents: write
  packages: write
  id-token: write
  attestations: write
  pull-requests: write
jobs:
  release:
    runs-on: ubuntu-latest
    outputs:
      image-ref: ${{{{ steps.publish.outputs.image-ref }}}}
    steps:
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: {built_python}
          registry: {registry_host}
          repository: acme/deploy-act
          tags: v1
          insecure: true
          attest: true
  deploy:
    needs: release
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
      - id: verify
        uses: acme/wash-actions/actions/verify@v1
        with:
          images: ${{{{ needs.release.outputs.image-ref }}}}
          manifests: deploy/
          signer-workflow: .github/workflows/component.yml
          source-ref: refs/heads/main
          insecure: true
          github-api: false
      - id: promote
        uses: acme/wash-actions/actions/promote@v1
        with:
          manifests: deploy/
          images: ${{{{ steps.verify.outputs.pinned }}}}
          mode: pull-request
          github-api-url: {pulls_api}
"""


def test_release_then_verify_then_promote(act, registry, user_sigstore, release_server, built_python, tmp_path):
    project = tmp_path / "project"
    (project / "deploy").mkdir(parents=True)
    (project / "deploy" / "app.yaml").write_text(
        "# the storefront\napiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: WorkloadDeployment\n"
        "metadata:\n  name: app\nspec:\n  replicas: 1\n  template:\n    spec:\n      components:\n"
        f"        - name: app\n          image: {registry.host}/acme/deploy-act:v1  # pinned by promote\n"
    )
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(remote)], check=True)
    home_config = act.base / "home" / ".gitconfig"
    home_config.parent.mkdir(parents=True, exist_ok=True)
    previous = home_config.read_text() if home_config.exists() else None
    home_config.write_text(f'[url "{remote}"]\n\tinsteadOf = https://github.com/acme/hello-world.git\n')
    store = pulls.PullStore("acme/hello-world", remote, "https://github.com")
    env = {
        **{k: v for k, v in user_sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
        "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(user_sigstore.trust_config_path),
        "GITHUB_API_URL": release_server.url,
    }
    payload = {"ref": "refs/heads/main", "repository": {"full_name": "acme/hello-world", "visibility": "public"}}
    try:
        with pulls.serving(store) as api:
            result = act.run(
                workflow(registry.host, str(built_python), api.url),
                project=project,
                env=env,
                secrets={"GITHUB_TOKEN": "ghs_act_deploy"},
                payload=payload,
                name="deploy",
                gh=True,
                prepare=lambda repo: subprocess.run(
                    ["git", "push", "-q", str(remote), "HEAD:refs/heads/main"], cwd=repo, check=True
                ),
            )
    finally:
        if previous is None:
            home_config.unlink()
        else:
            home_config.write_text(previous)
    assert result.returncode == 0, result.log[-6000:]
    digest = result.outputs("publish", "release")["digest"]
    verified = json.loads(result.outputs("verify", "deploy")["verified"])
    assert [v["digest"] for v in verified] == [digest, digest]  # publish's image-ref and the manifest's tag v1
    assert [v["reference"] for v in verified] == [
        f"{registry.host}/acme/deploy-act@{digest}",
        f"{registry.host}/acme/deploy-act:v1",
    ]
    assert verified[0]["signer-workflow"] == ".github/workflows/component.yml" and verified[0]["verifier"] == "gh"
    promote = result.outputs("promote", "deploy")
    assert promote["pull-request-operation"] == "created"
    branch = subprocess.run(
        ["git", "--git-dir", str(remote), "show", "refs/heads/wash-actions/promote:deploy/app.yaml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"image: {registry.host}/acme/deploy-act:v1@{digest}  # pinned by promote\n" in branch
    assert store.pulls and store.pulls[0]["head_ref"] == "wash-actions/promote"
    assert store.authorization and all(auth == "Bearer ghs_act_deploy" for auth in store.authorization)
