"""git as wash-actions runs it, against the real git: a hostile ``.git/config`` runs nothing, and a repository
another user owns is refused as git refuses it (CVE-2022-24765), except the runner's own job workspace.

Each hostile case is first run with plain git, which must run the repository's program (so the case is real
and the test can fail), then through :mod:`wash_actions.runner.git_read`, which must not.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.oci import source_date
from wash_actions.runner import git_read

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
EMPTY_COMPONENT = b"\0asm\x0d\x00\x01\x00"  # a component with no sections: an empty world


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in ("SUDO_UID", "DOAS_UID")}
    env.update(
        HOME=str(home),  # no global config of this machine's: no safe.directory that would hide the check
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="a",
        GIT_AUTHOR_EMAIL="a@example.com",
        GIT_COMMITTER_NAME="c",
        GIT_COMMITTER_EMAIL="c@example.com",
    )
    return env


def git(repo: Path, *args: str, home: Path, date: str = "") -> subprocess.CompletedProcess[str]:
    env = _env(home)
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME for git (no global config) for this test and for git_read in this process."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")  # git_read drops GIT_*: the system config is read there
    for name in ("SUDO_UID", "DOAS_UID"):
        monkeypatch.delenv(name, raising=False)
    return path


def _script(path: Path, marker: Path, body: str = "") -> Path:
    path.write_text(f"#!/bin/sh\necho \"$0 $*\" >> '{marker}'\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _repo(tmp_path: Path, home: Path) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git(repo, "init", "-q", home=home).returncode == 0
    (repo / "a.txt").write_text("one\n")
    git(repo, "add", "a.txt", home=home)
    done = git(repo, "commit", "-q", "-m", "one", home=home, date="2026-03-01T10:00:00+02:00")
    assert done.returncode == 0, done.stderr
    return repo, git(repo, "rev-parse", "HEAD", home=home).stdout.strip()


def _fsmonitor(repo: Path, tool: Path, home: Path) -> tuple[str, ...]:
    git(repo, "config", "core.fsmonitor", str(tool), home=home)
    return ("status", "--porcelain")


def _signature(repo: Path, tool: Path, home: Path) -> tuple[str, ...]:
    # sign the next commit with a stand-in gpg (it prints what git expects), then make `show` verify it
    signer = tool.with_name("sign.sh")
    signer.write_text(
        "#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED ' >&2\n"
        "printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nAAAA\\n-----END PGP SIGNATURE-----\\n'\n"
    )
    signer.chmod(0o755)
    git(repo, "config", "gpg.program", str(signer), home=home)
    done = git(repo, "commit", "-q", "--allow-empty", "-S", "-m", "signed", home=home)
    assert done.returncode == 0, done.stderr
    git(repo, "config", "gpg.program", str(tool), home=home)
    git(repo, "config", "log.showSignature", "true", home=home)
    return ("show", "-s", "--format=%ct", "HEAD", "--")


def _textconv(repo: Path, tool: Path, home: Path) -> tuple[str, ...]:
    (repo / ".gitattributes").write_text("*.txt diff=evil\n")
    (repo / "a.txt").write_text("two\n")
    git(repo, "add", ".", home=home)
    git(repo, "commit", "-q", "-m", "two", home=home)
    git(repo, "config", "diff.evil.textconv", str(tool), home=home)
    return ("show", "HEAD", "--")


def _external_diff(repo: Path, tool: Path, home: Path) -> tuple[str, ...]:
    (repo / "a.txt").write_text("three\n")
    git(repo, "commit", "-q", "-am", "three", home=home)
    git(repo, "config", "diff.external", str(tool), home=home)
    return ("diff", "HEAD~1", "HEAD", "--")  # git diff runs diff.external by default (show needs --ext-diff)


def _lazy_fetch(repo: Path, tool: Path, home: Path) -> tuple[str, ...]:
    # a partial clone whose promisor remote is reached over ssh: asking for a missing commit fetches it
    git(repo, "config", "core.repositoryformatversion", "1", home=home)
    git(repo, "config", "extensions.partialClone", "origin", home=home)
    git(repo, "config", "remote.origin.url", "ssh://git@example.invalid/x.git", home=home)
    git(repo, "config", "remote.origin.promisor", "true", home=home)
    git(repo, "config", "core.sshCommand", str(tool), home=home)
    return ("show", "-s", "--format=%ct", "0123456789abcdef0123456789abcdef01234567", "--")


HOSTILE = {
    "core.fsmonitor": _fsmonitor,
    "gpg.program with log.showSignature": _signature,
    "a textconv driver": _textconv,
    "diff.external": _external_diff,
    "core.sshCommand of a promisor remote": _lazy_fetch,
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_repository_config_runs_nothing(tmp_path: Path, home: Path, case: str):
    repo, _ = _repo(tmp_path, home)
    marker = tmp_path / "ran"
    args = HOSTILE[case](repo, _script(tmp_path / "tool.sh", marker), home)
    git(repo, *args, home=home)
    assert marker.exists(), f"plain git did not run the {case} program: the case does not test anything"
    marker.unlink()
    git_read.run(repo, *args)
    assert not marker.exists(), f"git_read ran the repository's {case} program: {marker.read_text()}"


def test_commit_time_reads_a_hostile_repository_without_running_it(tmp_path: Path, home: Path):
    repo, _ = _repo(tmp_path, home)
    marker = tmp_path / "ran"
    tool = _script(tmp_path / "tool.sh", marker)
    _signature(repo, tool, home)
    git(repo, "config", "core.fsmonitor", str(tool), home=home)
    git(repo, "config", "core.pager", str(tool), home=home)
    git(repo, "config", "core.hooksPath", str(tmp_path), home=home)
    for hook in ("post-checkout", "pre-commit", "reference-transaction", "post-index-change"):
        _script(tmp_path / hook, marker)
    sha = git(repo, "rev-parse", "HEAD", home=home).stdout.strip()
    expected = git(repo, "-c", "log.showSignature=false", "show", "-s", "--format=%ct", home=home).stdout
    assert source_date.commit_time(repo, sha) == int(expected)
    assert not marker.exists(), marker.read_text()


def _chown(path: Path, uid: int) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(Path(root) / name, uid, uid)
    os.lchown(path, uid, uid)


def test_a_repository_another_user_owns_is_refused_as_git_refuses_it(tmp_path: Path, home: Path):
    repo, sha = _repo(tmp_path, home)
    marker = tmp_path / "ran"
    git(repo, "config", "core.fsmonitor", str(_script(tmp_path / "tool.sh", marker)), home=home)
    _chown(repo, NOBODY)
    plain = git(repo, "status", home=home)
    assert plain.returncode != 0 and "dubious ownership" in plain.stderr  # git itself refuses it
    with pytest.raises(ActionError, match="another user owns it") as caught:
        source_date.commit_time(repo, sha)
    assert f"git config --global --add safe.directory '{repo.resolve()}'" in caught.value.fix
    assert not marker.exists()


def test_the_job_workspace_is_trusted_and_nothing_above_it(tmp_path: Path, home: Path):
    repo, sha = _repo(tmp_path, home)
    marker = tmp_path / "ran"
    git(repo, "config", "core.fsmonitor", str(_script(tmp_path / "tool.sh", marker)), home=home)
    _chown(repo, NOBODY)
    # the runner made the workspace (a container job: another uid); its commit time is read, nothing runs
    assert source_date.commit_time(repo, sha, job=True) == 1772352000
    assert git_read.run(repo, "status", "--porcelain", trusted=repo.resolve()) is not None
    assert not marker.exists(), marker.read_text()
    # a workspace inside a repository another user owns: git's search stops at the workspace, trusts nothing
    inner = repo / "sub"
    inner.mkdir()
    os.chown(inner, NOBODY, NOBODY)
    assert source_date.commit_time(inner, sha, job=True) is None
    with pytest.raises(ActionError, match="another user owns it"):
        source_date.commit_time(inner, sha)  # digest's way: it searches upward, and git refuses the owner


def _digest(component: Path, repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in _env(home).items() if k not in ("SOURCE_DATE_EPOCH", "GITHUB_SHA")}
    return subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; from wash_actions.__main__ import main; sys.exit(main())",
            "digest",
            str(component),
            "--repo",
            str(repo),
            *args,
        ],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_digest_command_refuses_another_users_repository_with_the_fix(tmp_path: Path, home: Path):
    repo, _ = _repo(tmp_path, home)
    component = tmp_path / "c.wasm"
    component.write_bytes(EMPTY_COMPONENT)
    marker = tmp_path / "ran"
    git(repo, "config", "core.fsmonitor", str(_script(tmp_path / "tool.sh", marker)), home=home)
    mine = _digest(component, repo, home)
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout.strip().startswith("sha256:")
    _chown(repo, NOBODY)
    theirs = _digest(component, repo, home)
    assert theirs.returncode == 1, theirs.stdout + theirs.stderr
    assert "Traceback" not in theirs.stderr and theirs.stdout == ""
    errors = [line for line in theirs.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "another user owns it" in errors[0], theirs.stderr
    assert f"git config --global --add safe.directory '{repo.resolve()}'" in theirs.stderr
    # marked safe by the person, the same digest as before
    git(tmp_path, "config", "--global", "--add", "safe.directory", str(repo.resolve()), home=home)
    again = _digest(component, repo, home)
    assert again.returncode == 0 and again.stdout == mine.stdout, again.stderr
    assert not marker.exists(), marker.read_text()
