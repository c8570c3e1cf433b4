"""check against real components: the lists equal `wash inspect`'s, and a workload resolves a custom import.

Components: the examples (componentize-py, jco), componentize-py's own examples (other people's projects, from
its hash-pinned sdist), and a consumer/provider pair built here from tests/fixtures/greeter (a custom
interface, ``acme:greeter/greet@0.1.0``, imported by one and exported by the other).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REAL_COMPONENTS, real_component
from tests.helpers import assert_one_clear_error, rendered, run_command
from wash_actions.component import world as component

ROOT = Path(__file__).resolve().parents[2]


def wash_inspect(wash_binary: Path, path: Path) -> tuple[list[str], list[str]]:
    """The imports and exports `wash inspect` prints (the world's top-level items, in its order)."""
    proc = subprocess.run(
        [str(wash_binary), "inspect", str(path), "-o", "json"], capture_output=True, text=True, timeout=300, check=True
    )
    wit = json.loads(proc.stdout[proc.stdout.rfind("\n{") + 1 :])["data"]["wit"]
    imports, exports = [], []
    for line in wit.splitlines():
        match = re.match(r"^  (import|export) (.+)$", line)
        if not match:
            continue
        rest = match[2]
        interface = re.match(r"([a-z][a-z0-9-]*:[a-z0-9:-]+/[a-z0-9-]+(?:@[0-9A-Za-z.+-]+)?);", rest)
        name = interface[1] if interface else rest.split(":", 1)[0]
        (imports if match[1] == "import" else exports).append(name)
    return imports, exports


@pytest.fixture(params=[*REAL_COMPONENTS, "provider", "consumer"])
def any_component(request, greeter) -> Path:
    found = real_component(request)
    return found if found is not None else greeter[request.param]


def test_imports_and_exports_equal_wash_inspect(any_component, wash_binary):
    world = component.parse(any_component.read_bytes())
    assert (world.import_names, world.export_names) == wash_inspect(wash_binary, any_component)


@pytest.fixture
def check(monkeypatch, capfd, tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()

    def run(path: Path, **inputs: str):
        return run_command(
            "check",
            {"component-path": str(path), **inputs},
            monkeypatch=monkeypatch,
            capfd=capfd,
            runner=tmp_path / "runner",
            workspace=workspace,
        )

    run.workspace = workspace  # type: ignore[attr-defined]
    return run


def test_the_examples_pass_the_wasmcloud_profile(check, built_python, built_js):
    for path in (built_python, built_js):
        run = check(path)
        assert run.code == 0, run.stdout
        assert run.outputs["result"] == "passed"
        assert json.loads(run.outputs["unresolved"]) == []
        assert json.loads(run.outputs["imports"]) == component.parse(path.read_bytes()).import_names
        assert "| provided by |" in run.summary


def test_a_lone_consumer_fails_naming_the_custom_import(check, greeter):
    run = check(greeter["consumer"])
    line = assert_one_clear_error(run, "acme:greeter/greet@0.1.0", "nothing provides")
    assert "workload" in line and "host-interfaces" in line  # the fixes
    assert json.loads(run.outputs["unresolved"]) == ["acme:greeter/greet@0.1.0"]
    assert run.outputs["result"] == "failed"
    assert "**unresolved**" in run.summary


def test_the_provider_in_the_workload_resolves_it(check, greeter):
    shutil.copy(greeter["provider"], check.workspace / "provider.wasm")
    run = check(greeter["consumer"], workload="*.wasm")
    assert run.code == 0, run.stdout
    assert run.outputs["result"] == "passed"
    assert "workload: provider.wasm" in rendered(run.summary)


def test_a_host_interface_pattern_resolves_it(check, greeter):
    run = check(greeter["consumer"], **{"host-interfaces": "acme:greeter/*@0.1"})
    assert run.code == 0, run.stdout
    assert "host-interfaces (acme:greeter/*@0.1)" in rendered(run.summary)


def test_report_mode_warns_and_passes_the_step(check, greeter):
    run = check(greeter["consumer"], check="report")
    assert run.code == 0, run.stdout
    assert run.outputs["result"] == "failed"
    assert any(line.startswith("::warning") and "acme:greeter/greet" in line for line in run.stdout.splitlines())


def test_host_none_leaves_wasi_unresolved(check, built_js):
    run = check(built_js, host="none")
    assert_one_clear_error(run, "wasi:http/outgoing-handler@0.2.3")


def test_deny_imports_refuses_sockets(check, built_python):
    run = check(built_python, **{"deny-imports": "wasi:sockets/*"})
    line = assert_one_clear_error(run, "deny-imports forbids", "wasi:sockets/tcp@0.2.9")
    assert "wasi:io/poll" not in line


def test_max_size_refuses_a_component_over_budget(check, built_js):
    run = check(built_js, **{"max-size": "1MiB"})
    assert_one_clear_error(run, "over max-size 1.0 MiB")


def test_two_kinds_of_problem_give_two_errors(check, greeter):
    run = check(greeter["consumer"], **{"max-size": "1MiB", "deny-imports": "wasi:sockets/*"})
    assert run.code == 1
    assert len(run.errors) == 3, run.stdout


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("truncated", "runs past the end"),
        ("not-wasm", "no component preamble"),
        ("core-module", "core WebAssembly module"),
        ("hundred-megabytes", "no component preamble"),
        ("control-characters", "not a component-model name"),
        ("double-colon", "not a component-model name"),
    ],
)
def test_hostile_files_are_one_clear_error(case, fragment, check, built_js, tmp_path):
    path = tmp_path / f"{case}.wasm"
    if case == "truncated":
        path.write_bytes(built_js.read_bytes()[: 1 << 16])
    elif case == "not-wasm":
        path.write_bytes(b"#!/bin/sh\necho not a component\n")
    elif case == "core-module":
        path.write_bytes(b"\0asm\x01\x00\x00\x00")
    elif case == "hundred-megabytes":
        with path.open("wb") as handle:
            handle.truncate(100 << 20)
    else:
        name = "x\n::error::injected" if case == "control-characters" else "wasi::io/poll"
        raw = name.encode()
        imports = b"\x01\x00" + bytes([len(raw)]) + raw + b"\x05\x00"
        path.write_bytes(component.PREAMBLE + b"\x0a" + bytes([len(imports)]) + imports)
    run = check(path)
    assert_one_clear_error(run, fragment)
    assert not any(line.startswith("::error::injected") for line in run.stdout.splitlines())


def test_bad_inputs_are_one_clear_error(check, built_js):
    assert_one_clear_error(check(built_js, host="kubernetes"), "not wasmcloud or none")
    assert_one_clear_error(check(built_js, **{"host-interfaces": "wasi:io/po ll"}), "not an interface pattern")
    assert_one_clear_error(check(built_js, **{"max-size": "big"}), "is not a size")
    assert_one_clear_error(check(built_js, workload="missing/*.wasm"), "matches no file")
    assert_one_clear_error(check(built_js, workload="../outside.wasm"), "outside the workspace")
    assert_one_clear_error(check(built_js, check="maybe"), "not true, report or false")


def test_check_false_skips(check, tmp_path):
    run = check(tmp_path / "absent.wasm", check="false")
    assert run.code == 0 and run.outputs["result"] == "skipped"
