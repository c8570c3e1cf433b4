"""The SBOM of a component built by the real wash (componentize-py), read back by cyclonedx-python-lib."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from wash_actions import sbom


def test_sbom_of_a_real_python_component(built_python: Path) -> None:
    wasm = built_python.read_bytes()
    project = built_python.parent.parent
    (project / "requirements.txt").write_text("attrs==25.3.0\n")  # what componentize-py bundles from site-packages
    found = sbom.inventory(wasm, project)
    doc = sbom.document(wasm, found, name="ghcr.io/acme/hello-python", version="0.1.0")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    assert [str(c.purl) for c in bom.components] == ["pkg:pypi/attrs@25.3.0"]
    subject = doc["metadata"]["component"]
    assert subject["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(wasm).hexdigest()}]
    # componentize-py's runtime is Rust; wit-component wrapped it: both read from the real producers sections
    tools = {p["value"].split()[0] for p in subject["properties"] if p["name"] == "wasm:producers:processed-by"}
    assert {"wit-component", "rustc"} <= tools
    assert {"name": "wasm:source", "value": "requirements.txt"} in subject["properties"]
