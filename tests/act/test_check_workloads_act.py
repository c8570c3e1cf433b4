"""actions/check with manifests through act, written as users write it: wasmCloud's blobby sample in the
repository, its image in a registry on the runner, the component this job built standing in for it; the same
sample without its logging entry fails at the entry's component, with the YAML to add."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.integration.test_check_workloads import components, pushed, sample  # noqa: F401 - fixtures

pytestmark = pytest.mark.act

WORKFLOW = """
on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
      - id: workload
        uses: acme/wash-actions/actions/check@v1
        with:
          component-path: components/blobby.wasm
          manifests: deploy/*.yaml
          manifest-component: test
          insecure: true
      - id: broken
        continue-on-error: true
        uses: acme/wash-actions/actions/check@v1
        with:
          manifests: |
            broken/blobby.yaml
          insecure: true
"""


def test_check_workloads_under_act(act, components, pushed, tmp_path):  # noqa: F811
    project = tmp_path / "project"
    for folder in ("components", "deploy", "broken"):
        (project / folder).mkdir(parents=True)
    shutil.copy(components["blobby"], project / "components" / "blobby.wasm")
    text = sample("blobby.yaml", pushed)
    (project / "deploy" / "blobby.yaml").write_text(text.replace(pushed["blobby"], "ghcr.io/acme/blobby:next"))
    logging = (
        "        - namespace: wasi\n          package: logging\n          version: 0.1.0-draft\n"
        "          interfaces:\n            - logging\n"
    )
    (project / "broken" / "blobby.yaml").write_text(text.replace(logging, ""))
    result = act.run(WORKFLOW, project=project, name="check")
    assert result.returncode == 0, result.log[-4000:]
    assert result.outcome("workload") == "success"
    (workload,) = json.loads(result.outputs("workload")["workloads"])
    assert workload["components"][0]["read"] == "component-path components/blobby.wasm"
    assert result.outcome("broken") == "failure"
    assert any(
        "broken/blobby.yaml:" in line and "nothing in the workload provides: wasi:logging/logging" in line
        for line in result.errors()
    )
