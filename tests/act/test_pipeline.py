"""The example pipeline through act, written as a user writes it: checkout → setup-wash → build → publish."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import EXAMPLES, WASH_VERSION

pytestmark = pytest.mark.act


def pipeline(release_url: str, registry_host: str, tags: str = "v1.0.0,latest") -> str:
    return f"""
on: push
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - id: setup
        uses: acme/wash-actions/actions/setup-wash@v1
        with:
          wash-version: {WASH_VERSION}
          download-base-url: {release_url}
      - id: build
        uses: acme/wash-actions/actions/build@v1
        with:
          working-directory: .
          skip-fetch: true
          wash-path: ${{{{ steps.setup.outputs.wash-path }}}}
      - id: publish
        uses: acme/wash-actions/actions/publish@v1
        with:
          component-path: ${{{{ steps.build.outputs.component-path }}}}
          registry: {registry_host}
          repository: acme/hello-python
          tags: {tags}
          insecure: true
          wash-path: ${{{{ steps.setup.outputs.wash-path }}}}
"""


def test_pipeline_builds_and_publishes_one_digest(act, release_server, registry, tmp_path):
    result = act.run(
        pipeline(release_server.url, registry.host), project=EXAMPLES / "hello-python", name="pipeline"
    )
    assert result.returncode == 0, result.log[-4000:]
    setup = result.outputs("setup")
    build = result.outputs("build")
    publish = result.outputs("publish")
    assert setup["wash-version"] == WASH_VERSION
    assert setup["wash-path"].endswith(f"/wash/{WASH_VERSION}/x64/wash")
    assert build["component-path"].endswith("/build/hello-python.wasm")

    digest = publish["digest"]
    assert digest.startswith("sha256:")
    assert publish["image-ref"] == f"{registry.host}/acme/hello-python@{digest}"
    for tag in ("v1.0.0", "latest"):
        response = registry.manifest("acme/hello-python", tag)
        assert response.status_code == 200
        assert response.headers["Docker-Content-Digest"] == digest
    manifest = registry.manifest("acme/hello-python", digest).json()
    (layer,) = manifest["layers"]
    pulled = registry.blob("acme/hello-python", layer["digest"])
    assert hashlib.sha256(pulled).hexdigest() == build["component-sha256"]
    assert len(pulled) == int(build["component-size"])
