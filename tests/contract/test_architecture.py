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

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "wash_actions"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

# Entry points: they parse inputs, call the domain, write outputs.
ENTRY = {"__main__"}
COMMANDS_PREFIX = "commands."
# Modules other than the entry points that may write to the job log through gha: wash echoes the child's
# output line by line, extras reports installing sigstore.
GHA_IMPORTERS = {"wash", "extras"}
# The one module that speaks HTTP (and opens sockets, and builds TLS contexts).
NETWORK_MODULES = {"http.client", "urllib.request", "socket", "ssl", "http.cookiejar"}
NETWORK_OWNER = {"transport"}
# sigstore and its dependencies are an extra, installed on first use by steps that sign or verify: imported
# only inside functions (or for type checking) of these modules.
SIGSTORE_PACKAGES = {"sigstore", "sigstore_models", "cryptography", "rfc3161_client"}
SIGSTORE_USERS = {"extras", "attest", "sigstore_verifier"}


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
    """``wash_actions.gha`` -> ``gha``; None for anything outside the package."""
    if imported == "wash_actions" or not imported.startswith("wash_actions."):
        return None
    return imported.removeprefix("wash_actions.")


ALL = sorted(modules())


def test_the_map_sees_the_package() -> None:
    assert {"transport", "gha", "commands.publish", "resolution", "metadata"} <= set(ALL)


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
    assert not bad, f"{name} imports {bad[0].module} (line {bad[0].line}); HTTP goes through wash_actions.transport"


@pytest.mark.parametrize("name", ALL)
def test_sigstore_is_imported_lazily_and_only_where_it_signs_or_verifies(name: str) -> None:
    found = [i for i in imports(name) if _top(i.module) in SIGSTORE_PACKAGES]
    if name not in SIGSTORE_USERS:
        assert not found, f"{name} imports {found[0].module} (line {found[0].line}); only {SIGSTORE_USERS} may"
    eager = [i for i in found if i.top_level]
    assert not eager, (
        f"{name} imports {eager[0].module} at module scope (line {eager[0].line}): sigstore is installed on first "
        "use (extras.ensure_sigstore), so import it inside the function that needs it, or under TYPE_CHECKING"
    )


@pytest.mark.parametrize("name", ALL)
def test_the_runtime_is_the_standard_library(name: str) -> None:
    outside = [
        i
        for i in imports(name)
        if _top(i.module) not in sys.stdlib_module_names
        and _top(i.module) != "wash_actions"
        and _top(i.module) not in SIGSTORE_PACKAGES
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
    assert not missing, f"wash_actions/{name}.py: public functions without a docstring: {', '.join(missing)}"


def test_architecture_md_lists_every_module() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [n for n in ALL if not n.endswith("__init__") and f"`{n.replace('.', '/')}.py`" not in text]
    assert not missing, f"ARCHITECTURE.md's module map does not list: {', '.join(missing)}"


# --- start-up cost (ARCHITECTURE.md "Start-up cost") ------------------------------------------------------

# What publish must not load on its way to work: the cost of a step that does little is its imports.
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
    "wash_actions.attest",
    "wash_actions.sbom",
    "wash_actions.provenance",
    "sigstore",
)


def _startup_modules() -> list[str]:
    """The modules ARCHITECTURE.md's "Start-up cost" lists (its first paragraph)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Start-up cost", 1)[1].split("\n## ", 1)[0]
    return sorted(set(re.findall(r"`(\w+)`", section.split("\n\n", 1)[1].split("\n\n", 1)[0])))


STARTUP_MODULES = _startup_modules()


def _loaded_by_publish() -> set[str]:
    """The modules loaded when publish's entry point and command are imported, as a step imports them."""
    code = (
        f"import sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); "
        "import wash_actions.__main__, wash_actions.commands.publish; print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_publish_starts_without_what_it_may_not_need() -> None:
    loaded = _loaded_by_publish()
    found = [name for name in STARTUP_FORBIDDEN if name in loaded]
    assert not found, f"importing publish loads {', '.join(found)} (see ARCHITECTURE.md, Start-up cost)"


def test_the_start_up_list_is_what_publish_loads() -> None:
    loaded = {n.removeprefix("wash_actions.") for n in _loaded_by_publish() if n.startswith("wash_actions.")}
    loaded -= {"commands", "commands.publish"}
    assert set(STARTUP_MODULES) == loaded, (
        f"ARCHITECTURE.md's Start-up cost lists {sorted(set(STARTUP_MODULES) - loaded)} that publish does not "
        f"load and misses {sorted(loaded - set(STARTUP_MODULES))}"
    )


@pytest.mark.parametrize("name", STARTUP_MODULES)
def test_start_up_modules_define_no_dataclasses(name: str) -> None:
    found = [i.line for i in imports(name) if i.module == "dataclasses"]
    assert not found, f"wash_actions/{name}.py imports dataclasses (line {found[0]}): use typing.NamedTuple"
