"""actions/check through act, written as users write it: a consumer alone fails naming its custom import; with
the provider in its workload it passes; deny-imports refuses a capability. The components are the greeter pair
(tests/fixtures/greeter) built with componentize-py, checked into the project (act's project copy leaves build/ out)."""

from __future__ import annotations

import json
import shutil

import pytest

pytestmark = pytest.mark.act

WORKFLOW = """
on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
      - id: lone
        continue-on-error: true
        uses: acme/wash-actions/actions/check@v1
        with:
          component-path: components/consumer.wasm
      - id: workload
        uses: acme/wash-actions/actions/check@v1
        with:
          component-path: components/consumer.wasm
          workload: |
            components/provider.wasm
          max-size: 64MiB
      - id: audit
        continue-on-error: true
        uses: acme/wash-actions/actions/check@v1
        with:
          component-path: components/consumer.wasm
          workload: components/provider.wasm
          deny-imports: wasi:sockets/*, wasi:filesystem/*
"""


def test_check_action_under_act(act, greeter, tmp_path):
    project = tmp_path / "project"
    (project / "components").mkdir(parents=True)
    for name, path in greeter.items():
        shutil.copy(path, project / "components" / f"{name}.wasm")
    result = act.run(WORKFLOW, project=project, name="check")
    assert result.returncode == 0, result.log[-4000:]
    assert result.outcome("lone") == "failure"
    assert json.loads(result.outputs("lone")["unresolved"]) == ["acme:greeter/greet@0.1.0"]
    assert any("acme:greeter/greet@0.1.0" in line and "nothing provides" in line for line in result.errors())
    assert result.outcome("workload") == "success"
    assert result.outputs("workload")["result"] == "passed"
    assert "acme:greeter/greet@0.1.0" in json.loads(result.outputs("workload")["imports"])
    assert result.outcome("audit") == "failure"
    assert any("deny-imports forbids" in line and "wasi:sockets/tcp@0.2.9" in line for line in result.errors())
