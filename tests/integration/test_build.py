"""build in-process with the real wash building real components."""

from __future__ import annotations

import hashlib
import os
import shutil
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
    line = assert_one_clear_error(run, "wash build failed", "npm run build")
    assert "Stack backtrace" not in line
    assert "<details>" in run.summary


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
