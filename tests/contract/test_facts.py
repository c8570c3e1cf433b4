"""Each fact in one place: where drift is likely, a second copy fails here (read from the source with ``ast``).

The command list (the table in ``__main__``, its usage line, README), the OCI media types, GitHub's API headers,
wash's upstream repository and the component-path fix.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from wash_actions import __main__ as entry
from wash_actions.errors import COMPONENT_PATH_FIX
from wash_actions.oci import registry
from wash_actions.runner import transport
from wash_actions.toolchain import known

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "wash_actions"


def strings(path: Path) -> list[str]:
    """Every string constant of a module (docstrings included; f-string parts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def homes(predicate) -> list[str]:
    """The modules (relative paths) with a string constant that ``predicate`` accepts."""
    return sorted(
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if any(predicate(s) for s in strings(path))
    )


def commands() -> set[str]:
    """The commands a user can name: the table's (phases folded into their command), and digest."""
    return {name.split(" ")[0] for name in entry._commands()} | {"digest"}


def test_the_usage_line_names_every_command_of_the_table() -> None:
    text = entry.usage(list(entry._commands()))
    listed = re.search(r"\{(.*)\}", text)
    assert listed is not None, text
    named = {part.split(" ")[0] for part in listed[1].split(",")}
    assert named | {"digest"} == commands()
    assert "setup-wash [resolve|install]" in text and "python -m wash_actions digest COMPONENT" in text


def test_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`python -m wash_actions <command>`: ([^;]+);", readme)
    assert found is not None, "README's development section no longer lists the commands"
    assert {name.strip() for name in found[1].replace("\n", " ").split(",")} == commands()


@pytest.mark.parametrize("media_type", [registry.OCI_MANIFEST, registry.OCI_INDEX])
def test_an_oci_media_type_is_written_once(media_type: str) -> None:
    assert homes(lambda s: s == media_type) == ["oci/media.py"]


def test_githubs_api_headers_are_written_once() -> None:
    """The REST API's media type and version: one definition (transport), every GitHub API caller uses it."""
    assert homes(lambda s: s in {"application/vnd.github+json", "2022-11-28"}) == ["runner/transport.py"]
    assert transport.GITHUB_API_HEADERS == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    users = homes(lambda s: s.startswith("/repos/") or "/repos/{" in s)
    assert users, "no module calls GitHub's REST API any more: this test is stale"
    for user in users:
        text = (PACKAGE / user).read_text(encoding="utf-8")
        assert "GITHUB_API_HEADERS" in text, f"{user} calls GitHub's REST API without transport.GITHUB_API_HEADERS"


def test_the_component_path_fix_is_written_once() -> None:
    assert homes(lambda s: "steps.build.outputs.component-path" in s) == ["errors.py"]
    assert COMPONENT_PATH_FIX.startswith("with:\n  component-path: ")


def test_every_module_names_the_same_upstream() -> None:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if "UPSTREAM" in path.read_text(encoding="utf-8"):
            value = getattr(importlib.import_module(name), "UPSTREAM", None)
            if value is not None:
                found[name] = value
    assert "wash_actions.toolchain.known" in found
    assert set(found.values()) == {known.UPSTREAM}, found
    shipped = (PACKAGE / "data" / "wash-releases.json").read_text(encoding="utf-8")
    assert f'"upstream": "{known.UPSTREAM}"' in shipped


def test_readme_names_the_lock_files_the_sbom_is_read_from() -> None:
    from wash_actions.trust import sbom

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| language | source |", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([\w.-]+\.(?:lock|json|toml|txt|sum))`", table))
    assert named == set(sbom.LOCKFILES)
