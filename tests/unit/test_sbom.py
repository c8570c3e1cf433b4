"""The component SBOM: sources per language, the CycloneDX document (checked by cyclonedx-python-lib against
the official schemas and read back by its deserialiser), and the SBOM attestation pieces."""

from __future__ import annotations

import json
import os
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from wash_actions.component.sections import all_custom_sections, custom_section, custom_sections, leb128
from wash_actions.errors import ActionError
from wash_actions.trust import sbom, sbom_inputs

ROOT = Path(__file__).resolve().parents[2]
MODULE_PREAMBLE = b"\0asm\x01\x00\x00\x00"
COMPONENT_PREAMBLE = b"\0asm\x0d\x00\x01\x00"

# The shape cargo-auditable writes (cargo-auditable.schema.json): indices into the list, "kind" and "root"
# omitted when runtime/false, sources serialised as "crates.io", "git", "local", "registry".
AUDIT = {
    "packages": [
        {"name": "hello-rust", "version": "0.1.0", "source": "local", "dependencies": [1, 3], "root": True},
        {"name": "wit-bindgen", "version": "0.46.0", "source": "crates.io", "dependencies": [2]},
        {"name": "bitflags", "version": "2.9.4", "source": "crates.io"},
        {"name": "wit-bindgen-rust-macro", "version": "0.46.0", "source": "crates.io", "kind": "build"},
        {"name": "forked", "version": "1.0.0", "source": "git"},
    ]
}


def producers_section(fields: dict[str, list[tuple[str, str]]]) -> bytes:
    def string(text: str) -> bytes:
        raw = text.encode()
        return leb128(len(raw)) + raw

    out = leb128(len(fields))
    for name, values in fields.items():
        out += string(name) + leb128(len(values))
        for value, version in values:
            out += string(value) + string(version)
    return custom_section("producers", out)


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + leb128(len(payload)) + payload


def rust_component(audit: bytes | None) -> bytes:
    """A component wrapping a core module, as wasm-component-ld lays out a wasm32-wasip2 build."""
    module = MODULE_PREAMBLE + section(1, b"\x00")  # an empty type section
    if audit is not None:
        module += custom_section(".dep-v0", audit)
    module += producers_section({"language": [("Rust", "")], "processed-by": [("rustc", "1.90.0")]})
    return (
        COMPONENT_PREAMBLE
        + section(1, module)
        + producers_section({"processed-by": [("wit-component", "0.239.0"), ("rustc", "1.90.0")]})
    )


def valid(doc: dict[str, Any], version: str) -> None:
    """The official schema (shipped in cyclonedx-python-lib) accepts it and the library reads it back."""
    schema = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[version]
    error = JsonStrictValidator(schema).validate_str(json.dumps(doc))
    assert error is None, error
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    assert bom.serial_number is not None and bom.serial_number.urn == doc["serialNumber"]
    assert bom.metadata.component is not None and bom.metadata.component.name == doc["metadata"]["component"]["name"]
    assert sorted(str(c.bom_ref) for c in bom.components) == sorted(c["bom-ref"] for c in doc["components"])
    assert len(bom.dependencies) == len(doc["dependencies"])


def test_a_nested_dep_v0_is_found_where_the_top_level_reader_does_not_look() -> None:
    wasm = rust_component(zlib.compress(json.dumps(AUDIT).encode()))
    assert ".dep-v0" not in [name for name, _ in custom_sections(wasm)]
    assert ".dep-v0" in [name for name, _ in all_custom_sections(wasm)]
    assert sbom.audit_data(wasm) == zlib.compress(json.dumps(AUDIT).encode())


def test_producers_of_the_component_and_its_module_are_merged() -> None:
    made_by = sbom.producers(rust_component(None))
    assert made_by == {
        "language": (("Rust", ""),),
        "processed-by": (("wit-component", "0.239.0"), ("rustc", "1.90.0")),  # top level first
    }


def test_dep_v0_packages_edges_and_scopes() -> None:
    packages = {p.name: p for p in sbom.from_dep_v0(zlib.compress(json.dumps(AUDIT).encode()))}
    assert packages["hello-rust"].root and packages["hello-rust"].purl == ""
    assert packages["hello-rust"].depends_on == (
        "pkg:cargo/wit-bindgen@0.46.0",
        "pkg:cargo/wit-bindgen-rust-macro@0.46.0",
    )
    assert packages["wit-bindgen"].depends_on == ("pkg:cargo/bitflags@2.9.4",)
    assert packages["wit-bindgen-rust-macro"].scope == "excluded"
    assert packages["forked"].purl == "" and packages["forked"].ref == "cargo:forked@1.0.0"
    assert ("cargo:source", "git") in packages["forked"].properties


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not zlib", "not zlib data"),
        (zlib.compress(b"\xff\xfe"), "not UTF-8 JSON"),
        (zlib.compress(b"[]"), 'no "packages" list'),
        (zlib.compress(b'{"packages": [{"name": "a"}]}'), "without a name or version"),
        (
            zlib.compress(b'{"packages": [{"name": "a", "version": "1", "source": "local", "dependencies": [4]}]}'),
            "not in the list",
        ),
        (
            zlib.compress(
                b'{"packages": [{"name": "a", "version": "1", "source": "local", "root": true},'
                b'{"name": "b", "version": "1", "source": "local", "root": true}]}'
            ),
            "more than one root",
        ),
        (zlib.compress(b" " * (sbom.MAX_AUDIT_DATA + 1)), "inflates to more than"),
    ],
)
def test_a_malformed_dep_v0_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(sbom.SbomError, match=message):
        sbom.from_dep_v0(data)


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "expected"),
    [
        ("cargo", "serde_json", "1.0.145", "pkg:cargo/serde_json@1.0.145"),
        ("npm", "@bytecodealliance/jco", "1.15.4", "pkg:npm/%40bytecodealliance/jco@1.15.4"),
        ("npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"),
        ("pypi", "Typing_Extensions", "4.16.0", "pkg:pypi/typing-extensions@4.16.0"),
        ("pypi", "zope.interface", "7.0", "pkg:pypi/zope-interface@7.0"),
        ("golang", "github.com/foo/bar", "v1.2.3+incompatible", "pkg:golang/github.com/foo/bar@v1.2.3%2Bincompatible"),
    ],
)
def test_purls(ecosystem: str, name: str, version: str, expected: str) -> None:
    assert sbom.purl(ecosystem, name, version) == expected


CARGO_LOCK = """
version = 4

[[package]]
name = "bitflags"
version = "2.9.4"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "2261d10cca569e4643e526d8dc2e62e433cc8aba21ab764233731f8d369bf394"

[[package]]
name = "hello-rust"
version = "0.1.0"
dependencies = ["wit-bindgen"]

[[package]]
name = "wit-bindgen"
version = "0.46.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["bitflags 2.9.4"]
"""


def test_cargo_lock() -> None:
    packages = {p.name: p for p in sbom.from_cargo_lock(CARGO_LOCK, "hello-rust")}
    assert packages["hello-rust"].root and not packages["bitflags"].root
    assert packages["hello-rust"].depends_on == ("pkg:cargo/wit-bindgen@0.46.0",)
    assert packages["wit-bindgen"].depends_on == ("pkg:cargo/bitflags@2.9.4",)
    assert packages["bitflags"].hashes == (
        ("SHA-256", "2261d10cca569e4643e526d8dc2e62e433cc8aba21ab764233731f8d369bf394"),
    )


def test_package_lock_of_the_js_example() -> None:
    packages = sbom.from_package_lock((ROOT / "examples/hello-js/package-lock.json").read_text())
    jco = next(p for p in packages if p.name == "@bytecodealliance/jco")
    assert jco.purl == "pkg:npm/%40bytecodealliance/jco@1.15.4"
    assert jco.scope == "excluded"  # a devDependency: a build tool, not in the component
    assert jco.hashes and jco.hashes[0][0] == "SHA-512" and len(jco.hashes[0][1]) == 128


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "requirements.txt",
            "# pinned\nrequests==2.32.3 \\\n    --hash=sha256:00\n"
            "PyYAML[libyaml]==6.0.2 ; python_version>'3'\nflask>=3\n",
            ["pkg:pypi/requests@2.32.3", "pkg:pypi/pyyaml@6.0.2"],
        ),
        (
            "uv.lock",
            'version = 1\n[[package]]\nname = "hello"\nversion = "0.1.0"\nsource = { editable = "." }\n'
            '[[package]]\nname = "attrs"\nversion = "25.3.0"\nsource = { registry = "https://pypi.org/simple" }\n',
            ["pkg:pypi/attrs@25.3.0"],
        ),
        (
            "pylock.toml",
            'lock-version = "1.0"\n[[packages]]\nname = "idna"\nversion = "3.10"\n',
            ["pkg:pypi/idna@3.10"],
        ),
        ("poetry.lock", '[[package]]\nname = "six"\nversion = "1.17.0"\n', ["pkg:pypi/six@1.17.0"]),
    ],
)
def test_python_locks(name: str, text: str, expected: list[str]) -> None:
    assert [p.purl for p in sbom.from_python_lock(name, text)] == expected


def test_go_sum_keeps_modules_not_go_mod_only_lines() -> None:
    text = (
        "github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n"
        "github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=\n"
        "golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=\n"
    )
    packages = sbom.from_go_sum(text)
    assert [p.purl for p in packages] == ["pkg:golang/github.com/google/uuid@v1.6.0"]


def test_lockfile_is_found_up_to_the_workspace_root(tmp_path: Path) -> None:
    (tmp_path / "Cargo.lock").write_text(CARGO_LOCK)
    crate = tmp_path / "crates" / "hello"
    crate.mkdir(parents=True)
    assert sbom.find_lockfile(crate, tmp_path) == tmp_path / "Cargo.lock"
    assert sbom.find_lockfile(crate) is None  # without a boundary only the project itself is searched
    assert sbom.find_lockfile(crate, tmp_path / "elsewhere") is None  # nor with one that does not contain it


def test_dep_v0_wins_over_the_lock_file(tmp_path: Path) -> None:
    (tmp_path / "Cargo.lock").write_text(CARGO_LOCK)
    wasm = rust_component(zlib.compress(json.dumps(AUDIT).encode()))
    assert sbom.inventory(wasm, tmp_path).source == ".dep-v0"
    assert sbom.inventory(rust_component(None), tmp_path, root_name="hello-rust").source == "Cargo.lock"
    assert sbom.inventory(rust_component(None), None).packages == ()


SERIAL = uuid.UUID("3e671687-395b-41f5-a30f-a58921a69b79")
WHEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("version", sbom_inputs.SPEC_VERSIONS)
def test_the_rust_document_is_valid_and_keeps_the_graph(version: str) -> None:
    wasm = rust_component(zlib.compress(json.dumps(AUDIT).encode()))
    doc = sbom.document(
        wasm, sbom.inventory(wasm), name="ghcr.io/acme/hello", spec_version=version, serial=SERIAL, timestamp=WHEN
    )
    valid(doc, version)
    subject = doc["metadata"]["component"]
    assert subject["version"] == "0.1.0"  # from the root package
    assert {"name": "wasm:producers:language", "value": "Rust"} in subject["properties"]
    assert {"name": "wasm:source", "value": ".dep-v0"} in subject["properties"]
    assert [c["name"] for c in doc["components"]] == ["wit-bindgen", "bitflags", "wit-bindgen-rust-macro", "forked"]
    graph = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
    assert graph["component:ghcr.io/acme/hello"] == [
        "pkg:cargo/wit-bindgen@0.46.0",
        "pkg:cargo/wit-bindgen-rust-macro@0.46.0",
    ]
    assert doc["serialNumber"] == SERIAL.urn and doc["metadata"]["timestamp"] == "2026-12-01T03:00:00Z"


def test_an_sdk_producer_is_listed_as_a_component() -> None:
    wasm = MODULE_PREAMBLE + producers_section(
        {"language": [("Python", "3.12")], "sdk": [("componentize-py", "0.25.1")]}
    )
    doc = sbom.document(wasm, sbom.inventory(wasm), name="hello", version="1.0.0")
    valid(doc, "1.6")
    assert doc["components"] == [
        {"type": "framework", "bom-ref": "sdk:componentize-py@0.25.1", "name": "componentize-py", "version": "0.25.1"}
    ]


def test_the_js_document_is_valid() -> None:
    found = sbom.Inventory(
        sbom.from_package_lock((ROOT / "examples/hello-js/package-lock.json").read_text()), "package-lock.json"
    )
    doc = sbom.document(MODULE_PREAMBLE, found, name="hello-js", version="0.1.0", spec_version="1.5")
    valid(doc, "1.5")
    assert len(doc["components"]) == len(found.packages) > 5


def test_an_unknown_spec_version_is_refused() -> None:
    with pytest.raises(ValueError, match=r"1\.4"):
        sbom.document(MODULE_PREAMBLE, sbom.Inventory(), name="x", spec_version="1.4")


# --- attestation pieces ---------------------------------------------------------------------------------

SPDX = {"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "hello", "packages": []}
CDX = {"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": SERIAL.urn, "version": 1}


@pytest.mark.parametrize(
    ("doc", "fmt", "predicate"),
    [
        (SPDX, "spdx", "https://spdx.dev/Document/v2.3"),
        ({**SPDX, "spdxVersion": "SPDX-2.2"}, "spdx", "https://spdx.dev/Document/v2.2"),
        (CDX, "cyclonedx", "https://cyclonedx.org/bom"),
        ({**CDX, **SPDX}, "spdx", "https://spdx.dev/Document/v2.3"),  # actions/attest checks SPDX first
    ],
)
def test_classify(doc: dict[str, Any], fmt: str, predicate: str) -> None:
    found = sbom.classify(doc)
    assert (found.format, found.predicate_type) == (fmt, predicate)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "It is not JSON"),
        (json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6"}), "serialNumber"),
        (json.dumps({"spdxVersion": "SPDX", "SPDXID": "x"}), "SPDX-<major.minor>"),
        (json.dumps({"spdxVersion": 2.3, "SPDXID": "x"}), "spdxVersion 2.3 is not of the form SPDX-<major.minor>"),
        (json.dumps({"spdxVersion": "SPDX-2.3", "SPDXID": 1}), "SPDXID is a JSON number, not a string"),
        (json.dumps([1, 2]), "a JSON array, not an SPDX or CycloneDX JSON document"),
        (json.dumps({"bomFormat": "SPDX", "specVersion": "1.6", "serialNumber": "x"}), 'not "CycloneDX"'),
        (
            json.dumps({"bomFormat": "CycloneDX", "specVersion": 1.6, "serialNumber": "x"}),
            "specVersion is a JSON number",
        ),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "x", "n": NaN}', "NaN is not a JSON value"),
        ('{"name": "a\\ud800b"}', "string at /name holds a lone UTF-16 surrogate (\\ud800)"),
        ("[" * 1000 + "]" * 1000, "more than 128 deep"),
        ('\ufeff{"bomFormat": "CycloneDX"}', "It is not JSON"),
    ],
)
def test_a_bad_sbom_path_is_one_clear_error(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "sbom.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ActionError) as caught:
        sbom.read_sbom(path)
    assert why in caught.value.why
    assert "sbom-path:" in caught.value.fix


def test_an_sbom_path_that_is_not_utf8_or_not_a_file(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"bomFormat": "CycloneDX", "name": "caf\xe9"}')
    with pytest.raises(ActionError) as caught:
        sbom.read_sbom(latin1)
    assert "It is not UTF-8 text (byte 39: invalid continuation byte)" in caught.value.why
    with pytest.raises(ActionError) as caught:
        sbom.read_sbom(tmp_path)
    assert "It is a directory" in caught.value.why
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(ActionError) as caught:
        sbom.read_sbom(fifo)  # refused without opening it (opening a FIFO blocks until a writer comes)
    assert "It is not a regular file" in caught.value.why


def test_an_sbom_at_the_depth_limit_can_be_signed(tmp_path: Path) -> None:
    """The deepest SBOM read_sbom accepts makes a statement sigstore-python's parser (pydantic) takes; one level
    more is refused when it is read, before anything is published."""
    from sigstore import dsse

    from wash_actions.trust import attest, js_json

    def nested(levels: int) -> str:  # the document object, then levels - 1 arrays inside it
        return '{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "x", "x": ' + (
            "[" * (levels - 1) + "]" * (levels - 1) + "}"
        )

    path = tmp_path / "deep.json"
    path.write_text(nested(js_json.MAX_DEPTH))
    document = sbom.read_sbom(path)
    built = dsse.Statement(attest.statement("ghcr.io/acme/x", "sha256:" + "0" * 64, attest.sbom_predicate(document)))
    assert b"[" * (js_json.MAX_DEPTH - 1) + b"]" in built._contents
    path.write_text(nested(js_json.MAX_DEPTH + 1))
    with pytest.raises(ActionError, match="is not an SBOM"):
        sbom.read_sbom(path)


def test_a_missing_or_huge_sbom_path(tmp_path: Path) -> None:
    with pytest.raises(ActionError, match="cannot be read"):
        sbom.read_sbom(tmp_path / "nope.json")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(sbom.MAX_SBOM_SIZE + 1)
    with pytest.raises(ActionError) as caught:
        sbom.read_sbom(huge)
    assert str(sbom.MAX_SBOM_SIZE) in caught.value.why


def test_statement() -> None:
    from wash_actions.trust import attest

    digest = "sha256:" + "ab" * 32
    document = sbom.classify({**CDX, "version": 1.0, "10": "x"})
    stmt = attest.statement("ghcr.io/acme/hello", digest, attest.sbom_predicate(document))
    assert json.loads(stmt) == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "ghcr.io/acme/hello", "digest": {"sha256": "ab" * 32}}],
        "predicateType": "https://cyclonedx.org/bom",
        "predicate": {**CDX, "10": "x"},
    }
    # JSON.stringify's bytes: 1.0 is 1, the array-index key "10" first
    assert stmt.endswith(
        b'"predicate":{"10":"x","bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"'
        + SERIAL.urn.encode()
        + b'","version":1}}'
    )
    with pytest.raises(ValueError, match="not an in-toto digest"):
        attest.statement("ghcr.io/acme/hello", "sha1024:00", attest.sbom_predicate(document))


@pytest.mark.parametrize(
    ("raw", "mode", "notices"),
    [
        ({}, "auto", 0),
        ({"sbom": "TRUE"}, "true", 0),
        ({"sbom": "false"}, "false", 0),
        ({"cyclonedx-version": "0.29.1"}, "auto", 1),
    ],
)
def test_sbom_options(raw: dict[str, str], mode: str, notices: int) -> None:
    options = sbom_inputs.sbom_options(raw)
    assert options.mode == mode and len(options.notices) == notices
    if notices:  # it says the input is read and ignored, and that nothing is downloaded for it
        assert options.notices[0].startswith("cyclonedx-version 0.29.1 is accepted for wasmCloud/actions workflows")
        assert "and ignored" in options.notices[0] and "downloads no cyclonedx-cli" in options.notices[0]


@pytest.mark.parametrize(
    ("raw", "what"),
    [({"sbom": "yes"}, "not auto, true or false"), ({"sbom": "false", "sbom-path": "x.json"}, "sbom is false")],
)
def test_sbom_options_errors(raw: dict[str, str], what: str) -> None:
    with pytest.raises(ActionError) as caught:
        sbom_inputs.sbom_options(raw)
    assert what in caught.value.what


def test_the_schema_check_can_fail() -> None:
    wasm = rust_component(zlib.compress(json.dumps(AUDIT).encode()))
    doc = sbom.document(wasm, sbom.inventory(wasm), name="hello")
    doc["components"][0]["scope"] = "build"  # not a CycloneDX scope
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None
