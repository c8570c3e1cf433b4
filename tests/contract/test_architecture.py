"""The module map of ARCHITECTURE.md, enforced: who may import what, and a docstring on every public function.

Read from the source with ``ast`` (nothing is imported): a rule here fails at the line that breaks it.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.helpers import parse_command_file

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "wash_actions"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

# Entry points: they parse inputs, call the domain, write outputs.
ENTRY = {"__main__"}
COMMANDS_PREFIX = "commands."
# Modules other than the entry points that may write to the job log through gha: wash echoes the child's
# output line by line, extras reports installing sigstore.
GHA_IMPORTERS = {"toolchain.wash", "runner.extras"}
# The one module that speaks HTTP (and opens sockets, and builds TLS contexts).
NETWORK_MODULES = {"http.client", "urllib.request", "socket", "ssl", "http.cookiejar"}
NETWORK_OWNER = {"runner.transport"}
# sigstore and its dependencies are an extra, installed on first use by steps that sign or verify: imported
# only inside functions (or for type checking) of these modules.
SIGSTORE_PACKAGES = {"sigstore", "sigstore_models", "cryptography", "rfc3161_client", "id"}
SIGSTORE_USERS = {"runner.extras", "trust.attest", "trust.sigstore_verifier", "trust.run_token"}
# PyYAML is an extra too (requirements/yaml.txt), installed on first use by steps that read manifests: imported
# only inside functions of the module that reads YAML.
YAML_PACKAGES = {"yaml", "_yaml"}
YAML_USERS = {"workload.yaml_source"}


@dataclass(frozen=True)
class Import:
    module: str  # the imported module, absolute: "wash_actions.gha", "http.client"
    line: int
    top_level: bool  # at module scope, outside `if TYPE_CHECKING:`


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


@cache
def modules() -> dict[str, ast.Module]:
    return {_name(p): ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str) -> list[Import]:
    package = ["wash_actions", *name.split(".")[:-1]]
    found: list[Import] = []

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend(Import(alias.name, node.lineno, top) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                    # `from . import gha` imports the module wash_actions.gha
                    found.extend(Import(f"{base}.{alias.name}", node.lineno, top) for alias in node.names)
                    found.append(Import(base, node.lineno, top))
                else:
                    found.append(Import(node.module or "", node.lineno, top))
            elif isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.body, False)
                visit(node.orelse, top)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(node.body, False)
            else:  # if/try/with/for at module scope: their bodies run at import too
                for field in ("body", "orelse", "finalbody"):
                    visit([c for c in getattr(node, field, []) if isinstance(c, ast.stmt)], top)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, top)

    visit(modules()[name].body, True)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _is_command(name: str) -> bool:
    return name.startswith(COMMANDS_PREFIX)


def _internal(imported: str) -> str | None:
    """``wash_actions.runner.gha`` -> ``gha``; None for anything outside the package."""
    if imported == "wash_actions" or not imported.startswith("wash_actions."):
        return None
    return imported.removeprefix("wash_actions.")


ALL = sorted(modules())


def test_the_map_sees_the_package() -> None:
    assert {"runner.transport", "runner.gha", "commands.publish", "toolchain.resolution", "component.metadata"} <= set(
        ALL
    )


@pytest.mark.parametrize("name", ALL)
def test_only_entry_points_import_commands(name: str) -> None:
    if name in ENTRY or _is_command(name):
        return
    bad = [i for i in imports(name) if (_internal(i.module) or "").startswith("commands")]
    assert not bad, f"{name} imports the command layer ({bad[0].module}, line {bad[0].line}); move the logic down"


@pytest.mark.parametrize("name", ALL)
def test_domain_modules_do_not_write_to_the_runner(name: str) -> None:
    if name in ENTRY or _is_command(name) or name in GHA_IMPORTERS or name == "gha":
        return
    bad = [i for i in imports(name) if _internal(i.module) == "gha"]
    assert not bad, (
        f"{name} imports gha (line {bad[0].line}): domain modules return values and raise ActionError; "
        "the command writes outputs, logs and annotations"
    )


@pytest.mark.parametrize("name", ALL)
def test_only_transport_speaks_http(name: str) -> None:
    if name in NETWORK_OWNER:
        return
    bad = [i for i in imports(name) if i.module in NETWORK_MODULES or _top(i.module) in {"http", "socket", "ssl"}]
    bad = [i for i in bad if i.module not in {"http", "http.HTTPStatus"}]
    assert not bad, (
        f"{name} imports {bad[0].module} (line {bad[0].line}); HTTP goes through wash_actions.runner.transport"
    )


def _imported_lazily_and_only_by(name: str, packages: set[str], users: set[str], why: str) -> None:
    found = [i for i in imports(name) if _top(i.module) in packages]
    if name not in users:
        assert not found, f"{name} imports {found[0].module} (line {found[0].line}); only {users} may"
    eager = [i for i in found if i.top_level]
    assert not eager, f"{name} imports {eager[0].module} at module scope (line {eager[0].line}): {why}"


@pytest.mark.parametrize("name", ALL)
def test_sigstore_is_imported_lazily_and_only_where_it_signs_or_verifies(name: str) -> None:
    _imported_lazily_and_only_by(
        name,
        SIGSTORE_PACKAGES,
        SIGSTORE_USERS,
        "sigstore is installed on first use (extras.ensure_sigstore), so import it inside the function that needs "
        "it, or under TYPE_CHECKING",
    )


@pytest.mark.parametrize("name", ALL)
def test_yaml_is_imported_lazily_and_only_by_the_yaml_reader(name: str) -> None:
    _imported_lazily_and_only_by(
        name,
        YAML_PACKAGES,
        YAML_USERS,
        "PyYAML is installed on first use (extras.ensure_yaml), so import it inside the function that needs it",
    )


@pytest.mark.parametrize("name", ALL)
def test_the_runtime_is_the_standard_library(name: str) -> None:
    outside = [
        i
        for i in imports(name)
        if _top(i.module) not in sys.stdlib_module_names
        and _top(i.module) != "wash_actions"
        and _top(i.module) not in SIGSTORE_PACKAGES | YAML_PACKAGES
        and i.module != "__future__"
    ]
    assert not outside, f"{name} imports {outside[0].module} (line {outside[0].line}), which is not standard library"


DOMAIN = [n for n in ALL if n not in ENTRY and not _is_command(n) and n != "__init__"]


@pytest.mark.parametrize("name", DOMAIN)
def test_public_functions_have_docstrings(name: str) -> None:
    missing = [
        f"{node.name} (line {node.lineno})"
        for node in modules()[name].body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not node.name.startswith("_")
        and not ast.get_docstring(node)
    ]
    assert not missing, (
        f"wash_actions/{name.replace('.', '/')}.py: public functions without a docstring: {', '.join(missing)}"
    )


def test_architecture_md_lists_every_module() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [n for n in ALL if not n.endswith("__init__") and f"`{n.replace('.', '/')}.py`" not in text]
    assert not missing, f"ARCHITECTURE.md's module map does not list: {', '.join(missing)}"


# --- start-up cost (ARCHITECTURE.md "Start-up cost") ------------------------------------------------------

# What a step must not load on its way to work: the cost of a step that does little is its imports.
STARTUP_FORBIDDEN = (
    "dataclasses",  # ~1 ms per dataclass created at import under 3.11, and inspect with it
    "inspect",
    "concurrent.futures",
    "logging",
    "tempfile",
    "subprocess",
    "shutil",
    "tomllib",
    "uuid",
    "zipfile",
    "http.client",  # the network stack: transport imports it when it sends, not when it is imported
    "ssl",
    "socket",
    "wash_actions.trust.attest",
    "wash_actions.trust.sbom",
    "wash_actions.trust.provenance",
    "sigstore",
)
# The steps ARCHITECTURE.md's Start-up cost holds to it, and what each may load besides (its own work needs it).
STEPS = {
    "publish": (),
    "setup_wash": ("subprocess", "shutil"),  # runs wash --version, rustup; which gh
    "build": ("subprocess", "shutil"),  # runs wash (wash.run)
    "check": (),
    "sigstore_cache": (),  # every publish that may sign runs it first
}


def _startup_modules() -> list[str]:
    """The modules ARCHITECTURE.md's "Start-up cost" lists (its first paragraph)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Start-up cost", 1)[1].split("\n## ", 1)[0]
    return sorted(set(re.findall(r"`([\w.]+)`", section.split("\n\n", 1)[1].split("\n\n", 1)[0])))


STARTUP_MODULES = _startup_modules()


@cache
def _loaded_by(step: str) -> frozenset[str]:
    """The modules loaded when the entry point and a step's command are imported, as the step imports them."""
    code = (
        f"import sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); "
        f"import wash_actions.__main__, wash_actions.commands.{step}; print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    return frozenset(out.stdout.split())


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_step_starts_without_what_it_may_not_need(step: str) -> None:
    found = [name for name in STARTUP_FORBIDDEN if name not in STEPS[step] and name in _loaded_by(step)]
    assert not found, f"importing {step} loads {', '.join(found)} (see ARCHITECTURE.md, Start-up cost)"


def test_the_start_up_list_is_what_the_steps_load() -> None:
    loaded = {
        name.removeprefix("wash_actions.")
        for step in STEPS
        for name in _loaded_by(step)
        if name.startswith("wash_actions.")
        and not name.startswith("wash_actions.commands")
        and (PACKAGE / (name.removeprefix("wash_actions.").replace(".", "/") + ".py")).is_file()
    }
    assert set(STARTUP_MODULES) == loaded, (
        f"ARCHITECTURE.md's Start-up cost lists {sorted(set(STARTUP_MODULES) - loaded)} that no step loads "
        f"and misses {sorted(loaded - set(STARTUP_MODULES))}"
    )


@pytest.mark.parametrize("name", STARTUP_MODULES)
def test_start_up_modules_define_no_dataclasses(name: str) -> None:
    found = [i.line for i in imports(name) if i.module == "dataclasses"]
    assert not found, (
        f"wash_actions/{name.replace('.', '/')}.py imports dataclasses (line {found[0]}): use typing.NamedTuple"
    )


@pytest.mark.parametrize("step", sorted(STEPS))
def test_start_up_commands_define_no_dataclasses(step: str) -> None:
    found = [i.line for i in imports(f"commands.{step}") if i.module == "dataclasses"]
    assert not found, f"wash_actions/commands/{step}.py imports dataclasses (line {found[0]}): use typing.NamedTuple"


# What check loads when it runs on a component alone (its common use: the component's imports against the host):
# besides what any step may not load, nothing of the registry path, which only `manifests` (workloads by image)
# needs, and not the YAML extra.
CHECK_RUN_FORBIDDEN = (
    *STARTUP_FORBIDDEN,
    "wash_actions.workload.component_images",
    "wash_actions.oci.registry",
    "wash_actions.runner.transport",
    "wash_actions.runner.extras",
    "yaml",
)


def _component_importing(name: str) -> bytes:
    """A component whose one import is the instance ``name`` (the binary format: section 10, one extern)."""
    from wash_actions.component.sections import leb128
    from wash_actions.component.world import PREAMBLE

    extern = b"\x00" + leb128(len(name)) + name.encode() + b"\x05" + leb128(0)  # plain name, instance type 0
    payload = leb128(1) + extern
    return PREAMBLE + b"\x0a" + leb128(len(payload)) + payload


def test_check_on_a_component_runs_without_the_registry_path(tmp_path: Path) -> None:
    (tmp_path / "c.wasm").write_bytes(_component_importing("wasi:io/poll@0.2.9"))
    code = (
        f"import runpy, sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); sys.argv = ['wash_actions', 'check']\n"
        "try:\n    runpy.run_module('wash_actions', run_name='__main__')\nexcept SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "WASHACTIONS_INPUT_COMPONENT_PATH": "c.wasm",
    }
    run = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    outputs = parse_command_file((tmp_path / "output").read_text(encoding="utf-8"))
    assert (outputs["imports"], outputs["unresolved"], outputs["result"]) == ('["wasi:io/poll@0.2.9"]', "[]", "passed")
    loaded = set(run.stdout.split())
    assert "wash_actions.commands.check" in loaded
    found = [name for name in CHECK_RUN_FORBIDDEN if name in loaded]
    assert not found, f"check on a component loads {', '.join(found)} (see ARCHITECTURE.md, Start-up cost)"


# --- rooms and layers (ARCHITECTURE.md "Module map") -------------------------------------------------------

LAYER_MAY_IMPORT = {
    "entry": {"entry", "runner I/O", "adapter", "domain", "base"},
    "runner I/O": {"base"},
    "adapter": {"adapter", "domain", "base", "runner I/O"},  # runner I/O only for GHA_IMPORTERS (test above)
    "domain": {"domain", "base"},
    "base": {"base"},
}


class Map(NamedTuple):
    rooms: dict[str, int]  # "runner" -> level; "" is the package's own folder
    layers: dict[str, str]  # "runner.gha" -> "runner I/O"


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def read_map(text: str) -> Map:
    """The rooms table (room, level) and the modules table (module path, layer) of ARCHITECTURE.md's map."""
    section = _section(text, "Module map")
    rooms: dict[str, int] = {}
    layers: dict[str, str] = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        room = re.fullmatch(r"`([a-z_]+)/`", cells[0])
        if room and cells[1].isdigit():
            rooms[room.group(1)] = int(cells[1])
        elif cells[0] == "(package)" and cells[1].isdigit():
            rooms[""] = int(cells[1])
        module = re.fullmatch(r"`([\w/]+)\.py`", cells[0])
        if module and cells[1] in LAYER_MAY_IMPORT:
            layers[module.group(1).replace("/", ".")] = cells[1]
    return Map(rooms, layers)


MAP = read_map(ARCHITECTURE.read_text(encoding="utf-8"))


def room_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def violations(name: str, imported: list[str], the_map: Map) -> list[str]:
    """What breaks the map when ``name`` imports ``imported`` (internal names): a room above its own level, or a
    layer its own layer may not import."""
    found = []
    layer = the_map.layers[name]
    for other in imported:
        if other not in the_map.layers:
            continue  # a package (`from . import x` names the package too)
        if layer == "entry":
            continue
        if the_map.rooms[room_of(other)] > the_map.rooms[room_of(name)]:
            found.append(
                f"{name} ({room_of(name) or 'package'}/, level {the_map.rooms[room_of(name)]}) imports {other} "
                f"({room_of(other)}/, level {the_map.rooms[room_of(other)]}): a room imports only its own level or "
                "below; move the shared piece down"
            )
        if the_map.layers[other] not in LAYER_MAY_IMPORT[layer]:
            found.append(
                f"{name} ({layer}) imports {other} ({the_map.layers[other]}): a {layer} module may import only "
                f"{', '.join(sorted(LAYER_MAY_IMPORT[layer]))}; move the pure part of {other} into a domain module"
            )
    return found


MODULES = [n for n in ALL if not n.endswith("__init__")]


def test_the_map_lists_every_module_in_its_room() -> None:
    listed = set(MAP.layers)
    assert listed == set(MODULES), (
        f"ARCHITECTURE.md's module map lists {sorted(listed - set(MODULES))} that do not exist and misses "
        f"{sorted(set(MODULES) - listed)}"
    )
    folders = {room_of(n) for n in MODULES}
    assert folders == set(MAP.rooms), f"rooms in the map {sorted(MAP.rooms)}, folders {sorted(folders)}"


@pytest.mark.parametrize("name", MODULES)
def test_rooms_and_layers(name: str) -> None:
    internal = sorted({m for i in imports(name) if (m := _internal(i.module)) is not None})
    found = violations(name, internal, MAP)
    assert not found, "\n".join(found)


def test_the_layer_check_can_fail() -> None:
    """The checker itself: a domain module importing an adapter, and a room importing a room above it, are caught."""
    the_map = Map({"": 0, "low": 1, "high": 2}, {"low.pure": "domain", "low.io": "adapter", "high.x": "domain"})
    assert violations("low.pure", ["low.io"], the_map)
    assert violations("low.pure", ["high.x"], the_map)
    assert not violations("low.io", ["low.pure"], the_map)
    assert not violations("high.x", ["low.pure"], the_map)
