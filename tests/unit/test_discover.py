"""discover: the project walk, include/exclude globs, unique names, the outputs and the one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import assert_one_clear_error, run_command
from wash_actions.commands import discover
from wash_actions.errors import ActionError

CONFIG = "build:\n  command: make\n  component_path: out.wasm\n"


def tree(root: Path, *projects: str, files: tuple[str, ...] = ()) -> Path:
    """A workspace with a .wash/config.yaml in each project directory, plus any other files."""
    for project in projects:
        config = root / project / ".wash" / "config.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG)
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return root


# ------------------------------------------------------------------------------------------ the walk


@pytest.mark.parametrize(
    ("projects", "expected"),
    [
        pytest.param(["."], ["."], id="workspace-root"),
        pytest.param(["components/py", "components/js"], ["components/js", "components/py"], id="sorted"),
        pytest.param([".", "a", "a/b"], [".", "a", "a/b"], id="nested-projects-all-found"),
        pytest.param(["x/node_modules/dep", "app"], ["app"], id="node_modules-skipped"),
        pytest.param(["target/debug/gen", "crate"], ["crate"], id="target-skipped"),
        pytest.param(["build/copy", "svc"], ["svc"], id="build-skipped"),
        pytest.param([".git/modules/x", ".cache/y", "svc/.hidden/z", "svc"], ["svc"], id="hidden-skipped"),
        pytest.param(["deep/er/and/deeper/still"], ["deep/er/and/deeper/still"], id="deep"),
        pytest.param([], [], id="none"),
    ],
)
def test_find_projects(tmp_path: Path, projects: list[str], expected: list[str]) -> None:
    assert discover.find_projects(tree(tmp_path, *projects)) == expected


@pytest.mark.parametrize(
    "files",
    [
        pytest.param((".wash/config.yml",), id="wrong-extension"),
        pytest.param(("wash/config.yaml",), id="not-hidden-dir"),
        pytest.param(("config.yaml",), id="no-.wash"),
    ],
)
def test_only_dot_wash_config_yaml_makes_a_project(tmp_path: Path, files: tuple[str, ...]) -> None:
    assert discover.find_projects(tree(tmp_path, files=files)) == []


def test_a_config_directory_named_like_the_file_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "p" / ".wash" / "config.yaml").mkdir(parents=True)
    assert discover.find_projects(tmp_path) == []


def test_symlinked_directories_are_not_followed(tmp_path: Path) -> None:
    tree(tmp_path / "outside", "real")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    tree(tmp_path / "ws", "mine")
    assert discover.find_projects(tmp_path / "ws") == ["mine"]


# ------------------------------------------------------------------------------------------ patterns


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("components/*", "components/*"),
        ("./components/*", "components/*"),
        ("././a", "a"),
        ("/a/b/", "a/b"),
        ("a//b", "a/b"),
        ("  a\\b  ", "a/b"),
        (".", "."),
        ("./", "."),
    ],
)
def test_normalize_pattern(raw: str, expected: str) -> None:
    assert discover.normalize_pattern(raw, "include") == expected


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("components/*", "components/py", True),
        ("components/*", "components/py/nested", True),  # a parent directory matched
        ("components/*", "services/py", False),
        ("*", "a", True),
        ("*", "a/b", True),  # through its parent "a"
        ("*/py", "components/py", True),
        ("*/py", "a/b/py", False),  # '*' stays within one segment
        ("**/py", "py", True),
        ("**/py", "a/b/py", True),
        ("**/py", "a/b/python", False),
        ("a/**/z", "a/z", True),
        ("a/**/z", "a/b/c/z", True),
        ("a/**", "a/b/c", True),
        ("**", "anything/at/all", True),
        ("comp?nents/js", "components/js", True),
        ("comp?nents/js", "compnents/js", False),
        ("components/[jp]*", "components/js", True),
        ("components/[!j]*", "components/js", False),
        ("components/[!j]*", "components/py", True),
        ("legacy", "legacy/old/thing", True),
        ("legacy", "legacy-new", False),
        ("a.b", "axb", False),  # '.' is literal
        ("components/py", "components/py", True),
        ("components/p", "components/py", False),  # whole segments only
        (".", ".", True),
    ],
)
def test_pattern_matching(pattern: str, path: str, matched: bool) -> None:
    assert discover.matches(path, [discover.compile_pattern(pattern)]) is matched


@pytest.mark.parametrize(
    ("include", "exclude", "expected", "unmatched"),
    [
        pytest.param((), (), ["a/x", "a/y", "b/z"], [], id="everything"),
        pytest.param(("a/*",), (), ["a/x", "a/y"], [], id="include"),
        pytest.param((), ("a/y",), ["a/x", "b/z"], [], id="exclude"),
        pytest.param(("a/*",), ("**/y",), ["a/x"], [], id="include-then-exclude"),
        pytest.param(("a/*", "b"), (), ["a/x", "a/y", "b/z"], [], id="several-includes"),
        pytest.param(("a/*", "nope/*"), (), ["a/x", "a/y"], ["nope/*"], id="unmatched-include-reported"),
        pytest.param(("a/x",), ("a/x",), [], [], id="exclude-wins"),
    ],
)
def test_select(include: tuple[str, ...], exclude: tuple[str, ...], expected: list[str], unmatched: list[str]) -> None:
    assert discover.select(["a/x", "a/y", "b/z"], include, exclude) == (expected, unmatched)


# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("paths", "names"),
    [
        pytest.param(["components/js", "components/py"], ["js", "py"], id="base-names"),
        pytest.param([".", "svc"], ["repo", "svc"], id="root-named-after-workspace"),
        pytest.param(["services/api", "tools/api", "web"], ["services-api", "tools-api", "web"], id="shared-base"),
        pytest.param(
            ["a-b/c", "x/c", "a/b-c", "y/b-c"], ["a-b-c", "x-c", "a-b-c-2", "y-b-c"], id="still-taken-gets-suffix"
        ),
        pytest.param(["repo", "."], ["repo", "repo-2"], id="root-name-collides"),
    ],
)
def test_names_are_unique(paths: list[str], names: list[str]) -> None:
    projects = discover.name_projects(paths, "repo")
    assert [p.name for p in projects] == names
    assert [p.path for p in projects] == paths


# ------------------------------------------------------------------------------------------ the command


def run_discover(tmp_path: Path, workspace: Path, monkeypatch, capfd, **inputs: str):
    return run_command(
        "discover", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path / "runner", workspace=workspace
    )


def test_outputs_matrix_projects_and_count(tmp_path, monkeypatch, capfd) -> None:
    ws = tree(tmp_path / "ws", "components/py", "components/js", "tools/gen", files=("components/js/node_modules/x",))
    run = run_discover(tmp_path, ws, monkeypatch, capfd, include="components/*\ntools/**", exclude="tools")
    assert run.code == 0, run.stdout
    assert json.loads(run.outputs["matrix"]) == {
        "include": [{"name": "js", "path": "components/js"}, {"name": "py", "path": "components/py"}]
    }
    assert json.loads(run.outputs["projects"]) == ["components/js", "components/py"]
    assert run.outputs["count"] == "2"
    assert "| <code>js</code> | <code>components\\/js</code> |" in run.summary
    assert "1 more left out by include/exclude" in run.summary
    assert not run.errors


def test_include_accepts_commas(tmp_path, monkeypatch, capfd) -> None:
    ws = tree(tmp_path / "ws", "a", "b", "c")
    run = run_discover(tmp_path, ws, monkeypatch, capfd, include="a, c")
    assert json.loads(run.outputs["projects"]) == ["a", "c"]


def test_an_include_pattern_matching_nothing_is_a_warning(tmp_path, monkeypatch, capfd) -> None:
    ws = tree(tmp_path / "ws", "components/py")
    run = run_discover(tmp_path, ws, monkeypatch, capfd, include="components/*,compnents/js")
    assert run.code == 0
    assert any(line.startswith("::warning") and "compnents/js" in line for line in run.stdout.splitlines())


def test_no_project_is_one_clear_error(tmp_path, monkeypatch, capfd) -> None:
    ws = tree(tmp_path / "ws", "x/node_modules/pkg", files=("README.md",))
    run = run_discover(tmp_path, ws, monkeypatch, capfd)
    line = assert_one_clear_error(run, "No wash project found", ".wash/config.yaml", "actions/checkout")
    assert "node_modules" in line
    assert "```yaml" in run.summary
    assert "matrix" not in run.outputs


def test_filters_that_leave_nothing_are_one_clear_error(tmp_path, monkeypatch, capfd) -> None:
    ws = tree(tmp_path / "ws", "components/py", "components/js")
    run = run_discover(tmp_path, ws, monkeypatch, capfd, include="services/*")
    line = assert_one_clear_error(run, "left none of the 2 wash projects", "components/js", "include: components/*")
    assert "services/*" in line


def test_a_negated_pattern_is_refused_with_the_other_input(tmp_path, monkeypatch, capfd) -> None:
    ws = tree(tmp_path / "ws", "a")
    run = run_discover(tmp_path, ws, monkeypatch, capfd, include="!legacy")
    assert_one_clear_error(run, "negated pattern", "exclude: legacy")


def test_missing_workspace_is_one_clear_error(tmp_path, monkeypatch, capfd) -> None:
    run = run_discover(tmp_path, tmp_path / "missing", monkeypatch, capfd)
    assert_one_clear_error(run, "does not exist", "actions/checkout")


def test_errors_name_what_why_fix() -> None:
    error = discover.none_found(Path("/ws"))
    assert isinstance(error, ActionError)
    assert error.docs == discover.DOCS
    assert "- uses: OWNER/wash-actions/actions/discover@v1" in error.fix


@pytest.mark.parametrize(("raw", "only"), [("", False), ("all", False), ("only", True), (" ONLY ", True)])
def test_changed_is_all_or_only(raw: str, only: bool) -> None:
    assert discover.parse_changed(raw) is only


def test_changed_anything_else_is_one_clear_error() -> None:
    with pytest.raises(ActionError, match="not all or only"):
        discover.parse_changed("some")
