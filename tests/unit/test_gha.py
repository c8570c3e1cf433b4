"""gha.Inputs parsing from an explicit env mapping, and outputs written to GITHUB_OUTPUT."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import parse_command_file
from wash_actions.errors import ActionError
from wash_actions.runner import gha


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
        (  # a composite's run: step: the runner clears GITHUB_ACTION_REPOSITORY, the step's env: maps it
            {"WASHACTIONS_ACTION_REPOSITORY": "acme/wash-actions", "GITHUB_ACTION_REPOSITORY": ""},
            "#check",
            "https://github.com/acme/wash-actions#check",
        ),
        ({}, "https://example.com/docs#x", "https://example.com/docs#x"),
    ],
)
def test_docs_url(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], anchor: str, expected: str) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_ACTION_REPOSITORY", "WASHACTIONS_ACTION_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert gha.docs_url(anchor) == expected


# -- one way out: workflow commands in text from outside are shown, never run -------------------------------

ZW = gha.BREAK
HOSTILE = [
    ("x\n::error title=PWNED::owned", f"x\n:{ZW}:error title=PWNED::owned"),
    ("x\r::add-mask::PWNED", f"x\r:{ZW}:add-mask::PWNED"),
    ("x\r\n::stop-commands::tok", f"x\r\n:{ZW}:stop-commands::tok"),
    ("   ::warning::indented", f"   :{ZW}:warning::indented"),
    ("\t::notice::tab", f"\t:{ZW}:notice::tab"),
    ("a ##[error]legacy anywhere", f"a #{ZW}#[error]legacy anywhere"),
    ("plain: text :: here", "plain: text :: here"),
    ("ok", "ok"),
    ("https://u:pw-secret@mirror.example/x", "https://u:***@mirror.example/x"),
    ("Authorization: Bearer abcdefghijkl", "Authorization: Bearer ***"),
    ("ghcr.io/acme/x:v1@sha256:" + "a" * 64, "ghcr.io/acme/x:v1@sha256:" + "a" * 64),  # a reference, no credential
    ("git@github.com:acme/x.git", "git@github.com:acme/x.git"),
]


def runner_commands(text: str) -> list[str]:
    """Lines the runner would run (actions/runner ActionCommand.cs): ``::`` after leading whitespace, or
    ``##[`` anywhere; lines end at CR, LF or CRLF (ProcessInvoker reads with ReadLine)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_neutralize(raw: str, shown: str) -> None:
    assert gha.neutralize(raw) == shown
    assert runner_commands(gha.neutralize(raw)) == []


PRINTERS = {
    "info": lambda text: gha.info(text),
    "stderr": lambda text: gha.stderr(text),
    "notice": lambda text: gha.notice(text, title=text),
    "warning": lambda text: gha.warning(text, title=text),
    "error": lambda text: gha.error(text, title=text),
    "group": lambda text: (gha.group_start(text), gha.group_end()),
}


@pytest.mark.parametrize("printer", sorted(PRINTERS))
@pytest.mark.parametrize(("raw", "shown"), HOSTILE[:6])
def test_every_printer_emits_only_its_own_command(
    printer: str, raw: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    PRINTERS[printer](raw)
    captured = capsys.readouterr()
    commands = runner_commands(captured.out + captured.err)
    expected = {"info": [], "stderr": [], "group": ["group", "endgroup"]}.get(printer, [printer])
    assert [line[2:].split("::")[0].split(" ")[0] for line in commands] == expected
    assert "\n" not in "".join(line for line in commands)


def test_command_escaping_follows_the_runner() -> None:
    assert gha.escape_data("100% \r\n") == "100%25 %0D%0A"
    assert gha.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotations_are_capped_keeping_the_tail(capsys: pytest.CaptureFixture[str]) -> None:
    gha.error("x" * 100_000 + "THE END")
    line = capsys.readouterr().out
    assert len(line) < gha.ANNOTATION_LIMIT + 200
    assert line.rstrip().endswith("THE END") and "earlier characters left out" in line


@pytest.fixture
def runner_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_ARTIFACTS"):
        files[name] = tmp_path / name.lower()
        files[name].write_text("")
        monkeypatch.setenv(name, str(files[name]))
    return files


@pytest.mark.parametrize(
    "value",
    ["a\nb=c", "ghadelimiter_x\nEVIL=1", "x\n::add-mask::y", "EOF\nPATH=/evil\nEOF"],
)
def test_outputs_and_env_cannot_add_records(
    value: str, runner_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASHACTIONS_TEST_VAR", "")
    gha.set_output("out", value)
    gha.export_env("WASHACTIONS_TEST_VAR", value)
    assert parse_command_file(runner_files["GITHUB_OUTPUT"].read_text()) == {"out": value}
    assert parse_command_file(runner_files["GITHUB_ENV"].read_text()) == {"WASHACTIONS_TEST_VAR": value}


@pytest.mark.parametrize("name", ["", "a=b", "a<<b", "a\nb"])
def test_output_names_that_would_add_records_are_refused(name: str, runner_files: dict[str, Path]) -> None:
    with pytest.raises(ValueError):
        gha.set_output(name, "v")


def test_path_entries_are_one_line(runner_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.environ.get("PATH", ""))
    gha.add_path(Path("/opt/wash/bin"))
    assert runner_files["GITHUB_PATH"].read_text().splitlines() == ["/opt/wash/bin"]
    with pytest.raises(ValueError):
        gha.add_path(Path("/opt/x\n/evil"))


def test_summary_never_passes_the_runner_limit(runner_files: dict[str, Path]) -> None:
    for _ in range(3):
        gha.summary("### big\n\n```text\n" + "y" * 700_000 + "\n```")
    text = runner_files["GITHUB_STEP_SUMMARY"].read_text()
    assert len(text.encode()) <= gha.SUMMARY_LIMIT < 1024 * 1024
    assert "summary cut short" in text
    assert text.count("```") % 2 == 0  # a cut code block is closed


def test_summary_hides_credentials(runner_files: dict[str, Path]) -> None:
    gha.summary("registry https://ci:pw-12345@ghcr.io")
    assert "pw-12345" not in runner_files["GITHUB_STEP_SUMMARY"].read_text()


def test_declare_oci_artifact(runner_files: dict[str, Path]) -> None:
    gha.declare_oci_artifact("ghcr.io/acme/x@sha256:" + "a" * 64)
    assert runner_files["GITHUB_ARTIFACTS"].read_text() == f"oci://ghcr.io/acme/x@sha256:{'a' * 64}{os.linesep}"
    with pytest.raises(ValueError):
        gha.declare_oci_artifact("ghcr.io/acme/x:latest\noci://evil@sha256:" + "b" * 64)


def test_text_keeps_a_table_row_whole() -> None:
    assert gha.text("a|b\nc\r\nd") == "a\\|b c d"


HOSTILE_TEXT = [
    "wasi:io/poll@0.2.9",
    "<img src=x onerror=alert(1)>",
    "<!-- hide the rest",
    "**bold** _it_ ~~gone~~ `code`",
    "[click](https://evil.example) ![i](https://evil.example/x.png)",
    "| a | b |\n|---|---|\n| c | d |",
    "# heading\n- item\n> quote",
    "&amp; &lt;b&gt; \\*",
    "https://evil.example www.evil.example a@b.example",
]


@pytest.mark.parametrize("value", HOSTILE_TEXT)
@pytest.mark.parametrize("render", ["text", "code", "cell"])
def test_summary_text_renders_as_the_literal_value(value: str, render: str) -> None:
    """The judge is a real CommonMark renderer (markdown-it-py, with GFM's tables and strikethrough): the value
    comes out as its own characters, on one line, in no element but the paragraph (and <code>)."""
    import html

    from markdown_it import MarkdownIt

    markdown = gha.code(value) if render == "code" else gha.text(value)
    renderer = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    out = renderer.render(f"| x |\n|---|\n| {markdown} |" if render == "cell" else markdown).strip()
    flat = " ".join(value.splitlines())
    if render == "cell":
        assert out.count("<td>") == 1 and "<td>" + html.escape(flat, quote=False) + "</td>" in out
    elif render == "code":
        assert out == f"<p><code>{html.escape(flat, quote=False)}</code></p>"
    else:
        assert out == f"<p>{html.escape(flat, quote=False)}</p>"


@pytest.mark.parametrize(("attempt", "rerun"), [("", False), ("1", False), ("2", True), ("12", True)])
def test_is_rerun(attempt: str, rerun: bool) -> None:
    assert gha.is_rerun(attempt) is rerun
