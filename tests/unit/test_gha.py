"""gha.Inputs parsing from an explicit env mapping, and outputs written to GITHUB_OUTPUT."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import parse_command_file
from wash_actions import gha
from wash_actions.errors import ActionError


def inputs(**values: str) -> gha.Inputs:
    return gha.Inputs({gha.INPUT_PREFIX + key.upper(): value for key, value in values.items()})


@pytest.mark.parametrize(
    ("env", "name", "default", "expected"),
    [
        ({"WASHACTIONS_INPUT_WASH_VERSION": "2.10.3"}, "wash-version", "", "2.10.3"),
        ({"WASHACTIONS_INPUT_WASH_VERSION": "  2.10.3 \n"}, "wash-version", "", "2.10.3"),
        ({"WASHACTIONS_INPUT_WASH_VERSION": "2.10.3"}, "WASH-VERSION", "", "2.10.3"),
        ({"WASHACTIONS_INPUT_WORKING_DIRECTORY": "app"}, "working_directory", ".", "app"),
        ({}, "working-directory", ".", "."),
        ({"WASHACTIONS_INPUT_WORKING_DIRECTORY": "  \n"}, "working-directory", ".", "."),
        ({"WASHACTIONS_INPUT_WORKING_DIRECTORY": ""}, "working-directory", "", ""),
        # GitHub's own INPUT_ prefix and wash's WASH_ config overrides are not inputs here.
        ({"INPUT_WASH_VERSION": "9.9.9", "WASH_VERSION": "8.8.8"}, "wash-version", "2.10.3", "2.10.3"),
        ({"WASHACTIONS_INPUT_WASH-VERSION": "9.9.9"}, "wash-version", "", ""),
    ],
)
def test_get(env: dict[str, str], name: str, default: str, expected: str) -> None:
    assert gha.Inputs(env).get(name, default) == expected


@pytest.mark.parametrize(
    ("raw", "default", "expected"),
    [
        ("true", False, True),
        ("True", False, True),
        (" TRUE\n", False, True),
        ("yes", False, True),
        ("on", False, True),
        ("1", False, True),
        ("false", True, False),
        ("FALSE", True, False),
        ("no", True, False),
        ("off", True, False),
        ("0", True, False),
        ("", True, True),
        ("", False, False),
        ("   ", True, True),
        (None, True, True),
        (None, False, False),
    ],
)
def test_bool(raw: str | None, default: bool, expected: bool) -> None:
    given = inputs() if raw is None else inputs(skip_fetch=raw)
    assert given.bool("skip-fetch", default) is expected


@pytest.mark.parametrize("raw", ["maybe", "tru", "y", "n", "2", "enabled", "true false"])
def test_bool_rejects(raw: str) -> None:
    with pytest.raises(ActionError) as caught:
        inputs(skip_fetch=raw).bool("skip-fetch")
    assert caught.value.what == f"Input 'skip-fetch' must be true or false, not {raw!r}"
    assert caught.value.fix == "with:\n  skip-fetch: true"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("latest", ["latest"]),
        ("v1,latest", ["v1", "latest"]),
        ("v1, latest ,  edge", ["v1", "latest", "edge"]),
        ("v1\nlatest\nedge", ["v1", "latest", "edge"]),
        ("v1\r\nlatest\r\n", ["v1", "latest"]),
        ("v1,\n\n , ,latest,,", ["v1", "latest"]),
        ("b,a\nb,c,a", ["b", "a", "c"]),
        ("  \n , \n", []),
    ],
)
def test_list(raw: str, expected: list[str]) -> None:
    assert inputs(tags=raw).list("tags") == expected


def test_secret_is_never_printed(capsys: pytest.CaptureFixture[str]) -> None:
    value = inputs(password="line-one\n\nline-two").secret("password")
    assert value == "line-one\n\nline-two"
    captured = capsys.readouterr()
    assert "line-one" not in captured.out + captured.err  # not even as ::add-mask::


def test_set_output_writes_multiline_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    output = tmp_path / "github_output.txt"
    output.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    values = {
        "single": "one line",
        "multi": "first\nsecond\n\nfourth",
        "trailing-newline": "ends\n",
        "json": '["ghcr.io/acme/x:v1", "ghcr.io/acme/x:latest"]',
        "looks-like-a-delimiter": "EOF\nname=value",
    }
    for name, value in values.items():
        gha.set_output(name, value)
    gha.set_outputs({"from-mapping": "a\nb"})
    assert parse_command_file(output.read_text()) == {**values, "from-mapping": "a\nb"}


def test_set_output_without_runner_prints(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    gha.set_output("digest", "sha256:abc")
    assert capsys.readouterr().out == "digest=sha256:abc\n"


@pytest.mark.parametrize(
    ("env", "anchor", "expected"),
    [
        ({}, "#build", "https://github.com/wash-actions/wash-actions#build"),
        ({}, "publish", "https://github.com/wash-actions/wash-actions#publish"),
        (
            {"GITHUB_SERVER_URL": "https://ghe.example.com", "GITHUB_ACTION_REPOSITORY": "acme/wash-actions"},
            "#setup-wash",
            "https://ghe.example.com/acme/wash-actions#setup-wash",
        ),
        ({}, "https://example.com/docs#x", "https://example.com/docs#x"),
    ],
)
def test_docs_url(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], anchor: str, expected: str) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_ACTION_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert gha.docs_url(anchor) == expected
