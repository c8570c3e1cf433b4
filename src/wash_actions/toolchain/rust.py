"""The Rust toolchain steps wasmCloud's actions run before a build, as setup-wash inputs.

wasmCloud/setup-wash-action runs ``rustup target add wasm32-wasip2`` unconditionally (its action.yml, first
step); wasmCloud/actions' setup-wash-cargo-auditable installs cargo-auditable (and cargo-audit) with
taiki-e/install-action and points ``.wash/config.yaml``'s build command at ``cargo auditable build``.

Inputs: ``rust-target`` — ``auto`` (the default: add ``wasm32-wasip2`` when rustup is on PATH and the
workspace holds a Rust project, so JavaScript, Python and Go jobs on hosted runners, which all have rustup,
spend nothing; without rustup a Rust project gets a notice), a target triple (required: no rustup is an
error), or ``false``; ``cargo-auditable`` — ``false`` (default) or ``true`` (install the pinned version with
``cargo install --locked``, the way cargo-auditable's README installs it; needs cargo).
wasmCloud/actions installs it with taiki-e/install-action (a prebuilt release download); this suite
downloads nothing outside the package registries the job already uses.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from ..errors import ActionError
from ..runner.paths import NOT_SEARCHED

DEFAULT_TARGET = "wasm32-wasip2"
# rust-secure-code/cargo-auditable cargo-auditable/CHANGELOG.md: 0.7.5, 2026-05-22.
CARGO_AUDITABLE_VERSION = "0.7.5"
_TRIPLE = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_.]+){1,3}")


class RustOptions(NamedTuple):
    target: str  # "auto", "false" or a triple
    cargo_auditable: bool


def parse(rust_target: str, cargo_auditable: str) -> RustOptions:
    """The rust-target and cargo-auditable inputs, checked."""
    target = rust_target.strip() or "auto"
    if target.lower() in {"auto", "false"}:
        target = target.lower()
    elif not _TRIPLE.fullmatch(target):
        raise ActionError(
            what=f"rust-target {rust_target!r} is not a Rust target",
            why="rust-target is auto, false, or a target triple that rustup can add.",
            fix="with:\n  rust-target: wasm32-wasip2",
            docs="#rust",
        )
    flag = cargo_auditable.strip().lower() or "false"
    if flag not in {"true", "false"}:
        raise ActionError(
            what=f"cargo-auditable {cargo_auditable!r} is not true or false",
            why="cargo-auditable says whether setup-wash installs cargo-auditable for `cargo auditable build`.",
            fix="with:\n  cargo-auditable: true",
            docs="#rust",
        )
    return RustOptions(target, flag == "true")


class RustPlan(NamedTuple):
    commands: tuple[tuple[str, ...], ...]
    notices: tuple[str, ...]


def has_rust_project(workspace: Path, depth: int = 3) -> bool:
    """A ``Cargo.toml`` in the workspace or a directory at most ``depth`` levels below it."""
    if (workspace / "Cargo.toml").is_file():
        return True
    if depth == 0:
        return False
    try:
        children = [e for e in os.scandir(workspace) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return False
    return any(has_rust_project(Path(e.path), depth - 1) for e in children if e.name not in NOT_SEARCHED)


def plan(options: RustOptions, rustup: str | None, cargo: str | None, rust_project: bool = True) -> RustPlan:
    """The commands to run (argument lists), given where rustup and cargo are (None: not on PATH)."""
    commands: list[tuple[str, ...]] = []
    notices: list[str] = []
    if options.target == "auto":
        if rustup and rust_project:
            commands.append((rustup, "target", "add", DEFAULT_TARGET))
        elif rust_project:
            notices.append(
                f"rustup is not on PATH, so the Rust target {DEFAULT_TARGET} was not added (rust-target: auto)."
            )
    elif options.target != "false":
        if not rustup:
            raise ActionError(
                what=f"rust-target {options.target} needs rustup, which is not on PATH",
                why="The target is added with `rustup target add`; this runner or container has no rustup.",
                fix="Install Rust with rustup before setup-wash, e.g.\n"
                "- uses: dtolnay/rust-toolchain@<sha>  # stable\n"
                "  with:\n    targets: wasm32-wasip2\n"
                "or drop the input:\nwith:\n  rust-target: false",
                docs="#rust",
            )
        commands.append((rustup, "target", "add", options.target))
    if options.cargo_auditable:
        if not cargo:
            raise ActionError(
                what="cargo-auditable: true needs cargo, which is not on PATH",
                why="cargo-auditable is installed with `cargo install`; this runner or container has no Rust.",
                fix="Install Rust before setup-wash, or drop the input:\nwith:\n  cargo-auditable: false",
                docs="#rust",
            )
        commands.append((cargo, "install", "--locked", "cargo-auditable", "--version", CARGO_AUDITABLE_VERSION))
    return RustPlan(tuple(commands), tuple(notices))
