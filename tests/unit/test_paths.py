"""paths: containment after every symbolic link is resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions.errors import ActionError, cap
from wash_actions.runner import paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "ws" / "app" / "build").mkdir(parents=True)
    (tmp_path / "ws" / "app" / "build" / "c.wasm").write_bytes(b"")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "v.wasm").write_bytes(b"")
    (tmp_path / "ws" / "out-link").symlink_to(tmp_path / "outside")
    (tmp_path / "ws" / "file-link.wasm").symlink_to(tmp_path / "outside" / "v.wasm")
    (tmp_path / "ws" / "in-link").symlink_to(tmp_path / "ws" / "app")
    return tmp_path


@pytest.mark.parametrize(
    ("relative", "inside"),
    [
        (".", True),
        ("app", True),
        ("app/build/c.wasm", True),
        ("app/../app/build", True),
        ("in-link/build/c.wasm", True),  # a link that stays inside
        ("..", False),
        ("../outside/v.wasm", False),
        ("app/../../outside", False),
        ("out-link", False),
        ("out-link/v.wasm", False),
        ("file-link.wasm", False),
        ("missing/../../outside", False),
    ],
)
def test_is_inside(tree: Path, relative: str, inside: bool) -> None:
    workspace = tree / "ws"
    assert paths.is_inside(workspace / relative, workspace) is inside


def test_is_inside_absolute(tree: Path) -> None:
    assert paths.is_inside(tree / "outside" / "v.wasm", tree / "ws") is False
    assert paths.is_inside(tree / "ws" / "app", tree / "ws") is True


@pytest.mark.parametrize(
    ("relative", "reason"),
    [("out-link", "is a symbolic link to"), ("file-link.wasm", "is a symbolic link to"), ("../outside", "resolves to")],
)
def test_escape_reason(tree: Path, relative: str, reason: str) -> None:
    assert reason in paths.escape_reason(Path(relative), tree / "ws")


@pytest.mark.parametrize(
    ("text", "limit", "kept"),
    [("short", 100, "short"), ("a" * 50 + "TAIL", 200, "a" * 50 + "TAIL")],
)
def test_cap_leaves_short_text(text: str, limit: int, kept: str) -> None:
    assert cap(text, limit) == kept


def test_cap_keeps_the_tail() -> None:
    capped = cap("x" * 10_000 + "TAIL", 500)
    assert len(capped) == 500 and capped.endswith("TAIL") and "left out" in capped


def test_a_huge_error_renders_small() -> None:
    error = ActionError(what="w" * 5000, why="y" * 6_000_000 + "REASON", fix="f", details="d" * 6_000_000 + "LAST")
    assert len(error.one_line()) < 3000 and "REASON" in error.one_line()
    markdown = error.markdown()
    assert len(markdown) < 200_000 and "LAST" in markdown and "REASON" in markdown


def _glob(workspace: Path, pattern: str) -> list[str]:
    found = paths.workspace_glob("manifests", pattern, workspace, fix="fix", docs="#check")
    return [p.relative_to(workspace).as_posix() for p in found]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for name in ("deploy/a.yaml", "deploy/b.yml", "deploy/sub/c.yaml", "other/d.yaml", "e.yaml", "deploy/a+b.yaml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    return root


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("deploy/*.yaml", ["deploy/a+b.yaml", "deploy/a.yaml"]),
        ("deploy/**/*.yaml", ["deploy/a+b.yaml", "deploy/a.yaml", "deploy/sub/c.yaml"]),
        ("**/*.yaml", ["deploy/a+b.yaml", "deploy/a.yaml", "deploy/sub/c.yaml", "e.yaml", "other/d.yaml"]),
        ("deploy/[ab].y*ml", ["deploy/a.yaml", "deploy/b.yml"]),
        ("deploy/?.yaml", ["deploy/a.yaml"]),
        ("./e.yaml", ["e.yaml"]),
        ("e.yaml", ["e.yaml"]),
        ("missing/*.yaml", []),
        ("deploy", []),  # a directory is not a file
    ],
)
def test_workspace_glob(workspace: Path, pattern: str, expected: list[str]) -> None:
    assert _glob(workspace, pattern) == expected


def test_workspace_glob_never_enters_a_link_out_or_a_cycle(workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("x")
    (workspace / "deploy" / "out").symlink_to(outside)  # a directory link out: not entered
    (workspace / "deploy" / "sub" / "loop").symlink_to(workspace / "deploy")  # a cycle: not entered
    assert _glob(workspace, "**/*.yaml") == [
        "deploy/a+b.yaml",
        "deploy/a.yaml",
        "deploy/sub/c.yaml",
        "e.yaml",
        "other/d.yaml",
    ]
    (workspace / "deploy" / "leak.yaml").symlink_to(outside / "secret.yaml")  # a file link out: refused
    with pytest.raises(ActionError, match=r"deploy/leak\.yaml is outside the workspace"):
        _glob(workspace, "deploy/*.yaml")
    (workspace / "deploy" / "ok.yaml").symlink_to(workspace / "e.yaml")  # a file link inside: kept
    (workspace / "deploy" / "leak.yaml").unlink()
    assert "deploy/ok.yaml" in _glob(workspace, "deploy/*.yaml")


@pytest.mark.parametrize("pattern", ["../x.yaml", "/etc/*.yaml", "deploy/../../x", ""])
def test_workspace_glob_refuses_patterns_out(workspace: Path, pattern: str) -> None:
    with pytest.raises(ActionError, match="is outside the workspace"):
        _glob(workspace, pattern)
