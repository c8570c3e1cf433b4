"""ActionError rendering, and the entry point turning every failure into exactly one annotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_one_clear_error, run_command
from wash_actions.__main__ import main
from wash_actions.errors import ActionError

SINGLE = ActionError(what="wash build failed", why="The project has no config.", fix="Add one.", docs="#build")
YAML = ActionError(
    what="No tag to publish",
    why="The 'tags' input is empty.",
    fix="with:\n  tags: latest",
    docs="#publish",
    details="line one\nline two\n\n",
)


@pytest.mark.parametrize(
    ("error", "one_line", "markdown"),
    [
        (
            SINGLE,
            "wash build failed\nWhy: The project has no config.\nFix: Add one.\nDocs: #build",
            "### :x: wash build failed\n\n**Why:** The project has no config\\.\n\n"
            "**Fix:**\n\nAdd one.\n\nSee #build\n",
        ),
        (
            YAML,
            "No tag to publish\nWhy: The 'tags' input is empty.\nFix: with:\n  tags: latest\nDocs: #publish",
            "### :x: No tag to publish\n"
            "\n"
            "**Why:** The \\'tags\\' input is empty\\.\n"
            "\n"
            "**Fix:**\n"
            "\n"
            "```yaml\n"
            "with:\n"
            "  tags: latest\n"
            "```\n"
            "\n"
            "<details><summary>Details</summary>\n"
            "\n"
            "```text\n"
            "line one\n"
            "line two\n"
            "```\n"
            "\n"
            "</details>\n"
            "\n"
            "See #publish\n",
        ),
    ],
    ids=["single-line-fix", "yaml-fix-with-details"],
)
def test_rendering(error: ActionError, one_line: str, markdown: str) -> None:
    assert error.one_line() == one_line
    assert error.markdown() == markdown


def test_values_from_outside_are_escaped_in_the_summary() -> None:
    """A name from a manifest or a registry's answer in what/why cannot open a tag, an image or a link."""
    from tests.helpers import rendered

    error = ActionError("image <img src=x onerror=alert(1)> refused", "[click](https://evil.example) **now**", "fix")
    markdown = error.markdown()
    assert "<img" not in markdown and "](" not in markdown and "**now**" not in markdown
    assert "image <img src=x onerror=alert(1)> refused" in rendered(markdown)


def test_defaults_and_str() -> None:
    error = ActionError("what", "why.", "fix")
    assert error.docs == "#readme"
    assert error.details == ""
    assert str(error) == "what: why. Fix: fix"
    assert "<details>" not in error.markdown()
    with pytest.raises(ActionError, match=r"^what: why\. Fix: fix$"):
        raise error


@pytest.mark.parametrize("argv", [["nope"], [], ["build", "extra"], ["--help"], ["Build"]])
def test_main_usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("usage: python -m wash_actions {setup-wash [resolve|install],build,check,publish")
    assert "::error" not in captured.out


@pytest.mark.parametrize(
    ("inputs", "fragments", "docs"),
    [
        ({}, ["is not a wash project", ".wash/config.yaml is missing"], "#build"),
        ({"working-directory": "missing"}, ["working-directory", "does not exist"], "#build"),
        ({"skip-fetch": "maybe"}, ["Input 'skip-fetch' must be true or false"], "#readme"),
    ],
    ids=["empty-workspace", "missing-working-directory", "bad-bool"],
)
def test_main_build_reports_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    inputs: dict[str, str],
    fragments: list[str],
    docs: str,
) -> None:
    monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)
    monkeypatch.delenv("GITHUB_ACTION_REPOSITORY", raising=False)
    monkeypatch.delenv("WASHACTIONS_ACTION_REPOSITORY", raising=False)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run = run_command("build", inputs, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path, workspace=workspace)
    line = assert_one_clear_error(run, *fragments)
    assert line.startswith("::error title=")
    assert line.endswith(f"%0ADocs: https://github.com/wash-actions/wash-actions{docs}")
    assert run.outputs == {}
    assert run.summary.startswith("### :x: ")
    assert list(workspace.iterdir()) == []


def test_main_unexpected_exception_is_one_error_with_trace_in_summary(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from wash_actions.commands import build

    def explode(inputs: object) -> dict[str, str]:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(build, "run", explode)
    run = run_command("build", {}, monkeypatch=monkeypatch, capfd=capfd, runner=tmp_path)
    assert_one_clear_error(run, "failed unexpectedly: RuntimeError: kaboom", "bug in the action")
    assert "<details><summary>Details</summary>" in run.summary
    assert "Traceback (most recent call last)" in run.summary
    assert run.outputs == {}
