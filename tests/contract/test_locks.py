"""The runtime and sigstore locks install on every GitHub-hosted image and Python 3.11-3.14 (scripts/check-locks).

Real PyPI, real pip: ``pip download --only-binary :all: --no-deps --require-hashes`` with each image's platform
tags, the way the actions install. Fails while a pinned package has no wheel for one of them (cryptography
≥ 49 has none for Intel macOS).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.locks
def test_every_lock_installs_on_every_hosted_image_and_python():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check-locks"), "--jobs", "8"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
