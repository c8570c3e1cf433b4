"""paths: containment after every symbolic link is resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from wash_actions import paths
from wash_actions.errors import ActionError, cap


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
