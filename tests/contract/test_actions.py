"""The contract between every action.yml, the Python command it runs, the workflows and the README.

Each rule comes from a real failure: GitHub (unlike act) sets no ``INPUT_*`` variables for composite
actions and rejects a ``run:`` step without ``shell:``; ``${{ }}`` inside ``run:`` is a script injection; an
output the code sets but the action does not declare never reaches the caller (that rule runs the commands:
tests/integration/test_outputs_contract.py); an unpinned third-party action can change under us; a README
table that drifts from action.yml documents inputs that do not exist.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "wash_actions"
COMMANDS_DIR = SRC / "commands"
MAIN = SRC / "__main__.py"
README = ROOT / "README.md"

INPUT_PREFIX = "WASHACTIONS_INPUT_"
OWN_REPOSITORIES = ("acme/wash-actions", "OWNER/wash-actions")  # referenced as users write them: @v1
ROOT_SECTION = "pipeline"  # the README heading (## pipeline) that documents the root action.yml
MARKETPLACE_DESCRIPTION_MAX = 125

SHA_PIN = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^\s+#\s*v\d+\.\d+\.\d+\b")
DOCKER_DIGEST = re.compile(r"^docker://[^@\s]+@sha256:[0-9a-f]{64}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<q>['\"]?)(?P<ref>[^'\"\s#]+)(?P=q)(?P<rest>.*)$")
INPUT_EXPRESSION = re.compile(r"^\$\{\{\s*inputs\.(?P<name>[A-Za-z0-9_-]+)\s*\}\}$")
INPUT_ALIAS = re.compile(
    r"^\$\{\{\s*inputs\.(?P<name>[A-Za-z0-9_-]+)\s*\|\|\s*inputs\.(?P<alias>[A-Za-z0-9_-]+)\s*\}\}$"
)
INPUT_REFERENCE = re.compile(r"\binputs\.(?P<name>[A-Za-z0-9_-]+)")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# one step's output, or a fallback chain of them (`steps.install.outputs.x || steps.resolve.outputs.x`)
STEP_OUTPUTS = re.compile(
    r"^\$\{\{\s*steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+"
    r"(?:\s*\|\|\s*steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+)*\s*\}\}$"
)
STEP_OUTPUT = re.compile(r"^\$\{\{\s*steps\.(?P<id>[A-Za-z0-9_-]+)\.outputs\.(?P<name>[A-Za-z0-9_-]+)\s*\}\}$")
INPUT_READ = re.compile(r"\binputs\.(?:get|bool|list|secret)\(\s*[\"'](?P<name>[^\"']+)[\"']")
GITHUB_INPUT_READ = re.compile(r"[\"']INPUT_")


# ---------------------------------------------------------------------------------------------- discovery


def env_name(input_name: str) -> str:
    return INPUT_PREFIX + input_name.upper().replace("-", "_")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _action_files() -> list[Path]:
    found = [ROOT / name for name in ("action.yml", "action.yaml") if (ROOT / name).is_file()]
    found += sorted({*ROOT.glob("actions/**/action.yml"), *ROOT.glob("actions/**/action.yaml")})
    return found


def _workflow_files() -> list[Path]:
    found: list[Path] = []
    for folder in (ROOT / ".github" / "workflows", ROOT / "examples" / "workflows"):
        found += sorted({*folder.glob("*.yml"), *folder.glob("*.yaml")})
    return found


@dataclass(frozen=True)
class CommandStep:
    index: int
    id: str | None
    script: str  # the program the step runs, e.g. "$GITHUB_ACTION_PATH/../../scripts/wash-actions"
    command: str  # its arguments, e.g. "build" or "setup-wash resolve"
    run: str


def parse_command(run: str) -> tuple[str, str] | None:
    """``(script, command)`` of a run: that calls ``scripts/wash-actions ...`` or ``python -m wash_actions ...``."""
    try:
        words = shlex.split(run.strip())
    except ValueError:
        words = run.split()
    for i, word in enumerate(words):
        if word.endswith("scripts/wash-actions"):
            return word, " ".join(words[i + 1 :])
        if word == "wash_actions" and i and words[i - 1] == "-m":
            return words[0], " ".join(words[i + 1 :])
    return None


@dataclass(frozen=True)
class Action:
    path: Path
    data: dict[str, Any]

    @property
    def is_root(self) -> bool:
        return self.path.parent == ROOT

    @property
    def section(self) -> str:
        """The README heading that documents this action."""
        return ROOT_SECTION if self.is_root else self.path.parent.name

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        return {str(k): v or {} for k, v in (self.data.get("inputs") or {}).items()}

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {str(k): v or {} for k, v in (self.data.get("outputs") or {}).items()}

    @property
    def runs(self) -> dict[str, Any]:
        return self.data.get("runs") or {}

    @property
    def is_composite(self) -> bool:
        return self.runs.get("using") == "composite"

    @property
    def steps(self) -> list[dict[str, Any]]:
        return [s or {} for s in self.runs.get("steps") or []]

    @property
    def command_steps(self) -> list[CommandStep]:
        found = []
        for index, step in enumerate(self.steps):
            parsed = parse_command(str(step.get("run") or ""))
            if parsed:
                found.append(CommandStep(index, step.get("id"), parsed[0], parsed[1], str(step["run"])))
        return found

    def expressions(self) -> list[str]:
        """Every expression in the file: ``${{ ... }}`` anywhere, and the bare ``if:`` conditions of steps."""
        found = EXPRESSION.findall(self.path.read_text(encoding="utf-8"))
        found += [str(s["if"]) for s in self.steps if "if" in s and "${{" not in str(s["if"])]
        return found

    def inputs_used_by_yaml(self) -> set[str]:
        """Inputs consumed by the workflow engine itself, not by a script: in a step's ``if:``, or in the
        ``with:`` of a ``uses:`` step (e.g. ``if: inputs.cache == 'true'`` before actions/cache)."""
        texts = [str(s["if"]) for s in self.steps if "if" in s]
        texts += [str(v) for s in self.steps if "uses" in s for v in (s.get("with") or {}).values()]
        return {m["name"] for text in texts for m in INPUT_REFERENCE.finditer(text)}

    def env_of(self, index: int) -> dict[str, str]:
        return {str(k): str(v).strip() for k, v in (self.steps[index].get("env") or {}).items()}


@cache
def load_action(path: Path) -> Action:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{rel(path)} is not a YAML mapping"
    return Action(path, data)


@dataclass(frozen=True)
class Module:
    """One command module, src/wash_actions/commands/<name with _>.py."""

    name: str  # "setup-wash"
    path: Path
    tree: ast.Module
    reads: dict[str, int]  # input name -> first line that reads it

    @property
    def functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        return {n.name: n for n in self.tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


@dataclass(frozen=True)
class Entry:
    """One command line as __main__ dispatches it: ``setup-wash resolve`` -> setup_wash.run_resolve."""

    command: str
    module: str
    function: str


@cache
def load_modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(COMMANDS_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        reads: dict[str, int] = {}
        for match in INPUT_READ.finditer(text):
            reads.setdefault(match["name"], text.count("\n", 0, match.start()) + 1)
        name = path.stem.replace("_", "-")
        modules[name] = Module(name, path, ast.parse(text, filename=str(path)), reads)
    return modules


def _dispatch_from_main() -> dict[str, Entry]:
    """Read ``_commands()`` in __main__.py: each command's wrapper imports ``.commands.<module> as cmd`` and
    returns ``cmd.<function>(...)``; the function that produces the returned dict sets the outputs."""
    tree = ast.parse(MAIN.read_text(encoding="utf-8"))
    table = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_commands"), None)
    if table is None:
        return {}
    wrappers = {n.name: n for n in table.body if isinstance(n, ast.FunctionDef)}
    returned = [n.value for n in table.body if isinstance(n, ast.Return) and isinstance(n.value, ast.Dict)]
    entries = {}
    for key, value in zip(returned[-1].keys, returned[-1].values, strict=True) if returned else ():
        if not (isinstance(key, ast.Constant) and isinstance(value, ast.Name) and value.id in wrappers):
            continue
        wrapper = wrappers[value.id]
        aliases = {
            alias.asname or alias.name: alias.name
            for node in ast.walk(wrapper)
            if isinstance(node, ast.ImportFrom) and node.module == "commands" and node.level == 1
            for alias in node.names
        }
        for node in ast.walk(wrapper):
            if (
                isinstance(node, ast.Return)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and isinstance(node.value.func.value, ast.Name)
                and node.value.func.value.id in aliases
            ):
                module = aliases[node.value.func.value.id].replace("_", "-")
                entries[str(key.value)] = Entry(str(key.value), module, node.value.func.attr)
    return entries


@cache
def load_dispatch() -> dict[str, Entry]:
    entries = _dispatch_from_main() if MAIN.is_file() else {}
    # Fallback when __main__ changes shape: "<module> [phase]" runs run() or run_<phase>().
    return entries or {name: Entry(name, name, "run") for name in load_modules()}


def entry_of(step: CommandStep) -> Entry | None:
    return load_dispatch().get(step.command)


def actions_running(module: str) -> list[Action]:
    return [
        action
        for action in map(load_action, ACTION_FILES)
        if any((e := entry_of(s)) and e.module == module for s in action.command_steps)
    ]


ACTION_FILES = _action_files()
WORKFLOW_FILES = _workflow_files()
YAML_FILES = ACTION_FILES + WORKFLOW_FILES
# update_manifest is run by this project's own scheduled workflow, not by an action (checked below)
MAINTENANCE = "update-manifest"
# digest is run by people (README "Reproducible digests"), not by an action (checked below)
FOR_PEOPLE = "digest"
MODULE_NAMES = sorted(m for m in load_modules() if m not in (MAINTENANCE, FOR_PEOPLE))

actions = pytest.mark.parametrize("path", ACTION_FILES, ids=rel)
yaml_files = pytest.mark.parametrize("path", YAML_FILES, ids=rel)


def test_discovery_finds_actions_and_commands() -> None:
    assert ACTION_FILES, "no action.yml found under the repository root or actions/"
    assert MODULE_NAMES, f"no command modules found in {rel(COMMANDS_DIR)}"
    assert _dispatch_from_main(), f"cannot read the command table (_commands) in {rel(MAIN)}"


# ------------------------------------------------------------------------------------------ run: steps


@actions
def test_no_expression_inside_run(path: Path) -> None:
    action = load_action(path)
    bad = [
        f"step {i} ({step.get('id') or step.get('name') or 'unnamed'}): {step['run']!r}"
        for i, step in enumerate(action.steps)
        if "${{" in str(step.get("run") or "")
    ]
    assert not bad, (
        f"{rel(path)}: ${{{{ }}}} inside run: (map the value in the step's env: and read $VAR instead; "
        f'use "$GITHUB_ACTION_PATH", not ${{{{ github.action_path }}}}):\n  ' + "\n  ".join(bad)
    )


@actions
def test_composite_run_steps_have_shell(path: Path) -> None:
    action = load_action(path)
    if not action.is_composite:
        pytest.skip(f"{rel(path)} is not a composite action")
    bad = [
        f"step {i} ({step.get('id') or step.get('name') or 'unnamed'})"
        for i, step in enumerate(action.steps)
        if "run" in step and not step.get("shell")
    ]
    assert not bad, f"{rel(path)}: run: steps without shell: (GitHub rejects them; act does not):\n  " + "\n  ".join(
        bad
    )


@actions
def test_actions_do_not_use_local_actions(path: Path) -> None:
    # Inside a composite action, ./ is the caller's workspace, not this repository.
    bad = [str(s.get("uses")) for s in load_action(path).steps if str(s.get("uses") or "").startswith(("./", "../"))]
    assert not bad, f"{rel(path)}: uses: a local path, which resolves in the caller's workspace: {bad}"


@actions
def test_command_steps_run_a_known_command(path: Path) -> None:
    action = load_action(path)
    steps = action.command_steps
    if not steps:
        pytest.skip(f"{rel(path)} runs no wash-actions command")
    dispatch = load_dispatch()
    modules = load_modules()
    problems = []
    for step in steps:
        entry = entry_of(step)
        if entry is None:
            problems.append(
                f"step {step.index} runs {step.command!r}, which {rel(MAIN)} does not know "
                f"(known: {', '.join(sorted(dispatch))})"
            )
        elif entry.module not in modules or entry.function not in modules[entry.module].functions:
            problems.append(
                f"step {step.index}: {step.command!r} dispatches to a missing {entry.module}.{entry.function}"
            )
        if step.script.startswith("$GITHUB_ACTION_PATH/"):
            target = (path.parent / step.script.removeprefix("$GITHUB_ACTION_PATH/")).resolve()
            if not (target.is_file() and os.access(target, os.X_OK)):
                problems.append(f"step {step.index}: {step.script} is {target}, which is not an executable file")
        elif "wash-actions" in step.script:  # a relative path resolves in the caller's workspace
            problems.append(f'step {step.index}: run the script as "$GITHUB_ACTION_PATH/...", not {step.script!r}')
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


# ----------------------------------------------------------------------------------------------- inputs


@actions
def test_inputs_are_mapped_explicitly_in_env(path: Path) -> None:
    action = load_action(path)
    if not action.is_composite:
        pytest.skip(f"{rel(path)} is not a composite action")
    declared = action.inputs
    mapped: dict[str, list[str]] = {}
    problems = []
    for i, step in enumerate(action.steps):
        for key, value in (step.get("env") or {}).items():
            text = str(value).strip()
            match = INPUT_EXPRESSION.match(text)
            if match:
                name = match["name"]
                if name not in declared:
                    problems.append(f"step {i} env {key} maps inputs.{name}, which the action does not declare")
                elif key != env_name(name):
                    problems.append(f"step {i} env {key} maps inputs.{name}; name it {env_name(name)}")
                else:
                    mapped.setdefault(name, []).append(key)
            elif (alias := INPUT_ALIAS.match(text)) and str(key).startswith(INPUT_PREFIX):
                # an input and its alias of the same variable name (component-path / component_path)
                names = (alias["name"], alias["alias"])
                if any(n not in declared for n in names) or {env_name(n) for n in names} != {key}:
                    problems.append(f"step {i} env {key}: {text!r} must join two declared inputs named {key}")
                else:
                    for name in names:
                        mapped.setdefault(name, []).append(key)
            elif str(key).startswith(INPUT_PREFIX):
                if STEP_OUTPUTS.match(text) and not any(env_name(n) == key for n in declared):
                    continue  # an earlier step's output chained into this command (the root action)
                problems.append(
                    f"step {i} env {key}: {text!r} is not exactly ${{{{ inputs.<name> }}}} of a declared input"
                )
    by_yaml = action.inputs_used_by_yaml()
    for name in declared:
        if name not in mapped and name not in by_yaml:
            problems.append(f"input {name!r} is not mapped: add `{env_name(name)}: ${{{{ inputs.{name} }}}}` to env:")
    # Any other reference to an input that does not exist (with:, if:, outputs, ...) is always empty.
    for expression in action.expressions():
        for match in INPUT_REFERENCE.finditer(expression):
            if match["name"] not in declared:
                problems.append(f"{expression.strip()!r} refers to undeclared input {match['name']!r}")
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


def test_src_reads_no_github_input_variables() -> None:
    # GitHub does not set INPUT_* for composite actions; act does. Code reading them passes only under act.
    hits = []
    for path in sorted(SRC.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if GITHUB_INPUT_READ.search(line):
                hits.append(f"{rel(path)}:{number}: {line.strip()}")
    assert not hits, f"src reads INPUT_* variables; read {INPUT_PREFIX}* through gha.Inputs:\n  " + "\n  ".join(hits)


@pytest.mark.parametrize("module", MODULE_NAMES)
def test_inputs_the_command_reads_are_declared(module: str) -> None:
    spec = load_modules()[module]
    runners = actions_running(module)
    if not runners:
        pytest.skip(f"no action.yml runs {module!r}")
    missing = [
        f"{rel(spec.path)}:{line} reads input {name!r}"
        for name, line in spec.reads.items()
        if not any(name in a.inputs for a in runners)
    ]
    assert not missing, (
        f"inputs read by {module!r} but declared by none of {[rel(a.path) for a in runners]}:\n  "
        + "\n  ".join(missing)
    )


def _modules_run_by(action: Action) -> dict[str, Module]:
    modules = load_modules()
    entries = [e for e in map(entry_of, action.command_steps) if e and e.module in modules]
    return {e.module: modules[e.module] for e in entries}


@actions
def test_declared_inputs_are_read_by_the_command(path: Path) -> None:
    action = load_action(path)
    modules = _modules_run_by(action)
    if not modules:
        pytest.skip(f"{rel(path)} runs no known wash-actions command")
    read = {name for m in modules.values() for name in m.reads} | action.inputs_used_by_yaml()
    for step in action.steps:  # an alias joined into its input's variable is read through that input
        for value in (step.get("env") or {}).values():
            if (alias := INPUT_ALIAS.match(str(value).strip())) and alias["name"] in read:
                read.add(alias["alias"])
    unread = [name for name in action.inputs if name not in read]
    assert not unread, (
        f"{rel(path)}: inputs that {sorted(modules)} never read (setting them does nothing): {unread}; "
        f"read them in {', '.join(rel(m.path) for m in modules.values())} or drop them"
    )


@actions
def test_each_command_step_gets_the_inputs_its_command_reads(path: Path) -> None:
    # A second step of the same command (e.g. setup-wash resolve, then install) parses the inputs again:
    # an input mapped only in the first step silently falls back to its default in the second.
    action = load_action(path)
    modules = load_modules()
    problems = []
    for step in action.command_steps:
        entry = entry_of(step)
        if entry is None or entry.module not in modules:
            continue
        env = action.env_of(step.index)
        for name in modules[entry.module].reads:
            if name in action.inputs and env.get(env_name(name)) is None:
                problems.append(
                    f"step {step.index} ({step.command}) does not map input {name!r}: "
                    f"add `{env_name(name)}: ${{{{ inputs.{name} }}}}` to its env:"
                )
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


@actions
def test_steps_that_check_reuse_provenance_know_their_action_repository(path: Path) -> None:
    """A command that verifies a reused digest's provenance (reuse.provenance, which reads ACTION_REPOSITORY_ENV)
    accepts wash-actions' reusable workflow of the repository its step runs from: the step maps
    github.action_repository in its env:, the one place the runner gives it to a composite's run: step (it clears
    GITHUB_ACTION_REPOSITORY there; actions/runner src/Runner.Worker/ActionRunner.cs, issue #2473)."""
    from wash_actions.reuse.published import ACTION_REPOSITORY_ENV

    action = load_action(path)
    modules = load_modules()
    checked = []
    for step in action.command_steps:
        entry = entry_of(step)
        if (
            entry is None
            or entry.module not in modules
            or not re.search(r"\b(?:reuse|published)\.provenance\(", modules[entry.module].path.read_text("utf-8"))
        ):
            continue
        checked.append(step.command)
        assert action.env_of(step.index).get(ACTION_REPOSITORY_ENV) == "${{ github.action_repository }}", (
            f"{rel(path)} step {step.index} ({step.command}): add "
            f"`{ACTION_REPOSITORY_ENV}: ${{{{ github.action_repository }}}}` to its env:"
        )
    expected = {"build", "publish", "discover"} & {s.command for s in action.command_steps}
    assert set(checked) == expected, (checked, expected)


# ---------------------------------------------------------------------------------------------- outputs
# Outputs are checked by running the commands: tests/integration/test_outputs_contract.py.


# ---------------------------------------------------------------------------------------- uses: pinning


def _uses_values(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["uses"])] if isinstance(node.get("uses"), str) else []
        return found + [v for value in node.values() for v in _uses_values(value)]
    if isinstance(node, list):
        return [v for item in node for v in _uses_values(item)]
    return []


def _is_own(ref: str) -> bool:
    return any(ref.startswith((f"{own}/", f"{own}@")) for own in OWN_REPOSITORIES)


@yaml_files
def test_third_party_uses_are_pinned_by_sha(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    refs = set(_uses_values(yaml.safe_load(text)))
    seen = set()
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = USES_LINE.match(line)
        if not match or match["ref"] not in refs:
            continue
        ref = match["ref"]
        seen.add(ref)
        if ref.startswith(("./", "../", "$/")) or _is_own(ref):
            continue
        if ref.startswith("docker://"):
            if not DOCKER_DIGEST.match(ref):
                problems.append(f"line {number}: {ref} is not pinned by @sha256:<digest>")
            continue
        if not SHA_PIN.match(ref):
            problems.append(f"line {number}: {ref} is not pinned to a full 40-hex commit SHA")
        elif not VERSION_COMMENT.match(match["rest"]):
            problems.append(f"line {number}: {ref} has no `# vX.Y.Z` comment naming the pinned release")
    for ref in sorted(refs - seen):
        problems.append(f"uses: {ref} is not written as `uses: <ref> # vX.Y.Z` on one line")
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


# The first major release of each JavaScript action we pin whose action.yml says `using: node24` (the runner
# deprecates Node 20). Each read in the action's own repository: actions/cache v5.0.5 (27d5ce7, and its
# restore/ and save/), actions/checkout v5.1.0 (fbc6f39), actions/setup-python v6.3.0 (ece7cb0),
# actions/upload-artifact v6.0.0 (b7c566a), actions/download-artifact v7.0.0 (37930b1), actions/setup-go v6.5.0
# (924ae3a; its v5.5.0, d35c59a, is node20). An action missing here must be looked up and added, so a new pin
# cannot bring Node 20 back unnoticed.
NODE24_FIRST_MAJOR = {
    "actions/cache": 5,
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/setup-go": 6,
}
PINNED_MAJOR = re.compile(r"^\s+#\s*v(?P<major>\d+)\.")


@pytest.mark.parametrize("path", [*YAML_FILES, ROOT / "README.md"], ids=rel)
def test_pinned_javascript_actions_run_on_node24(path: Path) -> None:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = USES_LINE.match(line)
        if not match or not match["ref"].startswith("actions/") or "@" not in match["ref"]:
            continue
        action = "/".join(match["ref"].split("@", 1)[0].split("/")[:2])  # actions/cache/save: actions/cache
        major = PINNED_MAJOR.match(match["rest"])
        if action not in NODE24_FIRST_MAJOR:
            problems.append(f"line {number}: {action} is not in NODE24_FIRST_MAJOR (read its action.yml's `using:`)")
        elif major is None or int(major["major"]) < NODE24_FIRST_MAJOR[action]:
            problems.append(
                f"line {number}: {match['ref']} is a Node 20 release; pin v{NODE24_FIRST_MAJOR[action]} or newer"
            )
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


@yaml_files
def test_file_is_not_gitignored(path: Path) -> None:
    # An ignored action.yml is left out of commits and skipped by zizmor's directory scan.
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git work tree")
    result = subprocess.run(
        [git, "-C", str(ROOT), "check-ignore", "--no-index", "-v", "--", rel(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, (
        f"{rel(path)} is git-ignored by {result.stdout.strip() or result.stderr.strip()}: "
        "anchor or narrow that pattern in .gitignore (and `git add` the file)"
    )


# ------------------------------------------------------------------------------------------ descriptions


@actions
def test_everything_is_described(path: Path) -> None:
    action = load_action(path)
    problems = [
        f"top-level {key!r} is empty" for key in ("name", "description") if not str(action.data.get(key) or "").strip()
    ]
    for kind, entries in (("input", action.inputs), ("output", action.outputs)):
        problems += [
            f"{kind} {name!r} has no description"
            for name, spec in entries.items()
            if not str(spec.get("description") or "").strip()
        ]
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


def test_root_action_is_ready_for_the_marketplace() -> None:
    path = next((p for p in ACTION_FILES if p.parent == ROOT), None)
    if path is None:
        pytest.skip("no root action.yml yet")
    data = load_action(path).data
    problems = []
    if not str(data.get("name") or "").strip():
        problems.append("name is empty")
    description = str(data.get("description") or "").strip()
    if not description:
        problems.append("description is empty")
    elif len(description) > MARKETPLACE_DESCRIPTION_MAX:
        problems.append(
            f"description has {len(description)} characters; the Marketplace allows {MARKETPLACE_DESCRIPTION_MAX}"
        )
    branding = data.get("branding") or {}
    problems += [f"branding.{key} is missing" for key in ("icon", "color") if not branding.get(key)]
    assert not problems, f"{rel(path)}:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------------------------------- README tables


def _cells(row: str) -> list[str]:
    row = row.strip().removeprefix("|").removesuffix("|").replace("\\|", "\0")
    return [cell.replace("\0", "|").strip() for cell in row.split("|")]


def _is_separator(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-+:?", cell) for cell in cells)


@cache
def readme_sections() -> dict[str, list[list[list[str]]]]:
    """``## heading`` -> its tables, each a list of rows of cells (separator rows dropped); code blocks skipped."""
    sections: dict[str, list[list[list[str]]]] = {}
    current: list[list[list[str]]] | None = None
    in_fence = False
    previous_was_row = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            previous_was_row = False
            continue
        if in_fence:
            continue
        if line.startswith("#"):
            heading = re.match(r"^(#+)\s+(.*?)\s*#*\s*$", line)
            if heading and len(heading[1]) <= 2:
                current = sections.setdefault(heading[2], []) if len(heading[1]) == 2 else None
            previous_was_row = False
            continue
        if line.lstrip().startswith("|") and current is not None:
            cells = _cells(line)
            if not previous_was_row:
                current.append([])
            if not _is_separator(cells):
                current[-1].append(cells)
            previous_was_row = True
        else:
            previous_was_row = False
    return sections


def _names(table: list[list[str]]) -> list[str]:
    names = []
    for row in table[1:]:
        match = re.fullmatch(r"`([^`]+)`", row[0])
        names.append(match[1] if match else f"<not a `name`: {row[0]!r}>")
    return names


@actions
def test_readme_tables_match_the_action(path: Path) -> None:
    action = load_action(path)
    sections = readme_sections()
    assert action.section in sections, (
        f"README.md has no `## {action.section}` section documenting {rel(path)} (sections: {', '.join(sections)})"
    )
    tables = sections[action.section]
    problems = []
    for kind, entries in (("input", action.inputs), ("output", action.outputs)):
        found = [t for t in tables if t and t[0][0].strip().lower() in (kind, f"{kind}s")]
        expected = list(entries)
        if not found:
            if expected:
                problems.append(f"no `| {kind} | ... |` table; expected {kind}s {expected}")
            continue
        if len(found) > 1:
            problems.append(f"{len(found)} {kind} tables; expected one")
        names = _names(found[0])
        if names != expected:
            problems.append(f"{kind} table lists {names}; action.yml declares {expected} (same order)")
    assert not problems, f"README.md `## {action.section}` vs {rel(path)}:\n  " + "\n  ".join(problems)


def test_the_manifest_workflow_maps_what_update_manifest_reads() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "update-wash-manifest.yml").read_text())
    mapped = {
        key.removeprefix(INPUT_PREFIX).lower().replace("_", "-")
        for job in workflow["jobs"].values()
        for step in job["steps"]
        for key in (step.get("env") or {})
        if key.startswith(INPUT_PREFIX)
    }
    reads = set(load_modules()[MAINTENANCE].reads)
    assert mapped <= reads, f"the workflow maps inputs update-manifest never reads: {sorted(mapped - reads)}"
    # the rest have defaults for the scheduled run: the checkout's manifest and wash 2.0.0 onwards
    assert reads - mapped == {"manifest", "min-version"}


def test_the_digest_command_is_documented_and_reads_no_inputs() -> None:
    """digest is a command for people: the README shows how to run it, and it takes arguments, not inputs."""
    assert "scripts/wash-actions digest " in (ROOT / "README.md").read_text(encoding="utf-8")
    assert not load_modules()[FOR_PEOPLE].reads


SCRIPT_RUN = re.compile(r"scripts/(wash-actions|find-python)\b")


@pytest.mark.parametrize("path", [ROOT / "action.yml", *sorted((ROOT / "actions").glob("*/action.yml"))], ids=rel)
def test_every_script_runs_through_its_shell(path: Path) -> None:
    """``bash "…/wash-actions"``, ``sh "…/find-python"``: a checkout that lost the exec bit or the shebang's line
    ending (Windows, core.autocrlf) still runs them; .gitattributes keeps their lines LF."""
    shells = {"wash-actions": "bash", "find-python": "sh"}
    for step in yaml.safe_load(path.read_text(encoding="utf-8"))["runs"]["steps"]:
        run = step.get("run") or ""
        for line in run.splitlines():
            match = SCRIPT_RUN.search(line)
            if match:
                assert line.strip().startswith(f'{shells[match[1]]} "$GITHUB_ACTION_PATH/'), (step.get("id"), line)


def test_gitattributes_keeps_text_lf() -> None:
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "* text=auto eol=lf" in attributes.splitlines()
