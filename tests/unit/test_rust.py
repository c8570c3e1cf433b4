"""setup-wash's Rust inputs: what runs with and without rustup/cargo, and the errors that name the input."""

from __future__ import annotations

import pytest

from wash_actions import rust
from wash_actions.errors import ActionError

RUSTUP, CARGO = "/home/runner/.cargo/bin/rustup", "/home/runner/.cargo/bin/cargo"
AUDITABLE = (CARGO, "install", "--locked", "cargo-auditable", "--version", rust.CARGO_AUDITABLE_VERSION)


@pytest.mark.parametrize(
    ("target", "auditable", "rustup", "cargo", "commands", "notices"),
    [
        ("", "", RUSTUP, CARGO, [(RUSTUP, "target", "add", "wasm32-wasip2")], 0),  # drop-in for setup-wash-action
        ("", "", None, None, [], 1),  # a JS or Python job without Rust: nothing runs, a notice says why
        ("false", "", RUSTUP, CARGO, [], 0),
        ("wasm32-wasip1", "", RUSTUP, CARGO, [(RUSTUP, "target", "add", "wasm32-wasip1")], 0),
        ("false", "true", None, CARGO, [AUDITABLE], 0),
        ("auto", "TRUE", RUSTUP, CARGO, [(RUSTUP, "target", "add", "wasm32-wasip2"), AUDITABLE], 0),
    ],
)
def test_plan(target, auditable, rustup, cargo, commands, notices) -> None:
    result = rust.plan(rust.parse(target, auditable), rustup, cargo)
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
