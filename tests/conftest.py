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
from tests.stacks import releases

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WASH_VERSION = "2.10.3"


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
def release_server(wash_binary: Path) -> Iterator[releases.ReleaseServer]:
    from wash_actions import install

    plat = install.host_platform()
    version = install.parse_exact(WASH_VERSION)
    store = releases.ReleaseStore()
    store.add(version.tag, install.asset_name(plat, version), wash_binary.read_bytes())
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
