"""Shared fixtures: real registries, a release server with the real wash, act, built components."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

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
