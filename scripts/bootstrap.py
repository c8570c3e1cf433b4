"""Run the wash-actions package with the right interpreter, installing its runtime first when it has one.

Standard library only: this runs on the runner's own Python before anything is installed.

    python -I -X utf8 scripts/bootstrap.py run <command…>   what scripts/wash-actions does
    python -I scripts/bootstrap.py runtime                  print the interpreter the package runs with

When ``requirements/runtime.txt`` pins nothing (the package needs only the standard library), there is no
venv and no pip: this process puts the action's ``src`` on ``sys.path`` and runs ``wash_actions`` itself.
``-I`` keeps the script's directory, the working directory (the user's workspace), ``PYTHONPATH`` and the
user site out of ``sys.path``, so a stray ``requests.py`` or ``wash_actions/`` in the workspace cannot
shadow anything; ``src`` holds only the package.

When the lock pins packages, they go into a venv in the tool cache (a self-hosted runner keeps it) or
RUNNER_TEMP, keyed by the Python version, the lock and the package source, so a new action version never
reuses an old venv and later steps of the job reuse this one. It is built beside its final place and
renamed into it only when complete, so a cancelled job never leaves half a venv behind.

Every message goes to the log: workflow commands on stdout (nothing captures it), progress on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Everything else is imported where it is used: a step whose runtime is the standard library (an empty lock)
# starts the package straight away, without paying for what only building a venv needs.

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "wash_actions"
LOCKS = {"runtime": ROOT / "requirements" / "runtime.txt"}
MARKER = ".wash-actions-complete"
MINIMUM = (3, 11)
SETUP_PYTHON = "%0A- uses: actions/setup-python@v6%0A  with:%0A    python-version: '3.13'"


class BootstrapError(Exception):
    """One ``::error`` annotation: a title and a message (``%0A`` separates its lines)."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title
        self.message = message


def pinned(lock: Path) -> list[str]:
    """The requirement lines of a pip lock (``name==version``), without options, hashes and comments."""
    found = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text and not text.startswith("-"):
            found.append(text.rstrip("\\").strip())
    return found


def fingerprint(lock: Path) -> str:
    import hashlib

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
    import subprocess

    out = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return Path(out.strip())


def has_pip() -> bool:
    import importlib.util

    return importlib.util.find_spec("pip") is not None


def pip_install(python: Path, lock: Path) -> None:
    """Install the lock into the new venv, once. The runner's own pip does it into the venv's
    site-packages (``--target``), which spares installing pip into every venv (4-5 s); only a runner
    Python without pip gives the venv its own. A failed install is reported, not retried."""
    import subprocess

    flags = ["--quiet", "--disable-pip-version-check", "--require-hashes", "--only-binary", ":all:", "--no-deps"]
    env = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore"}  # a root runner is normal in containers
    if has_pip():
        command = [sys.executable, "-I", "-m", "pip", "install", *flags, "--target", str(site_packages(python))]
    else:
        subprocess.run([str(python), "-I", "-m", "ensurepip", "--default-pip"], check=True, stdout=sys.stderr)
        command = [str(python), "-I", "-m", "pip", "install", *flags]
    result = subprocess.run([*command, "-r", str(lock)], stdout=sys.stderr, check=False, env=env)
    if result.returncode != 0:
        raise BootstrapError(
            "wash-actions could not install its Python runtime",
            f"pip exited with code {result.returncode} installing {lock.name} (its messages are above)."
            "%0AFix: make sure the runner can reach PyPI (or set PIP_INDEX_URL to a mirror).",
        )


def build(target: Path, lock: Path) -> None:
    import shutil
    import subprocess
    import tempfile
    import venv

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        try:
            venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(staging)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise BootstrapError(
                "wash-actions could not create its Python venv",
                f"{sys.executable}: {exc}.%0AFix: use a Python with the venv module (Debian, Ubuntu: "
                "apt-get install python3-venv), or add a step before this one:" + SETUP_PYTHON,
            ) from exc
        python = interpreter(staging)
        pip_install(python, lock)
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


def venv_interpreter(lock: Path) -> Path:
    import subprocess
    import tempfile

    base = os.environ.get("RUNNER_TOOL_CACHE") or os.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    target = Path(base) / "wash-actions" / f"venv-{fingerprint(lock)}"
    if not (target / MARKER).is_file():
        print("Setting up the wash-actions Python runtime (once per runner).", file=sys.stderr, flush=True)
        try:
            build(target, lock)
        except subprocess.CalledProcessError as exc:
            raise BootstrapError(
                "wash-actions could not install its Python runtime",
                f"{' '.join(map(str, exc.cmd))} exited with code {exc.returncode}.",
            ) from exc
    return interpreter(target)


def launch(args: list[str]) -> int:
    """Run ``python -m wash_actions <args>`` in this process, the package reached through ``src``."""
    import runpy

    sys.path.insert(0, str(SRC))
    sys.argv = [str(PACKAGE / "__main__.py"), *args]
    try:
        runpy.run_module("wash_actions", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        code = done.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0


def check_version() -> None:
    if sys.version_info < MINIMUM:
        raise BootstrapError(
            "wash-actions needs Python 3.11 or newer",
            f"{sys.executable} is Python {sys.version.split()[0]}.%0AFix: add a step before this one:" + SETUP_PYTHON,
        )


def main(argv: list[str]) -> int:
    mode, args = (argv[0], argv[1:]) if argv else ("runtime", [])
    try:
        check_version()
        lock = LOCKS["runtime"]
        if mode == "run":
            if not pinned(lock):
                return launch(args)
            python = venv_interpreter(lock)
            sys.stdout.flush()
            command = [str(python), "-I", "-X", "utf8", "-m", "wash_actions", *args]
            import subprocess

            return subprocess.run(command, check=False).returncode
        if mode == "runtime":
            print(venv_interpreter(lock) if pinned(lock) else sys.executable)
            return 0
    except BootstrapError as error:
        print(f"::error title={error.title}::{error.message}", flush=True)
        return 1
    print("usage: bootstrap.py run <command…> | bootstrap.py runtime", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
