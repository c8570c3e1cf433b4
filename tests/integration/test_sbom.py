"""The SBOM of components built by the real wash (componentize-py, jco), read back by cyclonedx-python-lib and
compared with what real SBOM generators make of the same project: cyclonedx-py (PyPI cyclonedx-bom) for Python
environments and requirements, cyclonedx-npm (npm @cyclonedx/cyclonedx-npm, in the test stack's package.json) for
package-lock.json."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.conftest import REAL_COMPONENTS, real_component
from tests.stacks import sigstore_stack
from wash_actions.trust import sbom

ROOT = Path(__file__).resolve().parents[2]


def test_sbom_of_a_real_python_component(built_python: Path) -> None:
    wasm = built_python.read_bytes()
    project = built_python.parent.parent
    (project / "requirements.txt").write_text("attrs==25.3.0\n")  # what componentize-py bundles from site-packages
    found = sbom.inventory(wasm, project)
    doc = sbom.document(wasm, found, name="ghcr.io/acme/hello-python", version="0.1.0")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    listed = [c["purl"] for c in doc["components"]]
    assert {str(c.purl) for c in bom.components} == set(listed)
    assert listed[0] == "pkg:pypi/attrs@25.3.0"  # the lock file first, then what the component carries
    assert listed[1].startswith("pkg:generic/python@3.") and listed[2].startswith("pkg:pypi/componentize-py@")
    assert len(listed) == 3
    subject = doc["metadata"]["component"]
    assert subject["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(wasm).hexdigest()}]
    # componentize-py's runtime is Rust; wit-component wrapped it: both read from the real producers sections
    tools = {p["value"].split()[0] for p in subject["properties"] if p["name"] == "wasm:producers:processed-by"}
    assert {"wit-component", "rustc"} <= tools
    assert {"name": "wasm:source", "value": "requirements.txt"} in subject["properties"]


def cyclonedx_py(*args: str) -> dict:
    """cyclonedx-py (the CycloneDX project's Python generator) as its README runs it; its JSON document."""
    tool = Path(sys.executable).parent / "cyclonedx-py"
    done = subprocess.run(
        [str(tool), *args, "--of", "JSON", "-o", "-"], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout)


def cyclonedx_npm(project: Path) -> dict:
    """cyclonedx-npm on a project's package-lock.json alone (no node_modules needed)."""
    tool = sigstore_stack.PACKAGE / "node_modules" / ".bin" / "cyclonedx-npm"
    done = subprocess.run(
        [str(tool), "--package-lock-only", "--output-format", "JSON", "--output-file", "-"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


def purls(doc: dict) -> set[str]:
    def walk(components: list[dict]):
        for component in components:
            yield component
            yield from walk(component.get("components", []))

    return {c["purl"] for c in walk(doc.get("components", [])) if c.get("purl")}


def test_a_componentize_py_component_says_python_and_names_what_runs_it(built_python: Path) -> None:
    """The component's own producers say Rust (its runtime's compiler); the SBOM says Python, names the CPython
    inside with its version and componentize-py with the purl cyclonedx-py gives the componentize-py that built it
    (the tests' environment, whose componentize-py wash ran)."""
    wasm = built_python.read_bytes()
    doc = sbom.document(wasm, sbom.inventory(wasm), name="ghcr.io/acme/hello-python")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
    subject = doc["metadata"]["component"]
    assert subject["properties"][0] == {"name": "wasm:language", "value": "Python"}
    assert {"name": "wasm:producers:language", "value": "Rust"} in subject["properties"]  # the raw fact, kept
    components = {c["name"]: c for c in doc["components"]}
    python = components["python"]
    assert re.fullmatch(r"3\.\d+\.\d+", python["version"]), python
    assert python["purl"] == f"pkg:generic/python@{python['version']}"
    assert python["cpe"] == f"cpe:2.3:a:python:python:{python['version']}:*:*:*:*:*:*:*"
    environment = cyclonedx_py("environment", sys.executable)
    theirs = {c["name"]: c for c in environment["components"]}
    assert components["componentize-py"]["purl"] == theirs["componentize-py"]["purl"]
    # what runs the component is what the component depends on
    assert doc["dependencies"][0]["dependsOn"] == [python["bom-ref"], components["componentize-py"]["bom-ref"]]


def test_python_lock_packages_are_the_ones_cyclonedx_py_finds(built_python: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("attrs==25.3.0\nPyYAML==6.0.3 ; python_version >= '3.8'\nrequests[socks]==2.34.2\n")
    ours = {p.purl for p in sbom.from_lockfile(requirements)}
    assert ours == purls(cyclonedx_py("requirements", str(requirements)))


def test_a_jco_component_says_javascript_and_matches_cyclonedx_npm(built_js: Path) -> None:
    """The same package-lock.json: cyclonedx-npm's packages are ours; the ComponentizeJS the component names in
    its producers section is the lock file's @bytecodealliance/componentize-js, with cyclonedx-npm's purl, and
    is listed as inside the component (not as a dev-only package)."""
    if shutil.which("npm") is None:
        raise AssertionError("npm is not on PATH: scripts/setup installs Node and npm")
    project = built_js.parent.parent
    wasm = built_js.read_bytes()
    found = sbom.inventory(wasm, project)
    assert found.source == "package-lock.json"
    doc = sbom.document(wasm, found, name="ghcr.io/acme/hello-js")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
    theirs = cyclonedx_npm(project)
    assert {p.purl for p in found.packages} == purls(theirs) - {theirs["metadata"]["component"].get("purl")}
    subject = doc["metadata"]["component"]
    assert subject["properties"][0] == {"name": "wasm:language", "value": "JavaScript"}
    engine = [c for c in doc["components"] if c["name"] == "@bytecodealliance/componentize-js"]
    assert len(engine) == 1 and engine[0]["purl"] in purls(theirs)
    assert "scope" not in engine[0]  # required: it is inside the component
    assert any(p["name"] == "wasm:embedded" for p in engine[0]["properties"])
    assert any(c["name"] == "StarlingMonkey" for c in doc["components"])


@pytest.fixture(params=REAL_COMPONENTS)
def any_real_component(request: pytest.FixtureRequest) -> tuple[str, Path]:
    found = real_component(request)
    assert found is not None
    return str(request.param), found


def test_every_real_component_names_its_language_and_runtime(any_real_component: tuple[str, Path]) -> None:
    """hello-python, hello-js and componentize-py's own examples (cli, http, sandbox), each built by its real
    toolchain: a valid CycloneDX 1.6 document that names the language and what runs the code, with versions."""
    kind, path = any_real_component
    wasm = path.read_bytes()
    doc = sbom.document(wasm, sbom.inventory(wasm), name=f"ghcr.io/acme/{kind}")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
    language = doc["metadata"]["component"]["properties"][0]
    inside = {c["name"]: c.get("version", "") for c in doc["components"]}
    if kind == "js":
        assert language == {"name": "wasm:language", "value": "JavaScript"}
        assert re.fullmatch(r"\d+\.\d+\.\d+", inside["@bytecodealliance/componentize-js"])
    else:
        assert language == {"name": "wasm:language", "value": "Python"}
        assert re.fullmatch(r"3\.\d+\.\d+", inside["python"]), inside
        # componentize-py's version is in the component only when its distribution was on the import path of the
        # build (as under wash in an environment that has it); componentize-py run on its own examples leaves none
        # and nothing is guessed
        assert "componentize-py" in inside
        assert re.fullmatch(r"\d+\.\d+\.\d+" if kind == "python" else r"(\d+\.\d+\.\d+)?", inside["componentize-py"])
