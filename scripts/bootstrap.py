"""Create (once) and print the Python interpreter the actions run with.

Standard library only: this runs on the runner's own python3 before anything is installed.
The venv lives in the tool cache (a self-hosted runner keeps it) or RUNNER_TEMP, keyed by the hash of
requirements/runtime.txt and of the package source, so a new action version never reuses an old venv
and later steps of the job reuse this one. It is built beside its final place and renamed into it
only when complete, so a cancelled job never leaves half a venv behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "wash_actions"
LOCKS = {"runtime": ROOT / "requirements" / "runtime.txt"}
MARKER = ".wash-actions-complete"


def fingerprint(lock: Path) -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]}\0".encode())
    digest.update(lock.read_bytes())
    # every file of the package, data included: a new manifest of known wash releases is a new runtime
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def interpreter(env_dir: Path) -> Path:
    if os.name == "nt":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


def site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(out.strip())


def pip_install(python: Path, lock: Path, staging: Path) -> None:
    """Install the lock into the new venv. The runner's own pip does it into the venv's site-packages
    (``--target``), which spares installing pip into every venv (4-5 s); without a usable host pip the
    venv gets its own."""
    flags = ["--quiet", "--disable-pip-version-check", "--require-hashes", "--only-binary", ":all:", "--no-deps"]
    if importlib.util.find_spec("pip") is not None:
        host = [sys.executable, "-I", "-m", "pip", "install", *flags, "--target", str(site_packages(python))]
        env = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore"}  # a root runner is normal in containers
        if subprocess.run([*host, "-r", str(lock)], stdout=sys.stderr, check=False, env=env).returncode == 0:
            return
        print("The runner's pip could not install into the venv; using the venv's own pip.", file=sys.stderr)
    subprocess.run([str(python), "-I", "-m", "ensurepip", "--default-pip"], check=True, stdout=sys.stderr)
    subprocess.run([str(python), "-I", "-m", "pip", "install", *flags, "-r", str(lock)], check=True, stdout=sys.stderr)


def build(target: Path, lock: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(staging)
        python = interpreter(staging)
        pip_install(python, lock, staging)
        shutil.copytree(PACKAGE, site_packages(python) / "wash_actions", ignore=shutil.ignore_patterns("__pycache__"))
        (staging / MARKER).write_text("")
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / MARKER).is_file():  # lost a race to a half-built dir: replace it
                shutil.rmtree(target, ignore_errors=True)
                os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs on whatever python3 the runner has
        print(
            f"::error title=wash-actions needs Python 3.11 or newer::The runner's python3 is "
            f"{sys.version.split()[0]}.%0AFix: add a step before this one:%0A"
            "- uses: actions/setup-python@v5%0A  with:%0A    python-version: '3.12'",
        )
        return 1
    lock = LOCKS[sys.argv[1] if len(sys.argv) > 1 else "runtime"]
    base = os.environ.get("RUNNER_TOOL_CACHE") or os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    target = Path(base) / "wash-actions" / f"venv-{fingerprint(lock)}"
    if not (target / MARKER).is_file():
        print("Setting up the wash-actions Python runtime (once per runner).", file=sys.stderr)
        try:
            build(target, lock)
        except subprocess.CalledProcessError as exc:
            print(
                "::error title=wash-actions could not install its Python runtime::"
                f"pip exited with code {exc.returncode} installing {lock.name}.%0A"
                "Fix: make sure the runner can reach PyPI (or set PIP_INDEX_URL to a mirror).",
            )
            return 1
    print(interpreter(target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
