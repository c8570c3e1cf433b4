"""Every bash the actions and workflows run must work under macOS's /bin/bash 3.2.57 (and Git Bash).

A static check: bash 3.2 cannot be installed here (no Debian package, no source tarball reachable). Each
rule is a bash 4+/5 feature that bash 3.2 rejects or runs differently (bash's NEWS/CHANGES for 4.0-5.2):
case modification ``${v,,}``/``${v^^}`` (4.0), associative arrays ``declare -A`` (4.0), ``mapfile``/
``readarray`` (4.0), ``|&`` and ``&>>`` (4.0), ``;&``/``;;&`` case fall-through (4.0), ``coproc`` (4.0),
``${v@Q}`` transformations (4.4), negative array subscripts (4.3), ``declare -n`` namerefs (4.3),
``wait -n`` (4.3), ``$EPOCHSECONDS``/``$EPOCHREALTIME``/``$SRANDOM`` (5.0/5.1), ``printf '%(…)T'`` (4.2).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

RULES: dict[str, re.Pattern[str]] = {
    "case modification ${v,,} / ${v^^} (bash 4.0)": re.compile(
        r"\$\{[#!]?[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)"
    ),
    "associative array / nameref (declare -A/-n, bash 4.0/4.3)": re.compile(
        r"\b(declare|local|typeset|readonly)\s+(-[a-zA-Z]*[An][a-zA-Z]*)\b"
    ),
    "mapfile / readarray (bash 4.0)": re.compile(r"(^|[;&|({\s])(mapfile|readarray)\b"),
    "|& (bash 4.0)": re.compile(r"\|&"),
    "&>> (bash 4.0)": re.compile(r"&>>"),
    "case fall-through ;& / ;;& (bash 4.0)": re.compile(r";;&|(?<!;);&"),
    "coproc (bash 4.0)": re.compile(r"(^|[;&|\s])coproc\b"),
    "${v@op} transformation (bash 4.4)": re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?@[QEPAKaUuLk]\}"),
    "negative array subscript (bash 4.3)": re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\[\s*-\d+\s*\]\}"),
    "wait -n (bash 4.3)": re.compile(r"\bwait\s+-n\b"),
    "$EPOCHSECONDS / $EPOCHREALTIME / $SRANDOM (bash 5)": re.compile(r"\$\{?(EPOCHSECONDS|EPOCHREALTIME|SRANDOM)\b"),
    "printf %(…)T (bash 4.2)": re.compile(r"printf\s+['\"]?[^'\"\n]*%\([^)]*\)T"),
}


def bash_of(shell: str | None) -> bool:
    """A step's shell is bash when it says so; a workflow step without shell: runs bash on Linux/macOS."""
    return shell is None or str(shell).split()[0] == "bash"


def scripts() -> list[tuple[str, str]]:
    """(where, bash source) of every composite/workflow ``run:`` that runs in bash, and scripts/wash-actions."""
    found: list[tuple[str, str]] = []
    files = [ROOT / "action.yml", *sorted(ROOT.glob("actions/*/action.yml"))]
    files += sorted(ROOT.glob(".github/workflows/*.yml"))
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        steps = list((data.get("runs") or {}).get("steps") or [])
        for name, job in (data.get("jobs") or {}).items():
            default = ((job.get("defaults") or {}).get("run") or {}).get("shell")
            steps += [{**s, "shell": s.get("shell", default)} for s in job.get("steps") or []]
        for i, step in enumerate(steps):
            if "run" in step and bash_of(step.get("shell")):
                found.append((f"{path.relative_to(ROOT)} step {step.get('id') or step.get('name') or i}", step["run"]))
    found.append(("scripts/wash-actions", (ROOT / "scripts" / "wash-actions").read_text(encoding="utf-8")))
    return found


def violations(source: str) -> list[str]:
    problems = []
    for number, line in enumerate(source.splitlines(), 1):
        code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        problems += [f"line {number}: {rule}: {line.strip()}" for rule, rx in RULES.items() if rx.search(code)]
    return problems


@pytest.mark.parametrize(
    ("snippet", "rule"),
    [
        ('echo "${PREFIX,,}"', "case modification"),
        ('echo "${name^^}"', "case modification"),
        ("declare -A seen", "associative array"),
        ("local -n ref=$1", "nameref"),
        ("mapfile -t lines < file", "mapfile"),
        ("make |& tee log", "|&"),
        ("echo hi &>> log", "&>>"),
        ("  a) echo a ;&", "fall-through"),
        ("  a) echo a ;;&", "fall-through"),
        ("coproc cat", "coproc"),
        ('echo "${name@Q}"', "transformation"),
        ('echo "${arr[-1]}"', "negative array"),
        ("wait -n", "wait -n"),
        ("echo $EPOCHSECONDS", "EPOCHSECONDS"),
        ("printf '%(%F)T' -1", "%(…)T"),
    ],
)
def test_each_rule_catches_its_feature(snippet, rule):
    found = violations(snippet)
    assert found and rule in found[0], (snippet, found)


@pytest.mark.parametrize(
    "snippet",
    [
        'echo "${tag#v}" "${x:-default}" "${#arr[@]}" "${arr[0]}" "${v%%.*}"',
        'case "$x" in a) echo a ;; esac',
        "echo ok 2>&1 | tee log",
        'tr "[:upper:]" "[:lower:]" <<<"$x"',
        'printf "%s\\n" "$x"',
    ],
)
def test_bash_32_constructs_pass(snippet):
    assert violations(snippet) == []


@pytest.mark.parametrize(("where", "source"), scripts(), ids=[w for w, _ in scripts()])
def test_runs_in_bash_32(where, source):
    assert not violations(source), f"{where} needs bash 4+ (macOS runs bash 3.2):\n  " + "\n  ".join(violations(source))


@pytest.mark.parametrize(
    ("script", "shell"),
    [("scripts/wash-actions", "bash"), ("scripts/find-python", "sh")],
    ids=["wash-actions", "find-python"],
)
def test_scripts_pass_shellcheck(script, shell):
    """find-python is checked as POSIX sh: it runs where bash is missing (alpine) and under dash."""
    import subprocess
    import sys

    shellcheck = Path(sys.executable).parent / "shellcheck"
    proc = subprocess.run(
        [str(shellcheck), "-x", "-s", shell, script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
