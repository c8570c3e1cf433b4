"""The runners a user has, simulated here: which Python the actions find, install or explain.

Each runner is a PATH: a directory holding only the tools that runner has (sh, bash, uname, …) plus the
Pythons it offers. A ``python3`` that reports 3.10.12 (ubuntu-22.04's) is the real interpreter run through a
stand-in that reports that version; a Windows Store ``python3`` stub is a program that prints the Store's
message and exits 9009. The scripts run for real: ``scripts/find-python --step`` under dash (POSIX sh, like
alpine's), ``scripts/wash-actions`` and ``scripts/bootstrap.py`` under bash and the real Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import parse_command_file
from tests.stacks.registry import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
TOOLS = ("sh", "bash", "uname", "dirname", "cat", "env")
REAL_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"

# ubuntu-22.04's python3 (actions/runner-images Ubuntu2204-Readme: Python 3.10.12): the real interpreter,
# reporting that version to every check that asks (sys.version_info, sys.version).
PYTHON_310 = """#!{real} -I
import runpy, sys
sys.version_info = (3, 10, 12, "final", 0)
sys.version = "3.10.12 (main, stand-in) [GCC 11.4.0]"
args = sys.argv[1:]
while args and args[0] in ("-I", "-X", "utf8", "-S", "-E", "-s"):
    args = args[1:]
if args and args[0] == "-c":
    sys.argv = ["-c", *args[2:]]
    exec(compile(args[1], "<string>", "exec"), {{"__name__": "__main__"}})
else:
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")
"""

# What windows-latest's `python3` is: the App Execution Alias that asks to install Python from the Store.
STORE_STUB = """#!/bin/sh
echo "Python was not found; run without arguments to install from the Microsoft Store, or disable this \
shortcut from Settings > Apps > Advanced app settings > App execution aliases." >&2
exit 9009
"""

UBUNTU_2204 = 'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nID=ubuntu\nVERSION_ID="22.04"\n'
DEBIAN_12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


def runner_path(tmp: Path, *, tools: tuple[str, ...] = TOOLS, pythons: dict[str, str] | None = None) -> str:
    """A bin directory with only ``tools`` and the given Pythons (name → script or "real")."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    for name, kind in (pythons or {}).items():
        target = bin_dir / name
        if kind == "real":
            target.symlink_to(REAL_PYTHON)
        else:
            target.write_text(kind.format(real=REAL_PYTHON))
            target.chmod(0o755)
    return str(bin_dir)


def step(
    tmp: Path, path: str, os_release: str = UBUNTU_2204, **extra: str
) -> tuple[subprocess.CompletedProcess[str], dict]:
    """The action's first step: ``sh scripts/find-python --step`` (dash, as the runner's ``shell: sh``)."""
    output = tmp / "github_output"
    output.write_text("")
    release = tmp / "os-release"
    release.write_text(os_release)
    env = {"PATH": path, "GITHUB_OUTPUT": str(output), "WASHACTIONS_OS_RELEASE": str(release), **extra}
    proc = subprocess.run(
        ["/bin/sh", str(SCRIPTS / "find-python"), "--step"], env=env, capture_output=True, text=True, check=False
    )
    return proc, parse_command_file(output.read_text())


def wash_actions(tmp: Path, path: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "RUNNER_TOOL_CACHE": str(tmp / "tool-cache"), "HOME": str(tmp), **extra}
    return subprocess.run(
        [shutil.which("bash") or "bash", str(SCRIPTS / "wash-actions"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp,
    )


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Workflow-command errors the runner turns into annotations (it reads stdout; nothing captures it)."""
    return [line for line in proc.stdout.splitlines() if line.startswith("::error")]


# ---------------------------------------------------------------------------------- the first step


@pytest.mark.parametrize(
    ("pythons", "expected"),
    [
        ({"python3": "real"}, "python3"),  # ubuntu-24.04, macOS (Homebrew)
        ({"python3": STORE_STUB, "python": "real"}, "python"),  # windows-latest: a Store stub, then python
        ({"python3": PYTHON_310, "python": "real"}, "python"),  # an old python3 beside a new python
    ],
    ids=["python3", "windows-store-stub", "old-python3-new-python"],
)
def test_first_step_finds_a_python_311_or_newer(tmp_path, pythons, expected):
    proc, outputs = step(tmp_path, runner_path(tmp_path, pythons=pythons))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs["provision"] == "false"
    assert Path(outputs["python"]).resolve() == REAL_PYTHON.resolve()


@pytest.mark.parametrize(
    "pythons", [{"python3": PYTHON_310}, {}, {"python3": STORE_STUB}], ids=["ubuntu-22.04", "no-python", "store-stub"]
)
def test_first_step_asks_setup_python_for_one_on_ubuntu_macos_windows(tmp_path, pythons):
    proc, outputs = step(tmp_path, runner_path(tmp_path, pythons=pythons))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs == {"python": "", "provision": "true"}
    assert "installing one with actions/setup-python" in proc.stdout
    if pythons.get("python3") == PYTHON_310:
        assert "python3 3.10.12" in proc.stdout


def test_container_without_python_fails_with_what_to_add(tmp_path):
    proc, outputs = step(tmp_path, runner_path(tmp_path), os_release=DEBIAN_12)
    assert proc.returncode == 1
    assert "provision" not in outputs
    [error] = errors(proc)
    assert error.startswith("::error title=wash-actions needs Python 3.11 or newer::")
    assert "debian 12 (no python3 or python on PATH)" in error
    assert "apt-get install -y --no-install-recommends python3" in error
    assert "container: python:3.13-slim" in error


def test_runner_without_bash_fails_with_what_to_add(tmp_path):
    """alpine: sh but no bash; the first step runs in sh so that it can say so."""
    proc, _ = step(tmp_path, runner_path(tmp_path, tools=("uname",), pythons={"python3": "real"}))
    assert proc.returncode == 1
    [error] = errors(proc)
    assert "has no bash" in error
    assert "apk add --no-cache bash python3" in error


# ------------------------------------------------------------------------------- scripts/wash-actions


def test_ubuntu_2204_python3_gives_one_visible_error(tmp_path):
    """The old script captured bootstrap's stdout in PY=$(…): the job failed with no message at all."""
    proc = wash_actions(tmp_path, runner_path(tmp_path, pythons={"python3": PYTHON_310}), "discover")
    assert proc.returncode == 1
    [error] = errors(proc)
    assert error.startswith("::error title=wash-actions needs Python 3.11 or newer::")
    assert "python3 3.10.12" in error
    assert "actions/setup-python" in error
    assert "Traceback" not in proc.stderr


def test_path_without_python_gives_one_visible_error(tmp_path):
    proc = wash_actions(tmp_path, runner_path(tmp_path), "discover")
    assert proc.returncode == 1
    [error] = errors(proc)
    assert "no python3 or python on PATH" in error


def test_the_python_found_first_is_remembered_for_the_jobs_later_steps(tmp_path):
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    proc, outputs = step(tmp_path, runner_path(tmp_path, pythons={"python3": "real"}), GITHUB_ENV=str(github_env))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert parse_command_file(github_env.read_text()) == {"WASHACTIONS_PYTHON_FOUND": outputs["python"]}
    # a later action's first step: no python on PATH at all, yet nothing to probe and nothing to provision
    later_dir = tmp_path / "later"
    later_dir.mkdir()
    later, again = step(later_dir, runner_path(later_dir), WASHACTIONS_PYTHON_FOUND=outputs["python"])
    assert later.returncode == 0, later.stdout + later.stderr
    assert again == {"python": outputs["python"], "provision": "false"}


@pytest.mark.parametrize("remembered", ["missing", "directory"])
def test_a_remembered_python_that_is_gone_is_probed_again(tmp_path, remembered):
    gone = tmp_path / "gone" / "python3"
    if remembered == "directory":
        gone.mkdir(parents=True)
    proc, outputs = step(
        tmp_path, runner_path(tmp_path, pythons={"python3": PYTHON_310}), WASHACTIONS_PYTHON_FOUND=str(gone)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs == {"python": "", "provision": "true"}  # probed: only a 3.10 on PATH


def test_a_provisioned_python_is_remembered_by_the_step_that_first_uses_it(stdlib_action, tmp_path):
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    bin_dir = runner_path(tmp_path)  # no python on PATH: actions/setup-python's path arrives as WASHACTIONS_PYTHON
    env = {
        "PATH": bin_dir,
        "HOME": str(tmp_path),
        "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
        "WASHACTIONS_PYTHON": str(REAL_PYTHON),
        "GITHUB_ENV": str(github_env),
    }
    command = [shutil.which("bash") or "bash", str(stdlib_action / "scripts" / "wash-actions"), "build", "0"]
    for remembered, written in (("", {"WASHACTIONS_PYTHON_FOUND": str(REAL_PYTHON)}), (str(REAL_PYTHON), {})):
        github_env.write_text("")  # once remembered, the same interpreter is not written again
        proc = subprocess.run(
            command, env={**env, "WASHACTIONS_PYTHON_FOUND": remembered}, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert parse_command_file(github_env.read_text()) == written


def test_interpreter_from_the_first_step_is_checked_too(tmp_path):
    """WASHACTIONS_PYTHON set to a 3.10: bootstrap.py says so on stdout instead of failing later."""
    bin_dir = runner_path(tmp_path, pythons={"python3": PYTHON_310})
    proc = wash_actions(tmp_path, bin_dir, "discover", WASHACTIONS_PYTHON=str(Path(bin_dir) / "python3"))
    assert proc.returncode == 1
    [error] = errors(proc)
    assert "is Python 3.10.12" in error


# --------------------------------------------------------------------------- the stdlib-only runtime


@pytest.fixture
def stdlib_action(tmp_path: Path) -> Path:
    """A copy of the action whose runtime lock pins nothing, with a package that reports how it ran."""
    action = tmp_path / "action"
    shutil.copytree(SCRIPTS, action / "scripts")
    (action / "requirements").mkdir()
    (action / "requirements" / "runtime.txt").write_text("# the standard library is enough\n")
    package = action / "src" / "wash_actions"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'file': __file__, 'path': sys.path, 'isolated': sys.flags.isolated,"
        " 'utf8': sys.flags.utf8_mode, 'modules': sorted(m for m in ('requests', 'venv', 'pip') if m in sys.modules),"
        " 'root': os.environ.get('WASHACTIONS_ROOT')}))\n"
        "sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)\n"
    )
    return action


def test_stdlib_runtime_runs_from_src_with_no_venv_and_no_pip(stdlib_action, tmp_path):
    import json

    workspace = tmp_path / "workspace"  # the user's checkout, with files that would shadow ours without -I
    (workspace / "wash_actions").mkdir(parents=True)
    (workspace / "wash_actions" / "__main__.py").write_text("raise SystemExit('the workspace copy ran')\n")
    (workspace / "requests.py").write_text("raise SystemExit('the workspace requests.py was imported')\n")
    env = {
        "PATH": runner_path(tmp_path, pythons={"python3": "real"}),
        "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
        "PYTHONPATH": str(workspace),
    }
    proc = subprocess.run(
        ["bash", str(stdlib_action / "scripts" / "wash-actions"), "build", "7"],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 7, proc.stdout + proc.stderr  # the package's exit code comes through
    seen = json.loads(proc.stdout)
    assert seen["argv"] == ["build", "7"]
    assert Path(seen["file"]) == stdlib_action / "src" / "wash_actions" / "__main__.py"
    assert str(stdlib_action / "src") in seen["path"]
    assert not any(str(workspace) in p or p in ("", ".") for p in seen["path"])
    assert seen["isolated"] == 1 and seen["utf8"] == 1
    assert seen["modules"] == []  # neither venv nor pip was even imported
    assert seen["root"] == str(stdlib_action)
    assert not (tmp_path / "tool-cache").exists()  # nothing installed


def test_failed_install_is_reported_once_not_retried(tmp_path):
    """A lock pip cannot satisfy (a wrong hash): pip's own message and one ::error, no second attempt."""
    action = tmp_path / "action"
    shutil.copytree(SCRIPTS, action / "scripts")
    shutil.copytree(ROOT / "src" / "wash_actions", action / "src" / "wash_actions")
    (action / "requirements").mkdir()
    (action / "requirements" / "runtime.txt").write_text("idna==3.20 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    env = {
        **os.environ,
        "PATH": f"{REAL_PYTHON.parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
    }
    env.pop("WASHACTIONS_PYTHON", None)
    proc = subprocess.run(
        ["bash", str(action / "scripts" / "wash-actions"), "discover"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    [error] = errors(proc)
    assert error.startswith("::error title=wash-actions could not install its Python runtime::pip exited with code")
    assert "HASHES" in proc.stderr.upper()  # pip's own explanation reaches the log
    assert "ensurepip" not in proc.stderr and "own pip" not in proc.stderr
    assert not list((tmp_path / "tool-cache" / "wash-actions").glob("venv-*"))  # nothing half-built kept


def test_sigstore_without_pip_is_one_clear_error(tmp_path):
    """Debian's python3 without python3-pip, no venv (stdlib runtime): signing says what to install."""
    host = tmp_path / "no-pip"
    subprocess.run([str(REAL_PYTHON), "-m", "venv", "--without-pip", str(host)], check=True)
    python = host / "bin" / "python"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from wash_actions.runner import extras\n"
        "from wash_actions.errors import ActionError\n"
        "try:\n    extras.ensure_sigstore()\nexcept ActionError as e:\n    print(e.one_line()); sys.exit(3)\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "WASHACTIONS_ROOT": str(ROOT),
        "WASHACTIONS_HOST_PYTHON": str(python),
        "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
    }
    proc = subprocess.run(
        [str(python), "-I", "-c", code, str(ROOT / "src")], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "the runner's Python has no pip" in proc.stdout
    assert "apt-get install -y --no-install-recommends python3-pip" in proc.stdout
    assert not (tmp_path / "tool-cache" / "wash-actions").exists() or not any(
        (tmp_path / "tool-cache" / "wash-actions").glob("sigstore-*")
    )


# ------------------------------------------------- a provisioned Python outside /opt/hostedtoolcache

SHIM_LIBRARY = "int washactions_libpython(void) { return 0; }\n"
SHIM_LAUNCHER = """#include <unistd.h>
extern int washactions_libpython(void);
int main(int argc, char **argv) {
    (void)argc;
    washactions_libpython();
    argv[0] = REAL;
    execv(REAL, argv);
    return 127;
}
"""


@pytest.fixture
def toolcache_python(tmp_path: Path) -> Path:
    """What actions/setup-python installs into a container's /__t or a self-hosted runner's _tool: an interpreter
    linked against ``lib/libpython3.x.so.1.0`` with its run path set to /opt/hostedtoolcache/… (where GitHub's
    builds are made to live), so that elsewhere it starts only with its lib directory on LD_LIBRARY_PATH. Built
    here with gcc: a launcher that needs that library, then runs the real interpreter."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    assert gcc, "gcc is needed to build the stand-in of a tool-cache Python (scripts/setup installs it)"
    install = tmp_path / "_tool" / "Python" / "3.13.7" / "x64"
    (install / "bin").mkdir(parents=True)
    (install / "lib").mkdir()
    source = tmp_path / "shim"
    source.mkdir()
    (source / "lib.c").write_text(SHIM_LIBRARY)
    (source / "main.c").write_text(SHIM_LAUNCHER)
    library = install / "lib" / "libpython3.13.so.1.0"
    subprocess.run(
        [gcc, "-shared", "-fPIC", "-Wl,-soname,libpython3.13.so.1.0", "-o", str(library), str(source / "lib.c")],
        check=True,
    )
    launcher = install / "bin" / "python3"
    subprocess.run(
        [
            gcc,
            f'-DREAL="{REAL_PYTHON}"',
            "-o",
            str(launcher),
            str(source / "main.c"),
            str(library),
            "-Wl,-rpath,/opt/hostedtoolcache/Python/3.13.7/x64/lib",
        ],
        check=True,
    )
    return launcher


def test_the_stand_in_needs_its_lib_directory_like_githubs_builds(toolcache_python, tmp_path):
    alone = subprocess.run([str(toolcache_python), "-c", "print('started')"], capture_output=True, text=True)
    assert alone.returncode != 0 and "error while loading shared libraries" in alone.stderr
    lib = str(toolcache_python.parent.parent / "lib")
    helped = subprocess.run(
        [str(toolcache_python), "-c", "print('started')"],
        capture_output=True,
        text=True,
        env={**os.environ, "LD_LIBRARY_PATH": lib},
    )
    assert helped.stdout.strip() == "started", helped.stderr


ACTION_COMMAND = re.compile(r'scripts/wash-actions"\s+(?P<command>[a-z-]+(?:\s+[a-z-]+)?)\s*$')


def action_commands() -> list[str]:
    """Every command a step of an action.yml runs (``bash "…/wash-actions" <command> [sub]``), read from the
    files themselves so that a new action is covered without editing this test."""
    found = set()
    for action in [ROOT / "action.yml", *sorted((ROOT / "actions").glob("*/action.yml"))]:
        for line in action.read_text(encoding="utf-8").splitlines():
            match = ACTION_COMMAND.search(line)
            if match:
                found.add(match["command"])
    return sorted(found)


def test_the_actions_commands_are_found():
    assert {"build", "discover", "publish", "setup-wash install", "setup-wash resolve"} <= set(action_commands())


# What each command does in an empty workspace with no inputs: the output it writes, or its one clear error.
# A command started by the wrong interpreter (or not at all) writes neither.
EMPTY_WORKSPACE = {
    "build": ("error", "is not a wash project"),
    "check": ("error", "Input 'component-path' is required"),
    "discover": ("error", "No wash project found under"),
    "publish": ("error", "Input 'component-path' is required"),
    "setup-wash install": ("error", "setup-wash install ran without a resolved version"),
    "setup-wash resolve": ("error", "Cannot resolve wash-version 'latest'"),  # the API is a closed port
    "sigstore-cache": ("output", "path"),
    "verify": ("error", "verify was given no image"),
    "promote": ("error", "Input 'manifests' is required"),
}


def test_every_action_command_has_an_expected_outcome():
    assert sorted(EMPTY_WORKSPACE) == action_commands()


@pytest.mark.parametrize("command", action_commands())
def test_every_action_starts_a_provisioned_python_outside_the_hosted_tool_cache(toolcache_python, tmp_path, command):
    """The interpreter the action's setup-python step gave (WASHACTIONS_PYTHON) runs every command."""
    bin_dir = runner_path(tmp_path, tools=(*TOOLS, "git"))
    output = tmp_path / "github_output"
    output.write_text("")
    proc = wash_actions(
        tmp_path,
        bin_dir,
        *command.split(),
        WASHACTIONS_PYTHON=str(toolcache_python),
        GITHUB_OUTPUT=str(output),
        GITHUB_WORKSPACE=str(tmp_path),
        RUNNER_TEMP=str(tmp_path),
        GITHUB_API_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert "error while loading shared libraries" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    # the command itself ran: it wrote its output, or stopped with its own one clear error
    outcome, text = EMPTY_WORKSPACE[command]
    if outcome == "output":
        assert proc.returncode == 0 and not errors(proc), proc.stdout + proc.stderr
        assert text in parse_command_file(output.read_text()), output.read_text()
    else:
        assert proc.returncode == 1 and output.read_text() == "", proc.stdout + proc.stderr
        assert len(errors(proc)) == 1 and text in errors(proc)[0], proc.stdout


# ---------------------------------------------------------------- Windows: paths converted by us only

FAKE_CYGPATH = """#!/bin/sh
# cygpath as Git Bash has it, recording each call; -w/-u print the path unchanged so the test runs on Linux
echo "$*" >> "{log}"
printf '%s\\n' "$2"
"""


def test_windows_paths_are_converted_explicitly_and_inputs_arrive_unchanged(stdlib_action, tmp_path):
    """Under Git Bash, scripts/wash-actions converts its own paths with ``cygpath -w`` and stops MSYS2 from
    rewriting arguments and WASHACTIONS_INPUT_* values that look like POSIX paths (msys2.org/docs/filesystem-paths:
    MSYS2_ARG_CONV_EXCL, MSYS2_ENV_CONV_EXCL)."""
    import json

    package = stdlib_action / "src" / "wash_actions" / "__main__.py"
    package.write_text(
        "import json, os, sys\n"
        "print(json.dumps({'argv': sys.argv, 'env': {k: v for k, v in os.environ.items()"
        " if k.startswith(('WASHACTIONS_', 'MSYS2_'))}}))\n"
    )
    log = tmp_path / "cygpath.log"
    bin_dir = Path(runner_path(tmp_path, pythons={"python3": "real"}))
    (bin_dir / "cygpath").write_text(FAKE_CYGPATH.format(log=log))
    (bin_dir / "cygpath").chmod(0o755)
    posix_looking = "/d/a/acme/hello/build/app.wasm"
    proc = subprocess.run(
        ["bash", str(stdlib_action / "scripts" / "wash-actions"), "publish"],
        env={
            "PATH": str(bin_dir),
            "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
            "WASHACTIONS_PYTHON": str(REAL_PYTHON),
            "WASHACTIONS_INPUT_COMPONENT_PATH": posix_looking,
            "MSYS2_ENV_CONV_EXCL": "CL",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.splitlines()[-1])
    assert seen["env"]["WASHACTIONS_INPUT_COMPONENT_PATH"] == posix_looking
    assert seen["env"]["MSYS2_ARG_CONV_EXCL"] == "*"
    assert seen["env"]["MSYS2_ENV_CONV_EXCL"] == "CL;WASHACTIONS_INPUT_"  # the user's own exclusions kept
    calls = log.read_text().splitlines()
    converted = {line.split(" ", 1)[1] for line in calls if line.startswith("-w ")}
    assert converted == {str(stdlib_action), str(stdlib_action / "scripts" / "bootstrap.py"), str(REAL_PYTHON)}


# ------------------------------------------------------------ a Windows-style checkout (core.autocrlf)


def test_a_checkout_with_autocrlf_runs(tmp_path):
    """actions/checkout on Windows (and `uses: ./`) honours core.autocrlf=true, which would write every LF file
    as CRLF; .gitattributes (eol=lf) keeps the scripts LF, so bash and sh run them. Cloned from this commit."""
    clone = tmp_path / "checkout"
    subprocess.run(
        ["git", "-c", "core.autocrlf=true", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True
    )
    subprocess.run(["git", "-C", str(clone), "config", "core.autocrlf", "true"], check=True)
    for script in ("wash-actions", "find-python", "bootstrap.py"):
        assert b"\r\n" not in (clone / "scripts" / script).read_bytes(), script
    bin_dir = runner_path(tmp_path, pythons={"python3": "real"})
    output = tmp_path / "github_output"
    output.write_text("")
    found = subprocess.run(
        ["/bin/sh", str(clone / "scripts" / "find-python"), "--step"],
        env={"PATH": bin_dir, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert parse_command_file(output.read_text())["provision"] == "false"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    ran = subprocess.run(
        ["bash", str(clone / "scripts" / "wash-actions"), "discover"],
        env={
            "PATH": bin_dir,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TOOL_CACHE": str(tmp_path / "tool-cache"),
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=workspace,
    )
    assert "\r" not in ran.stderr and "command not found" not in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr
    # the command ran in Python: the empty workspace has no project, which discover says in one clear error
    assert ran.returncode == 1 and len(errors(ran)) == 1, ran.stdout + ran.stderr
    assert "No wash project found under" in errors(ran)[0], ran.stdout
