"""digest: the manifest digest publish gives a component at a commit, re-derived anywhere from the source.

    scripts/wash-actions digest COMPONENT [--commit SHA | --created commit|now|RFC3339] [--repo DIR] [--source-key K]

It builds the same artifact publish pushes (:mod:`layout`) with the same ``created`` rule
(:mod:`source_date`: ``SOURCE_DATE_EPOCH``, else the committer time of the commit in ``--repo``, default the
current directory; ``--commit`` defaults to its ``HEAD``) and prints the digest. Nothing is contacted. git reads
the repository as :mod:`git_read` does: a repository another user owns is refused as git refuses it (the fix
is git's own ``safe.directory``), and its configuration runs no program.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..component.world import load
from ..errors import ActionError
from ..oci import layout, source_date
from ..reuse import source_key
from ..runner import gha

USAGE = "wash-actions digest COMPONENT [--commit SHA | --created commit|now|RFC3339] [--repo DIR] [--source-key K]"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # one clear error, not argparse's exit 2
        raise ActionError(
            what=f"digest: {message}",
            why="digest takes a component file and, optionally, the commit it was released from.",
            fix=f"{USAGE}\ne.g. scripts/wash-actions digest build/hello.wasm --commit 0123abc",
            docs="#reproducible-digests",
        )


def run(argv: list[str]) -> str:
    """Parse the arguments, print the digest (stdout) and how ``created`` was chosen (stderr)."""
    parser = _Parser(prog="wash-actions digest", add_help=False, usage=USAGE)
    parser.add_argument("component")
    parser.add_argument("--commit", default="")
    parser.add_argument("--created", default="commit")
    parser.add_argument("--repo", default=".")
    parser.add_argument("--source-key", default="")
    args = parser.parse_args(argv)
    component = Path(args.component)
    if not component.is_file():
        raise ActionError(
            what=f"digest: {component} is not a file",
            why="digest reads the component's bytes: the digest depends on them and on the commit's time.",
            fix=USAGE,
            docs="#reproducible-digests",
        )
    repo = Path(args.repo)
    mode = source_date.check_mode(args.created)
    sha = args.commit.strip() or ((source_date.git(repo, "rev-parse", "HEAD") or "") if mode == "commit" else "")
    created = source_date.resolve(mode, sha=sha, workspace=repo, env=os.environ, event={})
    key = source_key.check_key(args.source_key)
    extra = {source_key.ANNOTATION: key} if key else None
    wasm = load(component, label="digest:", fix=USAGE, docs="#reproducible-digests")
    artifact = layout.build(wasm, created.instant, name=component.name, extra=extra)
    gha.stderr(f"created {created.instant.config_time()} ({created.source})")
    return artifact.digest
