"""find_envelope and clean_message against captured wash 2.10.3 output and synthetic edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wash_actions.toolchain.wash import Envelope, clean_message, find_envelope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wash"

PUSH_DIGEST = "sha256:b379b3f77b16602b24dc5810763cde5d8855ee8a2cf0877268d83d23df9461ad"
UNAUTHORIZED_BODY = (
    '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":['
    '{"Type":"repository","Class":"","Name":"x/y","Action":"pull"},'
    '{"Type":"repository","Class":"","Name":"x/y","Action":"push"}]}]}'
)


def fixture(name: str) -> str:
    path = FIXTURES / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def returncode(name: str) -> int:
    return int(fixture(f"{name}.rc").strip())


# (fixture, stream, success, message, data)
CAPTURED: list[tuple[str, str, bool, str, Any]] = [
    (
        "build-python",
        "stdout",
        True,
        "Successfully built component at: /work/project/build/hello-python.wasm",
        {"component_path": "/work/project/build/hello-python.wasm", "project_path": "/work/project"},
    ),
    (
        "build-js",
        "stdout",
        True,
        "Successfully built component at: /work/project/build/hello-js.wasm",
        {"component_path": "/work/project/build/hello-js.wasm", "project_path": "/work/project"},
    ),
    ("build-js-fail", "stdout", False, "build command 'npm run build' failed", None),
    (
        "build-noisy",
        "stdout",
        True,
        "Successfully built component at: /work/project/out/c.wasm",
        {"component_path": "/work/project/out/c.wasm", "project_path": "/work/project"},
    ),
    (
        "build-bad-yaml",
        "stdout",
        False,
        "failed to load wash configuration\n\nCaused by:\n    did not find expected ',' or ']' at line 3 column 1, "
        "while parsing a flow sequence at line 2 column 12 in .wash/config.yaml YAML file",
        None,
    ),
    ("build-no-command", "stdout", False, "build.command is required in wash config", None),
    (
        "push-ok",
        "stdout",
        True,
        "OCI command executed successfully.",
        {"digest": PUSH_DIGEST, "message": "OCI command executed successfully.", "success": True},
    ),
    (
        "push-refused",
        "stdout",
        False,
        "failed to push component to 127.0.0.1:1/x/y:1\n\nCaused by:\n"
        "    0: error sending request for url (http://127.0.0.1:1/v2/x/y/blobs/uploads/)\n"
        "    1: client error (Connect)\n"
        "    2: tcp connect error\n"
        "    3: Connection refused (os error 111)",
        None,
    ),
    (
        "push-unauthorized",
        "stdout",
        False,
        "failed to push component to 127.0.0.1:5056/x/y:1\n\nCaused by:\n"
        "    Server error: url http://127.0.0.1:5056/v2/x/y/blobs/uploads/, code: 401, message: " + UNAUTHORIZED_BODY,
        None,
    ),
]


@pytest.mark.parametrize(("name", "stream", "success", "message", "data"), CAPTURED, ids=[c[0] for c in CAPTURED])
def test_captured_envelopes(name: str, stream: str, success: bool, message: str, data: Any) -> None:
    text = fixture(f"{name}.{stream}")
    assert text, f"fixture {name}.{stream} is missing or empty"
    envelope = find_envelope(text)
    assert envelope == Envelope(message=message, success=success, data=data)
    assert "Stack backtrace" not in envelope.message
    assert "<unknown>" not in envelope.message
    # The captured exit code agrees with the envelope's success flag.
    assert (returncode(name) == 0) is success


@pytest.mark.parametrize(
    "name",
    ["build-python", "build-js", "build-js-fail", "build-noisy", "build-bad-yaml", "build-no-command", "build-usage"],
)
def test_captured_stderr_never_yields_an_envelope(name: str) -> None:
    # wash.run falls back to stderr; none of these runs put an envelope there.
    assert find_envelope(fixture(f"{name}.stderr")) is None


def test_usage_error_is_plain_text_with_exit_2() -> None:
    stderr = fixture("build-usage.stderr")
    assert "unexpected argument '--bogus'" in stderr
    assert returncode("build-usage") == 2
    assert find_envelope(fixture("build-usage.stdout")) is None
    assert find_envelope(stderr) is None


def test_noisy_build_skips_the_builds_own_json() -> None:
    # Both earlier objects parse as JSON and one even has message/success keys; neither ends the output.
    envelope = find_envelope(fixture("build-noisy.stdout"))
    assert envelope is not None
    assert envelope.message != "a pretty object the build printed"
    assert envelope.message != "half way"


ENVELOPE = {"message": "done", "success": True, "data": {"component_path": "/p/c.wasm"}}
PRETTY = json.dumps(ENVELOPE, indent=2)
COMPACT = json.dumps(ENVELOPE, separators=(",", ":"))
DONE = Envelope("done", True, {"component_path": "/p/c.wasm"})

# (id, text, expected)
SYNTHETIC: list[tuple[str, str, Envelope | None]] = [
    ("empty", "", None),
    ("whitespace-only", " \n\t\n", None),
    ("no-json", "Compiling hello v0.1.0\nFinished release\n", None),
    ("truncated-envelope", PRETTY[: len(PRETTY) // 2], None),
    ("truncated-missing-outer-brace", PRETTY[:-2], None),
    ("trailing-text-after-envelope", PRETTY + "\nbye\n", None),
    ("trailing-text-same-line", COMPACT + " trailing", None),
    ("trailing-json-object-after-envelope", PRETTY + '\n{"progress": 100}\n', None),
    ("not-an-envelope-no-success", '{"message": "hi", "data": null}\n', None),
    ("not-an-envelope-success-not-bool", '{"message": "hi", "success": "true", "data": null}\n', None),
    ("not-an-envelope-no-message", '{"success": true, "data": {}}\n', None),
    ("json-array", '[{"message": "hi", "success": true}]\n', None),
    ("pretty", PRETTY, DONE),
    ("pretty-trailing-whitespace", PRETTY + "\n\n  \t\n", DONE),
    ("compact-single-line", COMPACT, DONE),
    ("compact-after-noise", "npm notice\nwarning: x\n" + COMPACT + "\n", DONE),
    ("compact-mid-line-after-prompt", "(jco componentize) " + COMPACT + "\n", DONE),
    ("pretty-mid-line-after-prompt", "(jco componentize) " + PRETTY + "\n", DONE),
    ("crlf", "Building\r\n" + PRETTY.replace("\n", "\r\n") + "\r\n", DONE),
    ("crlf-noise-object-first", '{"message": "x", "success": false}\r\n' + COMPACT + "\r\n", DONE),
    ("unbalanced-brace-in-noise", "{ not json\n" + PRETTY + "\n", DONE),
    ("non-envelope-json-before", '{"event": "progress"}\n' + PRETTY, DONE),
    ("earlier-envelope-shaped-object", '{"message": "early", "success": false}\n' + PRETTY, DONE),
    (
        "inner-envelope-shaped-object-in-data",
        json.dumps({"message": "outer", "success": True, "data": [{"message": "inner", "success": False}]}, indent=2),
        Envelope("outer", True, [{"message": "inner", "success": False}]),
    ),
    (
        "braces-inside-message",
        json.dumps({"message": 'got {"message": 1}\n{', "success": False, "data": None}, indent=2),
        Envelope('got {"message": 1}\n{', False, None),
    ),
    ("null-message", '{"message": null, "success": false, "data": null}', Envelope("", False, None)),
    ("missing-data", '{"message": "m", "success": true}', Envelope("m", True, None)),
    (
        "backtrace-in-message-is-cleaned",
        json.dumps({"message": "boom\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>", "success": False}),
        Envelope("boom", False, None),
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SYNTHETIC], ids=[c[0] for c in SYNTHETIC])
def test_synthetic_envelopes(text: str, expected: Envelope | None) -> None:
    assert find_envelope(text) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", ""),
        ("  plain message \n", "plain message"),
        ("boom\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>\n  10: <unknown>", "boom"),
        ("boom\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>\n", "boom"),
        (
            "boom\n\nStack backtrace:\n   0: wash::main\n             at src/main.rs:10:5\n   1: std::rt::lang_start",
            "boom",
        ),
        (
            "failed\n\nCaused by:\n    0: a\n    1: b\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>",
            "failed\n\nCaused by:\n    0: a\n    1: b",
        ),
        (
            "boom\n\nStack backtrace:\n   0: <unknown>\n\nnote: run with RUST_BACKTRACE=full",
            "boom\n\nnote: run with RUST_BACKTRACE=full",
        ),
        ("no frames\n\nStack backtrace:\n", "no frames"),
        ("Caused by:\n    0: keep numbered causes", "Caused by:\n    0: keep numbered causes"),
    ],
    ids=[
        "empty",
        "strip",
        "unknown-frames",
        "unknown-frames-trailing-newline",
        "symbolised-frames",
        "keeps-caused-by",
        "keeps-text-after-backtrace",
        "header-only",
        "no-backtrace",
    ],
)
def test_clean_message(message: str, expected: str) -> None:
    assert clean_message(message) == expected
