"""The runtime and sigstore locks install on every GitHub-hosted image and Python 3.11-3.14 (scripts/check-locks).

Real PyPI, real pip: ``pip download --only-binary :all: --no-deps --require-hashes`` with each image's platform
tags, the way the actions install. Fails while a pinned package has no wheel for one of them (cryptography
≥ 49 has none for Intel macOS).
"""

from __future__ import annotations

import re
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


def pins(text: str) -> dict[str, tuple[str, frozenset[str]]]:
    """``package -> (version, hashes)`` of one hash-pinned lock's text."""
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for block in re.split(r"(?m)^(?=[A-Za-z0-9_.-]+==)", text):
        if match := re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block):
            package = re.sub(r"[-_.]+", "-", match[1]).lower()
            found[package] = (match[2], frozenset(re.findall(r"--hash=(sha256:[0-9a-f]{64})", block)))
    return found


def differences(runner: str, dev: str) -> dict[str, tuple[str, str]]:
    """Packages the runner lock pins that the dev lock pins otherwise: ``package -> (runner's, dev's)``."""
    ours = pins(dev)
    return {
        package: (version, ours.get(package, ("not in dev.txt",))[0])
        for package, (version, hashes) in pins(runner).items()
        if ours.get(package) != (version, hashes)
    }


def lock(name: str) -> str:
    return (ROOT / "requirements" / name).read_text()


def test_the_tests_run_what_the_runners_install():
    """Every package the runners install (runtime.txt, sigstore.txt) is pinned in dev.txt at the same version
    with the same hashes: the tests sign and verify with the cryptography (and the rest) a runner gets."""
    runner = lock("runtime.txt") + lock("sigstore.txt")
    assert "cryptography" in pins(runner), "sigstore.txt pins no cryptography"
    assert not differences(runner, lock("dev.txt")), "runner lock -> dev.txt differ; regenerate with scripts/lock"


def test_the_lock_comparison_sees_another_version_or_hash():
    runner = lock("sigstore.txt")
    block = re.search(r"(?m)^cryptography==48\.0\.1 \\\n(?:    .*\n)+", runner)
    assert block, "sigstore.txt no longer pins cryptography 48.0.1: update this test"
    other_version = block[0].replace("cryptography==48.0.1", "cryptography==50.0.2")
    assert differences(block[0], other_version) == {"cryptography": ("48.0.1", "50.0.2")}
    one_hash_less = "\n".join(line for line in block[0].splitlines() if "--hash=" not in line or line.endswith("\\"))
    assert one_hash_less != block[0]
    assert differences(block[0], one_hash_less) == {"cryptography": ("48.0.1", "48.0.1")}
    assert differences(block[0], "") == {"cryptography": ("48.0.1", "not in dev.txt")}
    assert differences(block[0], block[0]) == {}
