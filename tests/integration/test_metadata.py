"""metadata with the real wash: embedded sections keep the component valid and become OCI annotations."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import time_limit
from wash_actions.component import metadata, spdx
from wash_actions.component.metadata import ANNOTATIONS, embed, from_git, plan, read_sections
from wash_actions.component.project_manifests import from_manifests
from wash_actions.component.sections import custom_section

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "metadata"
PREAMBLE = b"\0asm\x0d\x00\x01\x00"
REVISION = "0123456789abcdef0123456789abcdef01234567"


def wash_json(wash: Path, *args: str) -> dict:
    proc = subprocess.run([str(wash), *args, "-o", "json"], capture_output=True, text=True, timeout=300)
    envelope = json.loads(proc.stdout)
    envelope["returncode"] = proc.returncode
    return envelope


def push(wash: Path, registry, repository: str, component: Path) -> dict:
    return wash_json(wash, "oci", "push", "--insecure", f"{registry.host}/{repository}:v1", str(component))


def annotations(registry, repository: str) -> dict[str, str]:
    response = registry.manifest(repository, "v1")
    response.raise_for_status()
    found = dict(response.json().get("annotations") or {})
    found.pop("org.opencontainers.image.created", None)
    return found


@pytest.fixture(scope="module")
def original_wit(wash_binary: Path, built_python: Path) -> str:
    envelope = wash_json(wash_binary, "inspect", str(built_python))
    assert envelope["success"], envelope
    return envelope["message"]


@pytest.fixture
def component(tmp_path: Path, built_python: Path) -> Path:
    path = tmp_path / "hello-python.wasm"
    shutil.copyfile(built_python, path)
    return path


def test_embedded_metadata_becomes_the_manifest_annotations(wash_binary, registry, component, original_wit):
    manifest = from_manifests(FIXTURES / "workspace" / "component")
    git = from_git("https://github.com", "acme/hello-fork", REVISION)
    planned = plan(read_sections(component.read_bytes()), manifest.values, git)
    assert planned["source"] == "https://github.com/acme/hello-fork"  # the building repository wins
    assert set(planned) == set(metadata.SECTIONS)
    original = component.read_bytes()
    assert len(original) > 10_000_000

    with time_limit(0.5, f"embedding metadata into {len(original):,} bytes"):
        added, returned = embed(component, planned)

    assert added == planned
    wasm = component.read_bytes()
    assert returned == wasm  # the bytes embed hands back are the file's
    # appended, nothing before it rewritten: the sections it lacked, in order, after the original bytes
    assert wasm == original + b"".join(custom_section(name, value.encode()) for name, value in planned.items())
    assert wasm[:8] == PREAMBLE
    assert read_sections(wasm) == planned
    inspected = wash_json(wash_binary, "inspect", str(component))
    assert inspected["success"] and inspected["returncode"] == 0, inspected
    assert inspected["message"] == original_wit

    pushed = push(wash_binary, registry, "acme/meta", component)
    assert pushed["success"] and pushed["returncode"] == 0, pushed
    assert annotations(registry, "acme/meta") == {ANNOTATIONS[name]: value for name, value in planned.items()}


def test_a_section_the_component_has_is_not_overwritten(wash_binary, registry, component):
    added, _ = embed(component, {"version": "1.0.0", "licenses": "MIT"})
    assert added == {"version": "1.0.0", "licenses": "MIT"}
    existing = read_sections(component.read_bytes())
    planned = plan(existing, {"version": "2.0.0", "licenses": "Apache-2.0", "description": "d"}, {})
    assert planned == {"description": "d"}
    assert embed(component, {**planned, "version": "3.0.0"})[0] == {"description": "d"}

    pushed = push(wash_binary, registry, "acme/meta-kept", component)
    assert pushed["success"], pushed
    assert annotations(registry, "acme/meta-kept") == {
        "org.opencontainers.image.version": "1.0.0",
        "org.opencontainers.image.licenses": "MIT",
        "org.opencontainers.image.description": "d",
    }


def test_a_component_without_metadata_has_no_annotations(wash_binary, registry, built_python):
    assert read_sections(built_python.read_bytes()) == {}
    assert push(wash_binary, registry, "acme/meta-none", built_python)["success"]
    assert annotations(registry, "acme/meta-none") == {}


def test_every_license_id_the_checker_accepts_is_accepted_by_wash(wash_binary, registry, tmp_path):
    """The built-in SPDX lists, every id once (and with '+' where allowed), through the real wash."""
    terms = sorted(spdx.SPDX_LICENSES)
    terms += [f"{i}+" for i in sorted(spdx.SPDX_LICENSES) if not i.endswith(("-only", "-or-later"))]
    terms += [f"(MIT WITH {e})" for e in sorted(spdx.SPDX_EXCEPTIONS)]
    terms += ["LicenseRef-Acme-1.0", "DocumentRef-acme:LicenseRef-x"]
    expression = " OR ".join(terms)
    assert spdx.spdx_expression(expression) == expression
    path = tmp_path / "empty.wasm"
    path.write_bytes(PREAMBLE)
    embed(path, {"licenses": expression, "homepage": "https://acme.example/"})

    pushed = push(wash_binary, registry, "acme/meta-licenses", path)
    assert pushed["success"], pushed["message"][:500]
    assert annotations(registry, "acme/meta-licenses")["org.opencontainers.image.licenses"] == expression


@pytest.mark.parametrize(
    ("name", "value"),
    [("licenses", "MIT/Apache-2.0"), ("licenses", "GPL-3.0"), ("source", "github.com/acme/hello")],
)
def test_wash_refuses_the_push_for_values_embed_refuses(wash_binary, registry, tmp_path, name, value):
    """Why the checks exist: written anyway, such a section fails the whole push."""
    assert metadata.check(name, value) is not None
    clean = tmp_path / "clean.wasm"
    clean.write_bytes(PREAMBLE)
    with pytest.raises(ValueError):
        embed(clean, {name: value})
    assert clean.read_bytes() == PREAMBLE
    path = tmp_path / "bad.wasm"
    path.write_bytes(PREAMBLE + custom_section(name, value.encode()))
    pushed = push(wash_binary, registry, "acme/meta-refused", path)
    assert not pushed["success"] and pushed["returncode"] != 0
