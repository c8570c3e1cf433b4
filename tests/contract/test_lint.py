"""scripts/lint (actionlint, zizmor --offline, check-jsonschema) passes on every action and workflow."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_lint_passes() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "lint")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"scripts/lint exited {result.returncode}:\n{output}"
