"""setup-wash's Rust inputs: what runs with and without rustup/cargo, and the errors that name the input."""

from __future__ import annotations

import pytest

from wash_actions.errors import ActionError
from wash_actions.toolchain import rust

RUSTUP, CARGO = "/home/runner/.cargo/bin/rustup", "/home/runner/.cargo/bin/cargo"
AUDITABLE = (CARGO, "install", "--locked", "cargo-auditable", "--version", rust.CARGO_AUDITABLE_VERSION)


@pytest.mark.parametrize(
    ("target", "auditable", "rustup", "cargo", "commands", "notices", "project"),
    [
        ("", "", RUSTUP, CARGO, [(RUSTUP, "target", "add", "wasm32-wasip2")], 0, True),  # as setup-wash-action
        ("", "", RUSTUP, CARGO, [], 0, False),  # a JS or Python job on a hosted runner: nothing runs
        ("", "", None, None, [], 1, True),  # a Rust project without rustup: a notice says why
        ("", "", None, None, [], 0, False),
        ("false", "", RUSTUP, CARGO, [], 0, True),
        ("wasm32-wasip1", "", RUSTUP, CARGO, [(RUSTUP, "target", "add", "wasm32-wasip1")], 0, False),
        ("false", "true", None, CARGO, [AUDITABLE], 0, True),
        ("auto", "TRUE", RUSTUP, CARGO, [(RUSTUP, "target", "add", "wasm32-wasip2"), AUDITABLE], 0, True),
    ],
)
def test_plan(target, auditable, rustup, cargo, commands, notices, project) -> None:
    result = rust.plan(rust.parse(target, auditable), rustup, cargo, project)
    assert list(result.commands) == commands
    assert len(result.notices) == notices


@pytest.mark.parametrize(
    ("target", "auditable", "rustup", "cargo", "what", "fix"),
    [
        ("wasm32-wasip2", "false", None, None, "needs rustup", "rust-target: false"),
        ("auto", "true", RUSTUP, None, "needs cargo", "cargo-auditable: false"),
        ("wasm32 wasip2", "false", RUSTUP, CARGO, "is not a Rust target", "rust-target: wasm32-wasip2"),
        ("auto", "yes", RUSTUP, CARGO, "is not true or false", "cargo-auditable: true"),
    ],
)
def test_errors_name_the_input(target, auditable, rustup, cargo, what, fix) -> None:
    with pytest.raises(ActionError) as caught:
        rust.plan(rust.parse(target, auditable), rustup, cargo)
    assert what in caught.value.what
    assert fix in caught.value.fix


def test_a_rust_project_is_found_below_the_workspace(tmp_path) -> None:
    assert not rust.has_rust_project(tmp_path)
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "Cargo.toml").write_text("")
    assert not rust.has_rust_project(tmp_path)  # vendored packages do not count
    (tmp_path / "components" / "hello").mkdir(parents=True)
    (tmp_path / "components" / "hello" / "Cargo.toml").write_text("")
    assert rust.has_rust_project(tmp_path)
    assert not rust.has_rust_project(tmp_path, depth=1)
