"""Shared fixtures: real registries, a release server with the real wash, act, built components."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.stacks import act as act_stack
from tests.stacks import registry as registry_stack
from tests.stacks import releases, sigstore_stack, upstream
from tests.stacks.upstream import WASH_VERSION, sign_provenance  # noqa: F401 - used by tests

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def wash_binary() -> Path:
    return releases.real_wash()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[registry_stack.RegistryProcess]:
    with registry_stack.running(tmp_path_factory.mktemp("registry")) as reg:
        yield reg


@pytest.fixture(scope="session")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[registry_stack.RegistryProcess]:
    password = "pw-" + secrets.token_hex(12)
    with registry_stack.running(tmp_path_factory.mktemp("auth-registry"), username="ci-user", password=password) as reg:
        yield reg


@pytest.fixture(scope="session")
def sigstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sigstore_stack.SigstoreStack]:
    """A local Sigstore stack whose tokens are those of wasmCloud's release workflow."""
    with sigstore_stack.running(tmp_path_factory.mktemp("sigstore"), upstream.RELEASE_CLAIMS) as stack:
        yield stack


USER_WORKFLOW_REF = "acme/hello-world/.github/workflows/component.yml@refs/heads/main"
USER_IDENTITY = f"https://github.com/{USER_WORKFLOW_REF}"


@pytest.fixture(scope="session")
def user_sigstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sigstore_stack.SigstoreStack]:
    """Tokens of the user's workflow (acme/hello-world), as GitHub issues them to a publish job."""
    claims = {
        "repository": "acme/hello-world",
        "ref": "refs/heads/main",
        "workflow_ref": USER_WORKFLOW_REF,
        "job_workflow_ref": USER_WORKFLOW_REF,
    }
    with sigstore_stack.running(tmp_path_factory.mktemp("user-sigstore"), claims) as stack:
        yield stack


@pytest.fixture(scope="session")
def github_sigstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sigstore_stack.SigstoreStack]:
    """GitHub's own Sigstore instance (Fulcio + timestamp authority, no transparency log), signing for the user's
    workflow in a private repository, as @actions/attest does for private and internal repositories."""
    claims = {
        "repository": "acme/hello-world",
        "ref": "refs/heads/main",
        "workflow_ref": USER_WORKFLOW_REF,
        "job_workflow_ref": USER_WORKFLOW_REF,
        "repository_visibility": "private",
    }
    with sigstore_stack.running(tmp_path_factory.mktemp("github-sigstore"), claims, instance="github") as stack:
        yield stack


@pytest.fixture(scope="session")
def release_server(wash_binary: Path, sigstore: sigstore_stack.SigstoreStack) -> Iterator[releases.ReleaseServer]:
    """The releases, with wash 2.10.3's binary covered by a release bundle and a GitHub attestation."""
    store = upstream.release_store(wash_binary)
    upstream.publish_provenance(store, sigstore, wash_binary)
    with releases.serving(store) as server:
        yield server


@pytest.fixture(scope="session")
def act(tmp_path_factory: pytest.TempPathFactory) -> act_stack.Act:
    return act_stack.Act.create(tmp_path_factory.mktemp("act"))


def copy_example(name: str, dest: Path) -> Path:
    return act_stack.copy_project(EXAMPLES / name, dest / name)


def committed_example(name: str, workspace: Path) -> Path:
    """A git repository at ``workspace`` with the example ``name`` in a sub-directory, committed on main."""
    from tests.helpers import run_git

    workspace.mkdir(parents=True)
    copy_example(name, workspace)
    run_git(workspace, "init", "-q", "-b", "main")
    run_git(workspace, "add", "-A")
    run_git(workspace, "commit", "-q", "-m", name)
    return workspace


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits are real in production; here ``time.sleep`` records them instead of sleeping."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


@pytest.fixture(scope="session")
def built_python(tmp_path_factory: pytest.TempPathFactory, wash_binary: Path) -> Path:
    """The hello-python example built once by the real wash (componentize-py)."""
    project = copy_example("hello-python", tmp_path_factory.mktemp("built"))
    env = {**os.environ, "PATH": f"{Path(os.sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([str(wash_binary), "build", "--skip-fetch"], cwd=project, env=env, check=True, capture_output=True)
    return project / "build" / "hello-python.wasm"


@pytest.fixture(scope="session")
def built_js(tmp_path_factory: pytest.TempPathFactory, wash_binary: Path) -> Path:
    """The hello-js example built once by the real wash (jco); its package-lock.json is beside it."""
    project = copy_example("hello-js", tmp_path_factory.mktemp("built-js"))
    subprocess.run([str(wash_binary), "build", "--skip-fetch"], cwd=project, check=True, capture_output=True)
    return project / "build" / "hello-js.wasm"


# Other people's projects: componentize-py's own examples, from its source distribution on PyPI (hash-pinned),
# built as their READMEs say (componentize_py-0.25.1/examples/{cli,http,sandbox}/README.md).
COMPONENTIZE_PY_SDIST = (
    "https://files.pythonhosted.org/packages/77/3d/c769bac866429f36a6d52451fb2980d5e8784efb1d265fb85eaaceb3c285/"
    "componentize_py-0.25.1.tar.gz",
    "e4087e916b06171303f803c8ffdd5f177e2422e87d9bed6ffe55cc41b2248aa8",
)
THEIR_EXAMPLES = {
    "cli": ["-d", "../../wit", "-w", "wasi:cli/command@0.2.0", "componentize", "app"],
    "http": ["-d", "../../wit", "-w", "wasi:http/proxy@0.2.0", "componentize", "app"],
    "sandbox": ["-d", "sandbox.wit", "componentize", "--stub-wasi", "guest"],
}


@pytest.fixture(scope="session")
def componentize_py_examples(tmp_path_factory) -> Path:
    """componentize-py 0.25.1's examples directory (downloaded once into .venv, checked against its sha256)."""
    url, sha256 = COMPONENTIZE_PY_SDIST
    cache = ROOT / ".venv" / "test-sources" / url.rsplit("/", 1)[1]
    if not cache.exists() or hashlib.sha256(cache.read_bytes()).hexdigest() != sha256:
        cache.parent.mkdir(parents=True, exist_ok=True)
        data = requests.get(url, timeout=120).content
        assert hashlib.sha256(data).hexdigest() == sha256, "componentize-py's sdist changed on PyPI"
        cache.write_bytes(data)
    root = tmp_path_factory.mktemp("componentize-py")
    with tarfile.open(cache) as archive:
        archive.extractall(root, filter="data")
    return root / "componentize_py-0.25.1" / "examples"


def build_theirs(examples: Path, name: str) -> Path:
    out = examples / name / f"{name}.wasm"
    if not out.exists():
        componentize = Path(sys.executable).parent / "componentize-py"
        subprocess.run(
            [str(componentize), *THEIR_EXAMPLES[name], "-o", str(out)],
            cwd=examples / name,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return out


REAL_COMPONENTS = ("python", "js", *(f"theirs-{name}" for name in THEIR_EXAMPLES))


def real_component(request: pytest.FixtureRequest) -> Path | None:
    """The component a REAL_COMPONENTS parameter names (built on first use), or None for a test's own names."""
    param = str(request.param)
    if param == "python":
        return Path(request.getfixturevalue("built_python"))
    if param == "js":
        return Path(request.getfixturevalue("built_js"))
    if param.startswith("theirs-"):
        return build_theirs(request.getfixturevalue("componentize_py_examples"), param.split("-", 1)[1])
    return None


GREETER = ROOT / "tests" / "fixtures" / "greeter"


@pytest.fixture(scope="session")
def greeter(tmp_path_factory) -> dict[str, Path]:
    """provider.wasm exports acme:greeter/greet@0.1.0; consumer.wasm imports it."""
    work = tmp_path_factory.mktemp("greeter")
    shutil.copytree(GREETER, work, dirs_exist_ok=True)
    componentize = Path(sys.executable).parent / "componentize-py"
    built = {}
    for world in ("provider", "consumer"):
        out = work / f"{world}.wasm"
        subprocess.run(
            [str(componentize), "-d", "wit", "-w", world, "componentize", f"{world}_app", "-o", str(out)],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=600,
        )
        built[world] = out
    return built
