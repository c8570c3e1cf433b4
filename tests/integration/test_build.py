"""build in-process with the real wash building real components."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, copy_example
from tests.helpers import assert_one_clear_error, run_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def build(monkeypatch, capfd, tmp_path, wash_binary):
    def run(project: Path, **inputs: str):
        return run_command(
            "build",
            {"wash-path": str(wash_binary), "skip-fetch": "true", **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
            workspace=project.parent,
            env={"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
        )

    return run


def test_builds_python_example(build, tmp_path):
    project = copy_example("hello-python", tmp_path)
    run = build(project, **{"working-directory": "hello-python"})
    assert run.code == 0, run.stdout + run.stderr
    component = Path(run.outputs["component-path"])
    assert component == project / "build" / "hello-python.wasm"
    assert component.read_bytes()[:8] == b"\0asm\x0d\x00\x01\x00"
    assert run.outputs["component-sha256"] == hashlib.sha256(component.read_bytes()).hexdigest()
    assert run.outputs["component-size"] == str(component.stat().st_size)
    assert run.outputs["project-path"] == str(project)
    assert "Component built" in run.summary


def test_builds_js_example_whose_build_prints_to_stdout(build, tmp_path):
    project = copy_example("hello-js", tmp_path)
    run = build(project, **{"working-directory": "hello-js"})
    assert run.code == 0, run.stdout + run.stderr
    assert "Successfully written" in run.stdout  # jco's own stdout reached the log
    assert Path(run.outputs["component-path"]).read_bytes()[:8] == b"\0asm\x0d\x00\x01\x00"


def test_build_that_prints_json_noise(build, tmp_path, built_python):
    project = tmp_path / "noisy"
    shutil.copytree(ROOT / "tests" / "fixtures" / "projects" / "noisy", project)
    (project / "out").mkdir()
    shutil.copy(built_python, project / "out" / "c.wasm")
    run = build(project, **{"working-directory": "noisy"})
    assert run.code == 0, run.stdout
    assert run.outputs["component-path"] == str(project / "out" / "c.wasm")


def test_failing_build_command(build, tmp_path):
    project = copy_example("hello-js", tmp_path)
    (project / "src" / "hello.js").write_text("export function greet( {\n")
    run = build(project, **{"working-directory": "hello-js"})
    line = assert_one_clear_error(run, "wash build failed", "npm run build", "Last lines of the build output")
    assert "Stack backtrace" not in line
    assert "<details>" in run.summary
    assert "> hello-js@0.1.0 build" in run.summary  # the full build output, collapsed in the summary
    assert '"success": false' not in run.summary  # without wash's envelope


def test_missing_config(build, tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_clear_error(build(tmp_path / "empty", **{"working-directory": "empty"}), ".wash/config.yaml is missing")


def test_missing_working_directory(build, tmp_path):
    assert_one_clear_error(build(tmp_path / "nope", **{"working-directory": "nope"}), "does not exist")


def test_config_without_build_command(build, tmp_path):
    project = tmp_path / "nocmd"
    (project / ".wash").mkdir(parents=True)
    (project / ".wash" / "config.yaml").write_text("build: {}\n")
    assert_one_clear_error(build(project, **{"working-directory": "nocmd"}), "build.command is required")


def test_bad_yaml(build, tmp_path):
    project = tmp_path / "badyaml"
    (project / ".wash").mkdir(parents=True)
    (project / ".wash" / "config.yaml").write_text("build:\n  command: [unclosed\n")
    assert_one_clear_error(build(project, **{"working-directory": "badyaml"}), "failed to load wash configuration")


def test_component_path_that_is_never_written(build, tmp_path):
    project = tmp_path / "nofile"
    (project / ".wash").mkdir(parents=True)
    (project / ".wash" / "config.yaml").write_text("build:\n  command: 'true'\n  component_path: out/x.wasm\n")
    run = build(project, **{"working-directory": "nofile"})
    assert_one_clear_error(run)


def test_wash_output_without_envelope(build, tmp_path):
    project = copy_example("hello-python", tmp_path)
    run = build(project, **{"working-directory": "hello-python", "args": "--no-such-flag"})
    assert_one_clear_error(run, "wash build printed no JSON result")
    assert "unexpected argument" in run.summary


def test_wash_missing(build, tmp_path):
    project = copy_example("hello-python", tmp_path)
    run = build(project, **{"working-directory": "hello-python", "wash-path": str(tmp_path / "no-wash")})
    assert_one_clear_error(run, "wash not found")


def test_examples_are_wash_projects():
    for name in ("hello-python", "hello-js"):
        assert (EXAMPLES / name / ".wash" / "config.yaml").is_file()


def test_metadata_reaches_the_registry_as_annotations(build, tmp_path, registry, wash_binary, monkeypatch):
    project = copy_example("hello-python", tmp_path)
    sha = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_SHA", sha)
    run = build(project, **{"working-directory": "hello-python"})
    assert run.code == 0, run.stdout
    added = json.loads(run.outputs["metadata"])
    assert added["source"] == "https://github.com/acme/hello-world"
    assert added["revision"] == sha
    assert added["version"] == "0.1.0"  # from pyproject.toml
    assert added["licenses"] == "Apache-2.0"
    component = Path(run.outputs["component-path"])
    assert run.outputs["component-sha256"] == hashlib.sha256(component.read_bytes()).hexdigest()
    pushed = subprocess.run(
        [str(wash_binary), "oci", "push", "--insecure", "-o", "json", f"{registry.host}/acme/meta:v1", str(component)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"success": true' in pushed.stdout
    annotations = registry.manifest("acme/meta", "v1").json()["annotations"]
    assert annotations["org.opencontainers.image.source"] == "https://github.com/acme/hello-world"
    assert annotations["org.opencontainers.image.revision"] == sha
    assert annotations["org.opencontainers.image.version"] == "0.1.0"
    assert annotations["org.opencontainers.image.licenses"] == "Apache-2.0"


def test_metadata_already_in_the_component_is_kept(build, tmp_path, monkeypatch):
    from wash_actions.component import metadata

    project = copy_example("hello-python", tmp_path)
    first = build(project, **{"working-directory": "hello-python"})
    assert first.code == 0
    component = Path(first.outputs["component-path"])
    # a second embed on the same file adds nothing: every section is present now
    assert metadata.embed(component, {"version": "9.9.9"}) == ({}, component.read_bytes())
    assert metadata.read_sections(component.read_bytes())["version"] == "0.1.0"


def test_metadata_off(build, tmp_path):
    project = copy_example("hello-python", tmp_path)
    run = build(project, **{"working-directory": "hello-python", "metadata": "false"})
    assert run.code == 0
    assert json.loads(run.outputs["metadata"]) == {}


def test_outputs_describe_the_component(build, tmp_path):
    project = copy_example("hello-python", tmp_path)
    run = build(project, **{"working-directory": "hello-python"})
    assert run.code == 0
    assert run.outputs["component_path"] == run.outputs["component-path"]
    assert run.outputs["component-path-relative"] == "hello-python/build/hello-python.wasm"
    assert "export greet: func(name: string) -> string;" in run.outputs["wit"]
    assert json.loads(run.outputs["json"])["component_path"] == run.outputs["component-path"]
    assert "| imports | exports |" in run.summary


def test_stray_wash_variables_do_not_reach_wash(build, tmp_path, monkeypatch):
    project = copy_example("hello-python", tmp_path)
    # a job-level WASH_BUILD would make wash fail to load its config ("expected struct BuildConfig")
    monkeypatch.setenv("WASH_BUILD", "true")
    run = build(project, **{"working-directory": "hello-python"})
    assert run.code == 0, run.stdout
    assert "Not passed to wash build: WASH_BUILD." in run.stdout  # named in a warning
    on_purpose = build(
        project, **{"working-directory": "hello-python", "wash-env": "WASH_BUILD.COMPONENT_PATH=nowhere.wasm"}
    )
    assert_one_clear_error(on_purpose, "component not found at expected path")


def test_bad_wash_env(build, tmp_path):
    project = copy_example("hello-python", tmp_path)
    run = build(project, **{"working-directory": "hello-python", "wash-env": "PATH=/tmp"})
    assert_one_clear_error(run, "WASH_NAME=value")


def test_unfetchable_wit_dependencies_point_at_skip_fetch(build, tmp_path):
    """The real wash cannot reach the WIT registry here (no network beyond the package registries)."""
    project = copy_example("hello-python", tmp_path)
    world = project / "wit" / "world.wit"
    world.write_text(world.read_text().replace("world hello {", "world hello {\n  import wasi:cli/environment@0.2.3;"))
    run = build(project, **{"working-directory": "hello-python", "skip-fetch": "false"})
    assert_one_clear_error(run, "wash build failed", "skip-fetch: true", "wkg wit fetch", "(wasi:cli)")
