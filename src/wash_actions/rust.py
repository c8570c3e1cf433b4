"""The Rust toolchain steps wasmCloud's actions run before a build, as setup-wash inputs (not wired yet).

wasmCloud/setup-wash-action runs ``rustup target add wasm32-wasip2`` unconditionally (its action.yml, first
step); wasmCloud/actions' setup-wash-cargo-auditable installs cargo-auditable (and cargo-audit) with
taiki-e/install-action and points ``.wash/config.yaml``'s build command at ``cargo auditable build``.

Inputs: ``rust-target`` — ``auto`` (the default: add ``wasm32-wasip2`` when rustup is on PATH, skip with a
notice when it is not, so JavaScript, Python and Go jobs are untouched), a target triple (required: no
rustup is an error), or ``false``; ``cargo-auditable`` — ``false`` (default) or ``true`` (install the pinned
version with ``cargo install --locked``; needs cargo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ActionError

DEFAULT_TARGET = "wasm32-wasip2"
# rust-secure-code/cargo-auditable cargo-auditable/CHANGELOG.md: 0.7.5, 2026-05-22.
CARGO_AUDITABLE_VERSION = "0.7.5"
_TRIPLE = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_.]+){1,3}")


@dataclass(frozen=True)
class RustOptions:
    target: str  # "auto", "false" or a triple
    cargo_auditable: bool


def parse(rust_target: str, cargo_auditable: str) -> RustOptions:
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


@dataclass(frozen=True)
class RustPlan:
    commands: tuple[tuple[str, ...], ...]
    notices: tuple[str, ...]


def plan(options: RustOptions, rustup: str | None, cargo: str | None) -> RustPlan:
    """The commands to run (argument lists), given where rustup and cargo are (None: not on PATH)."""
    commands: list[tuple[str, ...]] = []
    notices: list[str] = []
    if options.target == "auto":
        if rustup:
            commands.append((rustup, "target", "add", DEFAULT_TARGET))
        else:
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
