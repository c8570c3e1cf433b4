"""Heavy dependencies that only some steps need, installed on first use beside the step's venv.

sigstore (with pydantic, tuf, …) is needed only to sign or verify. It is installed from the
hash-pinned ``requirements/sigstore.txt`` into its own directory in the tool cache (keyed by the lock's
hash and the Python version), then put on ``sys.path``. Steps that neither sign nor verify never
install or import it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import gha
from .errors import ActionError

MARKER = ".wash-actions-complete"


def _has_sigstore() -> bool:
    try:
        import sigstore  # noqa: F401
    except ImportError:
        return False
    return True


PIP_PROBE = "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"


def pip_command() -> list[str]:
    """A pip that can install into a directory: this interpreter's (the runner's Python when the runtime
    needs no venv), else the runner's Python's (a venv made without pip, see bootstrap.py). ``--target``
    needs no venv and is allowed even where the system Python is externally managed (PEP 668)."""
    import importlib.util

    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-I", "-m", "pip"]
    host = os.environ.get("WASHACTIONS_HOST_PYTHON", "")
    if host:  # a venv's python resolves to the same file as the host's, but sees another site-packages
        probe = subprocess.run([host, "-I", "-c", PIP_PROBE], capture_output=True, check=False)
        if probe.returncode == 0:
            return [host, "-I", "-m", "pip"]
    raise ActionError(
        what="sigstore cannot be installed: the runner's Python has no pip",
        why=f"Signing and verifying need sigstore, which is installed with pip on first use; {host or sys.executable} "
        "has no pip module (Debian and Ubuntu ship it separately, as python3-pip).",
        fix="Install pip in a step before this one (or run actions/setup-python before it):\n"
        "- run: sudo apt-get update && sudo apt-get install -y --no-install-recommends python3-pip",
    )


def ensure_sigstore() -> None:
    """Make sigstore importable: install the hash-pinned requirements/sigstore.txt on first use, or fail clearly."""
    if _has_sigstore():
        return
    root = os.environ.get("WASHACTIONS_ROOT", "")
    lock = Path(root) / "requirements" / "sigstore.txt"
    if not root or not lock.is_file():
        raise ActionError(
            what="sigstore is not available to this step",
            why="The action's requirements/sigstore.txt was not found next to the action.",
            fix="Run the action through its action.yml (uses: OWNER/wash-actions/...@v1), not the package alone.",
        )
    key = hashlib.sha256(f"{sys.version_info[:2]}".encode() + lock.read_bytes()).hexdigest()[:16]
    base = Path(os.environ.get("RUNNER_TOOL_CACHE") or os.environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    target = base / "wash-actions" / f"sigstore-{key}"
    if not (target / MARKER).is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        try:
            gha.stderr("Installing sigstore for verification (once per runner).")
            proc = subprocess.run(
                [
                    *pip_command(),
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--require-hashes",
                    "--only-binary",
                    ":all:",
                    "--no-deps",
                    "--target",
                    str(staging),
                    "-r",
                    str(lock),
                ],
                stdout=sys.stderr,
                check=False,
                env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"},
            )
            if proc.returncode != 0:
                raise ActionError(
                    what="Could not install sigstore",
                    why=f"pip exited with code {proc.returncode} installing {lock.name}.",
                    fix="Make sure the runner can reach PyPI (or set PIP_INDEX_URL to a mirror).",
                )
            (staging / MARKER).write_text("")
            try:
                os.replace(staging, target)
            except OSError:
                if not (target / MARKER).is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    sys.path.insert(0, str(target))
