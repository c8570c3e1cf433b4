"""The root action (the Marketplace listing) through act: setup-wash → build → publish in one step,
written as a user writes it: ``uses: acme/wash-actions@v1``."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import EXAMPLES, WASH_VERSION

pytestmark = pytest.mark.act


def workflow(release_url: str, registry_host: str, **extra: str) -> str:
    more = "".join(f"\n          {key}: {value}" for key, value in extra.items())
    return f"""
on: push
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
        with:
          persist-credentials: false
      - id: pipeline
        uses: acme/wash-actions@v1
        with:
          wash-version: {WASH_VERSION}
          github-api-url: {release_url}
          skip-fetch: true
          registry: {registry_host}
          repository: acme/pipeline
          insecure: true{more}
      - id: after
        shell: bash
        run: wash --version
"""


def test_root_action_installs_verified_wash_builds_and_publishes_one_digest(
    act, release_server, registry, sigstore, tmp_path
):
    result = act.run(
        workflow(release_server.url, registry.host, tags="v1.0.0,latest", verify="true"),
        project=EXAMPLES / "hello-python",
        env={"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)},
        cache=tmp_path / "runner",  # a fresh runner: wash is downloaded and verified, not taken from the tool cache
        cache_store=tmp_path / "actions-cache",
        name="root-action",
    )
    assert result.returncode == 0, result.log[-4000:]
    out = result.outputs("pipeline")

    # setup-wash: verified against the release's provenance, on PATH for later steps
    assert out["wash-version"] == WASH_VERSION
    assert out["wash-path"].endswith(f"/wash/{WASH_VERSION}/x64/wash")
    assert out["cache-hit"] == "false"
    assert "Verified wash 2.10.3" in result.log
    assert f"wash {WASH_VERSION}" in result.log  # the `after` step found it on PATH

    # build: its component-path went to publish, its sha256 is the pushed layer's
    assert out["component-path"].endswith("/build/hello-python.wasm")
    assert out["component_path"] == out["component-path"]
    assert out["component-path-relative"] == "build/hello-python.wasm"
    assert "export greet: func(name: string) -> string;" in out["wit"]

    digest = out["digest"]
    assert digest.startswith("sha256:")
    assert out["image"] == f"{registry.host}/acme/pipeline"
    assert out["image-ref"] == f"{registry.host}/acme/pipeline@{digest}"
    assert json.loads(out["tags"]) == [f"{registry.host}/acme/pipeline:v1.0.0", f"{registry.host}/acme/pipeline:latest"]
    assert out["all_digests"] == f"{digest},{digest}"
    for tag in ("v1.0.0", "latest"):
        assert registry.manifest("acme/pipeline", tag).headers["Docker-Content-Digest"] == digest
    manifest = registry.manifest("acme/pipeline", digest).json()
    (layer,) = manifest["layers"]
    pulled = registry.blob("acme/pipeline", layer["digest"])
    assert hashlib.sha256(pulled).hexdigest() == out["component-sha256"]
    assert len(pulled) == int(out["component-size"])
    annotations = json.loads(out["annotations"])
    assert annotations == manifest.get("annotations", {})
    assert annotations.get("org.opencontainers.image.version") == "0.1.0"  # from pyproject.toml, via metadata

    # attest: auto without an OIDC token (act has none) publishes without attesting
    assert out["attestation-id"] == out["attestation-url"] == ""


def test_root_action_dry_run_builds_but_leaves_the_registry_alone(act, release_server, registry):
    result = act.run(
        workflow(release_server.url, registry.host, tags="dry", push="false", verify="false"),
        project=EXAMPLES / "hello-python",
        name="root-action-dry",
    )
    assert result.returncode == 0, result.log[-4000:]
    out = result.outputs("pipeline")
    assert out["component-sha256"]
    assert out["digest"].startswith("sha256:") and out["image-ref"] == ""  # the digest a push would give
    assert out["result"] == "passed"  # the check step ran between build and publish (check: report)
    assert "wasi:io/poll@0.2.9" in json.loads(out["imports"])
    assert json.loads(out["tags"]) == [f"{registry.host}/acme/pipeline:dry"]
    assert "dry" not in registry.tags("acme/pipeline")


def test_root_action_bad_input_is_one_clear_error(act, release_server, registry):
    result = act.run(
        workflow(release_server.url, "https://ghcr.io", verify="false"),
        project=EXAMPLES / "hello-python",
        name="root-action-bad",
    )
    assert result.returncode != 0
    assert result.outcome("pipeline") == "failure"
    (error,) = result.errors()
    assert "must not include a scheme" in error, result.log[-3000:]
    assert "Traceback" not in result.log


def test_root_action_rerun_on_a_fresh_runner_skips_the_build_and_reuses_the_digest(
    act, release_server, registry, tmp_path
):
    """Issue 28: the root action run twice on one commit on fresh runners (immutable-tags: releases): run 2 pulls
    the component published for the same source instead of building it, and publishes nothing new."""
    wf = workflow(release_server.url, registry.host, tags="v1.0.0", verify="false", **{"immutable-tags": "releases"})
    wf = wf.replace("acme/pipeline", "acme/root-same")
    runs = [
        act.run(
            wf,
            project=EXAMPLES / "hello-python",
            cache=tmp_path / f"runner-{n}",
            name=f"root-same-{n}",
            commit_date="2026-05-01T12:00:00Z",
        )
        for n in range(2)
    ]
    for result in runs:
        assert result.returncode == 0, result.log[-4000:]
    first, again = (result.outputs("pipeline") for result in runs)
    assert first["reused"] == "false" and again["reused"] == "true"
    assert again["digest"] == first["digest"]
    assert "Skipped the build" in runs[1].log and "Skipped the build" not in runs[0].log
    assert again["component-sha256"] == first["component-sha256"]  # the published bytes, pulled
    assert registry.manifest("acme/root-same", "v1.0.0").headers["Docker-Content-Digest"] == first["digest"]
