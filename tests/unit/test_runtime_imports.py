"""The runtime path is standard-library only: no command module imports requests, PyGithub, PyYAML or urllib3.

Each module is imported in a fresh interpreter (``-I``, as the actions run it) and its ``sys.modules`` checked.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("requests", "github", "yaml", "urllib3")
MODULES = [
    "wash_actions.__main__",
    "wash_actions.commands.setup_wash",
    "wash_actions.commands.build",
    "wash_actions.commands.publish",
    "wash_actions.commands.discover",
    "wash_actions.commands.promote",
    "wash_actions.commands.verify",
    "wash_actions.runner.transport",
    "wash_actions.toolchain.wash_releases",
    "wash_actions.oci.registry",
    "wash_actions.toolchain.install",
    "wash_actions.trust.attest",
    "wash_actions.trust.verifier",
    "wash_actions.trust.sigstore_verifier",
    "wash_actions.toolchain.plugins",
    "wash_actions.toolchain.wash",
]


@pytest.mark.parametrize("module", MODULES)
def test_no_third_party_http_or_yaml_on_the_runtime_path(module: str) -> None:
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
