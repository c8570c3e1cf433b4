"""Components with the worlds of wasmCloud's sample images, built here (componentize-py, jco) and pushed by wash.

See tests/fixtures/workload-worlds/README.md. Builds are kept under ``.venv/test-builds`` keyed by the sha256
of their inputs and the toolchain versions (neither tool is byte-reproducible, so a cached build is the one
way not to pay a minute per component per session); delete the directory to rebuild.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORLDS = ROOT / "tests" / "fixtures" / "workload-worlds"
SAMPLES = ROOT / "tests" / "fixtures" / "wasmcloud-samples"
CACHE = ROOT / ".venv" / "test-builds"
JCO = ROOT / "examples" / "hello-js" / "node_modules" / ".bin" / "jco"
NO_FEATURES = ("--disable", "all")  # the sample's world alone: no stdio, clocks, random or http imports
WASI_DEPS = ("cli", "clocks", "filesystem", "http", "io", "random", "sockets")


def _key(*parts: Path | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            for path in sorted(part.rglob("*")) if part.is_dir() else [part]:
                if path.is_file():
                    digest.update(path.relative_to(part.parent).as_posix().encode() + path.read_bytes())
        else:
            digest.update(part.encode())
    return digest.hexdigest()[:16]


def _cached(name: str, key: str, build) -> Path:  # type: ignore[no-untyped-def]
    out = CACHE / f"{name}-{key}.wasm"
    if not out.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        built = build()
        shutil.copy(built, out.with_suffix(".tmp"))
        out.with_suffix(".tmp").replace(out)
    return out


def wasi_deps(examples: Path) -> Path:
    """componentize-py's sdist ``wit/deps`` (WASI 0.2.0), beside its examples directory."""
    return examples.parent / "wit" / "deps"


def blobby(work: Path, examples: Path) -> Path:
    """Exports wasi:http/incoming-handler@0.2.0, imports wasi:blobstore@0.2.0-draft and wasi:logging@0.1.0-draft."""
    componentize = Path(sys.executable).parent / "componentize-py"
    version = subprocess.run([str(componentize), "--version"], capture_output=True, text=True, check=True).stdout

    def build() -> Path:
        project = work / "blobby"
        deps = project / "wit" / "deps"
        deps.mkdir(parents=True)
        shutil.copy(WORLDS / "blobby" / "world.wit", project / "wit")
        shutil.copy(WORLDS / "blobby" / "app.py", project)
        for name in WASI_DEPS:
            shutil.copytree(wasi_deps(examples) / f"{name}-0.2.0", deps / f"{name}-0.2.0")
        for name in ("blobstore-0.2.0-draft", "logging-0.1.0-draft"):
            shutil.copytree(WORLDS / "wit-deps" / name, deps / name)
        subprocess.run(
            [str(componentize), "-d", "wit", "-w", "blobby", "componentize", "app", "-o", "blobby.wasm"],
            cwd=project,
            check=True,
            capture_output=True,
            timeout=900,
        )
        return project / "blobby.wasm"

    return _cached("blobby", _key(WORLDS / "blobby", WORLDS / "wit-deps", version), build)


def echo(work: Path) -> Path:
    """Imports wasmcloud:messaging/consumer@0.2.0, exports wasmcloud:messaging/handler@0.2.0 (jco)."""
    lock = (ROOT / "examples" / "hello-js" / "package-lock.json").read_text()

    def build() -> Path:
        project = work / "echo"
        deps = project / "wit" / "deps"
        deps.mkdir(parents=True)
        shutil.copy(WORLDS / "echo" / "world.wit", project / "wit")
        shutil.copy(WORLDS / "echo" / "echo.js", project)
        shutil.copytree(WORLDS / "wit-deps" / "messaging-0.2.0", deps / "messaging-0.2.0")
        subprocess.run(
            [
                str(JCO),
                "componentize",
                "echo.js",
                "--wit",
                "wit",
                "--world-name",
                "echo",
                "--out",
                "echo.wasm",
                *NO_FEATURES,
            ],
            cwd=project,
            check=True,
            capture_output=True,
            timeout=900,
        )
        return project / "echo.wasm"

    return _cached("echo", _key(WORLDS / "echo", WORLDS / "wit-deps" / "messaging-0.2.0", lock), build)


def hello(examples: Path) -> Path:
    """componentize-py's own http example (wasi:http/proxy@0.2.0: exports incoming-handler, imports outgoing)."""
    componentize = Path(sys.executable).parent / "componentize-py"
    version = subprocess.run([str(componentize), "--version"], capture_output=True, text=True, check=True).stdout

    def build() -> Path:
        out = examples / "http" / "http.wasm"
        subprocess.run(
            [str(componentize), "-d", "../../wit", "-w", "wasi:http/proxy@0.2.0", "componentize", "app", "-o", out],
            cwd=examples / "http",
            check=True,
            capture_output=True,
            timeout=900,
        )
        return out

    return _cached("hello", _key(examples / "http", version), build)


def push(wash: Path, host: str, repository: str, tag: str, path: Path) -> str:
    """``wash oci push`` (the real one); the pushed digest."""
    proc = subprocess.run(
        [str(wash), "oci", "push", "--insecure", "-o", "json", f"{host}/{repository}:{tag}", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    envelope = json.loads(proc.stdout[proc.stdout.rfind("\n{") + 1 :])
    assert envelope["success"], proc.stdout + proc.stderr
    return str(envelope["data"]["digest"])


def extract_sdist(sdist: Path, dest: Path) -> Path:
    """componentize-py's sdist unpacked; its examples directory."""
    with tarfile.open(sdist) as archive:
        archive.extractall(dest, filter="data")
    return dest / "componentize_py-0.25.1" / "examples"
