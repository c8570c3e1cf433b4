"""yaml_source: data and exact spans per document, safe semantics, bounds a hostile file cannot pass."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wash_actions.errors import ActionError
from wash_actions.workload import yaml_source

WORKLOAD = textwrap.dedent(
    """\
    # a comment
    apiVersion: runtime.wasmcloud.dev/v1alpha1
    kind: WorkloadDeployment
    metadata:
      name: hello
    spec:
      template:
        spec:
          components:
            - name: http
              image: "ghcr.io/org/http:1.0"   # quoted
            - name: kv
              image: ghcr.io/org/kv@sha256:abc
    ---
    kind: Artifact
    spec: {image: 'reg/x:1', list: [a, b]}
    """
)


def test_data_and_spans_of_every_document() -> None:
    source = yaml_source.load(WORKLOAD, name="w.yaml")
    first, second = source.documents
    assert first.data["spec"]["template"]["spec"]["components"][1]["image"] == "ghcr.io/org/kv@sha256:abc"
    quoted = first.values[("spec", "template", "spec", "components", 0, "image")]
    assert source.text[quoted.start : quoted.end] == '"ghcr.io/org/http:1.0"'
    assert (quoted.line, quoted.column, quoted.style) == (11, 18, '"')
    plain = first.values[("spec", "template", "spec", "components", 1, "image")]
    assert source.text[plain.start : plain.end] == "ghcr.io/org/kv@sha256:abc"
    assert (plain.line, plain.style) == (13, "")
    key = first.keys[("spec", "template", "spec", "components", 1, "image")]
    assert source.text[key.start : key.end] == "image" and key.line == 13
    assert second.number == 1 and second.span.line == 15
    single = second.values[("spec", "image")]
    assert source.text[single.start : single.end] == "'reg/x:1'" and single.style == "'"
    assert second.values[("spec", "list")].style == "["
    assert second.values[("spec",)].style == "{"
    assert second.data == {"kind": "Artifact", "spec": {"image": "reg/x:1", "list": ["a", "b"]}}


def test_a_scalar_replaced_by_its_span_leaves_the_rest_byte_for_byte() -> None:
    source = yaml_source.load(WORKLOAD, name="w.yaml")
    span = source.documents[0].values[("spec", "template", "spec", "components", 0, "image")]
    edited = source.text[: span.start] + '"ghcr.io/org/http@sha256:0123"' + source.text[span.end :]
    again = yaml_source.load(edited, name="w.yaml")
    assert (
        again.documents[0].data["spec"]["template"]["spec"]["components"][0]["image"] == "ghcr.io/org/http@sha256:0123"
    )
    assert edited.replace('"ghcr.io/org/http@sha256:0123"', '"ghcr.io/org/http:1.0"') == WORKLOAD


def test_offsets_count_characters_not_bytes() -> None:
    text = 'a: "é€😀"\nb: x\n'
    span = yaml_source.load(text, name="u.yaml").documents[0].values[("b",)]
    assert text[span.start : span.end] == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("when: 2001-12-14t21:59:43.10-05:00\n", {"when": "2001-12-14t21:59:43.10-05:00"}),  # as Kubernetes reads it
        ("n: 10\nf: 1.5\nb: true\nz: null\ns: '10'\n", {"n": 10, "f": 1.5, "b": True, "z": None, "s": "10"}),
        (
            "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n",
            {"base": {"x": 1, "y": 2}, "derived": {"x": 1, "y": 3}},
        ),
    ],
)
def test_safe_load_semantics(text: str, expected: object) -> None:
    assert yaml_source.load(text, name="t.yaml").documents[0].data == expected


def test_merged_values_keep_the_span_where_they_are_written() -> None:
    text = "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n"
    document = yaml_source.load(text, name="t.yaml").documents[0]
    assert document.values[("derived", "y")].line == 4
    assert document.values[("derived", "x")].line == 1


def test_empty_documents_are_kept_in_order() -> None:
    source = yaml_source.load("---\n---\n\nkind: A\n", name="e.yaml")
    assert [d.data for d in source.documents] == [None, {"kind": "A"}]
    assert source.documents[1].line("kind") == 4
    assert source.documents[1].line("missing", "deeper") == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object/apply:os.system ['true']\n", r"t\.yaml:1:4: uses a YAML tag check does not construct"),
        ("a: !local x\n", "uses a YAML tag"),
        ("a: !!binary aGVsbG8=\n", "uses a YAML tag"),
        ("a: !!set {x}\n", "uses a YAML tag"),
        ("a: 1\nb: 2\na: 3\n", r"t\.yaml:3:1: defines the key 'a' twice \(first on line 1\)"),
        ("a: &x [1, *x]\n", r"t\.yaml:1:11: uses the alias \*x before its anchor is complete"),
        ("a: *nothing\n", "uses the alias"),
        ("a: [1, 2\n", r"t\.yaml:2:1: is not valid YAML"),
        ("a: \x07\n", r"t\.yaml:1: holds a character YAML does not allow"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ActionError, match=message):
        yaml_source.load(text, name="t.yaml")


def test_a_python_tag_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(ActionError):
        yaml_source.load(text, name="t.yaml")
    assert not marker.exists()


HOSTILE = {
    "laughs": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)),
    "documents": "kind: A\n---\n" * 10_000,
    "deep": "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(2000)),
    "size": "a: " + "x" * (yaml_source.MAX_CHARS + 1) + "\n",
}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("laughs", "holds more than 200,000 values"),
        ("documents", "holds more than 1,000 documents"),
        ("deep", "nests deeper than 64 levels"),
        ("deep-block", "nests deeper than 64 levels"),
        ("size", "characters"),
    ],
)
def test_hostile_files_end_in_one_error_in_bounded_time(tmp_path: Path, case: str, message: str) -> None:
    """Each in a child process with a timeout (and a memory limit): a hang or an expansion fails the test."""
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE[case])
    code = textwrap.dedent(
        f"""\
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from pathlib import Path
        from wash_actions.workload import yaml_source
        from wash_actions.errors import ActionError
        try:
            yaml_source.read_file(Path({str(path)!r}), name="hostile.yaml")
        except ActionError as exc:
            print(exc.what)
            sys.exit(3)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert message in proc.stdout
    assert proc.stdout.startswith("hostile.yaml")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(ActionError, match=r"bad\.yaml:2: is not UTF-8 text"):
        yaml_source.read_file(path, name="bad.yaml")
