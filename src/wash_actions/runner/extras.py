"""Heavy dependencies that only some steps need, installed on first use beside the step's venv.

sigstore (with pydantic, tuf, …) is needed only to sign or verify, PyYAML only to read workload manifests
(check's ``manifests``). Each extra's wheels, pinned by sha256 in ``requirements/<extra>.txt``
(``sigstore.txt``, ``yaml.txt``), are downloaded once into a wheel directory, checked against the lock and
unpacked into their own directory in the tool cache (both keyed by the lock's hash and the Python version),
which is then put on ``sys.path``. The wheel directory is what the signing actions keep with actions/cache:
a restored wheel is unpacked only when its sha256 is one the lock pins, so a cache entry cannot change what
runs. Unpacking checked wheels takes well under a second where pip takes several (it byte-compiles every
module). Steps that neither sign nor verify never install or import sigstore; steps that read no manifest
never install PyYAML.
"""

from __future__ import annotations

import _thread
import hashlib
import importlib
import os
import platform
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ActionError
from . import gha

if TYPE_CHECKING:
    import threading

MARKER = ".wash-actions-complete"
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


# extra (the lock's stem) -> the name a log line gives it
LABELS = {"sigstore": "sigstore", "yaml": "PyYAML"}


def _has_sigstore() -> bool:
    try:
        import sigstore  # noqa: F401
    except ImportError:
        return False
    return True


def _has_locked_yaml(lock: Path) -> bool:
    """PyYAML is importable already at the version the lock pins (a test venv); any other (a system package of
    another version) is not used."""
    import importlib.metadata
    import importlib.util

    if importlib.util.find_spec("yaml") is None:
        return False
    try:
        version = importlib.metadata.version("PyYAML")  # read, not imported: another version's code never runs
    except importlib.metadata.PackageNotFoundError:
        return False
    return f"pyyaml=={version}" in {name.lower() for name in lock_hashes(lock.read_text())}


_NEEDS = {"sigstore": "Signing and verifying need sigstore", "yaml": "Reading workload manifests needs PyYAML"}
_FOR = {"sigstore": "for verification ", "yaml": "to read the manifests "}
PIP_PROBE = "import importlib.util, sys; sys.exit(importlib.util.find_spec('pip') is None)"


def pip_command(extra: str = "sigstore") -> list[str]:
    """A pip that can install into a directory: this interpreter's (the runner's Python when the runtime
    needs no venv), else the runner's Python's (a venv made without pip, see bootstrap.py). ``--target``
    needs no venv and is allowed even where the system Python is externally managed (PEP 668)."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-I", "-m", "pip"]
    host = os.environ.get("WASHACTIONS_HOST_PYTHON", "")
    if host:  # a venv's python resolves to the same file as the host's, but sees another site-packages
        probe = subprocess.run([host, "-I", "-c", PIP_PROBE], capture_output=True, check=False)
        if probe.returncode == 0:
            return [host, "-I", "-m", "pip"]
    raise ActionError(
        what=f"{LABELS.get(extra, extra)} cannot be installed: the runner's Python has no pip",
        why=f"{_NEEDS.get(extra, extra)}, which is installed with pip on first use; {host or sys.executable} "
        "has no pip module (Debian and Ubuntu ship it separately, as python3-pip).",
        fix="Install pip in a step before this one (or run actions/setup-python before it):\n"
        "- run: sudo apt-get update && sudo apt-get install -y --no-install-recommends python3-pip",
    )


def lock_hashes(text: str) -> dict[str, set[str]]:
    """``name==version`` → the sha256 digests the lock allows for its wheels."""
    pins: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        match = _REQUIREMENT.match(stripped)
        if match:
            current = f"{match[1]}=={match[2]}"
            pins[current] = set()
        if current and not stripped.startswith("#"):
            pins[current].update(_HASH.findall(stripped))
    return pins


class Place(NamedTuple):
    lock: Path
    target: Path  # the unpacked packages, put on sys.path
    wheels: Path  # the lock's wheels for this platform and Python, kept by actions/cache
    key: str  # actions/cache key for ``wheels``


def _lock(extra: str) -> Path:
    root = os.environ.get("WASHACTIONS_ROOT", "")
    lock = Path(root) / "requirements" / f"{extra}.txt"
    if not root or not lock.is_file():
        raise ActionError(
            what=f"{LABELS.get(extra, extra)} is not available to this step",
            why=f"The action's requirements/{extra}.txt was not found next to the action.",
            fix="Run the action through its action.yml (uses: OWNER/wash-actions/...@v1), not the package alone.",
        )
    return lock


def place(extra: str = "sigstore") -> Place:
    """Where an extra's (``sigstore``, ``yaml``) unpacked packages and wheel directory are, and the wheels'
    actions/cache key (by lock, Python and platform)."""
    lock = _lock(extra)
    key = hashlib.sha256(f"{sys.version_info[:2]}".encode() + lock.read_bytes()).hexdigest()[:16]
    base_dir = os.environ.get("RUNNER_TOOL_CACHE") or os.environ.get("RUNNER_TEMP")
    if not base_dir:  # outside a runner
        import tempfile

        base_dir = tempfile.gettempdir()
    base = Path(base_dir)
    system, machine = platform.system().lower(), platform.machine().lower()
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return Place(
        lock,
        base / "wash-actions" / f"{extra}-{key}",
        base / "wash-actions" / f"{extra}-wheels-{key}",
        f"wash-actions-{extra}-{system}-{machine}-{python}-{key}",
    )


class Tampered(Exception):
    """A wheel whose sha256 the lock does not pin, or a pinned requirement without its wheel."""


def checked_wheels(wheels: Path, pins: dict[str, set[str]]) -> list[bytes]:
    """Every wheel in ``wheels``, read once and each pinned by the lock, and one for every requirement; else
    Tampered. The bytes are returned: what is unpacked is what was checked, whatever happens to the files
    afterwards (another step's download, a restore)."""
    allowed = {digest: name for name, digests in pins.items() for digest in digests}
    found: set[str] = set()
    checked = []
    files = sorted(wheels.glob("*.whl")) if wheels.is_dir() else []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:  # removed or replaced while it was listed
            raise Tampered(f"{path.name} could not be read ({exc.strerror})") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest not in allowed:
            raise Tampered(f"{path.name} (sha256 {digest}) is not pinned by the lock")
        found.add(allowed[digest])
        checked.append(data)
    missing = sorted(set(pins) - found)
    if missing:
        raise Tampered("no wheel for " + ", ".join(missing))
    return checked


def unpack(wheel: bytes, target: Path) -> None:
    """Install one checked wheel (its bytes) by unpacking it, as pip does for pure and platform libraries.

    ``<dist>.data/purelib`` and ``platlib`` go to the top level; scripts, headers and data files are not
    needed to import the package and are left out. Zip members cannot escape ``target`` (zipfile strips
    absolute paths and ``..``).
    """
    import io
    import shutil
    import zipfile

    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        archive.extractall(target)
    for data in target.glob("*.data"):
        for scheme in ("purelib", "platlib"):
            source = data / scheme
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
        shutil.rmtree(data)


def _download(lock: Path, destination: Path) -> None:
    """pip downloads the lock's wheels into ``destination`` (an empty directory)."""
    import subprocess

    extra = lock.stem
    label = LABELS.get(extra, extra)
    gha.stderr(f"Installing {label} {_FOR.get(extra, '')}(once per runner).")
    proc = subprocess.run(
        [
            *pip_command(extra),
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--only-binary",
            ":all:",
            "--no-deps",
            "--dest",
            str(destination),
            "-r",
            str(lock),
        ],
        stdout=sys.stderr,
        check=False,
        env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"},
    )
    if proc.returncode != 0:
        raise ActionError(
            what=f"Could not install {label}",
            why=f"pip exited with code {proc.returncode} downloading {lock.name}.",
            fix="Make sure the runner can reach PyPI (or set PIP_INDEX_URL to a mirror).",
        )


def _fetch(where: Place, pins: dict[str, set[str]]) -> list[bytes]:
    """The lock's wheels downloaded again and checked; kept in ``where.wheels`` for the next step or actions/cache
    when that directory can be replaced (another process may be reading it: then it stays as it is)."""
    import shutil
    import tempfile

    label = LABELS.get(where.lock.stem, where.lock.stem)
    where.wheels.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=where.wheels.parent, prefix=f".{where.wheels.name}-"))
    try:
        _download(where.lock, staging)
        try:
            wheels = checked_wheels(staging, pins)
        except Tampered as again:
            raise ActionError(
                what=f"Could not install {label}",
                why=f"pip downloaded wheels that do not match {where.lock.name}: {again}.",
                fix="Re-run the job; if it persists, check PIP_INDEX_URL serves PyPI's files.",
            ) from None
        shutil.rmtree(where.wheels, ignore_errors=True)
        try:
            os.replace(staging, where.wheels)
        except OSError:  # another process kept its download there first: as good as this one
            pass
        return wheels
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install(where: Place) -> None:
    """Unpack the lock's wheels into ``where.target``: from the wheel directory (a previous run or
    actions/cache) when every wheel checks out against the lock, else downloaded again first. What is unpacked
    is the bytes that were checked, read once."""
    import shutil
    import tempfile

    pins = lock_hashes(where.lock.read_text())
    try:
        wheels = checked_wheels(where.wheels, pins)
    except Tampered as exc:
        if where.wheels.is_dir():
            gha.stderr(f"Discarding the cached {LABELS.get(where.lock.stem, where.lock.stem)} wheels: {exc}.")
        wheels = _fetch(where, pins)
    where.target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=where.target.parent, prefix=f".{where.target.name}-"))
    try:
        for wheel in wheels:
            unpack(wheel, staging)
        (staging / MARKER).write_text("")
        try:
            os.replace(staging, where.target)
        except OSError:
            if not (where.target / MARKER).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_INSTALLING = _thread.allocate_lock()  # threading's Lock, without importing threading


def _ensure(where: Place) -> None:
    """Install ``where``'s extra unless it is unpacked already, one thread at a time (a preload and the step that
    needs the extra may both get here: no install removes what another is reading), and put it on ``sys.path``."""
    with _INSTALLING:
        if not (where.target / MARKER).is_file():
            install(where)
        if str(where.target) not in sys.path:
            sys.path.insert(0, str(where.target))


def ensure_sigstore() -> None:
    """Make sigstore importable: unpack the lock's hash-checked wheels on first use (restored or downloaded)."""
    if _has_sigstore():
        return
    where = place()
    _ensure(where)


def ensure_yaml() -> None:
    """Make PyYAML (the version ``requirements/yaml.txt`` pins) importable: unpack the lock's hash-checked wheels
    on first use, ahead of any other PyYAML on ``sys.path``. Only steps that read YAML call it."""
    where = place("yaml")
    if _has_locked_yaml(where.lock):
        return
    _ensure(where)


def sigstore_cached() -> bool:
    """sigstore is importable, or unpacked or its wheels kept on this runner: verifying with it costs no download."""
    import importlib.util

    if importlib.util.find_spec("sigstore") is not None:  # found, not imported
        return True
    try:
        where = place()
    except ActionError:
        return False
    return (where.target / MARKER).is_file() or any(where.wheels.glob("*.whl"))


def preload_sigstore(*modules: str) -> threading.Thread:
    """Install (first use) and import sigstore and ``modules`` in a background thread, so that the work overlaps a
    download or a push; the step that signs or verifies repeats the install and reports any failure properly."""
    import threading

    def load() -> None:
        try:
            ensure_sigstore()
            for name in modules:
                importlib.import_module(name)
        except Exception:  # noqa: S110 - reported by the step that needs sigstore
            pass

    thread = threading.Thread(target=load, name="preload-sigstore", daemon=True)
    thread.start()
    return thread
