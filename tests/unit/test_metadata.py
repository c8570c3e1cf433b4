"""metadata: custom-section encoding, value checks, manifest parsing per ecosystem, plan and embed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from wash_actions.component import metadata, project_manifests
from wash_actions.component.metadata import embed, from_git, plan, read_sections
from wash_actions.component.project_manifests import from_manifests
from wash_actions.component.sections import MalformedWasm, custom_section, custom_sections, leb128, read_leb128
from wash_actions.component.spdx import spdx_expression
from wash_actions.component.urls import normalize_url, repository_url

PREAMBLE = b"\0asm\x0d\x00\x01\x00"
MODULE_PREAMBLE = b"\0asm\x01\x00\x00\x00"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "metadata"


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + leb128(len(payload)) + payload


def component(*sections: bytes) -> bytes:
    """A component with a nested core module (id 1) that carries its own 'version' section."""
    nested = MODULE_PREAMBLE + custom_section("version", b"nested-module")
    return PREAMBLE + section(1, nested) + b"".join(sections)


# --- LEB128 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (16383, b"\xff\x7f"),
        (16384, b"\x80\x80\x01"),
        (2**21, b"\x80\x80\x80\x01"),
        (2**28, b"\x80\x80\x80\x80\x01"),
        (2**32 - 1, b"\xff\xff\xff\xff\x0f"),
    ],
)
def test_leb128_round_trip(value, encoded):
    assert leb128(value) == encoded
    assert read_leb128(encoded + b"\xaa", 0) == (value, len(encoded))


@pytest.mark.parametrize("value", [-1, 2**32])
def test_leb128_rejects_values_outside_u32(value):
    with pytest.raises(ValueError):
        leb128(value)


@pytest.mark.parametrize(
    "encoded",
    [
        b"",  # nothing
        b"\x80",  # continuation without the next byte
        b"\x80\x80\x80\x80\x80\x01",  # six bytes
        b"\xff\xff\xff\xff\x1f",  # 2**33 - 1: overflows a u32
    ],
)
def test_read_leb128_rejects_malformed(encoded):
    with pytest.raises(MalformedWasm):
        read_leb128(encoded, 0)


def test_read_leb128_accepts_a_padded_zero():
    assert read_leb128(b"\x80\x80\x00", 0) == (0, 3)


# --- custom sections ----------------------------------------------------------------------------------


def test_custom_section_bytes():
    assert custom_section("version", b"1.0") == b"\x00\x0b\x07version1.0"


def test_custom_section_with_a_size_over_127_bytes():
    data = "d" * 300
    encoded = custom_section("description", data.encode())
    assert encoded[:3] == b"\x00" + leb128(1 + 11 + 300)
    assert read_sections(PREAMBLE + encoded) == {"description": data}


def test_read_sections_only_sees_the_top_level():
    wasm = component(custom_section("licenses", b"MIT"), custom_section("producers", b"\x00"))
    assert read_sections(wasm) == {"licenses": "MIT"}
    assert [name for name, _ in custom_sections(wasm)] == ["licenses", "producers"]


def test_read_sections_keeps_the_last_duplicate_and_ignores_other_names():
    wasm = component(
        custom_section("version", b"1"),
        custom_section("component-name", b"x"),
        section(7, b"\x00"),  # a type section between them
        custom_section("version", b"2"),
    )
    assert read_sections(wasm) == {"version": "2"}


def test_read_sections_of_a_core_module():
    assert read_sections(MODULE_PREAMBLE + custom_section("revision", b"abc")) == {"revision": "abc"}


def test_read_sections_of_an_empty_component():
    assert read_sections(PREAMBLE) == {}


@pytest.mark.parametrize(
    "wasm",
    [
        b"",
        b"\0asm",
        b"ELF\x00\x01\x00\x00\x00",
        PREAMBLE + b"\x01\x10abc",  # section runs past the end
        PREAMBLE + b"\x00\x02\x05a",  # name longer than its section
        PREAMBLE + b"\x00\x02\x01\xff",  # name not UTF-8
        PREAMBLE + b"\x00\x80",  # truncated size
    ],
)
def test_read_sections_rejects_malformed_binaries(wasm):
    with pytest.raises(MalformedWasm):
        read_sections(wasm)


# --- embed ----------------------------------------------------------------------------------------------

VALUES = {
    "version": "1.2.3",
    "licenses": "Apache-2.0 OR MIT",
    "source": "https://github.com/acme/hello",
    "revision": "0123456789abcdef0123456789abcdef01234567",
    "description": "Hello, wörld ✨\nsecond line",
    "authors": "Jane <jane@acme.example>",
    "homepage": "https://acme.example/",
}


@pytest.fixture
def wasm_file(tmp_path) -> Path:
    path = tmp_path / "c.wasm"
    path.write_bytes(component(custom_section("producers", b"\x00")))
    path.chmod(0o640)
    return path


def test_embed_round_trip(wasm_file):
    before = wasm_file.read_bytes()
    added, returned = embed(wasm_file, VALUES)
    after = wasm_file.read_bytes()
    assert added == VALUES
    assert returned == after
    assert read_sections(after) == VALUES
    assert after.startswith(before)  # only appended: the component itself is untouched
    assert stat.S_IMODE(wasm_file.stat().st_mode) == 0o640
    assert sorted(p.name for p in wasm_file.parent.iterdir()) == ["c.wasm"]


def test_embed_never_overwrites_an_existing_section(wasm_file):
    embed(wasm_file, {"version": "1.0.0", "licenses": "MIT"})
    added, _ = embed(wasm_file, {"version": "2.0.0", "licenses": "Apache-2.0", "revision": "abc"})
    assert added == {"revision": "abc"}
    assert read_sections(wasm_file.read_bytes()) == {"version": "1.0.0", "licenses": "MIT", "revision": "abc"}


def test_embed_with_nothing_to_add_leaves_the_file_alone(wasm_file):
    embed(wasm_file, {"version": "1.0.0"})
    before = wasm_file.read_bytes()
    mtime = wasm_file.stat().st_mtime_ns
    os.utime(wasm_file, ns=(mtime - 10**9, mtime - 10**9))
    assert embed(wasm_file, {"version": "9.9.9"}) == ({}, before)
    assert embed(wasm_file, {}) == ({}, before)
    assert wasm_file.read_bytes() == before
    assert wasm_file.stat().st_mtime_ns == mtime - 10**9


@pytest.mark.parametrize(
    "values",
    [
        {"licenses": "MIT/Apache-2.0"},
        {"licenses": "GPL-3.0"},
        {"source": "github.com/acme/hello"},
        {"homepage": "https://token:secret@acme.example/"},
        {"version": ""},
        {"author": "Jane"},
        {"version": "1.0.0", "source": "not a url"},
    ],
)
def test_embed_refuses_values_wash_would_reject(wasm_file, values):
    before = wasm_file.read_bytes()
    with pytest.raises(ValueError):
        embed(wasm_file, values)
    assert wasm_file.read_bytes() == before


def test_embed_on_a_file_that_is_not_wasm(tmp_path):
    path = tmp_path / "x.wasm"
    path.write_bytes(b"not wasm")
    with pytest.raises(MalformedWasm):
        embed(path, {"version": "1"})


# --- values wash accepts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("  Apache-2.0  ", "Apache-2.0"),
        ("Apache-2.0 OR MIT", "Apache-2.0 OR MIT"),
        ("apache-2.0 or mit", "Apache-2.0 OR MIT"),
        ("(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"),
        ("( MIT OR Apache-2.0 )AND(Zlib)", "(MIT OR Apache-2.0) AND (Zlib)"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("Apache-2.0 with llvm-exception OR MIT", "Apache-2.0 WITH LLVM-exception OR MIT"),
        ("Apache-2.0+", "Apache-2.0+"),
        ("GPL-3.0-or-later", "GPL-3.0-or-later"),
        ("LicenseRef-Acme-Proprietary", "LicenseRef-Acme-Proprietary"),
        ("DocumentRef-spdx:LicenseRef-x.1", "DocumentRef-spdx:LicenseRef-x.1"),
        ("", None),
        ("MIT/Apache-2.0", None),
        ("MIT Or Apache-2.0", None),  # mixed-case operators: wash refuses them
        ("GPL-3.0", None),  # deprecated
        ("GPL-2.0+", None),  # deprecated
        ("GPL-3.0-only+", None),
        ("UNLICENSED", None),
        ("Apache 2.0", None),
        ("MIT AND", None),
        ("(MIT", None),
        ("MIT)", None),
        ("()", None),
        ("MIT WITH", None),
        ("MIT WITH Foo-exception", None),
        ("(MIT) WITH LLVM-exception", None),
        ("MIT WITH LLVM-exception WITH LLVM-exception", None),
        ("LicenseRef-", None),
        ("SEE LICENSE IN LICENSE.txt", None),
    ],
)
def test_spdx_expression(raw, expected):
    assert spdx_expression(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://github.com/acme/hello", "https://github.com/acme/hello"),
        ("https://acme.example", "https://acme.example/"),
        ("HTTPS://ACME.example/Path", "https://acme.example/Path"),
        ("https://acme.example:443/x", "https://acme.example/x"),
        ("http://acme.example:8080", "http://acme.example:8080/"),
        ("https://acme.example/a?b=c#d", "https://acme.example/a?b=c#d"),
        ("https://acme.example/a%20b", "https://acme.example/a%20b"),
        ("github.com/acme/hello", None),
        ("git+https://github.com/acme/hello", None),
        ("ftp://acme.example/", None),
        ("https://user:pass@acme.example/", None),
        ("https://acme.example/a b", None),
        ("https://acmé.example/", None),
        ("https://acme.example:notaport/", None),
        ("https:///path", None),
        ("", None),
    ],
)
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://github.com/acme/hello", "https://github.com/acme/hello"),
        ("https://github.com/acme/hello/", "https://github.com/acme/hello"),
        ("https://github.com/acme/hello.git", "https://github.com/acme/hello"),
        ("git+https://github.com/acme/hello.git", "https://github.com/acme/hello"),
        ("git://github.com/acme/hello.git", "https://github.com/acme/hello"),
        ("git+ssh://git@github.com/acme/hello.git", "https://github.com/acme/hello"),
        ("ssh://git@github.com:22/acme/hello.git", "https://github.com/acme/hello"),
        ("git@github.com:acme/hello.git", "https://github.com/acme/hello"),
        ("github:acme/hello", "https://github.com/acme/hello"),
        ("gitlab:group/project", "https://gitlab.com/group/project"),
        ("bitbucket:team/repo", "https://bitbucket.org/team/repo"),
        ("acme/hello", "https://github.com/acme/hello"),
        ("https://x-access-token:ghs_secret@github.com/acme/hello", "https://github.com/acme/hello"),
        ("http://gitea.local:3000/acme/hello", "http://gitea.local:3000/acme/hello"),
        ("not a repository", None),
        ("", None),
    ],
)
def test_repository_url(raw, expected):
    assert repository_url(raw) == expected


# --- from_git and plan --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "repository", "sha", "expected"),
    [
        (
            "https://github.com",
            "acme/hello",
            "abc123",
            {"source": "https://github.com/acme/hello", "revision": "abc123"},
        ),
        ("https://ghe.acme.example/", "acme/hello", "", {"source": "https://ghe.acme.example/acme/hello"}),
        ("", "acme/hello", "abc123", {"revision": "abc123"}),
        ("https://github.com", "", "", {}),
        ("not a url", "acme/hello", "", {}),
    ],
)
def test_from_git(server, repository, sha, expected):
    assert from_git(server, repository, sha) == expected


@pytest.mark.parametrize(
    ("existing", "manifest", "git", "expected"),
    [
        ({}, {}, {}, {}),
        (
            {},
            {"version": "1.0.0", "source": "https://github.com/upstream/x"},
            {"source": "https://github.com/fork/x", "revision": "abc"},
            {"version": "1.0.0", "source": "https://github.com/fork/x", "revision": "abc"},
        ),
        (
            {"source": "https://github.com/own/x", "version": "0.9.0"},
            {"version": "1.0.0", "licenses": "MIT"},
            {"source": "https://github.com/fork/x", "revision": "abc"},
            {"licenses": "MIT", "revision": "abc"},
        ),
        ({}, {"source": "https://github.com/upstream/x"}, {}, {"source": "https://github.com/upstream/x"}),
        ({}, {"source": "https://github.com/upstream/x"}, {"source": " "}, {"source": "https://github.com/upstream/x"}),
        ({}, {"version": "  ", "description": " hi "}, {}, {"description": "hi"}),
        ({}, {"name": "x", "author": "y"}, {}, {}),
        ({"version": ""}, {"version": "1.0.0"}, {}, {}),
    ],
)
def test_plan(existing, manifest, git, expected):
    planned = plan(existing, manifest, git)
    assert planned == expected
    assert not set(planned) & set(existing)


def test_plan_orders_sections_canonically():
    planned = plan({}, {"source": "https://a.example/", "version": "1"}, {"revision": "r"})
    assert list(planned) == ["version", "source", "revision"]


# --- manifests ----------------------------------------------------------------------------------------


def write(project: Path, name: str, text: str) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    (project / name).write_text(text)
    return project


CARGO_FULL = """
[package]
name = "hello"
version = "0.3.1"
license = "MIT OR Apache-2.0"
description = "A hello component"
authors = ["Jane <jane@acme.example>", "Joe"]
homepage = "https://acme.example"
repository = "https://github.com/acme/hello"
"""

PACKAGE_JSON_FULL = {
    "name": "hello",
    "version": "1.0.0",
    "license": "Apache-2.0",
    "description": "A JS component",
    "author": {"name": "Jane", "email": "jane@acme.example", "url": "https://jane.example"},
    "homepage": "https://acme.example/hello#readme",
    "repository": {"type": "git", "url": "git+https://github.com/acme/hello.git"},
}

PYPROJECT_FULL = """
[project]
name = "hello"
version = "2.0.0"
license = "MIT"
description = "A Python component"
authors = [{name = "Jane", email = "jane@acme.example"}, {name = "Joe"}, {email = "ops@acme.example"}]

[project.urls]
Homepage = "https://acme.example"
"Source Code" = "https://github.com/acme/hello"
"""


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "Cargo.toml",
            CARGO_FULL,
            {
                "version": "0.3.1",
                "licenses": "MIT OR Apache-2.0",
                "description": "A hello component",
                "authors": "Jane <jane@acme.example>, Joe",
                "homepage": "https://acme.example/",
                "source": "https://github.com/acme/hello",
            },
        ),
        ("Cargo.toml", '[package]\nname = "x"\nlicense = "MIT/Apache-2.0"\n', {"licenses": "MIT OR Apache-2.0"}),
        ("Cargo.toml", '[workspace]\nmembers = ["a"]\n', {}),
        (
            "package.json",
            json.dumps(PACKAGE_JSON_FULL),
            {
                "version": "1.0.0",
                "licenses": "Apache-2.0",
                "description": "A JS component",
                "authors": "Jane <jane@acme.example>",
                "homepage": "https://acme.example/hello#readme",
                "source": "https://github.com/acme/hello",
            },
        ),
        (
            "package.json",
            json.dumps({"author": "Jane <jane@acme.example> (https://jane.example)", "repository": "acme/hello"}),
            {"authors": "Jane <jane@acme.example> (https://jane.example)", "source": "https://github.com/acme/hello"},
        ),
        (
            "package.json",
            json.dumps(
                {"contributors": ["Ann", {"name": "Bob", "email": "bob@x.example"}, 5], "license": {"type": "ISC"}}
            ),
            {"authors": "Ann, Bob <bob@x.example>", "licenses": "ISC"},
        ),
        (
            "pyproject.toml",
            PYPROJECT_FULL,
            {
                "version": "2.0.0",
                "licenses": "MIT",
                "description": "A Python component",
                "authors": "Jane <jane@acme.example>, Joe, ops@acme.example",
                "homepage": "https://acme.example/",
                "source": "https://github.com/acme/hello",
            },
        ),
        (
            "pyproject.toml",
            '[project]\nname = "x"\ndynamic = ["version"]\nlicense = {text = "Apache-2.0"}\n'
            '[project.urls]\nrepository = "https://github.com/acme/x.git"\nDocs = "https://docs.example"\n',
            {"licenses": "Apache-2.0", "source": "https://github.com/acme/x"},
        ),
        ("pyproject.toml", '[project]\nname = "x"\nlicense = {file = "LICENSE"}\n', {}),
        ("pyproject.toml", "[tool.black]\nline-length = 100\n", {}),
        ("go.mod", "module github.com/acme/hello/v2\n\ngo 1.23\n", {"source": "https://github.com/acme/hello"}),
        (
            "go.mod",
            '// a comment\nmodule "gitlab.com/group/project" // trailing\n',
            {"source": "https://gitlab.com/group/project"},
        ),
        ("go.mod", "module example.com/hello\n", {}),
    ],
)
def test_manifest_values(tmp_path, name, text, expected):
    result = from_manifests(write(tmp_path, name, text))
    assert result.manifest == tmp_path / name
    assert dict(result.values) == expected
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("name", "text", "expected", "warning"),
    [
        ("Cargo.toml", "[package\nversion = 1", {}, "Cargo.toml: cannot be read"),
        ("package.json", '{"version": "1.0.0",', {}, "package.json: cannot be read"),
        ("package.json", '["not", "an", "object"]', {}, "package.json: is not a JSON object"),
        ("pyproject.toml", "[project]\nversion = ", {}, "pyproject.toml: cannot be read"),
        (
            "Cargo.toml",
            '[package]\nversion = "1.0.0"\nlicense = "GPL-3.0"\n',
            {"version": "1.0.0"},
            "Cargo.toml: package.license 'GPL-3.0' is not an SPDX expression",
        ),
        (
            "package.json",
            json.dumps({"version": "1.0.0", "license": "UNLICENSED"}),
            {"version": "1.0.0"},
            "package.json: license 'UNLICENSED' is not an SPDX expression",
        ),
        (
            "pyproject.toml",
            '[project]\nversion = "1"\nlicense = {text = "MIT License"}\n',
            {"version": "1"},
            "pyproject.toml: project.license 'MIT License' is not an SPDX expression",
        ),
        (
            "Cargo.toml",
            '[package]\nversion = 3\nhomepage = "acme.example"\ndescription = "d"\n',
            {"description": "d"},
            "Cargo.toml: package.version is not a string",
        ),
        (
            "Cargo.toml",
            '[package]\nhomepage = "acme.example"\n',
            {},
            "Cargo.toml: package.homepage 'acme.example' is not an absolute http(s) URL",
        ),
        ("Cargo.toml", "[package]\nauthors = [1, 2]\n", {}, "Cargo.toml: package.authors is not a list of strings"),
        (
            "package.json",
            json.dumps({"version": ["1"], "description": "d"}),
            {"description": "d"},
            "package.json: version is not a string",
        ),
    ],
)
def test_manifest_problems_become_warnings(tmp_path, name, text, expected, warning):
    result = from_manifests(write(tmp_path, name, text))
    assert dict(result.values) == expected
    assert any(w.startswith(warning) for w in result.warnings), result.warnings


def test_manifest_that_cannot_be_decoded(tmp_path):
    (tmp_path / "Cargo.toml").write_bytes(b"\xff\xfe[package]")
    result = from_manifests(tmp_path)
    assert result.values == {}
    assert result.warnings[0].startswith("Cargo.toml: cannot be read")


def test_no_manifest(tmp_path):
    assert from_manifests(tmp_path) == project_manifests.ManifestValues()


def test_first_manifest_in_the_fixed_order_wins(tmp_path):
    write(tmp_path, "go.mod", "module github.com/acme/go\n")
    write(tmp_path, "pyproject.toml", '[project]\nversion = "3.0.0"\n')
    write(tmp_path, "package.json", '{"version": "2.0.0"}')
    assert from_manifests(tmp_path).values == {"version": "2.0.0"}
    write(tmp_path, "Cargo.toml", '[package]\nversion = "1.0.0"\n')
    assert from_manifests(tmp_path).values == {"version": "1.0.0"}
    assert project_manifests.MANIFESTS == ("Cargo.toml", "package.json", "pyproject.toml", "go.mod")


def test_a_malformed_first_manifest_still_wins(tmp_path):
    write(tmp_path, "Cargo.toml", "not toml [")
    write(tmp_path, "package.json", '{"version": "2.0.0"}')
    result = from_manifests(tmp_path)
    assert result.manifest == tmp_path / "Cargo.toml"
    assert result.values == {}
    assert result.warnings


def test_cargo_workspace_inheritance_fixture():
    result = from_manifests(FIXTURES / "workspace" / "component")
    assert result.warnings == ()
    assert dict(result.values) == {
        "version": "1.4.2",
        "licenses": "Apache-2.0 WITH LLVM-exception OR MIT",
        "description": "Says hello from a workspace member",
        "authors": "Acme Components <components@acme.example>, Jane Doe",
        "homepage": "https://acme.example/",
        "source": "https://github.com/acme/hello-component",
    }


def test_cargo_workspace_root_that_is_also_the_package(tmp_path):
    write(
        tmp_path,
        "Cargo.toml",
        '[workspace]\n[workspace.package]\nversion = "5.0.0"\n[package]\nname = "x"\nversion.workspace = true\n',
    )
    assert from_manifests(tmp_path).values == {"version": "5.0.0"}


def test_cargo_workspace_field_that_cannot_be_resolved_is_skipped(tmp_path):
    project = write(tmp_path / "crate", "Cargo.toml", '[package]\nversion.workspace = true\ndescription = "d"\n')
    result = from_manifests(project)
    assert result.values == {"description": "d"}
    assert result.warnings == (
        "Cargo.toml: package.version is inherited from a workspace whose [workspace.package] has none; skipped",
    )


def test_cargo_workspace_root_that_is_malformed(tmp_path):
    write(tmp_path, "Cargo.toml", "[workspace\n")
    project = write(tmp_path / "crate", "Cargo.toml", "[package]\nlicense.workspace = true\n")
    result = from_manifests(project)
    assert result.values == {}
    assert len(result.warnings) == 1


def test_manifest_values_pass_the_checks_embed_applies(tmp_path):
    for name, text in [
        ("Cargo.toml", CARGO_FULL),
        ("package.json", json.dumps(PACKAGE_JSON_FULL)),
        ("pyproject.toml", PYPROJECT_FULL),
    ]:
        project = write(tmp_path / name, name, text)
        for key, value in from_manifests(project).values.items():
            assert metadata.check(key, value) is None, (name, key, value)


def test_annotation_keys_cover_every_section():
    assert set(metadata.ANNOTATIONS) == set(metadata.SECTIONS)
    assert metadata.ANNOTATIONS["homepage"] == "org.opencontainers.image.url"
    assert metadata.ANNOTATIONS["source"] == "org.opencontainers.image.source"
