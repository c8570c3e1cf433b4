"""The root action.yml and the README's input/output tables are generated from actions/*/action.yml
(scripts/gen-root-action): the committed files are what the generator writes, and an edit to a sub-action
reaches both."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen-root-action"
CHAIN = ("setup-wash", "build", "check", "publish")
WIRED = {
    ("build", "wash-path"),
    ("publish", "wash-path"),
    ("check", "component-path"),
    ("publish", "component-path"),
    ("publish", "component_path"),
    ("publish", "project-path"),
    ("publish", "source-key"),
}
SHADOWED_OUTPUTS = {("build", "reused"), ("build", "source-key")}  # the root says publish's


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_committed_files_are_what_the_generator_writes() -> None:
    result = run("--check")
    assert result.returncode == 0, f"run scripts/gen-root-action:\n{result.stdout}{result.stderr}"


def copy_repository(tmp_path: Path) -> Path:
    for name in ("action.yml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "actions", tmp_path / "actions")
    return tmp_path


def test_a_sub_action_edit_reaches_the_root_and_the_readme(tmp_path: Path) -> None:
    root = copy_repository(tmp_path)
    build = root / "actions" / "build" / "action.yml"
    old = "Size of the component file in bytes."
    new = "Size of the component file in bytes, after metadata was embedded."
    build.write_text(build.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    stale = run("--check", "--root", root)
    assert stale.returncode == 1
    assert f"+    description: {new}" in stale.stdout  # the diff of action.yml
    assert f"+| `component-size` | {new} |" in stale.stdout  # the diff of README.md (pipeline and build tables)
    assert not (root / "action.yml").read_text(encoding="utf-8").count(new)  # --check writes nothing

    assert run("--root", root).returncode == 0
    assert load(root / "action.yml")["outputs"]["component-size"]["description"] == new
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert readme.count(f"| `component-size` | {new} |") == 2
    assert run("--check", "--root", root).returncode == 0


def test_a_readme_without_its_markers_is_an_error(tmp_path: Path) -> None:
    root = copy_repository(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("<!-- generated: build outputs -->\n", ""))
    result = run("--root", root)
    assert result.returncode == 2
    assert "no generated table for: build outputs" in result.stderr


def test_root_chains_the_sub_actions() -> None:
    root = load(ROOT / "action.yml")
    subs = {name: load(ROOT / "actions" / name / "action.yml") for name in CHAIN}

    expected_inputs: list[str] = []
    for name, sub in subs.items():
        expected_inputs += [i for i in sub["inputs"] if (name, i) not in WIRED and i not in expected_inputs]
    assert list(root["inputs"]) == expected_inputs
    for name, sub in subs.items():
        for key, spec in sub["outputs"].items():
            if (name, key) in SHADOWED_OUTPUTS:
                assert root["outputs"][key] == subs["publish"]["outputs"][key]
                continue
            assert root["outputs"][key] == spec, f"{name}'s output {key}"

    ids = [step["id"] for step in root["runs"]["steps"]]
    assert ids == ["python", "setup-python"] + [
        step["id"] for sub in subs.values() for step in sub["runs"]["steps"][2:]
    ]
    steps = {step["id"]: step for step in root["runs"]["steps"]}
    wash_path = subs["setup-wash"]["outputs"]["wash-path"]["value"]
    assert steps["build"]["env"]["WASHACTIONS_INPUT_WASH_PATH"] == wash_path
    # publish runs no wash: the root neither declares nor passes its deprecated wash-path (no notice in every run)
    assert "WASHACTIONS_INPUT_WASH_PATH" not in steps["publish"]["env"]
    assert steps["publish"]["env"]["WASHACTIONS_INPUT_COMPONENT_PATH"] == "${{ steps.build.outputs.component-path }}"
    assert steps["publish"]["env"]["WASHACTIONS_INPUT_SOURCE_KEY"] == "${{ steps.build.outputs.source-key }}"
    assert root["inputs"]["reuse-from"]["default"] == "true"  # build pulls from where publish publishes
    assert steps["build"]["env"]["WASHACTIONS_INPUT_REGISTRY"] == "${{ inputs.registry }}"
    runs = [str(step["run"]) for step in root["runs"]["steps"] if "run" in step]
    assert len(runs) == 7  # find-python, resolve, install, build, check, sigstore-cache, publish
    assert steps["check"]["env"]["WASHACTIONS_INPUT_COMPONENT_PATH"] == "${{ steps.build.outputs.component-path }}"
    assert root["inputs"]["check"]["default"] == "report"  # the pipeline reports; the check action fails
    assert all('"$GITHUB_ACTION_PATH/scripts/' in run for run in runs), runs
