"""Run a wash-actions command in-process the way a runner does: env-mapped inputs, runner files."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wash_actions.__main__ import main
from wash_actions.oci.timestamps import Instant

_HEREDOC = re.compile(r"^([^=\n<]+)<<(\S+)\n(.*?)\n\2$", re.DOTALL | re.MULTILINE)


def parse_command_file(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT / GITHUB_ENV: ``name<<delim`` blocks and ``name=value`` lines."""
    values: dict[str, str] = {}
    for match in _HEREDOC.finditer(text):
        values[match.group(1)] = match.group(3)
    remainder = _HEREDOC.sub("", text)
    for line in remainder.splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


@dataclass
class Run:
    code: int
    outputs: dict[str, str]
    stdout: str
    stderr: str
    summary: str
    path: list[str]
    env: dict[str, str]

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::warning")]


def run_command(
    command: str,
    inputs: dict[str, str],
    *,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    runner: Path,
    workspace: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Call ``python -m wash_actions <command>`` in-process with a fresh set of runner files."""
    runner.mkdir(parents=True, exist_ok=True)
    files = {
        name: runner / f"{name.lower()}.txt"
        for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
    }
    for name, path in files.items():
        path.write_text("")
        monkeypatch.setenv(name, str(path))
    for key in list(os.environ):
        if key.startswith("WASHACTIONS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("RUNNER_TEMP", str(runner / "temp"))
    (runner / "temp").mkdir(exist_ok=True)
    monkeypatch.setenv("RUNNER_TOOL_CACHE", str(runner / "tool-cache"))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace or runner))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/hello-world")
    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
    # that commit is not in any checkout: its time comes from SOURCE_DATE_EPOCH (2026-05-01T12:00:00Z), which a
    # test clears (env={"SOURCE_DATE_EPOCH": ""}) to exercise git or the event payload
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1777636800")
    for name in ("GITHUB_EVENT_PATH", "GITHUB_ARTIFACTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", os.environ["PATH"])
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    for name, value in inputs.items():
        monkeypatch.setenv("WASHACTIONS_INPUT_" + name.upper().replace("-", "_"), value)
    capfd.readouterr()
    code = main([command])
    captured = capfd.readouterr()
    return Run(
        code=code,
        outputs=parse_command_file(files["GITHUB_OUTPUT"].read_text()),
        stdout=captured.out,
        stderr=captured.err,
        summary=files["GITHUB_STEP_SUMMARY"].read_text(),
        path=files["GITHUB_PATH"].read_text().split(),
        env=parse_command_file(files["GITHUB_ENV"].read_text()),
    )


def assert_one_clear_error(run: Run, *fragments: str) -> str:
    """Exactly one ::error line, exit 1, no traceback, and the line says what/why/fix."""
    assert run.code == 1, (run.stdout, run.stderr)
    assert len(run.errors) == 1, run.stdout
    line = run.errors[0]
    assert "Traceback" not in run.stdout + run.stderr
    assert "%0AWhy: " in line and "%0AFix: " in line, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def commit_time() -> Instant:
    """2026-05-01T12:00:00Z as publish's time type."""
    return Instant(1777636800)


class OverTime(BaseException):
    """Raised by :func:`time_limit` into the code under test: a BaseException, so no ``except Exception`` in the
    product (``__main__`` turns those into an error annotation) can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """A bound on a block that could hang (SIGALRM on the main thread, POSIX): the block is stopped with
    :class:`OverTime` when it runs past ``seconds``, instead of hanging the suite or being timed after the fact."""

    def stop(signum: int, frame: object) -> None:
        raise OverTime(f"{what} was still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def rendered(markdown: str) -> str:
    """A job summary as the reader sees its text: gha.text's backslash escapes and HTML entities undone, tags
    dropped."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"\\(.)", r"\1", markdown)))


def run_git(repo: Path, *args: str) -> str:
    """git in ``repo`` with a fixed identity and nothing from the machine's configuration (HOME is the repo);
    its stdout, stripped. A failure raises."""
    import subprocess

    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()
