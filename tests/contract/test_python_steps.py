"""Every action starts with the same two steps that give it a Python 3.11+, and every command step uses it.

1. ``python``: ``sh …/scripts/find-python --step`` in ``shell: sh`` (it must run where bash is missing, to say
   so), writing ``python`` and ``provision``;
2. ``setup-python``: actions/setup-python pinned by SHA, only ``if: steps.python.outputs.provision == 'true'``,
   with ``update-environment: false`` (the user's ``python`` stays theirs);
then each ``scripts/wash-actions`` step gets ``WASHACTIONS_PYTHON`` from the first step or setup-python's
``python-path`` output (the output name read from actions/setup-python's action.yml, v6.3.0).
The steps are identical in every file, so the root action.yml can be generated from the sub-actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = [ROOT / "action.yml", *sorted(ROOT.glob("actions/*/action.yml"))]
SETUP_PYTHON = "actions/setup-python@ece7cb06caefa5fff74198d8649806c4678c61a1"  # v6.3.0
INTERPRETER = "${{ steps.python.outputs.python || steps.setup-python.outputs.python-path }}"


def steps(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["runs"]["steps"]


def scripts_dir(path: Path) -> str:
    return "$GITHUB_ACTION_PATH/scripts" if path.parent == ROOT else "$GITHUB_ACTION_PATH/../../scripts"


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_first_two_steps_provide_python(path):
    probe, setup = steps(path)[:2]
    assert probe == {"id": "python", "shell": "sh", "run": f'sh "{scripts_dir(path)}/find-python" --step'}
    assert setup == {
        "id": "setup-python",
        "if": "steps.python.outputs.provision == 'true'",
        "uses": SETUP_PYTHON,
        "with": {"python-version": "3.13", "update-environment": False},
    }


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_step_runs_with_that_python(path):
    commands = [s for s in steps(path) if "scripts/wash-actions" in str(s.get("run", ""))]
    assert commands
    for step in commands:
        assert (step.get("env") or {}).get("WASHACTIONS_PYTHON") == INTERPRETER, step.get("id")


def test_setup_python_pin_is_commented_with_its_version():
    for path in ACTIONS:
        line = next(x for x in path.read_text(encoding="utf-8").splitlines() if SETUP_PYTHON in x)
        assert line.rstrip().endswith("# v6.3.0"), (path, line)
