"""source_key: what changes a component's source key and what does not, on real Git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_git
from wash_actions.errors import ActionError
from wash_actions.reuse import source_key
from wash_actions.reuse.source_key import BuildSettings, SourceKey, Unkeyed

SETTINGS = BuildSettings(wash_version="2.10.4", repository="https://github.com/o/r")
CONFIG = "build:\n  command: make\n  component_path: out.wasm\n"


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return run_git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    commit(
        root,
        {
            "components/a/.wash/config.yaml": CONFIG,
            "components/a/app.py": "print('a')\n",
            "components/a/.gitignore": "out.wasm\n",
            "components/b/.wash/config.yaml": CONFIG,
            "components/b/app.py": "print('b')\n",
            "Cargo.lock": "# lock 1\n",
            "docs/notes.md": "notes\n",
        },
        "initial",
    )
    return root


def key_of(project: Path, settings: BuildSettings = SETTINGS, globs: tuple[str, ...] = ()) -> str:
    found = source_key.compute(project, settings, globs)
    assert isinstance(found, SourceKey), found
    return found.key


def test_the_key_is_a_sha256_and_its_tag_a_prefix(repo: Path) -> None:
    key = key_of(repo / "components/a")
    assert source_key.KEY.match(key)
    assert source_key.tag_for(key) == "source-" + key[7:39]
    assert source_key.check_key(key) == key


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"docs/notes.md": "more notes\n"}, id="docs-elsewhere"),
        pytest.param({"components/b/app.py": "print('b2')\n"}, id="another-project"),
        pytest.param({}, id="empty-commit"),
    ],
)
def test_a_commit_elsewhere_keeps_the_key(repo: Path, files: dict[str, str]) -> None:
    before = key_of(repo / "components/a")
    commit(repo, files)
    assert key_of(repo / "components/a") == before


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"components/a/app.py": "print('a2')\n"}, id="project-source"),
        pytest.param({"components/a/.wash/config.yaml": CONFIG + "# changed\n"}, id="wash-config"),
        pytest.param({"components/a/wkg.lock": "# wkg\n"}, id="wkg-lock"),
        pytest.param({"Cargo.lock": "# lock 2\n"}, id="workspace-lock-file"),
    ],
)
def test_what_the_build_reads_changes_the_key(repo: Path, files: dict[str, str]) -> None:
    before = key_of(repo / "components/a")
    commit(repo, files)
    assert key_of(repo / "components/a") != before


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(SETTINGS._replace(wash_version="2.10.5"), id="wash-version"),
        pytest.param(SETTINGS._replace(args=("--skip-fetch",)), id="args"),
        pytest.param(SETTINGS._replace(wash_env=(("WASH_BUILD.COMMAND", "make x"),)), id="wash-env"),
        pytest.param(SETTINGS._replace(metadata=False), id="metadata"),
        pytest.param(SETTINGS._replace(skip_fetch=True), id="skip-fetch"),
        pytest.param(SETTINGS._replace(repository="https://github.com/fork/r"), id="repository"),
        pytest.param(SETTINGS._replace(job_commit="0" * 40), id="revision-job-commit"),
    ],
)
def test_build_settings_change_the_key(repo: Path, changed: BuildSettings) -> None:
    assert key_of(repo / "components/a", changed) != key_of(repo / "components/a")


def test_an_ignored_wkg_lock_counts_by_its_bytes(repo: Path) -> None:
    commit(repo, {"components/a/.gitignore": "out.wasm\nwkg.lock\n"})
    before = key_of(repo / "components/a")
    (repo / "components/a/wkg.lock").write_text("# fetched\n")
    assert key_of(repo / "components/a") != before


def test_declared_inputs_replace_the_default_workspace_files(repo: Path) -> None:
    commit(repo, {"shared/lib.py": "x = 1\n"})
    declared = key_of(repo / "components/a", globs=("shared/**",))
    default = key_of(repo / "components/a")
    commit(repo, {"shared/lib.py": "x = 2\n"})
    assert key_of(repo / "components/a", globs=("shared/**",)) != declared
    assert key_of(repo / "components/a") == default
    commit(repo, {"Cargo.lock": "# lock 3\n"})
    assert key_of(repo / "components/a", globs=("shared/**",)) != declared  # shared changed, as before
    assert key_of(repo / "components/a") != default


def test_the_same_source_in_another_clone_has_the_same_key(repo: Path, tmp_path: Path) -> None:
    commit(repo, {"components/a/app.py": "print('a3')\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True, capture_output=True
    )
    assert key_of(clone / "components/a") == key_of(repo / "components/a")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param({"components/a/app.py": "print('edited')\n"}, "differs from HEAD", id="edited"),
        pytest.param({"components/a/generated.py": "x\n"}, "differs from HEAD", id="untracked"),
    ],
)
def test_a_working_tree_unlike_head_has_no_key(repo: Path, change: dict[str, str], why: str) -> None:
    for name, text in change.items():
        (repo / name).write_text(text)
    found = source_key.compute(repo / "components/a", SETTINGS)
    assert isinstance(found, Unkeyed)
    assert why in found.reason


@pytest.mark.parametrize("name", ["app.py", "new.py"], ids=["edited", "untracked"])
def test_a_project_at_the_repository_root_unlike_head_has_no_key(tmp_path: Path, name: str) -> None:
    root = tmp_path / "root-project"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    commit(root, {".wash/config.yaml": CONFIG, "app.py": "print('a')\n"}, "initial")
    assert isinstance(source_key.compute(root, SETTINGS), SourceKey)
    (root / name).write_text("print('changed')\n")
    found = source_key.compute(root, SETTINGS)
    assert isinstance(found, Unkeyed)
    assert "differs from HEAD" in found.reason


def test_last_change_of_a_project_at_the_repository_root(tmp_path: Path) -> None:
    root = tmp_path / "root-project"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    first = commit(root, {".wash/config.yaml": CONFIG, "app.py": "print('a')\n"}, "initial")
    commit(root, {}, "empty")  # changes nothing: the source's last change stays the first commit
    found = source_key.compute(root, SETTINGS)
    assert isinstance(found, SourceKey)
    change = source_key.last_change(found)
    assert change is not None and change[0] == first


def test_ignored_build_output_keeps_the_key(repo: Path) -> None:
    before = key_of(repo / "components/a")
    (repo / "components/a/out.wasm").write_bytes(b"\0asm")
    assert key_of(repo / "components/a") == before


def test_outside_git_there_is_no_key(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    found = source_key.compute(tmp_path / "p", SETTINGS)
    assert isinstance(found, Unkeyed)
    assert "Git checkout" in found.reason


def test_last_change_names_the_commit_that_touched_the_project(repo: Path) -> None:
    touched = commit(repo, {"components/a/app.py": "print('a4')\n"})
    commit(repo, {"docs/notes.md": "later\n"})
    found = source_key.compute(repo / "components/a", SETTINGS)
    assert isinstance(found, SourceKey)
    change = source_key.last_change(found)
    assert change is not None and change[0] == touched


def test_last_change_is_unknown_in_a_shallow_clone(repo: Path, tmp_path: Path) -> None:
    commit(repo, {"docs/notes.md": "later\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True, capture_output=True
    )
    found = source_key.compute(clone / "components/a", SETTINGS)
    assert isinstance(found, SourceKey)
    assert source_key.last_change(found) is None


@pytest.mark.parametrize("bad", ["/etc/passwd", "../other/**", "C:/x"])
def test_inputs_outside_the_repository_are_one_clear_error(bad: str) -> None:
    with pytest.raises(ActionError, match="outside the repository"):
        source_key.check_globs([bad])


@pytest.mark.parametrize("bad", ["abc", "sha256:" + "A" * 64, "sha256:" + "0" * 63])
def test_a_malformed_source_key_input_is_one_clear_error(bad: str) -> None:
    with pytest.raises(ActionError, match="not a source key"):
        source_key.check_key(bad)


def test_default_workspace_files_climb_to_the_root() -> None:
    found = source_key.default_workspace_files("components/a/")
    assert "components/Cargo.lock" in found and "Cargo.lock" in found
    assert not any(name.startswith("components/a/") for name in found)
    assert source_key.default_workspace_files("") == ()
